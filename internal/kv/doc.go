// Package kv is the one storage layer under the kiosk's queue and the
// ward's store: how a store is opened on a small device, guarded against a
// full disk, checked for damage, collected, backed up and restored. The
// domain packages (queue, ward/store) own their keys and values.
//
// This package is the contract (Store, Txn, Batch, the typed errors) and
// imports no Badger; kv/badgerkv is the Badger driver, linked in by the main
// packages (a blank import registers it). So `go list -deps ./kiosk` shows
// no Badger: the kiosk's HTTP layer and the queue never see it.
//
// Invariants (of the contract; badgerkv keeps them):
//   - Every store is opened with the small-device options of DESIGN.md
//     (8 MB memtables, two of them, small caches, 16 MB value-log files,
//     two compactors) and synchronous writes: a write that returned nil is
//     on disk.
//   - Every write (Update, WriteBatch, Load, value-log GC) first asks
//     internal/diskguard: Badger writes through mmap and dies of SIGBUS on a
//     full disk instead of returning ENOSPC. Refused writes return
//     ErrUnavailable wrapping ErrDiskFull, before anything changed. Reads
//     never need space.
//   - Checksums are verified: every table when it is opened, every block
//     when it is read, every value-log entry when it is read.
//   - Open names what went wrong with a typed error: ErrLocked (another
//     process — a running service — holds the store; detected by our own
//     flock on <dir>/kyso.lock, not by matching Badger's message),
//     ErrWrongKey (another --data-key, or none), ErrDiskFull (no room to
//     open), ErrDamaged (anything else Badger refuses or panics on while
//     reading the files). A panic inside Badger while reading (damaged
//     tables panic with slice bounds) becomes ErrDamaged, never a crash of
//     the caller's goroutine.
//   - A backup of an encrypted store is encrypted (backupcrypt.go); a
//     backup file appears only when complete; Restore never deletes a
//     store, it moves the old one aside.
package kv

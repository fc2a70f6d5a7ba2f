// Package store is the ward's Badger database: records keyed by
// (kiosk_id, seq), quarantined conflicting deliveries, the kiosk registry
// with tokens, the campaign plan and settings, and kiosk health.
//
// Invariants:
//   - A record key is written once; the ingest path decides, under its lock,
//     that a key is new before writing it. Nothing here overwrites a record.
//   - The stored value is the record's canonical JSON (record.Canonical)
//     after a small header (receive time, how it came), so "same content"
//     means byte-identical canonical JSON, as the wire format defines.
//   - Every Write is one Badger WriteBatch flushed with SyncWrites: when
//     Write returns nil the data is on disk and may be acknowledged.
//   - The Badger store is opened by internal/kv (kv/badgerkv), the storage
//     layer shared with the kiosk: small options, checksums verified, typed
//     errors (ErrLocked, ErrWrongKey, ErrDamaged, ErrDiskFull); its value log
//     is garbage-collected on a ticker by RunGC.
//   - Every write (Write, PutJSON and what uses it, DeleteKiosk, value-log
//     GC) first asks internal/diskguard: Badger writes through mmap and
//     dies of SIGBUS on a full disk instead of returning ENOSPC. Refused
//     and failed writes return ErrUnavailable (wrapping ErrDiskFull when
//     the disk is full); nothing held before changes. Reads never need
//     space. Open calls the guard's BeforeOpen, which may release the
//     ballast (<dir>.ballast) so a store on a full disk still opens.
//   - With an EncryptionKey, tables, value log and write-ahead log are
//     AES-encrypted; a store opens only with the key it was made with
//     (ErrWrongKey otherwise).
//   - A purged record (Stored.Purged) keeps the content hash of what was
//     delivered (OrigHash); its value layout has a 0 byte where ordinary
//     records start their JSON, so the two cannot be confused.
//   - CopyTo writes only the current version of each key: old versions
//     stay with the source store.
//   - EachRecordBrief (start-up) reads only the fields the counts need with
//     a field reader that, on valid JSON, gives what encoding/json gives or
//     hands the value to encoding/json (brief.go, FuzzBrief); the content
//     hash is taken of the stored bytes, never of a re-encoding.
//   - Kiosk ids never contain NUL (they are validated before they get here),
//     so NUL separates the id from the seq in keys.
package store

// Package diskguard keeps a Badger store from ever running its file system
// full.
//
// Why: Badger writes its memtable log and value log through mmap'd files
// that it extends with ftruncate, i.e. sparse files. When the file system
// is full, the kernel cannot back a page the first time Badger touches it
// and delivers SIGBUS: the whole process dies and Badger never sees ENOSPC
// (tests/hardening.TestKioskFullDisk found this). Badger also writes the
// headers of new files this way at every Open, so a program restarted on a
// full disk would crash in a loop.
//
// Invariants:
//   - Check fails (ErrDiskFull) while the file system holding the store has
//     less than MinFree available to unprivileged writers. Callers check
//     before every write, so Badger only allocates within the reserve: one
//     accepted write may later cost a memtable flush or a compaction, and
//     the reserve covers that.
//   - With a ballast, a file of that size next to the store holds space
//     that BeforeOpen releases when others (logs, backups, another program)
//     filled the disk, so the store can open, serve reads and refuse writes
//     cleanly. Check puts the ballast back once space returns.
//   - BeforeOpen refuses (ErrDiskFull) when even without the ballast there
//     is not room to open: a message instead of SIGBUS.
//   - Reads never need free space and are never refused.
//
// Linux only (statfs, fallocate); elsewhere the guard is off.
package diskguard

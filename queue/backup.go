package queue

import (
	"time"

	"github.com/kyso-vn/kyso/internal/kv"
)

// backupPrefix names the kiosk's backup files: kyso-kiosk-<UTC time>.bak
// (deploy's scripts and the USB copy look for that name).
const backupPrefix = "kyso-kiosk"

// WriteBackup writes a full backup of the store (encrypted when the store
// is) to a new file in dir and keeps the newest keep files. The file
// appears only when complete.
func (q *Queue) WriteBackup(dir string, keep int, now time.Time) (string, error) {
	return q.db.WriteBackup(dir, backupPrefix, keep, now)
}

// Backups lists the backup files in dir, newest first.
func Backups(dir string) []string { return kv.Backups(dir, backupPrefix) }

// Restore loads a backup file into a new store at dir (the kiosk must be
// stopped: ErrLocked otherwise). An existing store is moved aside, never
// deleted; an encrypted backup needs its key (ErrBackupKey).
func Restore(file, dir string, key []byte) (movedAside string, err error) {
	return kv.Restore(file, Options{Dir: dir, EncryptionKey: key}.kv())
}

// Compact flattens the store's levels (benchmarks seed stores with it).
func (q *Queue) Compact() error { return q.db.Flatten() }

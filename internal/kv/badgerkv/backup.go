package badgerkv

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/kv"
)

// Backup writes a full backup of the store to w: Badger's backup stream,
// sealed with the data key when the store has one (backupcrypt.go).
func (d *DB) Backup(w io.Writer) (err error) {
	defer recoverDamage(&err)
	dst, seal := w, (*sealWriter)(nil)
	if d.Encrypted() {
		if seal, err = newSealWriter(w, d.key); err != nil {
			return err
		}
		dst = seal
	}
	if _, err = d.db.Backup(dst, 0); err != nil {
		return err
	}
	if seal != nil {
		return seal.Close()
	}
	return nil
}

// WriteBackup writes a backup to a new file <dir>/<prefix>-<UTC time>.bak
// and keeps the newest keep files. The file appears only when complete.
// Backups usually share the store's disk: the guard is asked first.
func (d *DB) WriteBackup(dir, prefix string, keep int, now time.Time) (string, error) {
	if err := d.Check(); err != nil {
		return "", fmt.Errorf("backup: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	name := filepath.Join(dir, prefix+"-"+now.UTC().Format("20060102-150405")+".bak")
	tmp := name + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	err = d.Backup(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, name)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("backup: %w", err)
	}
	prune(dir, prefix, keep)
	return name, nil
}

func prune(dir, prefix string, keep int) {
	if keep < 1 {
		keep = 1
	}
	for i, f := range kv.Backups(dir, prefix) {
		if i >= keep {
			os.Remove(f)
		}
	}
}

// Restore loads a backup file into a new store at o.Dir. An existing store
// is moved aside, never deleted; a store in use is refused (ErrLocked).
func Restore(file string, o kv.Options) (movedAside string, err error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	// Check the key on the first bytes before the store is moved aside.
	src, err := backupReader(bufio.NewReaderSize(f, 1<<20), o.EncryptionKey)
	if err != nil {
		return "", fmt.Errorf("load %s: %w", file, err)
	}
	in := bufio.NewReaderSize(src, 1<<20)
	if _, err := in.Peek(1); err != nil && err != io.EOF {
		return "", fmt.Errorf("load %s: %w", file, err)
	}
	if entries, _ := os.ReadDir(o.Dir); len(entries) > 0 {
		lock, err := lockDir(o.Dir)
		if err != nil {
			return "", err
		}
		if badgerLocked(o.Dir) {
			unlockDir(lock)
			return "", fmt.Errorf("%w: %s", kv.ErrLocked, o.Dir)
		}
		movedAside = strings.TrimRight(o.Dir, "/") + ".before-restore-" + time.Now().UTC().Format("20060102-150405")
		err = os.Rename(o.Dir, movedAside)
		unlockDir(lock)
		if err != nil {
			return "", err
		}
	}
	d, err := Open(o)
	if err != nil {
		return movedAside, err
	}
	if err := d.Load(in); err != nil {
		d.Close()
		return movedAside, fmt.Errorf("load %s: %w", file, err)
	}
	return movedAside, d.Close()
}

// Load writes a backup stream (plain, as Backup wrote it before sealing)
// into the store, after the disk guard agreed.
func (d *DB) Load(r io.Reader) (err error) {
	if err := d.Check(); err != nil {
		return err
	}
	defer recoverDamage(&err)
	return d.db.Load(r, 64)
}

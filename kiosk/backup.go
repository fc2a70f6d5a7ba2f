package kiosk

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/kyso-vn/kyso/queue"
)

// BackupDir is where daily backups go, under the data dir.
func BackupDir(data string) string { return filepath.Join(data, "backups") }

// WriteBackup writes a full Badger backup of db to a new file in dir and
// keeps the newest keep files. The file appears only when complete.
func WriteBackup(db *badger.DB, dir string, keep int, now time.Time) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	name := filepath.Join(dir, "kyso-kiosk-"+now.UTC().Format("20060102-150405")+".bak")
	tmp := name + ".part"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return "", err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var dst io.Writer = w
	var seal *sealWriter
	if key := db.Opts().EncryptionKey; len(key) > 0 {
		// An encrypted store gets an encrypted backup (backupcrypt.go).
		if seal, err = newSealWriter(w, key); err != nil {
			f.Close()
			os.Remove(tmp)
			return "", fmt.Errorf("backup: %w", err)
		}
		dst = seal
	}
	_, err = db.Backup(dst, 0)
	if err == nil && seal != nil {
		err = seal.Close()
	}
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
	prune(dir, keep)
	return name, nil
}

// Backups lists backup files, newest first.
func Backups(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, "kyso-kiosk-*.bak"))
	sort.Sort(sort.Reverse(sort.StringSlice(m)))
	return m
}

func prune(dir string, keep int) {
	if keep < 1 {
		keep = 1
	}
	for i, f := range Backups(dir) {
		if i >= keep {
			os.Remove(f)
		}
	}
}

// RunBackups writes a backup at start when the newest is over a day old,
// then daily, and whenever trigger fires (`kiosk backup` while the service
// runs), until ctx ends.
func RunBackups(ctx context.Context, q *queue.Queue, data string, keep int, trigger <-chan struct{}, log *slog.Logger) error {
	dir := BackupDir(data)
	for {
		wait := 24 * time.Hour
		if b := Backups(dir); len(b) > 0 {
			if st, err := os.Stat(b[0]); err == nil {
				wait = max(0, 24*time.Hour-time.Since(st.ModTime()))
			}
		} else {
			wait = time.Minute // first start: soon, but not during start-up
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		case <-trigger:
		}
		name, err := WriteBackup(q.DB(), dir, keep, time.Now())
		if err != nil {
			log.Error("daily backup failed", "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Hour):
			}
			continue
		}
		log.Info("daily backup written", "file", name)
		// A backup streams the whole store through the heap once a day; hand
		// that memory back now rather than keep it for hours on a 1 GB Pi.
		debug.FreeOSMemory()
	}
}

// Restore loads a backup file into a new store at dir. An existing store is
// moved aside, never deleted.
func Restore(file, dir string, key []byte) (movedAside string, err error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	// Check the key on the first bytes before the store is moved aside.
	src, err := backupReader(bufio.NewReaderSize(f, 1<<20), key)
	if err != nil {
		return "", fmt.Errorf("load %s: %w", file, err)
	}
	in := bufio.NewReaderSize(src, 1<<20)
	if _, err := in.Peek(1); err != nil && err != io.EOF {
		return "", fmt.Errorf("load %s: %w", file, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		movedAside = strings.TrimRight(dir, "/") + ".before-restore-" + time.Now().UTC().Format("20060102-150405")
		if err := os.Rename(dir, movedAside); err != nil {
			return "", err
		}
	}
	db, err := badger.Open(queue.BadgerOptions(dir, key))
	if err != nil {
		return movedAside, err
	}
	if err := db.Load(in, 64); err != nil {
		db.Close()
		return movedAside, fmt.Errorf("load %s: %w", file, err)
	}
	return movedAside, db.Close()
}

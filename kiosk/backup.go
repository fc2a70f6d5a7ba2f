package kiosk

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/kyso-vn/kyso/queue"
)

// BackupDir is where daily backups go, under the data dir.
func BackupDir(data string) string { return filepath.Join(data, "backups") }

// Backups lists backup files, newest first.
func Backups(dir string) []string { return queue.Backups(dir) }

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
		name, err := q.WriteBackup(dir, keep, time.Now())
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

//go:build unix

package badgerkv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kyso-vn/kyso/internal/kv"
)

// lockName is our own lock file in the store's directory. Badger takes a
// lock of its own, but only tells us through an error string; holding ours
// first makes "already open" a typed answer (ErrLocked).
const lockName = "kyso.lock"

// lockDir takes an exclusive flock on <dir>/kyso.lock. flock locks belong
// to the open file, so a second Open in the same process is refused too,
// as Badger would.
func lockDir(dir string) (*os.File, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", kv.ErrLocked, dir)
		}
		return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return f, nil
}

func unlockDir(f *os.File) {
	if f != nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}
}

// badgerLocked reports whether someone holds Badger's own lock (a flock on
// the directory): a program that does not know kyso.lock, such as an older
// kiosk binary still running during an upgrade.
func badgerLocked(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
	if err == nil {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		return false
	}
	return errors.Is(err, syscall.EWOULDBLOCK)
}

//go:build unix

package purge

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
)

// lockPurge takes <dataDir>/purge.lock: `ward purge` holds it from start to
// swap, every other open holds it while it opens. A ward started during a
// purge then stops with a message instead of opening a store that is
// about to be moved away.
func lockPurge(dataDir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dataDir, purgeLock), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("the ward's data directory %s is being purged (`ward purge` is running): wait for it to finish", dataDir)
		}
		return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

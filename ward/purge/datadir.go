package purge

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kyso-vn/kyso/internal/diskguard"
	"github.com/kyso-vn/kyso/ward/store"
)

// The ward's data directory:
//
//	store/             the Badger store
//	store.ballast      space given back when the disk is too full to open
//	store.purge-new/   being written by `ward purge` (only while it runs)
//	store.purge-old/   the store before a purge, until the swap is done
//	purge.lock         held by `ward purge`, and briefly by every open
const (
	storeDir    = "store"
	purgeNewDir = "store.purge-new"
	purgeOldDir = "store.purge-old"
	purgeLock   = "purge.lock"
)

// OfflineOptions open the store of a ward that is not running (ward kiosk,
// ward purge): with the ballast, so that they work on a full disk too.
func OfflineOptions(key []byte) store.Options {
	return store.Options{EncryptionKey: key, Ballast: diskguard.DefaultBallast}
}

// HasStore reports whether dataDir holds a ward's store.
func HasStore(dataDir string) bool {
	return exists(filepath.Join(dataDir, storeDir)) || exists(filepath.Join(dataDir, purgeOldDir))
}

// OpenStore opens <dataDir>/store, first finishing a purge that was cut
// short, with messages an official can act on.
func OpenStore(dataDir string, o store.Options) (*store.Store, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	unlock, err := lockPurge(dataDir)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return openStoreLocked(dataDir, o, log)
}

// openStoreLocked is openStore for a caller that holds purge.lock.
func openStoreLocked(dataDir string, o store.Options, log *slog.Logger) (*store.Store, error) {
	if err := finishPurge(dataDir, log); err != nil {
		return nil, err
	}
	st, err := store.Open(filepath.Join(dataDir, storeDir), o)
	switch {
	case err == nil:
		return st, nil
	case errors.Is(err, store.ErrLocked):
		return nil, fmt.Errorf("the ward's data directory %s is in use: is the ward already running? (while it runs, add kiosks on its dashboard; stop it for `ward purge`) (%w)", dataDir, err)
	case errors.Is(err, store.ErrDamaged):
		return nil, fmt.Errorf("%w: the files under %s are not what was written (a failing disk?); nothing was changed", err, dataDir)
	case errors.Is(err, store.ErrWrongKey):
		return nil, fmt.Errorf("%w: give the --data-key the store was made with (nothing was changed)", err)
	case errors.Is(err, store.ErrDiskFull):
		return nil, fmt.Errorf("%w (nothing was changed)", err)
	}
	return nil, err
}

// finishPurge completes or undoes a swap that a crash or power cut
// interrupted (purge.go swaps store.purge-new in for store, see there).
// The new store was verified before the swap began, so once the old one
// has been moved aside the new one is the one to keep.
func finishPurge(dataDir string, log *slog.Logger) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cur, oldP, newP := filepath.Join(dataDir, storeDir), filepath.Join(dataDir, purgeOldDir), filepath.Join(dataDir, purgeNewDir)
	hasCur, hasOld, hasNew := exists(cur), exists(oldP), exists(newP)
	switch {
	case hasOld && !hasCur && hasNew:
		log.Warn("finishing an interrupted purge: the purged store takes the place of the old one")
		if err := os.Rename(newP, cur); err != nil {
			return fmt.Errorf("finishing an interrupted purge: %w", err)
		}
		syncDir(dataDir)
		hasCur, hasNew = true, false
	case hasOld && !hasCur:
		log.Warn("undoing an interrupted purge: the old store is put back")
		if err := os.Rename(oldP, cur); err != nil {
			return fmt.Errorf("undoing an interrupted purge: %w", err)
		}
		syncDir(dataDir)
		return nil
	}
	if hasOld {
		log.Warn("removing the store from before a purge")
		if err := removeStore(oldP); err != nil {
			return fmt.Errorf("removing %s: %w", oldP, err)
		}
	}
	if hasNew {
		// The purge did not reach the swap: the store in place is whole.
		log.Warn("removing an unfinished purge")
		if err := os.RemoveAll(newP); err != nil {
			return fmt.Errorf("removing %s: %w", newP, err)
		}
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// syncDir makes renames in dir durable.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// removeStore deletes a store that held personal data. Deleting a file
// only drops its name: the blocks keep the bytes until reused. So each
// file is first overwritten with zeros where there is room for that (on a
// sparse file, writing zeros allocates, and the disk may be nearly full).
// Best effort: SD cards and SSDs remap blocks and may keep old copies;
// --data-key is what makes the bytes unreadable.
func removeStore(dir string) error {
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		room := diskguard.New(diskguard.Options{Dir: dir, MinFree: info.Size() + diskguard.DefaultMinFree})
		if room.Check() != nil {
			return nil
		}
		return zeroFile(path, info.Size())
	})
	if err != nil {
		return err
	}
	return os.RemoveAll(dir)
}

func zeroFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = io.CopyN(f, zeros{}, size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

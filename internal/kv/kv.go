package kv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/internal/diskguard"
)

// Errors of the storage layer. The domain packages re-export them so that
// their callers need not import this package.
var (
	// ErrLocked says another process holds the store: the service is running.
	ErrLocked = errors.New("the store is in use by another process (is the service running?)")
	// ErrWrongKey says the store was written with another data key, or
	// without one while one is given now (or the other way round).
	ErrWrongKey = errors.New("the store was written with another data key (or without one)")
	// ErrDamaged says the store's files fail their checksums or cannot be
	// read: the data on the card is not what was written.
	ErrDamaged = errors.New("the store is damaged")
	// ErrDiskFull says the store's file system is (almost) full. Writes
	// refused for it come wrapped in ErrUnavailable.
	ErrDiskFull = diskguard.ErrDiskFull
	// ErrUnavailable wraps every refused or failed write: the caller answers
	// 503 and the client retries later; nothing held before is lost.
	ErrUnavailable = errors.New("store unavailable")
	// ErrNotFound says a key is absent.
	ErrNotFound = errors.New("key not found")
	// ErrConflict says a read-write transaction lost a race with another
	// commit; nothing of it was written.
	ErrConflict = errors.New("transaction conflict")
	// ErrBackupKey says an encrypted backup was restored without its key,
	// or with another one.
	ErrBackupKey = errors.New("the backup is encrypted: restore it with the same --data-key")
	// Stop ends an Iterate early; Iterate then returns nil. Named like
	// fs.SkipAll: a signal, not a failure.
	//lint:ignore ST1012 a signal like fs.SkipAll, not an error to report
	Stop = errors.New("stop iterating")
)

// Options configure Open. The zero tuning values take the kiosk's sizes.
type Options struct {
	Dir string
	// EncryptionKey (16, 24 or 32 bytes) encrypts tables, value log and
	// write-ahead log with AES; nil leaves the store plain.
	EncryptionKey []byte
	// MinFree is the space kept free under the store (0: the guard's
	// default, negative: no guard). Badger dies of SIGBUS on a full disk.
	MinFree int64
	// Ballast is the size of <Dir>.ballast, released at Open when the disk
	// is too full for Badger to start (0: none).
	Ballast int64
	Logger  *slog.Logger

	BlockCacheSize int64 // 0: 4 MB
	IndexCacheSize int64 // 0: 2 MB (must be > 0 with encryption)
	L0Stall        int   // level-0 tables that stall writes; 0: 4
	ValueThreshold int64 // values larger than this go to the value log; 0: 1 KB

	// FlushReplayed closes and reopens the store once at Open: after a
	// power cut Badger replays its write-ahead log into a memtable that
	// then sits in RAM until it fills (measured: +9 to +33 MB on a Pi with
	// 10k records); the reopen starts with an empty one. A few milliseconds
	// after a clean stop.
	FlushReplayed bool
}

// IterOptions select what Iterate walks.
type IterOptions struct {
	Prefix   []byte // only keys with this prefix
	Seek     []byte // start here (nil: the first key, or the last when Reverse)
	Reverse  bool
	KeysOnly bool // values are not read (fn gets nil)
	Prefetch int  // values read ahead (0: the store's default)
}

// Txn is a transaction. Slices given to callbacks are valid only during
// the callback; Get returns a copy.
type Txn interface {
	Get(key []byte) ([]byte, error) // ErrNotFound when absent
	Set(key, value []byte) error    // read-write transactions only
	Delete(key []byte) error        // read-write transactions only
	// Iterate calls fn for each key in order; fn returning Stop ends the
	// walk without error.
	Iterate(o IterOptions, fn func(key, value []byte) error) error
}

// Batch is a write batch: it commits as it grows, not atomically.
type Batch interface {
	Set(key, value []byte) error
}

// Store is an open store. Every write first asks the disk guard; reads
// never do. Safe for concurrent use.
type Store interface {
	// View runs fn in a read transaction.
	View(fn func(Txn) error) error
	// Update runs fn in a read-write transaction committed with a
	// synchronous write. A guard refusal is ErrUnavailable wrapping
	// ErrDiskFull; a lost race is ErrConflict; fn's errors come back as
	// they are.
	Update(fn func(Txn) error) error
	// WriteBatch runs fn on a new batch and flushes it. A long fn should
	// call Check as the batch grows.
	WriteBatch(fn func(Batch) error) error
	// Check asks the disk guard whether a write may go ahead.
	Check() error
	// RunGC collects the value log on a ticker, while the guard agrees.
	RunGC(ctx context.Context, every time.Duration) error
	// Backup writes a full backup to w (sealed with the data key, if any).
	Backup(w io.Writer) error
	// WriteBackup writes a backup to a new file <dir>/<prefix>-<UTC time>.bak
	// and keeps the newest keep files.
	WriteBackup(dir, prefix string, keep int, now time.Time) (string, error)
	// Verify reads every table and every value with its checksum:
	// ErrDamaged when something is not what was written.
	Verify() error
	// Flatten compacts every level into one.
	Flatten() error
	Close() error
}

// Driver opens stores; the Badger one is package kv/badgerkv, which a
// program links in with a blank import (see Register).
type Driver interface {
	Open(Options) (Store, error)
	Restore(file string, o Options) (movedAside string, err error)
}

var (
	driverMu sync.Mutex
	driver   Driver
)

// Register makes d the driver of Open and Restore. The Badger driver
// registers itself when imported: the kiosk's domain and HTTP packages
// then never depend on Badger, only the main packages and tests do.
func Register(d Driver) {
	driverMu.Lock()
	defer driverMu.Unlock()
	driver = d
}

func theDriver() (Driver, error) {
	driverMu.Lock()
	defer driverMu.Unlock()
	if driver == nil {
		return nil, errors.New("kv: no store driver linked in (import _ \"github.com/kyso-vn/kyso/internal/kv/badgerkv\" in the main package or the test)")
	}
	return driver, nil
}

// Open opens (creating if needed) the store in o.Dir.
func Open(o Options) (Store, error) {
	d, err := theDriver()
	if err != nil {
		return nil, err
	}
	return d.Open(o)
}

// Restore loads a backup file into a new store at o.Dir. An existing store
// is moved aside, never deleted; a store in use is refused (ErrLocked).
func Restore(file string, o Options) (movedAside string, err error) {
	d, err := theDriver()
	if err != nil {
		return "", err
	}
	return d.Restore(file, o)
}

// Backups lists the backup files <dir>/<prefix>-*.bak, newest first.
func Backups(dir, prefix string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, prefix+"-*.bak"))
	sort.Sort(sort.Reverse(sort.StringSlice(m)))
	return m
}

// Unavailable wraps a failed write in ErrUnavailable (once).
func Unavailable(err error) error {
	if err == nil || errors.Is(err, ErrUnavailable) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUnavailable, err)
}

// Package badgerkv is the Badger driver of package kv: the one place that
// opens Badger, with the small-device options, the disk guard, checksum
// verification and typed errors described in package kv. Importing it
// registers the driver (main packages and tests do; domain packages never).
package badgerkv

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"

	"github.com/kyso-vn/kyso/internal/diskguard"
	"github.com/kyso-vn/kyso/internal/kv"
)

func init() { kv.Register(driver{}) }

type driver struct{}

func (driver) Open(o kv.Options) (kv.Store, error) { return Open(o) }

func (driver) Restore(file string, o kv.Options) (string, error) { return Restore(file, o) }

// BadgerOptions are the small-device options of DESIGN.md: a Pi has little
// memory, and every acknowledged write must survive a power cut. Exported
// for the benchmark that compares the queue with raw Badger.
func BadgerOptions(o kv.Options) badger.Options {
	bc, ic, stall, vt := o.BlockCacheSize, o.IndexCacheSize, o.L0Stall, o.ValueThreshold
	if bc <= 0 {
		bc = 4 << 20
	}
	if ic <= 0 {
		ic = 2 << 20
	}
	if stall <= 0 {
		stall = 4
	}
	if vt <= 0 {
		vt = 1 << 10
	}
	bo := badger.DefaultOptions(o.Dir).
		WithSyncWrites(true).
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(stall).
		WithBlockCacheSize(bc).
		WithIndexCacheSize(ic). // > 0: Badger needs it for encryption
		WithValueLogFileSize(16 << 20).
		WithNumCompactors(2).
		WithNumGoroutines(1). // streams (backups): one 32 MB buffer, not eight
		WithBaseTableSize(2 << 20).
		WithValueThreshold(vt).
		WithMetricsEnabled(false).
		// A card that flips bits must not be read as data: every block is
		// checked when read, every value-log entry too. Tables are checked
		// whole before Badger opens them, by preflight (Badger's own check
		// at open can panic where no recover reaches).
		WithChecksumVerificationMode(options.OnBlockRead).
		WithVerifyValueChecksum(true).
		WithLogger(nil)
	if o.Logger != nil {
		bo = bo.WithLogger(badgerLog{o.Logger})
	}
	if len(o.EncryptionKey) > 0 {
		bo = bo.WithEncryptionKey(o.EncryptionKey).WithEncryptionKeyRotationDuration(30 * 24 * time.Hour)
	}
	return bo
}

// DB is an open store. Safe for concurrent use.
type DB struct {
	db    *badger.DB
	dir   string
	key   []byte
	guard *diskguard.Guard
	lock  *os.File
	log   *slog.Logger
	// gc is Badger's RunValueLogGC; a test counts the calls.
	gc func(discardRatio float64) error
}

var _ kv.Store = (*DB)(nil)

// Open opens (creating if needed) the store in o.Dir.
func Open(o kv.Options) (*DB, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	g := diskguard.New(diskguard.Options{Dir: o.Dir, MinFree: o.MinFree, Ballast: o.Ballast, Logger: log})
	if err := g.BeforeOpen(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", o.Dir, err)
	}
	lock, err := lockDir(o.Dir)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", o.Dir, err)
	}
	if err := preflight(o); err != nil {
		unlockDir(lock)
		return nil, fmt.Errorf("open store %s: %w", o.Dir, err)
	}
	db, err := openBadger(o)
	if err == nil && o.FlushReplayed {
		if err = db.Close(); err == nil {
			db, err = openBadger(o)
		}
		debug.FreeOSMemory() // the replayed memtable's memory, now garbage
	}
	if err != nil {
		unlockDir(lock)
		return nil, fmt.Errorf("open store %s: %w", o.Dir, err)
	}
	_ = g.Check() // puts the ballast (back) in place when there is room
	d := &DB{db: db, dir: o.Dir, key: o.EncryptionKey, guard: g, lock: lock, log: log}
	d.gc = db.RunValueLogGC
	return d, nil
}

// openBadger opens Badger and types its refusals. Badger flattens the
// errors it wraps into strings, so what is not a wrong key or a lock held
// by another program is the files themselves: damage.
func openBadger(o kv.Options) (db *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			db, err = nil, fmt.Errorf("%w: %v", kv.ErrDamaged, r)
		}
	}()
	db, err = badger.Open(BadgerOptions(o))
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, badger.ErrEncryptionKeyMismatch):
		return nil, kv.ErrWrongKey
	case badgerLocked(o.Dir):
		return nil, fmt.Errorf("%w: %s", kv.ErrLocked, o.Dir)
	}
	return nil, fmt.Errorf("%w: %v", kv.ErrDamaged, err)
}

// Close closes the store and releases its lock.
func (d *DB) Close() error {
	err := d.db.Close()
	unlockDir(d.lock)
	d.lock = nil
	return err
}

// Encrypted reports whether the store has a data key.
func (d *DB) Encrypted() bool { return len(d.key) > 0 }

// Check asks the disk guard whether a write may go ahead: nil, or
// ErrUnavailable wrapping ErrDiskFull.
func (d *DB) Check() error { return kv.Unavailable(d.guard.Check()) }

// View runs fn in a read transaction. A panic inside Badger (a damaged
// table read past its end) is returned as ErrDamaged.
func (d *DB) View(fn func(kv.Txn) error) (err error) {
	defer recoverDamage(&err)
	return d.db.View(func(t *badger.Txn) error { return fn(txn{t}) })
}

// Update runs fn in a read-write transaction committed with a synchronous
// write, after the disk guard agreed.
func (d *DB) Update(fn func(kv.Txn) error) (err error) {
	if err := d.Check(); err != nil {
		return err
	}
	defer recoverDamage(&err)
	err = d.db.Update(func(t *badger.Txn) error { return fn(txn{t}) })
	if errors.Is(err, badger.ErrConflict) {
		return kv.ErrConflict
	}
	return err
}

// WriteBatch runs fn on a new write batch and flushes it, after the disk
// guard agreed.
func (d *DB) WriteBatch(fn func(kv.Batch) error) (err error) {
	if err := d.Check(); err != nil {
		return err
	}
	defer recoverDamage(&err)
	wb := d.db.NewWriteBatch()
	defer wb.Cancel()
	if err := fn(wb); err != nil {
		return err
	}
	return wb.Flush()
}

// Flatten compacts every level into one (benchmarks seed stores with it).
func (d *DB) Flatten() error {
	if err := d.Check(); err != nil {
		return err
	}
	return d.db.Flatten(1)
}

func recoverDamage(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: %v", kv.ErrDamaged, r)
	}
}

// txn adapts a Badger transaction to kv.Txn.
type txn struct{ t *badger.Txn }

func (x txn) Get(key []byte) ([]byte, error) {
	it, err := x.t.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, kv.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return it.ValueCopy(nil)
}

func (x txn) Set(key, value []byte) error { return x.t.Set(key, value) }

func (x txn) Delete(key []byte) error { return x.t.Delete(key) }

func (x txn) Iterate(o kv.IterOptions, fn func(key, value []byte) error) error {
	io := badger.DefaultIteratorOptions
	io.Prefix, io.Reverse, io.PrefetchValues = o.Prefix, o.Reverse, !o.KeysOnly
	if o.Prefetch > 0 {
		io.PrefetchSize = o.Prefetch
	}
	it := x.t.NewIterator(io)
	defer it.Close()
	switch {
	case o.Seek != nil:
		it.Seek(o.Seek)
	default:
		it.Rewind()
	}
	for ; it.Valid(); it.Next() {
		item := it.Item()
		var err error
		if o.KeysOnly {
			err = fn(item.Key(), nil)
		} else {
			err = item.Value(func(v []byte) error { return fn(item.Key(), v) })
		}
		if errors.Is(err, kv.Stop) {
			return nil
		}
		if err != nil {
			return err
		}
	}
	return nil
}

type badgerLog struct{ l *slog.Logger }

func (b badgerLog) Errorf(f string, a ...any)   { b.l.Error("badger: " + fmt.Sprintf(f, a...)) }
func (b badgerLog) Warningf(f string, a ...any) { b.l.Warn("badger: " + fmt.Sprintf(f, a...)) }
func (b badgerLog) Infof(string, ...any)        {}
func (b badgerLog) Debugf(string, ...any)       {}

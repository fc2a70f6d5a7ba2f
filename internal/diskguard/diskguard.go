package diskguard

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// DefaultMinFree is the reserve kept free under a store: a few memtables
// (8 MB each with the small options of DESIGN.md) and a compaction fit in it.
const DefaultMinFree = 64 << 20

// DefaultBallast is the ballast a service keeps next to its store.
const DefaultBallast = 32 << 20

// ErrDiskFull says the store's file system is (almost) full.
var ErrDiskFull = errors.New("disk almost full")

// Options configure a Guard.
type Options struct {
	Dir     string // the Badger directory (it may not exist yet)
	MinFree int64  // 0: DefaultMinFree; negative: no checks at all
	Ballast int64  // bytes kept in <Dir>.ballast; 0: no ballast
	Logger  *slog.Logger
}

// Guard watches one store's file system. Safe for concurrent use.
type Guard struct {
	dir     string
	ballast string
	size    int64
	minFree uint64 // 0: off
	log     *slog.Logger

	mu      sync.Mutex  // serialises ballast changes
	missing atomic.Bool // the ballast should be (re)made when space allows
}

// New returns a guard for the store in o.Dir.
func New(o Options) *Guard {
	g := &Guard{dir: o.Dir, log: o.Logger}
	if g.log == nil {
		g.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	switch {
	case o.MinFree == 0:
		g.minFree = DefaultMinFree
	case o.MinFree > 0:
		g.minFree = uint64(o.MinFree)
	}
	if o.Ballast > 0 {
		g.ballast = strings.TrimRight(o.Dir, string(filepath.Separator)) + ".ballast"
		g.size = o.Ballast
		g.missing.Store(true)
	}
	return g
}

// free is the space an unprivileged writer may still use next to the store.
func (g *Guard) free() (uint64, bool) {
	if n, ok := freeBytes(g.dir); ok {
		return n, true
	}
	return freeBytes(filepath.Dir(g.dir)) // the store does not exist yet
}

// Check returns an error wrapping ErrDiskFull when a write could run the
// file system out of space under Badger. Cheap: one statfs.
func (g *Guard) Check() error {
	if g == nil || g.minFree == 0 {
		return nil
	}
	free, ok := g.free()
	if !ok {
		return nil // cannot tell: let Badger try
	}
	if free < g.minFree {
		return fmt.Errorf("%w: %d MB free, %d MB kept in reserve", ErrDiskFull, free>>20, g.minFree>>20)
	}
	if g.missing.Load() && free >= g.minFree+uint64(g.size) {
		g.makeBallast()
	}
	return nil
}

// BeforeOpen makes sure Badger can open: it needs room for the headers of
// new files and for flushing the memtables a crash left behind. When the
// disk is too full it releases the ballast; when even that is not enough it
// returns an error wrapping ErrDiskFull, so the program exits with a
// message instead of SIGBUS.
func (g *Guard) BeforeOpen() error {
	if g == nil || g.minFree == 0 {
		return nil
	}
	free, ok := g.free()
	if !ok {
		return nil
	}
	need := uint64(4<<20) + memtableBytes(g.dir)
	if free >= need {
		if g.ballast != "" {
			if _, err := os.Stat(g.ballast); err == nil {
				g.missing.Store(false)
			}
		}
		return nil
	}
	if g.ballast != "" {
		if err := os.Remove(g.ballast); err == nil {
			g.log.Warn("disk almost full: released the ballast so that the store can open; writes are refused until space is freed",
				"free_mb", free>>20, "ballast_mb", g.size>>20)
			g.missing.Store(true)
			if free, ok = g.free(); !ok || free >= need {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %d MB free, the store needs %d MB to open; free some space on the data disk", ErrDiskFull, free>>20, need>>20)
}

// memtableBytes is what the memtable logs in dir really occupy: at open,
// Badger flushes them into tables of at most that size.
func memtableBytes(dir string) uint64 {
	m, _ := filepath.Glob(filepath.Join(dir, "*.mem"))
	var n uint64
	for _, f := range m {
		n += allocatedBytes(f)
	}
	return n
}

// makeBallast writes the ballast file (complete or not at all).
func (g *Guard) makeBallast() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.missing.Load() {
		return
	}
	tmp := g.ballast + ".tmp"
	err := writeBallast(tmp, g.size)
	if err == nil {
		err = os.Rename(tmp, g.ballast)
	}
	if err != nil {
		os.Remove(tmp)
		g.log.Warn("could not write the disk ballast", "file", g.ballast, "err", err)
		return
	}
	g.missing.Store(false)
}

// writeBallast allocates size bytes in a new file: fallocate where the file
// system has it, else zeros (a sparse file would reserve nothing).
func writeBallast(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	err = allocate(f, size)
	if err != nil {
		_, err = io.CopyN(f, zeroReader{}, size)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

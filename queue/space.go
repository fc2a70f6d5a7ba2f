package queue

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

// Why this file exists: Badger writes its memtable log and value log through
// mmap'd files that it extends with ftruncate, i.e. sparse files. When the
// file system is full, the kernel cannot back a page the first time Badger
// touches it and delivers SIGBUS: the whole kiosk dies, Badger never sees
// ENOSPC (tests/hardening.TestKioskFullDisk found this). Badger also writes
// new file headers this way at every Open, so a kiosk restarted on a full
// disk would crash in a loop.
//
// So the queue keeps the disk from ever filling under Badger:
//   - every write first checks the free space of the store's file system and
//     is refused with ErrUnavailable (wrapping ErrDiskFull) while less than
//     MinFreeBytes is left. That reserve covers what one accepted write can
//     make Badger allocate later (a memtable flush, a compaction);
//   - an optional ballast file next to the store holds space that Open
//     releases when others (logs, backups, another program) filled the disk,
//     so that Badger can open, serve reads and refuse writes cleanly. The
//     ballast is put back once space returns.

// DefaultMinFreeBytes is the reserve kept free under the store: a few
// memtables (8 MB each) and a compaction fit in it.
const DefaultMinFreeBytes = 64 << 20

// DefaultBallastBytes is the ballast cmd/kiosk keeps next to the store.
const DefaultBallastBytes = 32 << 20

// ErrDiskFull says the store's file system is (almost) full. It always comes
// wrapped in ErrUnavailable.
var ErrDiskFull = errors.New("disk almost full")

// space guards the store's file system. Safe for concurrent use.
type space struct {
	dir     string // the Badger directory
	ballast string // the ballast file, "" for none
	size    int64  // ballast size
	minFree uint64 // 0: no checks
	log     *slog.Logger

	mu      sync.Mutex  // serialises ballast changes
	missing atomic.Bool // the ballast should be (re)made when space allows
}

func newSpace(o Options, log *slog.Logger) *space {
	s := &space{dir: o.Dir, log: log}
	switch {
	case o.MinFreeBytes == 0:
		s.minFree = DefaultMinFreeBytes
	case o.MinFreeBytes > 0:
		s.minFree = uint64(o.MinFreeBytes)
	}
	if o.BallastBytes > 0 {
		s.ballast = strings.TrimRight(o.Dir, string(filepath.Separator)) + ".ballast"
		s.size = o.BallastBytes
		s.missing.Store(true)
	}
	return s
}

// free is the space an unprivileged writer may still use next to the store.
func (s *space) free() (uint64, bool) {
	if n, ok := freeBytes(s.dir); ok {
		return n, true
	}
	return freeBytes(filepath.Dir(s.dir)) // the store does not exist yet
}

// check returns an error wrapping ErrUnavailable and ErrDiskFull when a
// write could run the file system out of space under Badger.
func (s *space) check() error {
	if s.minFree == 0 {
		return nil
	}
	free, ok := s.free()
	if !ok {
		return nil // cannot tell: let Badger try
	}
	if free < s.minFree {
		return fmt.Errorf("%w: %w: %d MB free, %d MB kept in reserve", ErrUnavailable, ErrDiskFull, free>>20, s.minFree>>20)
	}
	if s.missing.Load() && free >= s.minFree+uint64(s.size) {
		s.makeBallast()
	}
	return nil
}

// beforeOpen makes sure Badger can open: it needs room for the headers of
// new files and for flushing the memtables left by a crash. When the disk
// is too full it releases the ballast; when even that is not enough it
// refuses, so that the kiosk exits with a message instead of SIGBUS.
func (s *space) beforeOpen() error {
	if s.minFree == 0 {
		return nil
	}
	free, ok := s.free()
	if !ok {
		return nil
	}
	need := uint64(4<<20) + memtableBytes(s.dir)
	if free >= need {
		if s.ballast != "" {
			if _, err := os.Stat(s.ballast); err == nil {
				s.missing.Store(false)
			}
		}
		return nil
	}
	if s.ballast != "" {
		if err := os.Remove(s.ballast); err == nil {
			s.log.Warn("disk almost full: released the ballast so that the store can open; writes are refused until space is freed",
				"free_mb", free>>20, "ballast_mb", s.size>>20)
			s.missing.Store(true)
			if free, ok = s.free(); !ok || free >= need {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: %w: %d MB free, the store needs %d MB to open; free some space on the data disk", ErrUnavailable, ErrDiskFull, free>>20, need>>20)
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
func (s *space) makeBallast() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.missing.Load() {
		return
	}
	tmp := s.ballast + ".tmp"
	err := writeBallast(tmp, s.size)
	if err == nil {
		err = os.Rename(tmp, s.ballast)
	}
	if err != nil {
		os.Remove(tmp)
		s.log.Warn("could not write the disk ballast", "file", s.ballast, "err", err)
		return
	}
	s.missing.Store(false)
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

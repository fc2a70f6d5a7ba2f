package queue

import (
	"fmt"
	"log/slog"

	"github.com/kyso-vn/kyso/internal/diskguard"
)

// Badger dies of SIGBUS when its file system fills up (see package
// diskguard), so every write of the queue first asks the guard, and Open
// lets it release its ballast on a full disk.

// DefaultMinFreeBytes is the reserve kept free under the store.
const DefaultMinFreeBytes = diskguard.DefaultMinFree

// DefaultBallastBytes is the ballast cmd/kiosk keeps next to the store.
const DefaultBallastBytes = diskguard.DefaultBallast

// ErrDiskFull says the store's file system is (almost) full. It always comes
// wrapped in ErrUnavailable.
var ErrDiskFull = diskguard.ErrDiskFull

// space adapts the guard to the queue's errors.
type space struct{ g *diskguard.Guard }

func newSpace(o Options, log *slog.Logger) *space {
	return &space{g: diskguard.New(diskguard.Options{Dir: o.Dir, MinFree: o.MinFreeBytes, Ballast: o.BallastBytes, Logger: log})}
}

func (s *space) check() error {
	if err := s.g.Check(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

func (s *space) beforeOpen() error {
	if err := s.g.BeforeOpen(); err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	return nil
}

package badgerkv

import (
	"context"
	"time"
)

// RunGC collects the value log every interval until ctx ends. GC rewrites
// value-log files, so it is a write like any other: it runs only while the
// disk guard agrees, and at most a few rounds per tick.
func (d *DB) RunGC(ctx context.Context, every time.Duration) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			d.collect(ctx)
		}
	}
}

// collect runs value-log GC until it has nothing to do, the disk fills up,
// or eight rounds ran.
func (d *DB) collect(ctx context.Context) {
	for i := 0; i < 8 && ctx.Err() == nil; i++ {
		if err := d.Check(); err != nil {
			d.log.Warn("value-log GC skipped", "err", err)
			return
		}
		if err := d.gc(0.5); err != nil {
			return // badger.ErrNoRewrite: nothing worth collecting
		}
	}
}

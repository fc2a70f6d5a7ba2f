package ward

import (
	"context"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"time"
)

// Memory the ward no longer uses goes back to the OS soon after a burst.
// Go keeps a freed heap for reuse and hands it back slowly: after a
// district's million records arrived (Badger's compactions hold hundreds
// of MB for a while) or an export, the ward kept 1.4 GB resident with a
// third of that live (issue 15). The check is cheap; the GC it forces runs
// only when that much is held idle.
const (
	trimEvery     = 10 * time.Second
	trimThreshold = 64 << 20 // free heap not yet returned, bytes
)

// heapFree reads how much of the heap is free but still held from the OS.
func heapFree() uint64 {
	s := []rtmetrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	rtmetrics.Read(s)
	if s[0].Value.Kind() != rtmetrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// trimMemory returns idle heap to the OS every trimEvery while more than
// trimThreshold is idle, until ctx ends.
func trimMemory(ctx context.Context) {
	t := time.NewTicker(trimEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if heapFree() > trimThreshold {
				debug.FreeOSMemory()
			}
		}
	}
}

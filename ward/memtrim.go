package ward

import (
	"context"
	"runtime/debug"
	rtmetrics "runtime/metrics"
	"time"
)

// Memory the ward no longer uses goes back to the OS soon after a burst.
// After a district's million records arrived the ward kept 1.4 GB resident
// with a fraction of that live (issue 15): Go collects only when the heap
// reaches its goal, and an idle ward allocates nothing, so the garbage of
// the burst (and Badger's compaction buffers) stayed until the runtime's
// two-minute forced collection, and freed memory goes back slowly after
// that. Every trimEvery the ward compares what the heap holds with what
// was live at the last collection, and when more than trimThreshold is
// garbage or idle it collects and returns it (debug.FreeOSMemory). Busy,
// that is one extra collection every ten seconds; idle, none.
const (
	trimEvery     = 10 * time.Second
	trimThreshold = 64 << 20 // bytes held beyond the live heap
)

var trimSamples = []string{
	"/gc/heap/live:bytes",                // live at the last collection
	"/memory/classes/heap/objects:bytes", // live and not yet collected
	"/memory/classes/heap/free:bytes",    // free, not returned
	"/memory/classes/heap/unused:bytes",  // in spans, unused
}

// heapSpare is how much the heap holds beyond what was live at the last
// collection.
func heapSpare() uint64 {
	s := make([]rtmetrics.Sample, len(trimSamples))
	for i, n := range trimSamples {
		s[i].Name = n
	}
	rtmetrics.Read(s)
	var v [4]uint64
	for i := range s {
		if s[i].Value.Kind() != rtmetrics.KindUint64 {
			return 0
		}
		v[i] = s[i].Value.Uint64()
	}
	held := v[1] + v[2] + v[3]
	if held <= v[0] {
		return 0
	}
	return held - v[0]
}

// trimMemory returns what the heap holds beyond the live heap every
// trimEvery while that is more than trimThreshold, until ctx ends.
func trimMemory(ctx context.Context) {
	t := time.NewTicker(trimEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if heapSpare() > trimThreshold {
				debug.FreeOSMemory()
			}
		}
	}
}

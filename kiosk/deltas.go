package kiosk

import (
	"bufio"
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/queue"
)

// deltaLog keeps the latest ticket changes for the volunteers' tablets, so
// that a tablet follows the queue change by change instead of reloading the
// whole list on every join (issue 11: 34.6 MB after a flood). It holds only
// masked views and is streamed only to signed-in volunteers. A tablet that
// fell further behind than the ring gets a "reset" and reloads once.
type deltaLog struct {
	mu     sync.Mutex
	seq    uint64
	ring   []delta
	wake   chan struct{} // closed and replaced on every append
	closed bool
}

// delta is one change: op "upsert" (the ticket as it is now; a finished
// status means it left the line) or "remove" (completed).
type delta struct {
	Seq    uint64      `json:"seq"`
	Op     string      `json:"op"`
	ID     string      `json:"id"`
	Ticket *ticketView `json:"ticket,omitempty"`
}

const deltaRing = 512

func newDeltaLog() *deltaLog { return &deltaLog{wake: make(chan struct{})} }

func (l *deltaLog) add(d delta) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	d.Seq = l.seq
	l.ring = append(l.ring, d)
	if len(l.ring) > deltaRing {
		l.ring = append(l.ring[:0], l.ring[len(l.ring)-deltaRing:]...)
	}
	close(l.wake)
	l.wake = make(chan struct{})
}

// upsert records a ticket's new state (masked).
func (l *deltaLog) upsert(t queue.Ticket) {
	v := viewOf(t, false)
	l.add(delta{Op: "upsert", ID: t.ID, Ticket: &v})
}

// remove records that a ticket left the tablets' list (completed).
func (l *deltaLog) remove(id string) { l.add(delta{Op: "remove", ID: id}) }

// head is the seq of the newest change.
func (l *deltaLog) head() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.seq
}

// since returns the changes after seq; gap is true when some were dropped.
func (l *deltaLog) since(after uint64) (out []delta, wake <-chan struct{}, gap, closed bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, nil, false, true
	}
	if after > l.seq {
		after = 0 // a tablet from before a restart
		gap = true
	}
	if len(l.ring) > 0 && l.ring[0].Seq > after+1 {
		gap = true
	}
	for _, d := range l.ring {
		if d.Seq > after {
			out = append(out, d)
		}
	}
	return out, l.wake, gap, false
}

func (l *deltaLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.closed {
		l.closed = true
		close(l.wake)
	}
}

// stream writes changes after `after` as SSE until ctx ends, the log
// closes, the client goes, or alive reports the session gone.
func (l *deltaLog) stream(ctx context.Context, w *bufio.Writer, after uint64, alive func() bool, heartbeat time.Duration) {
	defer func() { _ = recover() }() // a dead connection must not take the kiosk down
	w.WriteString("retry: 2000\n\n")
	if w.Flush() != nil {
		return
	}
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		ds, wake, gap, closed := l.since(after)
		if closed {
			return
		}
		if gap {
			after = l.head()
			w.WriteString("event: reset\ndata: {\"seq\":" + strconv.FormatUint(after, 10) + "}\n\n")
			if w.Flush() != nil {
				return
			}
			continue
		}
		for _, d := range ds {
			b, _ := json.Marshal(d)
			w.WriteString("event: ticket\nid: " + strconv.FormatUint(d.Seq, 10) + "\ndata: ")
			w.Write(b)
			w.WriteString("\n\n")
			after = d.Seq
		}
		if len(ds) > 0 && w.Flush() != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-t.C:
			if !alive() {
				return
			}
			w.WriteString(": ping\n\n")
			if w.Flush() != nil {
				return
			}
		}
	}
}

package kiosk

import (
	"bufio"
	"context"
	"sync"
	"time"
)

// broker fans the board state out to every live client. A slow client
// misses intermediate states but always gets the latest: each subscriber
// holds at most one pending message.
type broker struct {
	mu     sync.Mutex
	subs   map[chan []byte]struct{}
	closed bool
	last   []byte
}

func newBroker() *broker { return &broker{subs: map[chan []byte]struct{}{}} }

func (b *broker) subscribe() (chan []byte, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, false
	}
	ch := make(chan []byte, 1)
	b.subs[ch] = struct{}{}
	return ch, true
}

func (b *broker) unsubscribe(ch chan []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[ch]; ok {
		delete(b.subs, ch)
		close(ch)
	}
}

func (b *broker) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// publish replaces every subscriber's pending message with msg.
func (b *broker) publish(msg []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.last = msg
	for ch := range b.subs {
		select {
		case ch <- msg:
		default:
			select { // drop the stale one, keep the newest
			case <-ch:
			default:
			}
			select {
			case ch <- msg:
			default:
			}
		}
	}
}

// close ends every stream so that the server can shut down.
func (b *broker) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for ch := range b.subs {
		delete(b.subs, ch)
		close(ch)
	}
}

// stream writes SSE to w until the broker closes, ctx ends or the client is gone.
func (b *broker) stream(ctx context.Context, w *bufio.Writer, ch chan []byte, first []byte, heartbeat time.Duration) {
	defer b.unsubscribe(ch)
	defer func() { _ = recover() }() // a dead connection must not take the kiosk down
	write := func(msg []byte) bool {
		w.WriteString("event: board\ndata: ")
		w.Write(msg)
		w.WriteString("\n\n")
		return w.Flush() == nil
	}
	w.WriteString("retry: 2000\n")
	if !write(first) {
		return
	}
	t := time.NewTicker(heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-ch:
			if !ok || !write(msg) {
				return
			}
		case <-t.C:
			w.WriteString(": ping\n\n")
			if w.Flush() != nil {
				return
			}
		}
	}
}

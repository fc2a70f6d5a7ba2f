package queue

import (
	"bytes"
	"encoding/json"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/kyso-vn/kyso/internal/kv"
)

// loadBatch is how many stored tickets one decoder takes at a time.
const loadBatch = 256

// eachTicket calls fn for every ticket the walk o finds, decoding them on
// every core: decoding JSON is most of a restart's CPU (issue 15: 100k
// tickets of the day, ~1.2 s of ~2.2 s), and the store's walk alone keeps
// only one core busy. fn runs on one goroutine at a time, but in no
// particular order of keys, and must not touch txn. At most a few batches
// are in memory at once, so a long day's finished tickets are garbage as
// soon as fn has counted them.
func eachTicket(txn kv.Txn, o kv.IterOptions, fn func(t *Ticket) error) error {
	type batch struct {
		keys, vals [][]byte
		out        []*Ticket
		err        error
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	todo := make(chan *batch, workers)
	done := make(chan *batch, workers)
	var failed atomic.Bool
	var firstErr error // set by the applier only
	var decoders sync.WaitGroup
	for range workers {
		decoders.Add(1)
		go func() {
			defer decoders.Done()
			for b := range todo {
				b.out = make([]*Ticket, 0, len(b.vals))
				for i, v := range b.vals {
					t := new(Ticket)
					if err := json.Unmarshal(v, t); err != nil {
						b.err = fmt.Errorf("%w: ticket %s: %v", ErrDamaged, b.keys[i], err)
						break
					}
					b.out = append(b.out, t)
				}
				b.keys, b.vals = nil, nil
				done <- b
			}
		}()
	}
	applied := make(chan struct{})
	go func() {
		defer close(applied)
		for b := range done {
			if firstErr != nil {
				continue // drain
			}
			if b.err != nil {
				firstErr = b.err
				failed.Store(true)
				continue
			}
			for _, t := range b.out {
				if err := fn(t); err != nil {
					firstErr = err
					failed.Store(true)
					break
				}
			}
		}
	}()
	cur := &batch{}
	err := txn.Iterate(o, func(k, v []byte) error {
		if failed.Load() {
			return kv.Stop
		}
		cur.keys = append(cur.keys, bytes.Clone(k))
		cur.vals = append(cur.vals, bytes.Clone(v))
		if len(cur.vals) == loadBatch {
			todo <- cur
			cur = &batch{}
		}
		return nil
	})
	if len(cur.vals) > 0 && err == nil {
		todo <- cur
	}
	close(todo)
	decoders.Wait()
	close(done)
	<-applied
	if err != nil {
		return err
	}
	return firstErr
}

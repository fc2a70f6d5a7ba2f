package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// arrival is one board event as a subscriber saw it.
type arrival struct {
	rev int64
	at  time.Time
}

// streams are n phones with the board open (GET /api/v1/events).
type streams struct {
	subs   []*subscriber
	errs   atomic.Int64 // streams that failed to connect
	cancel context.CancelFunc
	wg     sync.WaitGroup
	tr     *http.Transport
	once   sync.Once
}

// openStreams opens n event streams to base, at most 64 connecting at once
// (not a thousand sockets in the same instant), and waits up to a minute
// until each has its first board or has failed.
func openStreams(ctx context.Context, base string, n int) *streams {
	st := &streams{subs: make([]*subscriber, n),
		tr: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true, ResponseHeaderTimeout: 10 * time.Second}}
	client := &http.Client{Transport: st.tr}
	sctx, cancel := context.WithCancel(ctx)
	st.cancel = cancel
	sem := make(chan struct{}, 64)
	for i := range st.subs {
		s := &subscriber{}
		st.subs[i] = s
		st.wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer st.wg.Done()
			s.listen(sctx, client, base+"/api/v1/events", func(err error) {
				if err != nil {
					st.errs.Add(1)
				}
				<-sem
			})
		}()
	}
	// Every stream is live once it has its first board.
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil && st.connected()+int(st.errs.Load()) < n {
		time.Sleep(10 * time.Millisecond)
	}
	return st
}

// connected counts the streams that have had a board.
func (st *streams) connected() int {
	c := 0
	for _, s := range st.subs {
		if s.got.Load() {
			c++
		}
	}
	return c
}

// close ends every stream and waits for them.
func (st *streams) close() {
	st.once.Do(func() {
		st.cancel()
		st.wg.Wait()
		st.tr.CloseIdleConnections()
	})
}

// subscriber is one phone with the page open.
type subscriber struct {
	mu      sync.Mutex
	seen    []arrival
	lastRev atomic.Int64
	got     atomic.Bool
}

func (s *subscriber) record(rev int64, at time.Time) {
	s.mu.Lock()
	s.seen = append(s.seen, arrival{rev, at})
	s.mu.Unlock()
	if rev > s.lastRev.Load() {
		s.lastRev.Store(rev)
	}
	s.got.Store(true)
}

// firstAtLeast is when the subscriber first saw a board with rev ≥ rev.
func (s *subscriber) firstAtLeast(rev int64) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.seen {
		if a.rev >= rev {
			return a.at, true
		}
	}
	return time.Time{}, false
}

var revKey = []byte(`"rev":`)

// revOf finds the top-level rev of a board without decoding it all: the
// tool must not be the bottleneck when a thousand boards arrive at once.
func revOf(data []byte) (int64, bool) {
	i := bytes.Index(data, revKey)
	if i < 0 {
		return 0, false
	}
	j := i + len(revKey)
	k := j
	for k < len(data) && data[k] >= '0' && data[k] <= '9' {
		k++
	}
	n, err := strconv.ParseInt(string(data[j:k]), 10, 64)
	return n, err == nil
}

// listen reads one SSE stream until ctx ends.
func (s *subscriber) listen(ctx context.Context, client *http.Client, url string, connected func(error)) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := client.Do(req)
	if err != nil {
		connected(err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		connected(fmt.Errorf("events: %s", resp.Status))
		return
	}
	connected(nil)
	r := bufio.NewReaderSize(resp.Body, 16<<10)
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A board longer than the buffer: read the rest of the line.
			rest, err2 := r.ReadBytes('\n')
			line, err = append(append([]byte{}, line...), rest...), err2
		}
		if err != nil {
			return
		}
		if data, ok := bytes.CutPrefix(line, []byte("data: ")); ok {
			at := time.Now()
			if rev, ok := revOf(data); ok {
				s.record(rev, at)
			}
		}
	}
}

// sseSection: many live boards, one change at a time; how long until each
// has it, and what the kiosk's memory does.
func (e *env) sseSection(ctx context.Context) error {
	n, changes := 1000, 30
	if e.cfg.Quick {
		n, changes = 100, 5
	}
	sec := &SSESection{Subscribers: n, MeasuredFrom: "just before the triggering join is sent, so its durable commit is included"}
	data := filepath.Join(e.work, "sse")
	p, err := startProcess(procSpec{name: "kiosk", bin: e.kiosk, args: kioskArgs(data), log: filepath.Join(e.work, "sse.log")})
	if err != nil {
		return err
	}
	defer p.stop()
	if _, err := p.waitReady(ctx, "/healthz", 30*time.Second); err != nil {
		return err
	}
	time.Sleep(300 * time.Millisecond) // let start-up garbage settle before "idle"
	if kb, err := p.rssKB(); err == nil {
		sec.RSSIdleMB = mb(kb)
	}
	e.res.SSE = sec

	t0 := time.Now()
	st := openStreams(ctx, p.base, n)
	defer st.close()
	subs := st.subs
	sec.Connected = st.connected()
	sec.ConnectS = round(time.Since(t0).Seconds(), 2)
	time.Sleep(200 * time.Millisecond)
	if kb, err := p.rssKB(); err == nil {
		sec.RSSConnectMB = mb(kb)
	}
	if sec.Connected < n {
		e.log.Warn("not every subscriber connected", "connected", sec.Connected, "errors", st.errs.Load())
	}

	// One change at a time: a join, then wait until everyone has the new rev.
	jc := &http.Client{Timeout: 10 * time.Second}
	gen := newCitizens(5_000_000)
	var samples, alls, joins []time.Duration
	for k := 0; k < changes && ctx.Err() == nil; k++ {
		before := int64(0)
		for _, s := range subs {
			before = max(before, s.lastRev.Load())
		}
		target := before + 1
		sent := time.Now()
		code, err := postJoin(ctx, jc, p.base, gen)
		joins = append(joins, time.Since(sent))
		if err != nil || code != http.StatusCreated {
			return fmt.Errorf("trigger join: %d %v", code, err)
		}
		wait := time.Now().Add(3 * time.Second)
		for time.Now().Before(wait) {
			all := true
			for _, s := range subs {
				if s.got.Load() && s.lastRev.Load() < target {
					all = false
					break
				}
			}
			if all {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		var last time.Duration
		for _, s := range subs {
			if !s.got.Load() {
				continue
			}
			at, ok := s.firstAtLeast(target)
			if !ok {
				sec.Missed++
				continue
			}
			d := at.Sub(sent)
			samples = append(samples, d)
			last = max(last, d)
		}
		alls = append(alls, last)
		sec.Changes++
		time.Sleep(150 * time.Millisecond) // quiet: beyond the 50 ms coalescing window
	}
	if kb, err := p.rssKB(); err == nil {
		sec.RSSAfterMB = mb(kb)
	}
	if b, err := get(ctx, p.base+"/api/v1/board"); err == nil {
		sec.BoardBytes = len(b)
	}
	st.close()
	sortDurations(samples)
	sortDurations(alls)
	sortDurations(joins)
	sec.Samples = len(samples)
	sec.P50Ms, sec.P99Ms = ms(percentile(samples, .5)), ms(percentile(samples, .99))
	if len(samples) > 0 {
		sec.MaxMs = ms(samples[len(samples)-1])
	}
	sec.AllP50Ms, sec.AllP99Ms = ms(percentile(alls, .5)), ms(percentile(alls, .99))
	sec.JoinP50Ms = ms(percentile(joins, .5))
	return nil
}

func get(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return b, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return b, nil
}

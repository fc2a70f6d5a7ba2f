package kiosk

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

// memLog is a hand-written Source: a kiosk's completion log in memory.
type memLog struct {
	mu          sync.Mutex
	head, acked uint64
}

func (m *memLog) add() {
	m.mu.Lock()
	m.head++
	m.mu.Unlock()
}

func (m *memLog) Records(after uint64, limit int) ([]record.Record, uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []record.Record
	for s := after + 1; s <= m.head && len(out) < limit; s++ {
		out = append(out, record.Record{ID: "r" + string(rune('a'+s%26)), KioskID: "dong-lao", Seq: s, Type: record.TypeCompletion, Outcome: record.OutcomeActivated})
	}
	return out, m.head, nil
}
func (m *memLog) HeadSeq() uint64  { m.mu.Lock(); defer m.mu.Unlock(); return m.head }
func (m *memLog) AckedSeq() uint64 { m.mu.Lock(); defer m.mu.Unlock(); return m.acked }
func (m *memLog) SetAcked(s uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.acked = max(m.acked, min(s, m.head))
	return nil
}
func (m *memLog) Repairing() bool { return false }

func (m *memLog) AdoptWardHead(s uint64) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if s <= m.head {
		return false, nil
	}
	m.head, m.acked = s, s
	return true, nil
}

// downWard answers 503 until up, then acknowledges like the real ward; it
// notes when each push arrived.
type downWard struct {
	mu     sync.Mutex
	up     bool
	pushes []time.Time
}

func (d *downWard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	d.pushes = append(d.pushes, time.Now())
	up := d.up
	d.mu.Unlock()
	body, _ := io.ReadAll(r.Body)
	if !up {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	id, nonce, _, _ := link.ParsePushAuthorization(r.Header.Get("Authorization"))
	plain, err := link.OpenPayload("kiosk-secret-token", nonce, body)
	if err != nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var req link.PushRequest
	_ = json.Unmarshal(plain, &req)
	var last uint64
	for _, r := range req.Records {
		last = r.Seq
	}
	reply, _ := json.Marshal(link.PushResponse{AckedSeq: last, WardTime: time.Now().UTC()})
	w.Header().Set(link.ReplyHeader, link.SignReply("kiosk-secret-token", link.ReplyPush, id, nonce, 200, reply))
	_, _ = w.Write(reply)
}

func (d *downWard) times() []time.Time {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]time.Time(nil), d.pushes...)
}

// Issue 10: with the ward down, every completion fired its own failed push
// and raised the attempt count, and the wait grew past --sync-max-delay
// (30 s logged retry_in=44.255s). Now completions wake the one pending
// push, and no wait exceeds the flag.
func TestForwarderWhileTheWardIsDown(t *testing.T) {
	ward := &downWard{}
	srv := httptest.NewServer(ward)
	defer srv.Close()
	src := &memLog{}
	const maxDelay = time.Second
	f := &Forwarder{WardURL: func() string { return srv.URL }, Token: "kiosk-secret-token", KioskID: "dong-lao",
		Src: src, MaxDelay: maxDelay, Idle: time.Hour, Log: slog.New(slog.DiscardHandler)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	defer func() { cancel(); <-done }()

	require.Eventually(t, func() bool { return len(ward.times()) == 1 }, 5*time.Second, 5*time.Millisecond, "first push")
	// 50 completions in 400 ms, sooner than the first retry (≥ 500 ms).
	for range 50 {
		src.add()
		f.Wake()
		time.Sleep(8 * time.Millisecond)
	}
	assert.Len(t, ward.times(), 1, "completions wait for the one pending retry: no push each")

	time.Sleep(4 * time.Second)
	pushes := ward.times()
	assert.LessOrEqual(t, len(pushes), 1+9, "retries only as the backoff allows")
	for i := 1; i < len(pushes); i++ {
		gap := pushes[i].Sub(pushes[i-1])
		assert.LessOrEqual(t, gap, maxDelay+300*time.Millisecond, "no wait beyond --sync-max-delay (retry %d)", i)
	}
	assert.Zero(t, src.AckedSeq())
	assert.NotEmpty(t, f.Status().LastError)

	// The ward comes back: the pending push delivers within the bound.
	ward.mu.Lock()
	ward.up = true
	ward.mu.Unlock()
	back := time.Now()
	require.Eventually(t, func() bool { return src.AckedSeq() == 50 }, 5*time.Second, 10*time.Millisecond)
	assert.Less(t, time.Since(back), maxDelay+500*time.Millisecond)
	assert.Empty(t, f.Status().LastError)
}

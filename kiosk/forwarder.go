package kiosk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/record"
)

// Source is what the forwarder needs from the queue.
type Source interface {
	Records(after uint64, limit int) ([]record.Record, uint64, error)
	HeadSeq() uint64
	AckedSeq() uint64
	SetAcked(seq uint64) error
	AdoptWardHead(seq uint64) (bool, error)
}

// SyncStatus is shown on /healthz and the volunteer page.
type SyncStatus struct {
	WardURL   string    `json:"ward_url"`
	HeadSeq   uint64    `json:"head_seq"`
	AckedSeq  uint64    `json:"acked_seq"`
	Unsent    uint64    `json:"unsent"`
	LastSync  time.Time `json:"last_sync,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// Forwarder pushes unsent records to the ward: batches, exponential backoff
// with jitter while the ward is unreachable, and acked_seq moved only by the
// ward's reply. It also fetches the ward's quota list for the join form.
type Forwarder struct {
	WardURL  func() string // resolved on every attempt: flag, or a ward found by mDNS
	Token    string
	KioskID  string
	Version  string
	Src      Source
	Clock    Clock
	Client   *http.Client
	Batch    int
	Idle     time.Duration // heartbeat when there is nothing to send
	MaxDelay time.Duration
	Log      *slog.Logger
	OnInfo   func(wardInfo)
	OnPush   func(result string)

	wake chan struct{}
	once sync.Once

	mu     sync.Mutex
	status SyncStatus
}

func (f *Forwarder) init() {
	f.once.Do(func() {
		f.wake = make(chan struct{}, 1)
		if f.Client == nil {
			f.Client = &http.Client{Timeout: 15 * time.Second}
		}
		if f.Batch <= 0 {
			f.Batch = 500
		}
		if f.Idle <= 0 {
			f.Idle = 30 * time.Second
		}
		if f.MaxDelay <= 0 {
			f.MaxDelay = time.Minute
		}
		if f.Log == nil {
			f.Log = slog.Default()
		}
	})
}

// Wake asks for a push now (a record was just written).
func (f *Forwarder) Wake() {
	f.init()
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Status reports the sync state.
func (f *Forwarder) Status() SyncStatus {
	f.init()
	f.mu.Lock()
	st := f.status
	f.mu.Unlock()
	st.HeadSeq, st.AckedSeq = f.Src.HeadSeq(), f.Src.AckedSeq()
	st.Unsent = st.HeadSeq - st.AckedSeq
	if st.WardURL == "" && f.WardURL != nil {
		st.WardURL = f.WardURL()
	}
	return st
}

// Run pushes until ctx ends.
func (f *Forwarder) Run(ctx context.Context) error {
	f.init()
	fails := 0
	lastInfo := time.Time{}
	for {
		url := ""
		if f.WardURL != nil {
			url = f.WardURL()
		}
		wait := f.Idle
		if url != "" {
			more, err := f.pushOnce(ctx, url)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				fails++
				wait = backoff(fails, f.MaxDelay)
				f.setError(url, err)
				f.Log.Warn("push to ward failed", "ward", url, "attempt", fails, "retry_in", wait.Round(time.Millisecond), "err", err)
			} else {
				fails = 0
				if time.Since(lastInfo) > 5*time.Minute {
					if f.fetchInfo(ctx, url) == nil {
						lastInfo = time.Now()
					}
				}
				if more {
					continue
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-f.wake:
		case <-time.After(wait):
		}
	}
}

// backoff: 1 s doubling to max, with ±50 % jitter so that many kiosks
// coming back online do not hit the ward in step.
func backoff(fails int, maxDelay time.Duration) time.Duration {
	d := time.Second << min(fails-1, 16)
	if d > maxDelay || d <= 0 {
		d = maxDelay
	}
	return d/2 + rand.N(d)
}

func (f *Forwarder) setError(url string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.status.WardURL, f.status.LastError = url, err.Error()
	if f.OnPush != nil {
		f.OnPush("error")
	}
}

// pushOnce sends one batch after acked_seq; more reports a further batch waits.
func (f *Forwarder) pushOnce(ctx context.Context, url string) (more bool, err error) {
	acked := f.Src.AckedSeq()
	recs, head, err := f.Src.Records(acked, f.Batch)
	if err != nil {
		return false, err
	}
	var now time.Time
	if f.Clock != nil {
		now, _ = f.Clock.Now()
	} else {
		now = time.Now()
	}
	now = now.UTC()
	body, err := json.Marshal(record.PushRequest{KioskID: f.KioskID, HeadSeq: head, Version: f.Version, Now: &now, Records: recs})
	if err != nil {
		return false, err
	}
	// Signed and sealed: the token never travels and a machine relaying the
	// push (say, a fake ward announced on the house Wi-Fi) reads nothing.
	nonce := randomHex(16)
	sealed, err := record.SealPayload(f.Token, nonce, body)
	if err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url+"/api/v1/records", bytes.NewReader(sealed))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", record.SealedType)
	req.Header.Set("Authorization", record.PushAuthorization(f.Token, f.KioskID, nonce, sealed))
	sent := time.Now()
	resp, err := f.Client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var pr record.PushResponse
	jerr := json.Unmarshal(rb, &pr)
	// A 409 still carries acked_seq: the ward kept the good records and
	// quarantined the conflicting one.
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusConflict {
		return false, fmt.Errorf("ward answered %d: %s", resp.StatusCode, bytes.TrimSpace(rb[:min(len(rb), 200)]))
	}
	if jerr != nil {
		return false, fmt.Errorf("ward reply: %w", jerr)
	}
	if f.Clock != nil && !pr.WardTime.IsZero() {
		f.Clock.ObserveWard(pr.WardTime, time.Since(sent)) // the clock adds rtt/2 itself
	}
	if pr.AckedSeq > head {
		// The ward holds seqs this box does not: restored from an older
		// backup, or a new box under an old id. Continue after the ward's.
		if moved, err := f.Src.AdoptWardHead(pr.AckedSeq); err != nil {
			return false, err
		} else if moved {
			f.Log.Warn("the ward holds more of this kiosk's log than the kiosk; new records continue after it", "kiosk_head", head, "ward_acked", pr.AckedSeq)
		}
	}
	if err := f.Src.SetAcked(pr.AckedSeq); err != nil {
		return false, err
	}
	f.mu.Lock()
	f.status.WardURL, f.status.LastSync, f.status.LastError = url, time.Now().UTC(), ""
	if f.OnPush != nil {
		f.OnPush("ok")
	}
	f.mu.Unlock()
	if resp.StatusCode == http.StatusConflict {
		return false, errors.New("ward holds a different record with the same seq (quarantined there)")
	}
	progressed := pr.AckedSeq > acked
	return progressed && pr.AckedSeq < head, nil
}

// fetchInfo reads the ward's public progress: villages for the join form
// and this village's target for the board.
func (f *Forwarder) fetchInfo(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/api/v1/progress", nil)
	if err != nil {
		return err
	}
	resp, err := f.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("progress: %d", resp.StatusCode)
	}
	var p struct {
		Villages []struct {
			Name   string  `json:"name"`
			Target int     `json:"target"`
			Before int     `json:"before"`
			Have   int     `json:"have"`
			Pct    float64 `json:"percent"`
		} `json:"villages"`
		Associations []struct {
			Name string `json:"name"`
		} `json:"associations"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4<<20)).Decode(&p); err != nil {
		return err
	}
	var info wardInfo
	for _, v := range p.Villages {
		info.Villages = append(info.Villages, v.Name)
		info.Progress = append(info.Progress, villageTarget{Name: v.Name, Target: v.Target, Before: v.Before, Have: v.Have, Pct: v.Pct})
	}
	for _, a := range p.Associations {
		info.Associations = append(info.Associations, a.Name)
	}
	info.At = time.Now().UTC()
	if f.OnInfo != nil && len(info.Villages) > 0 {
		f.OnInfo(info)
	}
	return nil
}

// SetWardInfo stores what the ward told us and keeps it for offline restarts.
func (s *Server) SetWardInfo(info wardInfo) {
	s.wardMu.Lock()
	s.wardInfo = info
	s.wardMu.Unlock()
	if b, err := json.Marshal(info); err == nil {
		path := filepath.Join(s.cfg.Data, "ward-info.json")
		tmp := path + ".tmp"
		if os.WriteFile(tmp, b, 0o600) == nil {
			_ = os.Rename(tmp, path)
		}
	}
	s.Changed()
}

func (s *Server) loadWardInfo() {
	b, err := os.ReadFile(filepath.Join(s.cfg.Data, "ward-info.json"))
	if err != nil {
		return
	}
	var info wardInfo
	if json.Unmarshal(b, &info) == nil {
		s.wardInfo = info
	}
}

// NewForwarder wires a forwarder to this server's queue and pages.
func (s *Server) NewForwarder(wardURL func() string) *Forwarder {
	f := &Forwarder{
		WardURL: wardURL, Token: s.cfg.Token, KioskID: s.cfg.ID, Version: s.cfg.Version,
		Src: s.q, Clock: s.clock, Log: s.log, OnInfo: s.SetWardInfo, MaxDelay: s.cfg.SyncMaxDelay,
		OnPush: func(r string) { s.metrics.pushes.WithLabelValues(r).Inc() },
	}
	s.fwd = f
	return f
}

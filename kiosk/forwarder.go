package kiosk

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/internal/backoff"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

// Source is what the forwarder needs from the queue.
type Source interface {
	Records(after uint64, limit int) ([]record.Record, uint64, error)
	HeadSeq() uint64
	AckedSeq() uint64
	SetAcked(seq uint64) error
	AdoptWardHead(seq uint64) (bool, error)
	// Repairing: the log is being taken back from the ward after damage;
	// nothing is pushed until it is whole again (the repairer wakes us).
	Repairing() bool
}

// InfoSink takes what the ward said about villages and quotas (the
// board). The forwarder knows nothing else of the kiosk: no back-pointer.
type InfoSink interface{ SetWardInfo(wardInfo) }

// PushCounter counts pushes by result ("ok", "error") for /metrics.
type PushCounter interface{ Pushed(result string) }

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
// with jitter while the ward is unreachable, and acked_seq moved only by a
// reply the ward signed and link.CheckAck accepted. It also fetches the
// ward's quota list for the join form.
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
	MaxDelay time.Duration // --sync-max-delay: no wait between pushes is longer, jitter included
	Log      *slog.Logger
	Info     InfoSink    // may be nil
	Pushes   PushCounter // may be nil

	wake chan struct{} // coalescing: many completions, one pending push
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

// Wake asks for a push now (a record was just written). Wakes coalesce:
// while a push is pending, another wake adds nothing; while the ward is
// failing, the records wait for the one scheduled retry.
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
			// This push carries every record written so far: the wakes
			// they left are spent.
			select {
			case <-f.wake:
			default:
			}
			more, err := f.pushOnce(ctx, url)
			if ctx.Err() != nil {
				return nil
			}
			if err != nil {
				fails++
				wait = backoff.Delay(fails, time.Second, f.MaxDelay)
				f.setError(url, err)
				f.Log.Warn("push to ward failed", "ward", url, "reason", link.ReasonOf(err).Code, "attempt", fails, "retry_in", wait.Round(time.Millisecond), "err", err)
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
		if fails > 0 {
			// The ward is failing: completions made meanwhile do not each
			// fire a push (and raise the attempt count); the one pending
			// retry carries them all, at most MaxDelay from now.
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(wait):
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-f.wake:
		case <-time.After(wait):
		}
	}
}

func (f *Forwarder) setError(url string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	// The volunteer page shows this: the reason's Vietnamese text, the
	// detail stays in the log.
	f.status.WardURL, f.status.LastError = url, link.ReasonOf(err).Message
	if f.Pushes != nil {
		f.Pushes.Pushed("error")
	}
}

func (f *Forwarder) ward(url string) *link.WardClient {
	return &link.WardClient{URL: url, KioskID: f.KioskID, Token: f.Token, Version: f.Version, HTTP: f.Client}
}

// pushOnce sends one batch after acked_seq; more reports a further batch
// waits. A reply that fails verification changes nothing here.
func (f *Forwarder) pushOnce(ctx context.Context, url string) (more bool, err error) {
	acked := f.Src.AckedSeq()
	if f.Src.Repairing() {
		return false, nil
	}
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
	ack, err := f.ward(url).Push(ctx, link.PushRequest{KioskID: f.KioskID, HeadSeq: head, Version: f.Version, Now: &now, Records: recs}, acked)
	if err != nil {
		return false, err
	}
	if f.Clock != nil && !ack.WardTime.IsZero() {
		f.Clock.ObserveWard(ack.WardTime, ack.RTT) // the clock adds rtt/2 itself
	}
	if ack.WardHead > 0 {
		// The ward holds seqs this box does not: restored from an older
		// backup, or a new box under an old id. Continue after the ward's.
		if moved, err := f.Src.AdoptWardHead(ack.WardHead); err != nil {
			return false, err
		} else if moved {
			f.Log.Warn("the ward holds more of this kiosk's log than the kiosk; new records continue after it", "kiosk_head", head, "ward_acked", ack.WardHead)
		}
	}
	if err := f.Src.SetAcked(ack.Acked); err != nil {
		return false, err
	}
	f.mu.Lock()
	f.status.WardURL, f.status.LastSync, f.status.LastError = url, time.Now().UTC(), ""
	if f.Pushes != nil {
		f.Pushes.Pushed("ok")
	}
	f.mu.Unlock()
	if len(ack.Conflicts) > 0 {
		return false, link.ReasonConflict
	}
	return ack.Acked > acked && ack.Acked < head, nil
}

// fetchInfo reads the ward's progress, signed for this kiosk: villages for
// the join form and this village's target for the board.
func (f *Forwarder) fetchInfo(ctx context.Context, url string) error {
	p, err := f.ward(url).Info(ctx)
	if err != nil {
		f.Log.Warn("ward progress not taken", "ward", url, "reason", link.ReasonOf(err).Code, "err", err)
		return err
	}
	var info wardInfo
	for _, v := range p.Villages {
		info.Villages = append(info.Villages, v.Name)
		info.Progress = append(info.Progress, villageTarget{Name: v.Name, Target: v.Target, Before: v.Before, Have: v.Have, Pct: v.Percent})
	}
	for _, a := range p.Associations {
		info.Associations = append(info.Associations, a.Name)
	}
	info.At = time.Now().UTC()
	if f.Info != nil && len(info.Villages) > 0 {
		f.Info.SetWardInfo(info)
	}
	return nil
}

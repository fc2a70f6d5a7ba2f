package ward

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/kyso-vn/kyso/internal/backoff"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/store"
)

// maxPullBackoff bounds the wait before pulling a failing kiosk again.
const maxPullBackoff = 5 * time.Minute

// puller pulls one kiosk.
type puller struct {
	target PullTarget
	cancel context.CancelFunc
}

// startPuller runs p under the fleet's context; f.mu is held.
func (f *fleet) startPuller(p *puller) {
	ctx, cancel := context.WithCancel(f.runCtx)
	p.cancel = cancel
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.pullLoop(ctx, p.target)
	}()
}

// pullLoop drains a kiosk, waits, and again; on errors it backs off
// (internal/backoff: doubling up to five minutes, jitter under the cap) so
// a dead kiosk costs nothing.
func (f *fleet) pullLoop(ctx context.Context, t PullTarget) {
	client := &http.Client{Timeout: 60 * time.Second}
	fails := 0
	for {
		err := f.PullOnce(ctx, client, t)
		if ctx.Err() != nil {
			return
		}
		// Drained: the interval, jittered so pulls of many kiosks spread out.
		wait := backoff.Delay(1, f.cfg.PullInterval, f.cfg.PullInterval)
		if err != nil {
			fails++
			f.met.pullErrors.WithLabelValues(t.KioskID).Inc()
			f.setPullError(t.KioskID, err)
			if fails == 1 || fails%20 == 0 {
				f.log.Warn("pull failed", "kiosk", t.KioskID, "url", t.URL, "err", err, "fails", fails)
			}
			wait = backoff.Delay(fails, f.cfg.PullInterval, maxPullBackoff)
		} else {
			fails = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (f *fleet) setPullError(kiosk string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h := f.healthLocked(kiosk)
	h.pullError, h.pullErrAt = err.Error(), f.cfg.Now().UTC()
}

// PullOnce drains one kiosk: pages from the held contiguous seq until the
// kiosk's head. When a page starts after a gap the ward cannot fill, the
// cursor still moves on to fetch the rest, and the next round asks for the
// gap again.
func (f *fleet) PullOnce(ctx context.Context, client *http.Client, t PullTarget) error {
	token, ok := f.reg.tokenFor(t.KioskID)
	if !ok {
		return fmt.Errorf("kiosk %q is not registered: no token to pull with (ward kiosk add %s)", t.KioskID, t.KioskID)
	}
	kc := &link.KioskClient{URL: t.URL, KioskID: t.KioskID, Token: token, UserAgent: "kyso-ward/" + f.cfg.Version, HTTP: client, Now: f.cfg.Now}
	f.pullVersion(ctx, kc)
	cursor := f.led.tally.Acked(t.KioskID)
	for ctx.Err() == nil {
		page, err := kc.Page(ctx, cursor, f.cfg.PullPage)
		if err != nil {
			return err
		}
		res, err := f.led.ingest(t.KioskID, page.Records, contact{via: store.ViaPull, headSeq: page.HeadSeq, kioskTime: page.KioskTime, at: page.At})
		if err != nil {
			return err
		}
		f.mu.Lock()
		h := f.healthLocked(t.KioskID)
		h.pullError, h.pullOK = "", f.cfg.Now().UTC()
		f.mu.Unlock()
		if len(page.Records) == 0 {
			return nil
		}
		last := page.Records[len(page.Records)-1].Seq
		next := max(res.AckedSeq, last)
		if next <= cursor || next >= page.HeadSeq {
			return nil
		}
		cursor = next
	}
	return ctx.Err()
}

// pullVersion reads the kiosk's /healthz for its version; best effort.
func (f *fleet) pullVersion(ctx context.Context, kc *link.KioskClient) {
	h, ok := kc.Health(ctx)
	if !ok {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.healthLocked(kc.KioskID)
	if h.Version != "" {
		st.Version = h.Version
	}
	if h.HeadSeq > st.HeadSeq {
		st.HeadSeq = h.HeadSeq
	}
}

package ward

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/store"
)

// puller pulls one kiosk.
type puller struct {
	target PullTarget
	cancel context.CancelFunc
}

func (s *Service) startPuller(p *puller) {
	ctx, cancel := context.WithCancel(s.runCtx)
	p.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.pullLoop(ctx, p.target)
	}()
}

// pullLoop drains a kiosk, waits, and again; on errors it backs off with
// jitter up to five minutes so a dead kiosk costs nothing.
func (s *Service) pullLoop(ctx context.Context, t PullTarget) {
	client := &http.Client{Timeout: 60 * time.Second}
	fails := 0
	for {
		err := s.PullOnce(ctx, client, t)
		if ctx.Err() != nil {
			return
		}
		wait := s.cfg.PullInterval
		if err != nil {
			fails++
			s.met.pullErrors.WithLabelValues(t.KioskID).Inc()
			s.setPullError(t.KioskID, err)
			if fails == 1 || fails%20 == 0 {
				s.log.Warn("pull failed", "kiosk", t.KioskID, "url", t.URL, "err", err, "fails", fails)
			}
			wait = min(s.cfg.PullInterval<<min(fails, 6), 5*time.Minute)
		} else {
			fails = 0
		}
		// ±20% jitter so pulls of many kiosks spread out.
		wait = time.Duration(float64(wait) * (0.8 + 0.4*rand.Float64()))
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (s *Service) setPullError(kiosk string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.healthLocked(kiosk)
	h.pullError, h.pullErrAt = err.Error(), s.cfg.Now().UTC()
}

// PullOnce drains one kiosk: pages from the held contiguous seq until the
// kiosk's head. When a page starts after a gap the ward cannot fill, the
// cursor still moves on to fetch the rest, and the next round asks for the
// gap again.
func (s *Service) PullOnce(ctx context.Context, client *http.Client, t PullTarget) error {
	token, ok := s.tokenFor(t.KioskID)
	if !ok {
		return fmt.Errorf("kiosk %q is not registered: no token to pull with (ward kiosk add %s)", t.KioskID, t.KioskID)
	}
	kc := &link.KioskClient{URL: t.URL, KioskID: t.KioskID, Token: token, UserAgent: "kyso-ward/" + s.cfg.Version, HTTP: client, Now: s.cfg.Now}
	s.pullVersion(ctx, kc)
	cursor := s.tally.Acked(t.KioskID)
	for ctx.Err() == nil {
		page, err := kc.Page(ctx, cursor, s.cfg.PullPage)
		if err != nil {
			return err
		}
		res, err := s.ingest(t.KioskID, page.Records, contact{via: store.ViaPull, headSeq: page.HeadSeq, kioskTime: page.KioskTime, at: page.At})
		if err != nil {
			return err
		}
		s.mu.Lock()
		h := s.healthLocked(t.KioskID)
		h.pullError, h.pullOK = "", s.cfg.Now().UTC()
		s.mu.Unlock()
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
func (s *Service) pullVersion(ctx context.Context, kc *link.KioskClient) {
	h, ok := kc.Health(ctx)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.healthLocked(kc.KioskID)
	if h.Version != "" {
		st.Version = h.Version
	}
	if h.HeadSeq > st.HeadSeq {
		st.HeadSeq = h.HeadSeq
	}
}

package ward

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/store"
)

// puller pulls one kiosk.
type puller struct {
	target PullTarget
	cancel context.CancelFunc
}

// maxPageBytes bounds one pulled page (1000 records are about 0.6 MB).
const maxPageBytes = 64 << 20

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
	s.pullVersion(ctx, client, t)
	cursor := s.tally.Acked(t.KioskID)
	for ctx.Err() == nil {
		page, kioskTime, sent, err := s.fetchPage(ctx, client, t, token, cursor)
		if err != nil {
			return err
		}
		res, err := s.ingest(t.KioskID, page.Records, contact{via: store.ViaPull, headSeq: page.HeadSeq, kioskTime: kioskTime, at: sent})
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

func (s *Service) fetchPage(ctx context.Context, client *http.Client, t PullTarget, token string, after uint64) (record.Page, *time.Time, time.Time, error) {
	var page record.Page
	// The token never travels: the target may be any machine that announced
	// this kiosk's id. Sign with a one-time nonce from the kiosk; its answer
	// comes back sealed for the token holder.
	nonce, err := fetchNonce(ctx, client, t.URL)
	if err != nil {
		return page, nil, time.Time{}, err
	}
	pq := "/api/v1/records?after=" + strconv.FormatUint(after, 10) + "&limit=" + strconv.Itoa(s.cfg.PullPage)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL+pq, nil)
	if err != nil {
		return page, nil, time.Time{}, err
	}
	req.Header.Set("Authorization", record.PullAuthorization(token, http.MethodGet, pq, nonce))
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "kyso-ward/"+s.cfg.Version)
	sent := s.cfg.Now().UTC()
	resp, err := client.Do(req)
	if err != nil {
		return page, nil, sent, err
	}
	defer resp.Body.Close()
	took := s.cfg.Now().UTC().Sub(sent)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		return page, nil, sent, err
	}
	if len(body) > maxPageBytes {
		return page, nil, sent, errors.New("page larger than 64 MB")
	}
	if resp.StatusCode != http.StatusOK {
		return page, nil, sent, fmt.Errorf("kiosk answered %d: %s", resp.StatusCode, snippet(body))
	}
	if resp.Header.Get("Content-Type") != record.SealedType {
		return page, nil, sent, errors.New("kiosk answered without sealing the records: refusing it")
	}
	if body, err = record.OpenPayload(token, nonce, body); err != nil {
		return page, nil, sent, fmt.Errorf("kiosk page: %w", err)
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return page, nil, sent, fmt.Errorf("kiosk page: %w", err)
	}
	if page.KioskID != t.KioskID {
		return page, nil, sent, fmt.Errorf("the kiosk at %s is %q, not %q", t.URL, page.KioskID, t.KioskID)
	}
	// The Date header gives the kiosk's clock to the second; compare it
	// with the ward's clock half way through the exchange.
	var kt *time.Time
	if d, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		kt = &d
		sent = sent.Add(took / 2)
	}
	return page, kt, sent, nil
}

// pullVersion reads the kiosk's /healthz for its version; best effort.
func (s *Service) pullVersion(ctx context.Context, client *http.Client, t PullTarget) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL+"/healthz", nil)
	if err != nil {
		return
	}
	resp, err := client.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var h struct {
		Version string `json:"version"`
		KioskID string `json:"kiosk_id"`
		HeadSeq uint64 `json:"head_seq"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&h) != nil || h.KioskID != t.KioskID {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.healthLocked(t.KioskID)
	if h.Version != "" {
		st.Version = h.Version
	}
	if h.HeadSeq > st.HeadSeq {
		st.HeadSeq = h.HeadSeq
	}
}

func snippet(b []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	if len(b) > 200 {
		b = b[:200]
	}
	return string(b)
}

// fetchNonce asks a kiosk for a one-time pull challenge.
func fetchNonce(ctx context.Context, client *http.Client, base string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/api/v1/challenge", nil)
	if err != nil {
		return "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var b struct {
		Nonce string `json:"nonce"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("kiosk challenge: %d", resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&b); err != nil || len(b.Nonce) < 16 || len(b.Nonce) > 128 {
		return "", errors.New("kiosk challenge unreadable")
	}
	return b.Nonce, nil
}

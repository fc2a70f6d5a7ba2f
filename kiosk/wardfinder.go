package kiosk

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/link"
)

// WardFinder turns wards seen on the LAN into a URL the forwarder may use:
// a candidate is used only after it proves it holds this kiosk's token.
type WardFinder struct {
	Candidates func() []string // URLs of wards seen by mDNS, best first
	KioskID    string
	Token      string
	Client     *http.Client

	mu       sync.Mutex
	verified string
	checked  map[string]time.Time // failed candidates, not retried for a while
}

// URL returns a proven ward, or "".
func (w *WardFinder) URL() string {
	w.mu.Lock()
	v := w.verified
	w.mu.Unlock()
	cands := w.Candidates()
	for _, c := range cands {
		if c == v {
			return v
		}
	}
	for _, c := range cands {
		if w.recentlyFailed(c) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := (&link.WardClient{URL: c, KioskID: w.KioskID, Token: w.Token, HTTP: w.client()}).Prove(ctx)
		cancel()
		w.mu.Lock()
		if err == nil {
			w.verified = c
			w.mu.Unlock()
			return c
		}
		if w.checked == nil {
			w.checked = map[string]time.Time{}
		}
		w.checked[c] = time.Now()
		w.mu.Unlock()
	}
	return ""
}

// First returns the first candidate without proof: for pairing, which sends
// no records and no token, only the code the ward itself handed out.
func (w *WardFinder) First() string {
	if c := w.Candidates(); len(c) > 0 {
		return c[0]
	}
	return ""
}

func (w *WardFinder) recentlyFailed(c string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	t, ok := w.checked[c]
	return ok && time.Since(t) < 2*time.Minute
}

func (w *WardFinder) client() *http.Client {
	if w.Client != nil {
		return w.Client
	}
	return &http.Client{Timeout: 5 * time.Second}
}

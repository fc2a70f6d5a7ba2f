package link

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// MaxPageBytes bounds one pulled page (1000 records are about 0.6 MB).
const MaxPageBytes = 64 << 20

// KioskClient is the ward's side of the link: it pulls a kiosk's log. The
// token never travels: the kiosk at URL may be any machine that announced
// the kiosk's id, so each page is asked with a one-time nonce from the
// kiosk, signed per cursor, and must come back sealed for the token holder.
type KioskClient struct {
	URL       string // the kiosk's base URL
	KioskID   string
	Token     string
	UserAgent string
	HTTP      *http.Client     // nil: a client with a 60 s timeout
	Now       func() time.Time // nil: time.Now
}

func (k *KioskClient) client() *http.Client {
	if k.HTTP != nil {
		return k.HTTP
	}
	return &http.Client{Timeout: 60 * time.Second}
}

func (k *KioskClient) now() time.Time {
	if k.Now != nil {
		return k.Now()
	}
	return time.Now()
}

// Pulled is one page with what its exchange told about the kiosk's clock.
type Pulled struct {
	Page
	// KioskTime is the kiosk's clock from its Date header (to the second),
	// nil when absent; At is the ward's clock half way through the exchange.
	KioskTime *time.Time
	At        time.Time
}

// Challenge fetches a one-time nonce from the kiosk.
func (k *KioskClient) Challenge(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.URL+PathChallenge, nil)
	if err != nil {
		return "", err
	}
	res, err := k.client().Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("kiosk challenge: %d", res.StatusCode)
	}
	var c Challenge
	if err := json.NewDecoder(io.LimitReader(res.Body, maxProofBytes)).Decode(&c); err != nil || !ValidNonce(c.Nonce) {
		return "", errors.New("kiosk challenge unreadable")
	}
	return c.Nonce, nil
}

// Page pulls up to limit records after the seq after.
func (k *KioskClient) Page(ctx context.Context, after uint64, limit int) (Pulled, error) {
	var p Pulled
	nonce, err := k.Challenge(ctx)
	if err != nil {
		return p, err
	}
	pq := PathRecords + "?after=" + strconv.FormatUint(after, 10) + "&limit=" + strconv.Itoa(limit)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.URL+pq, nil)
	if err != nil {
		return p, err
	}
	req.Header.Set("Authorization", PullAuthorization(k.Token, http.MethodGet, pq, nonce))
	req.Header.Set("Accept", "application/json")
	if k.UserAgent != "" {
		req.Header.Set("User-Agent", k.UserAgent)
	}
	sent := k.now().UTC()
	p.At = sent
	res, err := k.client().Do(req)
	if err != nil {
		return p, err
	}
	defer res.Body.Close()
	took := k.now().UTC().Sub(sent)
	body, err := io.ReadAll(io.LimitReader(res.Body, MaxPageBytes+1))
	if err != nil {
		return p, err
	}
	if len(body) > MaxPageBytes {
		return p, errors.New("page larger than 64 MB")
	}
	if res.StatusCode != http.StatusOK {
		return p, fmt.Errorf("kiosk answered %d: %s", res.StatusCode, snippet(body))
	}
	if res.Header.Get("Content-Type") != SealedType {
		return p, errors.New("kiosk answered without sealing the records: refusing it")
	}
	if body, err = OpenPayload(k.Token, nonce, body); err != nil {
		return p, fmt.Errorf("kiosk page: %w", err)
	}
	if err := json.Unmarshal(body, &p.Page); err != nil {
		return p, fmt.Errorf("kiosk page: %w", err)
	}
	if p.KioskID != k.KioskID {
		return p, fmt.Errorf("the kiosk at %s is %q, not %q", k.URL, p.KioskID, k.KioskID)
	}
	// The Date header gives the kiosk's clock to the second; compare it
	// with the ward's clock half way through the exchange.
	if d, err := http.ParseTime(res.Header.Get("Date")); err == nil {
		p.KioskTime = &d
		p.At = sent.Add(took / 2)
	}
	return p, nil
}

// Health reads the kiosk's /healthz (its version and head); best effort,
// and only when it names the expected kiosk.
func (k *KioskClient) Health(ctx context.Context) (KioskHealth, bool) {
	var h KioskHealth
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.URL+PathHealth, nil)
	if err != nil {
		return h, false
	}
	res, err := k.client().Do(req)
	if err != nil {
		return h, false
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(res.Body, 1<<16)).Decode(&h) != nil || h.KioskID != k.KioskID {
		return h, false
	}
	return h, true
}

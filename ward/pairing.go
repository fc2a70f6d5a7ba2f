package ward

import (
	"crypto/rand"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/kyso-vn/kyso/link"
)

// Pairing hands a new kiosk its identity and token in exchange for a short
// code an official reads off the dashboard: nobody types a 50-character
// token on a tablet. Codes live in memory, expire, and work once.

const (
	pairAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789" // no 0/O, 1/I/L: read aloud in a noisy room
	pairLen      = 8
	pairTTL      = 30 * time.Minute
)

type pendingPair struct {
	KioskID, Name, Village, Token string
	Expires                       time.Time
}

type pairings struct {
	mu       sync.Mutex
	codes    map[string]pendingPair
	attempts map[string][]time.Time // per client address, for the rate limit
}

func newPairings() *pairings {
	return &pairings{codes: map[string]pendingPair{}, attempts: map[string][]time.Time{}}
}

func newPairCode() string {
	b := make([]byte, pairLen)
	for i := range b {
		var r [1]byte
		for {
			_, _ = rand.Read(r[:])
			if int(r[0]) < 256-256%len(pairAlphabet) { // no modulo bias
				break
			}
		}
		b[i] = pairAlphabet[int(r[0])%len(pairAlphabet)]
	}
	return string(b)
}

// FormatPairCode groups a code for reading: ABCD-EFGH.
func FormatPairCode(c string) string {
	if len(c) != pairLen {
		return c
	}
	return c[:4] + "-" + c[4:]
}

// NewPairing registers (or re-keys) kiosk id and returns a one-time code.
func (r *registry) NewPairing(id, name, village string) (code string, expires time.Time, err error) {
	if utf8.RuneCountInString(name) > 120 || utf8.RuneCountInString(village) > 100 {
		return "", time.Time{}, errBadPairInput
	}
	tok, err := r.AddKiosk(id, SourceUI)
	if err != nil {
		return "", time.Time{}, err
	}
	code, expires = newPairCode(), r.now().Add(pairTTL)
	r.pair.mu.Lock()
	defer r.pair.mu.Unlock()
	for c, p := range r.pair.codes {
		if p.KioskID == id || r.now().After(p.Expires) {
			delete(r.pair.codes, c) // one live code per kiosk
		}
	}
	r.pair.codes[code] = pendingPair{KioskID: id, Name: strings.TrimSpace(name), Village: strings.TrimSpace(village), Token: tok, Expires: expires}
	return code, expires, nil
}

// redeem returns and forgets the pairing for the code a kiosk sent, or
// proved it holds (link.PairCodeProof over nonce), with the code it matched;
// limited to 10 tries per address per 10 minutes so that codes cannot be
// guessed.
func (r *registry) redeem(req link.PairRequest, client string) (pendingPair, string, error) {
	now := r.now()
	r.pair.mu.Lock()
	defer r.pair.mu.Unlock()
	recent := r.pair.attempts[client][:0]
	for _, t := range r.pair.attempts[client] {
		if now.Sub(t) < 10*time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) >= 10 {
		r.pair.attempts[client] = recent
		return pendingPair{}, "", errPairLocked
	}
	r.pair.attempts[client] = append(recent, now)
	code := link.NormalizePairCode(req.Code)
	if req.CodeProof != "" {
		// Our kiosk does not send the code: find the live one it proves.
		// Every live code is compared, in constant time each.
		code = ""
		if link.ValidNonce(req.Nonce) {
			for c := range r.pair.codes {
				if link.SameSecret(req.CodeProof, link.PairCodeProof(c, req.Nonce)) {
					code = c
				}
			}
		}
	}
	p, ok := r.pair.codes[code]
	if !ok || now.After(p.Expires) {
		return pendingPair{}, "", errPairCode
	}
	delete(r.pair.codes, code)
	return p, code, nil
}

// The link's failures, worded once in link.Reasons.
var (
	errPairCode     = linkErr(link.ReasonBadCode)
	errPairLocked   = linkErr(link.ReasonCodeLocked)
	errBadPairInput = &apiError{Status: 422, Code: "invalid_input", Message: "Tên hoặc thôn quá dài."}
	errNoKiosk      = linkErr(link.ReasonNoKiosk)
	errBadNonce     = linkErr(link.ReasonBadNonce)
)

func linkErr(r *link.Reason) *apiError {
	return &apiError{Status: r.Status, Code: r.Code, Field: r.Field, Message: r.Message}
}

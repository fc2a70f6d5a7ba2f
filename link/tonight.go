package link

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

// Paths of the outreach part of the link (kiosk → ward).
const (
	PathTonight  = "/api/v1/tonight"  // POST a sealed TonightRequest: today's invited households
	PathArrivals = "/api/v1/arrivals" // POST sealed Arrivals: who came
)

// Reply kinds of the outreach part.
const (
	ReplyTonight  = "tonight"
	ReplyArrivals = "arrivals"
)

// maxTonightBytes bounds the list of one evening (a few hundred households).
const maxTonightBytes = 2 << 20

// TonightRequest asks the ward for the sessions of the kiosk's village on
// the ward's today.
type TonightRequest struct {
	KioskID string `json:"kiosk_id"`
	Village string `json:"village"`
}

// Tonight is what a paired kiosk learns of its village's sessions today:
// names and masked CCCDs, nothing more. Match lets the kiosk recognise an
// invited citizen who joins (CCCDMatch of the CCCD typed at the join)
// without the full CCCD ever leaving the ward.
type Tonight struct {
	Village  string           `json:"village"`
	Date     string           `json:"date"` // YYYY-MM-DD, the ward's today (Vietnam)
	Sessions []TonightSession `json:"sessions"`
}

// TonightSession is one session of the day with its invited households.
type TonightSession struct {
	ID         string             `json:"id"`
	Place      string             `json:"place"`
	Start      string             `json:"start"`
	End        string             `json:"end"`
	Households []TonightHousehold `json:"households"`
}

// TonightHousehold is one invited household, the head first.
type TonightHousehold struct {
	Key     string          `json:"key"`
	Head    string          `json:"head"`
	Members []TonightPerson `json:"members"`
}

// TonightPerson is one invited person.
type TonightPerson struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	CCCDMasked string `json:"cccd_masked"`
	Match      string `json:"match,omitempty"`
	Arrived    bool   `json:"arrived"`
}

// Arrival says an invited person came: by joining the queue ("join") or
// ticked by a volunteer ("hand").
type Arrival struct {
	Person string `json:"person"`
	How    string `json:"how"`
}

// Arrivals is the body of POST /api/v1/arrivals.
type Arrivals struct {
	KioskID  string    `json:"kiosk_id"`
	Arrivals []Arrival `json:"arrivals"`
}

// CCCDMatch is what the kiosk compares to recognise an invited CCCD: an
// HMAC keyed by the kiosk's token, so the list carries no CCCD a reader
// could use elsewhere.
func CCCDMatch(token, cccd string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("kyso-cccd\x00" + cccd))
	return hex.EncodeToString(m.Sum(nil)[:12])
}

// sealedCall posts v sealed and signed like a push and returns the opened,
// verified reply body.
func (w *WardClient) sealedCall(ctx context.Context, path, kind string, v any, limit int64) ([]byte, error) {
	if w.Token == "" {
		return nil, fail(ReasonTokenRefused, "no kiosk token: not paired")
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	nonce := NewNonce()
	sealed, err := SealPayload(w.Token, nonce, body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL+path, bytes.NewReader(sealed))
	if err != nil {
		return nil, fail(ReasonBadWardURL, "%w", err)
	}
	req.Header.Set("Content-Type", SealedType)
	req.Header.Set("Authorization", PushAuthorization(w.Token, w.KioskID, nonce, sealed))
	r, err := w.do(req, limit)
	if err != nil {
		return nil, err
	}
	switch r.status {
	case http.StatusOK:
	case http.StatusUnauthorized, http.StatusForbidden:
		return nil, fail(ReasonTokenRefused, "ward answered %d: %s", r.status, snippet(r.body))
	default:
		return nil, fail(ReasonWardRefused, "ward answered %d: %s", r.status, snippet(r.body))
	}
	if !VerifyReply(w.Token, kind, w.KioskID, nonce, r.status, r.body, r.header.Get(ReplyHeader)) {
		return nil, fail(ReasonForgedReply, "%s reply without a valid ward signature", kind)
	}
	plain, err := OpenPayload(w.Token, nonce, r.body)
	if err != nil {
		return nil, fail(ReasonForgedReply, "%s reply: %w", kind, err)
	}
	return plain, nil
}

// Tonight fetches today's invited households of village. The reply is
// sealed (it carries names) and signed.
func (w *WardClient) Tonight(ctx context.Context, village string) (Tonight, error) {
	b, err := w.sealedCall(ctx, PathTonight, ReplyTonight, TonightRequest{KioskID: w.KioskID, Village: village}, maxTonightBytes)
	if err != nil {
		return Tonight{}, err
	}
	var t Tonight
	if err := json.Unmarshal(b, &t); err != nil {
		return Tonight{}, fail(ReasonWardRefused, "tonight: %w", err)
	}
	return t, nil
}

// Report tells the ward who arrived.
func (w *WardClient) Report(ctx context.Context, a []Arrival) error {
	_, err := w.sealedCall(ctx, PathArrivals, ReplyArrivals, Arrivals{KioskID: w.KioskID, Arrivals: a}, maxReplyBytes)
	return err
}

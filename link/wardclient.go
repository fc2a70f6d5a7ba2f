package link

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Bounds on what the kiosk reads from a ward.
const (
	maxReplyBytes = 1 << 20 // a push or pairing reply
	maxInfoBytes  = 4 << 20 // the progress document
	maxProofBytes = 4 << 10 // a proof or a challenge
)

// WardClient is the kiosk's side of the link: every request the kiosk makes
// to its ward. Records travel sealed and signed; every reply that would move
// kiosk state is verified against the kiosk's token (the pairing code for a
// pairing) and sanity-checked before the caller sees it. Errors wrap a
// Reason (ReasonOf).
type WardClient struct {
	URL     string // the ward's base URL, no trailing slash
	KioskID string
	Token   string
	Version string
	HTTP    *http.Client // nil: a client with a 15 s timeout
}

func (w *WardClient) client() *http.Client {
	if w.HTTP != nil {
		return w.HTTP
	}
	return &http.Client{Timeout: 15 * time.Second}
}

// reply is one answer, read within a bound.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (w *WardClient) do(req *http.Request, limit int64) (reply, error) {
	res, err := w.client().Do(req)
	if err != nil {
		return reply{}, fail(ReasonUnreachable, "%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	if err != nil {
		return reply{}, fail(ReasonUnreachable, "%s %s: %w", req.Method, req.URL.Redacted(), err)
	}
	if int64(len(b)) > limit {
		return reply{}, fail(ReasonWardRefused, "%s %s: reply larger than %d bytes", req.Method, req.URL.Redacted(), limit)
	}
	return reply{status: res.StatusCode, header: res.Header, body: b}, nil
}

// Push sends req, sealed and signed, and returns what the ward's verified
// reply allows. acked is the kiosk's acked_seq when it read req.Records. A
// reply without the ward's signature, or with an impossible acked_seq,
// returns an error and no Ack: nothing in the kiosk may change.
func (w *WardClient) Push(ctx context.Context, pr PushRequest, acked uint64) (Ack, error) {
	if w.Token == "" {
		return Ack{}, fail(ReasonTokenRefused, "no kiosk token: not paired")
	}
	body, err := json.Marshal(pr)
	if err != nil {
		return Ack{}, err
	}
	// Signed and sealed: the token never travels and a machine relaying the
	// push (say, a fake ward announced on the house Wi-Fi) reads nothing.
	nonce := NewNonce()
	sealed, err := SealPayload(w.Token, nonce, body)
	if err != nil {
		return Ack{}, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL+PathPush, bytes.NewReader(sealed))
	if err != nil {
		return Ack{}, fail(ReasonBadWardURL, "%w", err)
	}
	req.Header.Set("Content-Type", SealedType)
	req.Header.Set("Authorization", PushAuthorization(w.Token, w.KioskID, nonce, sealed))
	sent := time.Now()
	r, err := w.do(req, maxReplyBytes)
	if err != nil {
		return Ack{}, err
	}
	switch r.status {
	case http.StatusOK, http.StatusConflict: // a 409 still carries acked_seq: the ward kept the good records
	case http.StatusUnauthorized, http.StatusForbidden:
		return Ack{}, fail(ReasonTokenRefused, "ward answered %d: %s", r.status, snippet(r.body))
	case http.StatusServiceUnavailable:
		return Ack{}, fail(ReasonWardFull, "ward answered %d: %s", r.status, snippet(r.body))
	default:
		return Ack{}, fail(ReasonWardRefused, "ward answered %d: %s", r.status, snippet(r.body))
	}
	if !VerifyReply(w.Token, ReplyPush, w.KioskID, nonce, r.status, r.body, r.header.Get(ReplyHeader)) {
		return Ack{}, fail(ReasonForgedReply, "push reply %d without a valid ward signature: %s", r.status, snippet(r.body))
	}
	var resp PushResponse
	if err := json.Unmarshal(r.body, &resp); err != nil {
		return Ack{}, fail(ReasonWardRefused, "push reply: %w", err)
	}
	a, err := CheckAck(resp, pr, acked)
	if err != nil {
		return Ack{}, err
	}
	a.RTT = time.Since(sent)
	return a, nil
}

// Prove challenges the ward to show it holds this kiosk's token: a ward
// found by mDNS gets records only after this returns nil.
func (w *WardClient) Prove(ctx context.Context) error {
	if w.Token == "" {
		return fail(ReasonNotProven, "no token")
	}
	nonce := NewNonce()
	u := w.URL + PathProve + "?kiosk_id=" + url.QueryEscape(w.KioskID) + "&nonce=" + nonce
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fail(ReasonBadWardURL, "%w", err)
	}
	r, err := w.do(req, maxProofBytes)
	if err != nil {
		return err
	}
	var p Proof
	if r.status != http.StatusOK || json.Unmarshal(r.body, &p) != nil {
		return fail(ReasonNotProven, "prove: %d %s", r.status, snippet(r.body))
	}
	if !SameSecret(p.Proof, WardProof(w.Token, w.KioskID, nonce)) {
		return fail(ReasonNotProven, "ward could not prove it holds our token")
	}
	return nil
}

// Info fetches the ward's progress for the join form and the board, signed
// for this kiosk: a machine answering at the ward's address cannot put
// made-up villages or targets on the TV.
func (w *WardClient) Info(ctx context.Context) (Info, error) {
	if w.Token == "" {
		return Info{}, fail(ReasonTokenRefused, "no kiosk token: not paired")
	}
	nonce := NewNonce()
	u := w.URL + PathProgress + "?kiosk_id=" + url.QueryEscape(w.KioskID) + "&nonce=" + nonce
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return Info{}, fail(ReasonBadWardURL, "%w", err)
	}
	r, err := w.do(req, maxInfoBytes)
	if err != nil {
		return Info{}, err
	}
	if r.status != http.StatusOK {
		return Info{}, fail(ReasonWardRefused, "progress: %d %s", r.status, snippet(r.body))
	}
	if !VerifyReply(w.Token, ReplyInfo, w.KioskID, nonce, r.status, r.body, r.header.Get(ReplyHeader)) {
		return Info{}, fail(ReasonForgedReply, "progress without a valid ward signature")
	}
	var info Info
	if err := json.Unmarshal(r.body, &info); err != nil {
		return Info{}, fail(ReasonWardRefused, "progress: %w", err)
	}
	return info, nil
}

// Pair exchanges a pairing code for this kiosk's identity and token. The
// code itself does not travel (PairCodeProof), and the reply must be
// signed with it: a machine answering at the typed or announced address
// can neither learn the code nor pair the kiosk with itself.
func (w *WardClient) Pair(ctx context.Context, code, publicURL string) (PairResponse, error) {
	code = NormalizePairCode(code)
	if len(code) < 4 || len(code) > 16 {
		return PairResponse{}, ReasonBadCode
	}
	if _, err := ParseWardURL(w.URL); err != nil {
		return PairResponse{}, err
	}
	nonce := NewNonce()
	body, _ := json.Marshal(PairRequest{Nonce: nonce, CodeProof: PairCodeProof(code, nonce), Version: w.Version, PublicURL: publicURL})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL+PathPair, bytes.NewReader(body))
	if err != nil {
		return PairResponse{}, fail(ReasonBadWardURL, "%w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	r, err := w.do(req, maxReplyBytes)
	if err != nil {
		return PairResponse{}, err
	}
	if r.status != http.StatusOK {
		// The ward's own reason when it gave a listed one (a wrong code,
		// too many tries); unsigned, it can only fail the pairing.
		var e struct {
			Error Reason `json:"error"`
		}
		if json.Unmarshal(r.body, &e) == nil {
			for _, known := range []*Reason{ReasonBadCode, ReasonCodeLocked, ReasonBadKioskID} {
				if e.Error.Code == known.Code {
					return PairResponse{}, fail(known, "ward answered %d", r.status)
				}
			}
		}
		return PairResponse{}, fail(ReasonBadCode, "ward answered %d: %s", r.status, snippet(r.body))
	}
	if !VerifyReply(code, ReplyPair, "", nonce, r.status, r.body, r.header.Get(ReplyHeader)) {
		return PairResponse{}, fail(ReasonPairForged, "pairing reply without a signature by the code")
	}
	var p PairResponse
	if err := json.Unmarshal(r.body, &p); err != nil || p.Token == "" {
		return PairResponse{}, fail(ReasonWardRefused, "pairing reply unreadable")
	}
	if err := CheckKioskID(p.KioskID); err != nil {
		return PairResponse{}, err
	}
	if p.WardURL == "" {
		p.WardURL = w.URL
	}
	return p, nil
}

// ParseWardURL reads a ward address as typed on a tablet: the scheme may be
// left out, a trailing slash is dropped.
func ParseWardURL(s string) (string, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	if s != "" && !strings.Contains(s, "://") {
		s = "http://" + s // typed on a tablet: the scheme is noise
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", ReasonBadWardURL
	}
	return s, nil
}

// snippet is the start of a reply, for logs: the error message when it is
// one of ours, else at most 200 bytes.
func snippet(b []byte) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	return string(bytes.TrimSpace(b[:min(len(b), 200)]))
}

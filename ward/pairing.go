package ward

import (
	"crypto/rand"
	"encoding/json"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

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
func (s *Service) NewPairing(id, name, village string) (code string, expires time.Time, err error) {
	if utf8.RuneCountInString(name) > 120 || utf8.RuneCountInString(village) > 100 {
		return "", time.Time{}, errBadPairInput
	}
	tok, err := s.AddKiosk(id, SourceUI)
	if err != nil {
		return "", time.Time{}, err
	}
	code, expires = newPairCode(), s.cfg.Now().Add(pairTTL)
	s.pair.mu.Lock()
	defer s.pair.mu.Unlock()
	for c, p := range s.pair.codes {
		if p.KioskID == id || s.cfg.Now().After(p.Expires) {
			delete(s.pair.codes, c) // one live code per kiosk
		}
	}
	s.pair.codes[code] = pendingPair{KioskID: id, Name: strings.TrimSpace(name), Village: strings.TrimSpace(village), Token: tok, Expires: expires}
	return code, expires, nil
}

// redeem returns and forgets the pairing for the code a kiosk sent, or
// proved it holds (link.PairCodeProof over nonce), with the code it matched;
// limited to 10 tries per address per 10 minutes so that codes cannot be
// guessed.
func (s *Service) redeem(req link.PairRequest, client string) (pendingPair, string, error) {
	now := s.cfg.Now()
	s.pair.mu.Lock()
	defer s.pair.mu.Unlock()
	recent := s.pair.attempts[client][:0]
	for _, t := range s.pair.attempts[client] {
		if now.Sub(t) < 10*time.Minute {
			recent = append(recent, t)
		}
	}
	if len(recent) >= 10 {
		s.pair.attempts[client] = recent
		return pendingPair{}, "", errPairLocked
	}
	s.pair.attempts[client] = append(recent, now)
	code := link.NormalizePairCode(req.Code)
	if req.CodeProof != "" {
		// Our kiosk does not send the code: find the live one it proves.
		// Every live code is compared, in constant time each.
		code = ""
		if link.ValidNonce(req.Nonce) {
			for c := range s.pair.codes {
				if link.SameSecret(req.CodeProof, link.PairCodeProof(c, req.Nonce)) {
					code = c
				}
			}
		}
	}
	p, ok := s.pair.codes[code]
	if !ok || now.After(p.Expires) {
		return pendingPair{}, "", errPairCode
	}
	delete(s.pair.codes, code)
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

// postPair is called by a kiosk with the code a volunteer typed (the
// contract's form) or a proof of it (ours). The reply is signed with the
// code over the kiosk's nonce: the kiosk pairs only with the ward that
// handed the code out.
func (s *Service) postPair(c *fiber.Ctx) error {
	var b link.PairRequest
	if err := json.Unmarshal(c.Body(), &b); err != nil {
		return errBadJSON
	}
	p, code, err := s.redeem(b, c.IP())
	if err != nil {
		return err
	}
	s.log.Info("kiosk paired", "kiosk_id", p.KioskID, "client", c.IP())
	return sendSigned(c, fiber.StatusOK, link.PairResponse{KioskID: p.KioskID, Name: p.Name, Village: p.Village, Token: p.Token},
		code, link.ReplyPair, "", b.Nonce)
}

// sendProgress answers GET /api/v1/progress. A kiosk asks with its id and a
// nonce, and gets the document signed with its token: what its board and
// join form show comes from the real ward. Everyone else gets it unsigned.
func (s *Service) sendProgress(c *fiber.Ctx) error {
	id, nonce := c.Query("kiosk_id"), c.Query("nonce")
	tok := ""
	if id != "" && link.ValidNonce(nonce) {
		tok, _ = s.tokenFor(id)
	}
	// Aggregates only: names the plan does not know were typed by citizens
	// and are folded into one row (the dashboard reads them at /full).
	return sendSigned(c, fiber.StatusOK, s.Progress().Public(), tok, link.ReplyInfo, id, nonce)
}

// postPairing is the official creating a code (admin).
func (s *Service) postPairing(c *fiber.Ctx) error {
	var b struct {
		ID      string `json:"kiosk_id"`
		Name    string `json:"name"`
		Village string `json:"village"`
	}
	if err := json.Unmarshal(c.Body(), &b); err != nil {
		return errBadJSON
	}
	code, exp, err := s.NewPairing(strings.TrimSpace(b.ID), b.Name, b.Village)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"kiosk_id": b.ID, "code": FormatPairCode(code), "expires_at": exp.UTC()})
}

// getProve lets a kiosk that found this ward by mDNS check it is the real
// ward: only the real one holds the kiosk's token.
func (s *Service) getProve(c *fiber.Ctx) error {
	id, nonce := c.Query("kiosk_id"), c.Query("nonce")
	if !link.ValidNonce(nonce) {
		return errBadNonce
	}
	s.mu.RLock()
	k, ok := s.kiosks[id]
	s.mu.RUnlock()
	if !ok || k.Token == "" {
		return errNoKiosk
	}
	return c.JSON(link.Proof{Proof: link.WardProof(k.Token, id, nonce)})
}

// uiPairing is the dashboard form: register the kiosk and show its code.
func (s *Service) uiPairing(c *fiber.Ctx) error {
	id := strings.TrimSpace(c.FormValue("id"))
	code, exp, err := s.NewPairing(id, c.FormValue("name"), c.FormValue("village"))
	if err != nil {
		return s.failed(c, "caidat", err)
	}
	return s.renderResult(c, 201, result{OK: true, Heading: "Mã ghép điểm «" + id + "»", Back: "diem", KioskID: id,
		PairCode: FormatPairCode(code),
		Message: "Trên máy tính bảng của điểm, mở trang tình nguyện viên, đăng nhập và nhập mã ghép này. Mã dùng được một lần, đến " +
			exp.In(vnZone).Format("15:04") + "."})
}

var vnZone = time.FixedZone("ICT", 7*3600)

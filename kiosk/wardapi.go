package kiosk

import (
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/link"
)

// nonces are one-time pull challenges, kept a minute, bounded in number.
type nonces struct {
	mu sync.Mutex
	m  map[string]time.Time
}

func newNonces() *nonces { return &nonces{m: map[string]time.Time{}} }

func (n *nonces) issue(now time.Time) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.m) >= 1024 {
		for k, exp := range n.m {
			if now.After(exp) || len(n.m) >= 1024 {
				delete(n.m, k)
			}
		}
	}
	v := link.NewNonce()
	n.m[v] = now.Add(time.Minute)
	return v
}

// use consumes a nonce: true once, while it is fresh.
func (n *nonces) use(v string, now time.Time) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	exp, ok := n.m[v]
	delete(n.m, v)
	return ok && !now.After(exp)
}

// wardAPI answers the ward: pull challenges and the record log.
type wardAPI struct {
	d      *deps
	nonces *nonces
}

func (w *wardAPI) challenge(c *fiber.Ctx) error {
	return c.JSON(link.Challenge{Nonce: w.nonces.issue(w.d.now())})
}

// wardAuth admits the ward: a signed pull (the token stays home; the answer
// is sealed) or, per the contract, the bearer token itself.
func (w *wardAPI) wardAuth(c *fiber.Ctx) error {
	h := c.Get("Authorization")
	if _, _, signed := link.ParsePullAuthorization(h); signed {
		nonce, ok := link.VerifyPull(w.d.cfg.Token, c.Method(), string(c.Request().URI().RequestURI()), h)
		if !ok || !w.nonces.use(nonce, w.d.now()) {
			return errBadToken
		}
		c.Locals("seal", nonce)
		return c.Next()
	}
	if !equalSecret(bearer(c), w.d.cfg.Token) {
		return errBadToken
	}
	return c.Next()
}

// sendWard answers the ward, sealed when the request was a signed pull.
func (w *wardAPI) sendWard(c *fiber.Ctx, v any) error {
	nonce, _ := c.Locals("seal").(string)
	if nonce == "" {
		return c.JSON(v)
	}
	plain, err := jsonMarshal(v)
	if err != nil {
		return err
	}
	sealed, err := link.SealPayload(w.d.cfg.Token, nonce, plain)
	if err != nil {
		return err
	}
	c.Set("Content-Type", link.SealedType)
	return c.Send(sealed)
}

func (w *wardAPI) records(c *fiber.Ctx) error {
	after, err1 := atoiDefault(c.Query("after"), 0)
	limit, err2 := atoiDefault(c.Query("limit"), 1000)
	if err1 != nil || err2 != nil || after < 0 || limit < 1 {
		return errBadParam
	}
	recs, head, err := w.d.q.Log().Records(uint64(after), min(limit, 5000))
	if err != nil {
		return err
	}
	return w.sendWard(c, link.Page{KioskID: w.d.cfg.ID, HeadSeq: head, Records: recs})
}

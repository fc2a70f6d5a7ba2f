package ward

import (
	"encoding/base64"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/link"
)

// gate says who makes a request (a session, or HTTP Basic for the admin or
// a unit head) and guards the routes: admin only, or unit heads narrowed
// to their unit. It logs people in and out.
type gate struct {
	auth  *auth
	users *users
	log   *slog.Logger
	now   func() time.Time
}

func basicAuth(c *fiber.Ctx) (user, pw string, ok bool) {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) < 6 || !strings.EqualFold(h[:6], "basic ") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[6:]))
	if err != nil {
		return "", "", false
	}
	user, pw, ok = strings.Cut(string(raw), ":")
	return user, pw, ok
}

// crossSite reports a request a browser made for another site. HTTP Basic
// credentials are sent by browsers automatically, so a state change under
// Basic must not come from a foreign page.
func crossSite(c *fiber.Ctx) bool {
	switch c.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		u, err := url.Parse(o)
		return err != nil || u.Host != string(c.Request().Host())
	}
	return false
}

// who finds the principal of a request: a session (with its CSRF token
// when the request changes state) or HTTP Basic login:password, for the
// admin ("admin") or a unit head.
func (g *gate) who(c *fiber.Ctx, changes bool) (principal, error) {
	if sess, ok := g.auth.session(c.Cookies(sessionCookie)); ok {
		p, known := g.principalOf(sess.Who)
		if !known {
			return principal{}, errUnauth
		}
		if changes {
			tok := c.Get("X-CSRF-Token")
			if tok == "" {
				// A form: its body is read now, after the session
				// (SameSite=Strict: never sent by a foreign page) was found.
				tok = c.FormValue("csrf_token")
			}
			if !link.SameSecret(tok, sess.CSRF) {
				return principal{}, errCSRF
			}
		}
		c.Locals("csrf", sess.CSRF)
		return p, nil
	}
	if user, pw, ok := basicAuth(c); ok {
		user = strings.ToLower(user)
		ok, err := g.auth.check(c.IP(), user, pw, g.userSecret)
		if err != nil {
			return principal{}, err
		}
		if !ok {
			return principal{}, errUnauth
		}
		if changes && crossSite(c) {
			return principal{}, errCrossSite
		}
		p, _ := g.principalOf(user)
		return p, nil
	}
	return principal{}, errUnauth
}

// principalOf names a logged-in login's rights.
func (g *gate) principalOf(login string) (principal, bool) {
	if login == adminLogin || login == "" {
		return principal{Login: adminLogin}, true
	}
	u, ok := g.users.get(login)
	if !ok {
		return principal{}, false
	}
	return u.principal(), true
}

func (g *gate) userSecret(login string) (adminSecret, bool) {
	u, ok := g.users.get(login)
	return u.Secret, ok
}

// authenticate accepts the admin only.
func (g *gate) authenticate(c *fiber.Ctx, changes bool) error {
	p, err := g.who(c, changes)
	if err != nil {
		return err
	}
	if !p.Admin() {
		return errAdminOnly
	}
	return nil
}

// admin guards JSON endpoints and downloads.
func (g *gate) admin(changes bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := g.authenticate(c, changes); err != nil {
			return err
		}
		return c.Next()
	}
}

// unit guards what unit heads may do as well as the admin: h gets the
// principal and narrows what it shows to the principal's unit.
func (g *gate) unit(changes bool, h func(*fiber.Ctx, principal) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := g.who(c, changes)
		if err != nil {
			return err
		}
		return h(c, p)
	}
}

func (g *gate) login(c *fiber.Ctx, login, password string) (httpx.Session, error) {
	ip := c.IP()
	login = strings.ToLower(strings.TrimSpace(login))
	if login == "" {
		login = adminLogin
	}
	ok, err := g.auth.check(ip, login, password, g.userSecret)
	if err != nil {
		return httpx.Session{}, err
	}
	if !ok {
		g.log.Warn("login failed", "addr", ip)
		return httpx.Session{}, errBadPassword
	}
	id, sess := g.auth.sessions.Create(login, g.now())
	g.auth.sessions.SetCookie(c, id, sess)
	return sess, nil
}

func (g *gate) logout(c *fiber.Ctx) { g.auth.sessions.End(c) }

// admin and unit are the gate's guards for the route lists kept beside
// their features (outreachRoutes, the office pages): s.admin(true) reads
// as it did when Service was the gate.
func (s *Service) admin(changes bool) fiber.Handler { return s.gate.admin(changes) }

func (s *Service) unit(changes bool, h func(*fiber.Ctx, principal) error) fiber.Handler {
	return s.gate.unit(changes, h)
}

package kiosk

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/link"
)

const sessionCookie = "kyso_session"

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the kernel's RNG does not fail on Linux ≥ 3.17
	}
	return hex.EncodeToString(b)
}

// equalSecret compares secrets in constant time (link.SameSecret).
func equalSecret(a, b string) bool { return link.SameSecret(a, b) }

// session is one volunteer logged in on a tablet.
type session struct {
	Volunteer string
	CSRF      string
	Expires   time.Time
}

// newSessions keeps volunteer sessions in memory: after a restart
// volunteers log in again, which is cheaper than persisting secrets.
func newSessions() *httpx.Sessions {
	return httpx.NewSessions(sessionCookie, 12*time.Hour, 10_000)
}

// newPINThrottle: a 6-digit PIN falls to a patient attacker unless guesses
// are slowed for everyone. Five failures lock a client for 5 minutes;
// twenty in all lock every client for a minute. Guesses in flight count.
func newPINThrottle() *httpx.Throttle {
	t := httpx.NewThrottle(5, 10*time.Minute, 5*time.Minute)
	t.Overall, t.OverallLockFor = 20, time.Minute
	return t
}

func (d *deps) sessionOf(c *fiber.Ctx) (session, bool) {
	v, ok := d.sessions.Of(c, d.now())
	return session{Volunteer: v.Who, CSRF: v.CSRF, Expires: v.Expires}, ok
}

// auth signs volunteers in and out and guards their routes.
type auth struct {
	d      *deps
	pins   *httpx.Throttle
	logins *limiter
}

// volunteer admits requests with a live session; state-changing ones must
// also carry the session's CSRF token.
func (a *auth) volunteer(c *fiber.Ctx) error {
	sess, ok := a.d.sessionOf(c)
	if !ok {
		return errUnauth
	}
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead && !equalSecret(c.Get("X-CSRF-Token"), sess.CSRF) {
		return errCSRF
	}
	key := sessionKey(c.Cookies(sessionCookie))
	a.d.claims.touch(key, sess.Volunteer, a.d.now())
	c.Locals("volunteer", sess.Volunteer)
	c.Locals("session", key)
	return c.Next()
}

func volunteerName(c *fiber.Ctx) string { v, _ := c.Locals("volunteer").(string); return v }

// sessionOfReq is the key of the request's volunteer session (claims.go).
func sessionOfReq(c *fiber.Ctx) string { v, _ := c.Locals("session").(string); return v }

func (a *auth) login(c *fiber.Ctx) error {
	now := a.d.now()
	ip := c.IP()
	if !a.logins.allow(ip, now) {
		return errRateLimited
	}
	var b struct {
		PIN       string `json:"pin"`
		Volunteer string `json:"volunteer"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	done, err := a.pins.Begin(ip, now)
	if err != nil {
		return err
	}
	ok := equalSecret(b.PIN, a.d.cfg.PIN)
	done(ok)
	if !ok {
		a.d.log.Warn("wrong volunteer PIN", "client", ip)
		return errBadPIN
	}
	// Free-text rules first: a name must not carry control, format
	// (right-to-left override) or invisible characters, even dropped ones.
	name, err := citizen.NormalizeFreeText(b.Volunteer, 60)
	if err == nil {
		name, err = citizen.NormalizeName(name)
	}
	if b.Volunteer == "" {
		name, err = "", nil // the API may omit it: records then name the desk
	}
	if err != nil || utf8.RuneCountInString(name) > 60 {
		return errVolunteer
	}
	id, sess := a.d.sessions.Create(name, now)
	a.d.sessions.SetCookie(c, id, sess)
	return c.JSON(fiber.Map{"csrf_token": sess.CSRF, "volunteer": name})
}

func (a *auth) logout(c *fiber.Ctx) error {
	a.d.claims.release(sessionOfReq(c))
	a.d.sessions.End(c)
	return c.JSON(fiber.Map{"ok": true})
}

// full reports whether client has used its n events this window.
func (l *limiter) full(client string, now time.Time) bool {
	if l.n <= 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return now.Truncate(time.Minute).Equal(l.window) && l.counts[client] >= l.n
}

// limiter allows n events per client per minute (fixed window).
type limiter struct {
	mu     sync.Mutex
	n      int
	window time.Time
	counts map[string]int
}

func newLimiter(n int) *limiter { return &limiter{n: n, counts: map[string]int{}} }

func (l *limiter) allow(client string, now time.Time) bool {
	if l.n <= 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if w := now.Truncate(time.Minute); !w.Equal(l.window) {
		l.window, l.counts = w, map[string]int{}
	}
	if l.counts[client] >= l.n {
		return false
	}
	l.counts[client]++
	return true
}

// giveBack returns an event allowed in the current window.
func (l *limiter) giveBack(client string, now time.Time) {
	if l.n <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Truncate(time.Minute).Equal(l.window) && l.counts[client] > 0 {
		l.counts[client]--
	}
}

// joinLimiter counts accepted joins only (issue 11: six typos locked a
// citizen out of the corrected form), with a separate, higher ceiling on
// refused attempts so that a flood of bad forms is still stopped.
type joinLimiter struct {
	accepted, refused *limiter
}

// joinFloodFactor: refused attempts allowed per accepted join (at least 30).
const joinFloodFactor = 5

func newJoinLimiter(perMinute int) *joinLimiter {
	flood := 0
	if perMinute > 0 {
		flood = max(30, joinFloodFactor*perMinute)
	}
	return &joinLimiter{accepted: newLimiter(perMinute), refused: newLimiter(flood)}
}

// begin reserves an accepted join for client; settle(true) keeps it,
// settle(false) hands it back and counts a refusal. ok is false when the
// client is over either ceiling.
func (j *joinLimiter) begin(client string, now time.Time) (settle func(accepted bool), ok bool) {
	if j.refused.full(client, now) || !j.accepted.allow(client, now) {
		return nil, false
	}
	return func(accepted bool) {
		if !accepted {
			j.accepted.giveBack(client, now)
			j.refused.allow(client, now)
		}
	}, true
}

func (a *auth) getSession(c *fiber.Ctx) error {
	sess, _ := a.d.sessionOf(c)
	found := ""
	if a.d.findWard != nil && !a.d.isPaired() {
		found = a.d.findWard()
	}
	key, now := sessionOfReq(c), a.d.now()
	return c.JSON(fiber.Map{"volunteer": sess.Volunteer, "csrf_token": sess.CSRF, "desks": a.d.cfg.Desks, "paired": a.d.isPaired(), "ward_found": found,
		"desk": a.d.claims.deskOf(key, now), "desks_taken": a.d.claims.taken(key, now)})
}

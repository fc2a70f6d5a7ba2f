package httpx

import (
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Session is one person logged in on one browser. Who names them (a
// volunteer's name; empty for the ward's admin); CSRF must come back with
// every request that changes state.
type Session struct {
	Who     string
	CSRF    string
	Expires time.Time
}

// Sessions keeps sessions in memory: after a restart people log in again,
// which is cheaper than persisting secrets. The lock is held only for map
// operations, never for hashing or I/O.
type Sessions struct {
	// Cookie is the name of the session cookie.
	Cookie string
	ttl    time.Duration
	max    int
	mu     sync.Mutex
	m      map[string]Session
}

// NewSessions keeps at most max sessions (the oldest goes first) of ttl each.
func NewSessions(cookie string, ttl time.Duration, max int) *Sessions {
	return &Sessions{Cookie: cookie, ttl: ttl, max: max, m: map[string]Session{}}
}

// Create opens a session for who.
func (s *Sessions) Create(who string, now time.Time) (id string, sess Session) {
	id = RandomToken()
	sess = Session{Who: who, CSRF: RandomToken(), Expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.m) >= s.max {
		var oldest string
		for k, v := range s.m {
			if now.After(v.Expires) {
				delete(s.m, k)
			} else if oldest == "" || v.Expires.Before(s.m[oldest].Expires) {
				oldest = k
			}
		}
		if len(s.m) >= s.max {
			delete(s.m, oldest)
		}
	}
	s.m[id] = sess
	return id, sess
}

// Get returns the live session with id.
func (s *Sessions) Get(id string, now time.Time) (Session, bool) {
	if id == "" {
		return Session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok || now.After(v.Expires) {
		delete(s.m, id)
		return Session{}, false
	}
	return v, true
}

// Of returns the live session of a request's cookie.
func (s *Sessions) Of(c *fiber.Ctx, now time.Time) (Session, bool) {
	return s.Get(c.Cookies(s.Cookie), now)
}

// Drop ends a session.
func (s *Sessions) Drop(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// SetCookie gives the browser the session cookie: HttpOnly, SameSite=Strict
// (a foreign page cannot send it), Secure when the request came over TLS.
func (s *Sessions) SetCookie(c *fiber.Ctx, id string, sess Session) {
	c.Cookie(&fiber.Cookie{
		Name: s.Cookie, Value: id, Path: "/", Expires: sess.Expires,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: c.Protocol() == "https",
	})
}

// End drops the request's session and clears its cookie.
func (s *Sessions) End(c *fiber.Ctx) {
	s.Drop(c.Cookies(s.Cookie))
	c.Cookie(&fiber.Cookie{Name: s.Cookie, Value: "", Path: "/", Expires: time.Unix(1, 0),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode})
}

package kiosk

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/link"
)

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // the kernel's RNG does not fail on Linux ≥ 3.17
	}
	return hex.EncodeToString(b)
}

// session is one volunteer logged in on a tablet.
type session struct {
	Volunteer string
	CSRF      string
	Expires   time.Time
}

// sessions keeps volunteer sessions in memory: after a restart volunteers
// log in again, which is cheaper than persisting secrets.
type sessions struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]session
}

func newSessions(ttl time.Duration) *sessions {
	return &sessions{ttl: ttl, m: map[string]session{}}
}

func (s *sessions) create(volunteer string, now time.Time) (id string, sess session) {
	id = randomHex(32)
	sess = session{Volunteer: volunteer, CSRF: randomHex(32), Expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.m {
		if now.After(v.Expires) {
			delete(s.m, k)
		}
	}
	s.m[id] = sess
	return id, sess
}

func (s *sessions) get(id string, now time.Time) (session, bool) {
	if id == "" {
		return session{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.m[id]
	if !ok || now.After(v.Expires) {
		delete(s.m, id)
		return session{}, false
	}
	return v, true
}

func (s *sessions) drop(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
}

// lockout counts failed PIN attempts per client and overall: a 4-digit PIN
// falls to a patient attacker unless guesses are slowed for everyone.
type lockout struct {
	mu        sync.Mutex
	perClient map[string]*failures
	overall   failures
	// limits
	clientMax, overallMax int
	window, lockFor       time.Duration
}

type failures struct {
	n      int
	first  time.Time
	locked time.Time
}

func newLockout() *lockout {
	return &lockout{perClient: map[string]*failures{}, clientMax: 5, overallMax: 20, window: 10 * time.Minute, lockFor: 5 * time.Minute}
}

func (l *lockout) locked(client string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Before(l.overall.locked) {
		return true
	}
	f := l.perClient[client]
	return f != nil && now.Before(f.locked)
}

func (f *failures) add(now time.Time, max int, window, lockFor time.Duration) {
	if now.Sub(f.first) > window {
		f.n, f.first = 0, now
	}
	f.n++
	if f.n >= max {
		f.locked, f.n = now.Add(lockFor), 0
	}
}

func (l *lockout) fail(client string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.perClient[client]
	if f == nil {
		if len(l.perClient) > 10000 {
			l.perClient = map[string]*failures{}
		}
		f = &failures{}
		l.perClient[client] = f
	}
	f.add(now, l.clientMax, l.window, l.lockFor)
	l.overall.add(now, l.overallMax, l.window, time.Minute)
}

func (l *lockout) success(client string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.perClient, client)
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

// equalSecret compares a presented secret (PIN, CSRF token, kiosk token)
// with the expected one: link.SameSecret, the one constant-time compare
// of both programs (length hidden, empty never matches).
func equalSecret(a, b string) bool { return link.SameSecret(a, b) }

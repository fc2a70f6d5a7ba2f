package ward

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/store"
)

const (
	settingAdmin  = "admin"
	sessionCookie = "kyso_ward_session"
	sessionTTL    = 12 * time.Hour
	maxSessions   = 1000
	// Login throttling per client address: a short password-guessing
	// budget, then a pause.
	loginFailLimit  = 10
	loginFailWindow = 5 * time.Minute
)

// adminSecret is what the data directory keeps of the admin password.
type adminSecret struct {
	Algo string `json:"algo"` // pbkdf2-sha256
	Iter int    `json:"iter"`
	Salt []byte `json:"salt"`
	Hash []byte `json:"hash"`
}

type session struct {
	csrf    string
	expires time.Time
}

type failWindow struct {
	n     int
	start time.Time
}

// auth holds the admin password hash, the admin sessions and the login
// throttle.
type auth struct {
	mu       sync.Mutex
	secret   adminSecret
	quick    [32]byte // sha256(salt‖password) of the last password that verified
	hasQuick bool
	sessions map[string]session
	fails    map[string]*failWindow
	now      func() time.Time
}

func hashPassword(pw string, iter int) (adminSecret, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return adminSecret{}, err
	}
	h, err := pbkdf2.Key(sha256.New, pw, salt, iter, 32)
	if err != nil {
		return adminSecret{}, err
	}
	return adminSecret{Algo: "pbkdf2-sha256", Iter: iter, Salt: salt, Hash: h}, nil
}

// setupAdmin loads or creates the admin secret. A given password replaces
// the stored one (that is how an official resets it); with none given and
// none stored, one is generated and returned so it can be printed once.
func setupAdmin(st *store.Store, given string, iter int, now func() time.Time) (*auth, string, error) {
	a := &auth{sessions: map[string]session{}, fails: map[string]*failWindow{}, now: now}
	err := st.GetSetting(settingAdmin, &a.secret)
	stored := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, "", err
	}
	generated := ""
	switch {
	case given != "" && stored && a.verify(given):
		return a, "", nil
	case given == "" && stored:
		return a, "", nil
	case given == "":
		generated = rand.Text()[:16]
		given = generated
	}
	sec, err := hashPassword(given, iter)
	if err != nil {
		return nil, "", err
	}
	if err := st.PutSetting(settingAdmin, sec); err != nil {
		// A given --admin-password comes again at every start: on a full
		// disk use it now and store it later. A generated one must be
		// stored, or it would be lost with this process.
		if generated != "" || !errors.Is(err, store.ErrDiskFull) {
			return nil, "", err
		}
	}
	a.secret, a.hasQuick = sec, false
	return a, generated, nil
}

// verify checks a password. The PBKDF2 cost is paid once per password: the
// exports' HTTP Basic auth would otherwise pay it on every download.
func (a *auth) verify(pw string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := sha256.Sum256(append(append([]byte{}, a.secret.Salt...), pw...))
	if a.hasQuick && subtle.ConstantTimeCompare(q[:], a.quick[:]) == 1 {
		return true
	}
	if a.secret.Iter <= 0 || len(a.secret.Hash) == 0 {
		return false
	}
	h, err := pbkdf2.Key(sha256.New, pw, a.secret.Salt, a.secret.Iter, len(a.secret.Hash))
	if err != nil || subtle.ConstantTimeCompare(h, a.secret.Hash) != 1 {
		return false
	}
	a.quick, a.hasQuick = q, true
	return true
}

// allow reports whether addr may try a password now.
func (a *auth) allow(addr string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := a.fails[addr]
	if f == nil {
		return true
	}
	if a.now().Sub(f.start) > loginFailWindow {
		delete(a.fails, addr)
		return true
	}
	return f.n < loginFailLimit
}

func (a *auth) failed(addr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if len(a.fails) > 10_000 {
		for k, f := range a.fails {
			if now.Sub(f.start) > loginFailWindow {
				delete(a.fails, k)
			}
		}
	}
	f := a.fails[addr]
	if f == nil || now.Sub(f.start) > loginFailWindow {
		f = &failWindow{start: now}
		a.fails[addr] = f
	}
	f.n++
}

func (a *auth) succeeded(addr string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.fails, addr)
}

func (a *auth) newSession() (id string, s session) {
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.now()
	if len(a.sessions) >= maxSessions {
		var oldest string
		for k, v := range a.sessions {
			if v.expires.Before(now) {
				delete(a.sessions, k)
			} else if oldest == "" || v.expires.Before(a.sessions[oldest].expires) {
				oldest = k
			}
		}
		if len(a.sessions) >= maxSessions {
			delete(a.sessions, oldest)
		}
	}
	id = rand.Text() + rand.Text()
	s = session{csrf: rand.Text(), expires: now.Add(sessionTTL)}
	a.sessions[id] = s
	return id, s
}

func (a *auth) session(id string) (session, bool) {
	if id == "" {
		return session{}, false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s, ok := a.sessions[id]
	if !ok || a.now().After(s.expires) {
		delete(a.sessions, id)
		return session{}, false
	}
	return s, true
}

func (a *auth) endSession(id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	delete(a.sessions, id)
}

// sameSecret is link.SameSecret, the one constant-time compare of both
// programs: it hashes first, so a token's length does not leak, and an
// empty secret never matches.
func sameSecret(a, b string) bool { return link.SameSecret(a, b) }

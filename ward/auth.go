package ward

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/ward/store"
)

const (
	settingAdmin  = "admin"
	sessionCookie = "kyso_ward_session"
	sessionTTL    = 12 * time.Hour
	maxSessions   = 1000
	// Login throttling per client address: a short password-guessing
	// budget (attempts in flight count), then a pause.
	loginFailLimit  = 10
	loginFailWindow = 5 * time.Minute
	loginLockFor    = 5 * time.Minute
)

// adminSecret is what the data directory keeps of the admin password.
type adminSecret struct {
	Algo string `json:"algo"` // pbkdf2-sha256
	Iter int    `json:"iter"`
	Salt []byte `json:"salt"`
	Hash []byte `json:"hash"`
}

// auth holds the admin password hash, the admin sessions and the login
// throttle. The secret does not change after setupAdmin; no lock is held
// while a password is hashed.
type auth struct {
	secret   adminSecret
	quickMu  sync.Mutex
	quick    [32]byte // sha256(salt‖password) of the last password that verified
	hasQuick bool
	sessions *httpx.Sessions
	throttle *httpx.Throttle
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
	a := &auth{
		sessions: httpx.NewSessions(sessionCookie, sessionTTL, maxSessions),
		throttle: httpx.NewThrottle(loginFailLimit, loginFailWindow, loginLockFor),
		now:      now,
	}
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
// exports' HTTP Basic auth would otherwise pay it on every download. The
// hash runs outside any lock: a guessing storm must not stall a logged-in
// official (it did, 5.2 s, when hashing ran under the sessions' lock).
func (a *auth) verify(pw string) bool {
	if a.quickCheck(pw) {
		return true
	}
	q := sha256.Sum256(append(append([]byte{}, a.secret.Salt...), pw...))
	if a.secret.Iter <= 0 || len(a.secret.Hash) == 0 {
		return false
	}
	h, err := pbkdf2.Key(sha256.New, pw, a.secret.Salt, a.secret.Iter, len(a.secret.Hash))
	if err != nil || subtle.ConstantTimeCompare(h, a.secret.Hash) != 1 {
		return false
	}
	a.quickMu.Lock()
	a.quick, a.hasQuick = q, true
	a.quickMu.Unlock()
	return true
}

// quickCheck reports pw as the last password that verified (one SHA-256,
// no PBKDF2).
func (a *auth) quickCheck(pw string) bool {
	q := sha256.Sum256(append(append([]byte{}, a.secret.Salt...), pw...))
	a.quickMu.Lock()
	defer a.quickMu.Unlock()
	return a.hasQuick && subtle.ConstantTimeCompare(q[:], a.quick[:]) == 1
}

// check tries a user and password from client under the throttle: it
// refuses with httpx.ErrLocked or httpx.ErrBusy before hashing anything.
// The admin password that last verified is recognised without hashing, so
// scripts downloading exports with HTTP Basic are not bounded by the
// hashing slots; a locked client is refused even then. lookup finds a
// unit head's secret; the admin's is the auth's own.
func (a *auth) check(client, user, pw string, lookup func(string) (adminSecret, bool)) (bool, error) {
	now := a.now()
	if err := a.throttle.Locked(client, now); err != nil {
		return false, err
	}
	if user == adminLogin && a.quickCheck(pw) {
		a.throttle.Forget(client)
		return true, nil
	}
	done, err := a.throttle.Begin(client, now)
	if err != nil {
		return false, err
	}
	var ok bool
	switch {
	case user == adminLogin:
		// verify tries the cached hash first: a request that waited for
		// its turn behind the one that verified this password hashes nothing.
		ok = a.verify(pw)
	case lookup != nil:
		if sec, found := lookup(user); found {
			ok = sec.matches(pw)
		} else {
			// Pay the same cost for an unknown login: the time must not
			// tell which logins exist.
			_ = a.secret.matches(pw + "\x00")
		}
	}
	done(ok)
	return ok, nil
}

// matches checks pw against the secret (PBKDF2, no lock held).
func (sec adminSecret) matches(pw string) bool {
	if sec.Iter <= 0 || len(sec.Hash) == 0 {
		return false
	}
	h, err := pbkdf2.Key(sha256.New, pw, sec.Salt, sec.Iter, len(sec.Hash))
	return err == nil && subtle.ConstantTimeCompare(h, sec.Hash) == 1
}

// session returns the live admin session with id.
func (a *auth) session(id string) (httpx.Session, bool) { return a.sessions.Get(id, a.now()) }

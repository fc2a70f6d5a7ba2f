package ward

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/purge"
	"github.com/kyso-vn/kyso/ward/store"
)

// registry holds the kiosks the ward knows and their tokens, and hands new
// kiosks their identity through pairing codes (pairing.go).
type registry struct {
	store *store.Store
	log   *slog.Logger
	now   func() time.Time
	pair  *pairings
	// added hears of a kiosk registered or given a new token, after the
	// registry's lock is released (the fleet restarts its puller).
	added func(id string)

	mu     sync.RWMutex
	kiosks map[string]store.Kiosk
}

// load reads the stored kiosks and registers those of --kiosk.
func (r *registry) load(creds []KioskCred) error {
	ks, err := r.store.Kiosks()
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range ks {
		r.kiosks[k.ID] = k
	}
	for _, c := range creds {
		if k, ok := r.kiosks[c.ID]; ok && k.Token == c.Token {
			continue
		}
		k := store.Kiosk{ID: c.ID, Token: c.Token, Source: SourceFlag, AddedAt: r.now().UTC()}
		if err := r.store.PutKiosk(k); errors.Is(err, store.ErrDiskFull) {
			// --kiosk is given at every start: use it now, store it later.
			r.log.Warn("disk almost full: kiosk token from the command line used but not stored", "kiosk", c.ID)
		} else if err != nil {
			return err
		}
		r.kiosks[c.ID] = k
	}
	return nil
}

// NewToken returns a fresh kiosk token.
func NewToken() string { return rand.Text() + rand.Text() }

// AddKiosk registers a kiosk (or gives it a new token) and returns the
// token. The running service uses it at once.
func (r *registry) AddKiosk(id, source string) (string, error) {
	if !link.ValidKioskID(id) {
		return "", errBadKioskID
	}
	k := store.Kiosk{ID: id, Token: NewToken(), Source: source, AddedAt: r.now().UTC()}
	if err := r.store.PutKiosk(k); err != nil {
		return "", err
	}
	r.mu.Lock()
	r.kiosks[id] = k
	r.mu.Unlock()
	if r.added != nil {
		r.added(id)
	}
	r.log.Info("kiosk registered", "kiosk", id, "source", source)
	return k.Token, nil
}

// tokenFor is a registered kiosk's token.
func (r *registry) tokenFor(id string) (string, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	k, ok := r.kiosks[id]
	return k.Token, ok && k.Token != ""
}

// kioskByToken finds the kiosk a token belongs to, comparing with every
// registered token in constant time.
func (r *registry) kioskByToken(tok string) (string, bool) {
	if tok == "" {
		return "", false
	}
	r.mu.RLock()
	defer r.mu.RUnlock()
	found := ""
	for id, k := range r.kiosks {
		if link.SameSecret(tok, k.Token) {
			found = id
		}
	}
	return found, found != ""
}

// registered reports whether id is a registered kiosk.
func (r *registry) registered(id string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.kiosks[id]
	return ok
}

// ids lists the registered kiosks.
func (r *registry) ids() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, 0, len(r.kiosks))
	for id := range r.kiosks {
		out = append(out, id)
	}
	return out
}

// AddKioskOffline registers a kiosk in the data directory of a ward that
// is not running (`ward kiosk add ID`) and returns its new token.
// key is the --data-key of an encrypted store (nil for a plain one).
func AddKioskOffline(dataDir, id string, key []byte) (token string, replaced bool, err error) {
	if !link.ValidKioskID(id) {
		return "", false, fmt.Errorf("kiosk id %q: %s", id, link.KioskIDRule)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return "", false, err
	}
	st, err := purge.OpenStore(dataDir, purge.OfflineOptions(key))
	if err != nil {
		return "", false, err
	}
	defer st.Close()
	ks, err := st.Kiosks()
	if err != nil {
		return "", false, err
	}
	for _, k := range ks {
		replaced = replaced || k.ID == id
	}
	token = NewToken()
	err = st.PutKiosk(store.Kiosk{ID: id, Token: token, Source: "cli", AddedAt: time.Now().UTC()})
	return token, replaced, err
}

// ListKiosksOffline lists the kiosks registered in a ward's data directory
// while the ward is not running.
func ListKiosksOffline(dataDir string, key []byte) ([]string, error) {
	if !purge.HasStore(dataDir) {
		return nil, nil
	}
	st, err := purge.OpenStore(dataDir, purge.OfflineOptions(key))
	if err != nil {
		return nil, err
	}
	defer st.Close()
	ks, err := st.Kiosks()
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ks))
	for i, k := range ks {
		ids[i] = k.ID
	}
	return ids, nil
}

package ward

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/outreach"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/ward/tally"
	"github.com/kyso-vn/kyso/web/wardweb"
)

// TargetSource finds kiosks to pull from, e.g. an mDNS browser. Run calls
// it with the service's context; it reports kiosks through the service's
// AddPullTarget and RemovePullTarget and returns when ctx ends.
type TargetSource interface {
	Run(ctx context.Context, s *Service) error
}

// Service is one ward. Construct it with New, serve with Run (or Serve on
// a listener you made), and Close it after Run has returned.
type Service struct {
	cfg   Config
	log   *slog.Logger
	store *store.Store
	tally *tally.Tally
	auth  *auth
	met   *metrics
	tmpl  *template.Template
	app   *fiber.App

	generated string // admin password generated at first start, to print once

	// ingestMu serialises every ingest: the check for a held (kiosk, seq)
	// and the write that follows must not interleave with another.
	ingestMu sync.Mutex

	mu         sync.RWMutex
	plan       quota.Plan
	kiosks     map[string]store.Kiosk
	health     map[string]*kioskState
	quarantine []store.Quarantined
	qSeen      map[qKey]bool
	pulls      map[string]*puller
	uiPulls    []PullTarget
	runCtx     context.Context // set while Run runs: pullers added later start at once
	wg         sync.WaitGroup  // pullers and sources
	addr       net.Addr
	ready      chan struct{}

	pair *pairings

	// Outreach: rosters, statuses, sessions (outreach_wire.go).
	book  *outreach.Book
	users *users
	out   *outreachAPI

	// pseudo maps CCCDs to the keys the tally counts by: the CCCD itself
	// until `ward purge` made a salt, then its pseudonym (purge.go).
	pseudo pseudonymizer
}

type qKey struct {
	kiosk string
	seq   uint64
	hash  uint64
}

// kioskState is the ward's view of one kiosk's health.
type kioskState struct {
	store.Health
	pullURL    string
	pullSource string
	pullError  string
	pullErrAt  time.Time
	pullOK     time.Time
	lan        *LANState // what mDNS last said; nil when never seen on the LAN
}

// Settings names in the store.
const (
	settingPlan  = "plan"
	settingPulls = "pulls"
)

// New opens the store under cfg.Data, applies the configuration (quota
// files, kiosks, admin password) and rebuilds the counts.
func New(cfg Config) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, err
	}
	st, err := openStore(cfg.Data, store.Options{
		Logger: cfg.Logger, EncryptionKey: cfg.DataKey, MinFree: cfg.MinFreeBytes, Ballast: cfg.BallastBytes,
	})
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg: cfg, log: cfg.Logger, store: st, tally: tally.New(),
		kiosks: map[string]store.Kiosk{}, health: map[string]*kioskState{}, qSeen: map[qKey]bool{},
		pulls: map[string]*puller{}, ready: make(chan struct{}), pair: newPairings(),
	}
	if err := s.init(); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

func (s *Service) init() error {
	var err error
	s.tmpl, err = wardweb.Templates()
	if err != nil {
		return err
	}
	s.auth, s.generated, err = setupAdmin(s.store, s.cfg.AdminPassword, s.cfg.passwordIterations, s.cfg.Now)
	if err != nil {
		return fmt.Errorf("admin password: %w", err)
	}
	if s.pseudo, err = loadPseudonymizer(s.store); err != nil {
		return err
	}
	if err := s.loadPlan(); err != nil {
		return err
	}
	if err := s.loadKiosks(); err != nil {
		return err
	}
	if err := s.openOutreach(); err != nil {
		return err
	}
	if err := s.rebuild(); err != nil {
		return err
	}
	s.met = newMetrics(s)
	for _, p := range s.cfg.Pulls {
		p.Source = SourceFlag
		s.AddPullTarget(p)
	}
	for _, p := range s.uiPulls {
		s.AddPullTarget(p)
	}
	s.app = s.routes()
	return nil
}

func (s *Service) loadPlan() error {
	if err := s.store.GetSetting(settingPlan, &s.plan); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	changed := false
	if f := s.cfg.QuotasFile; f != "" {
		v, err := readFile(f, func(r *os.File) (quota.Villages, error) { return quota.ParseVillages(r, quota.DefaultRateBP) })
		if err != nil {
			return fmt.Errorf("--quotas %s: %w", f, err)
		}
		s.plan.Villages, changed = v, true
	}
	if f := s.cfg.AssociationsFile; f != "" {
		a, err := readFile(f, func(r *os.File) ([]quota.Association, error) { return quota.ParseAssociations(r) })
		if err != nil {
			return fmt.Errorf("--associations %s: %w", f, err)
		}
		s.plan.Associations, changed = a, true
	}
	if f := s.cfg.RoundsFile; f != "" {
		r, err := readFile(f, func(r *os.File) ([]quota.Round, error) { return quota.ParseRounds(r) })
		if err != nil {
			return fmt.Errorf("--rounds %s: %w", f, err)
		}
		s.plan.Rounds, changed = r, true
	}
	if s.cfg.Deadline != "" {
		s.plan.Deadline, _ = quota.ParseDate(s.cfg.Deadline)
		changed = true
	}
	if changed {
		err := s.store.PutSetting(settingPlan, s.plan)
		if errors.Is(err, store.ErrDiskFull) {
			// The flags are read again at every start, so the plan in
			// memory is what the next start would store: serve it, with
			// reads, rather than refuse to start on a full disk.
			s.log.Warn("disk almost full: the plan from the command line is used but not stored", "err", err)
			return nil
		}
		return err
	}
	return nil
}

func readFile[T any](path string, parse func(*os.File) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return parse(f)
}

func (s *Service) loadKiosks() error {
	ks, err := s.store.Kiosks()
	if err != nil {
		return err
	}
	for _, k := range ks {
		s.kiosks[k.ID] = k
	}
	for _, c := range s.cfg.Kiosks {
		if k, ok := s.kiosks[c.ID]; ok && k.Token == c.Token {
			continue
		}
		k := store.Kiosk{ID: c.ID, Token: c.Token, Source: SourceFlag, AddedAt: s.cfg.Now().UTC()}
		if err := s.store.PutKiosk(k); errors.Is(err, store.ErrDiskFull) {
			// --kiosk is given at every start: use it now, store it later.
			s.log.Warn("disk almost full: kiosk token from the command line used but not stored", "kiosk", c.ID)
		} else if err != nil {
			return err
		}
		s.kiosks[c.ID] = k
	}
	if err := s.store.GetSetting(settingPulls, &s.uiPulls); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// rebuild indexes every stored record, the quarantine and kiosk health.
func (s *Service) rebuild() error {
	start := time.Now()
	batch := make([]tally.Item, 0, 1024)
	err := s.store.EachRecord(func(st store.Stored) error {
		s.noteOutcome(&st.Record, &st)
		batch = append(batch, s.pseudo.storedItem(&st))
		if len(batch) == cap(batch) {
			s.tally.Add(batch...)
			batch = batch[:0]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading records: %w", err)
	}
	s.tally.Add(batch...)
	q, err := s.store.Quarantine()
	if err != nil {
		return err
	}
	s.quarantine = q
	for _, x := range q {
		s.qSeen[qKey{x.KioskID, x.Seq, x.Hash}] = true
	}
	hs, err := s.store.Healths()
	if err != nil {
		return err
	}
	for _, h := range hs {
		s.health[h.KioskID] = &kioskState{Health: h}
	}
	s.log.Info("ward store opened", "records", s.tally.Len(), "quarantined", len(q), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// contentHash identifies canonical record bytes.
func contentHash(canonical []byte) uint64 {
	h := sha256.Sum256(canonical)
	return binary.BigEndian.Uint64(h[:8])
}

// GeneratedPassword is the admin password generated at this start, or ""
// when one was given or already stored. Print it once.
func (s *Service) GeneratedPassword() string { return s.generated }

// Close closes the store. Call it after Run has returned.
func (s *Service) Close() error { return s.store.Close() }

// Run listens on cfg.Listen and serves until ctx ends.
func (s *Service) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return err
	}
	return s.Serve(ctx, ln)
}

// Addr is the address being served. It waits for Serve to start.
func (s *Service) Addr() net.Addr {
	<-s.ready
	return s.addr
}

// Ready is closed when the service accepts connections.
func (s *Service) Ready() <-chan struct{} { return s.ready }

// Serve serves on ln until ctx ends, with the pullers, the target sources
// and the value-log GC; then it shuts the HTTP server down gracefully and
// waits for all of them.
func (s *Service) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.mu.Lock()
	if s.runCtx != nil {
		s.mu.Unlock()
		ln.Close()
		return errors.New("ward: Serve called twice")
	}
	s.runCtx = ctx
	s.addr = ln.Addr()
	for _, p := range s.pulls {
		s.startPuller(p)
	}
	s.mu.Unlock()
	for _, src := range s.cfg.Sources {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := src.Run(ctx, s); err != nil && ctx.Err() == nil {
				s.log.Error("pull target source stopped", "err", err)
			}
		}()
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = s.store.RunGC(ctx, 5*time.Minute)
	}()

	errc := make(chan error, 1)
	go func() { errc <- s.app.Listener(httpx.LingerListener(ln, lingerTime, lingerBytes)) }()
	close(s.ready)
	s.log.Info("ward serving", "addr", ln.Addr().String(), "version", s.cfg.Version)
	var err error
	select {
	case <-ctx.Done():
		err = s.app.ShutdownWithTimeout(10 * time.Second)
		// Shutdown only stops a server that has begun serving: when ctx
		// ended before the Listener goroutine got there, closing the
		// listener is what makes it return.
		_ = ln.Close()
		<-errc
	case err = <-errc:
	}
	cancel()
	s.wg.Wait()
	s.log.Info("ward stopped", "err", err)
	return err
}

// AddPullTarget starts (or redirects) pulling from a kiosk. A target from
// --pull or the dashboard is not replaced by one found by mDNS.
func (s *Service) AddPullTarget(t PullTarget) {
	u, err := normalizeURL(t.URL)
	if err != nil || !link.ValidKioskID(t.KioskID) {
		s.log.Warn("pull target ignored", "kiosk", t.KioskID, "url", t.URL)
		return
	}
	t.URL = u
	if t.Source == "" {
		t.Source = SourceMDNS
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p, ok := s.pulls[t.KioskID]; ok {
		if p.target.URL == t.URL || (t.Source == SourceMDNS && p.target.Source != SourceMDNS) {
			return
		}
		p.cancel()
		delete(s.pulls, t.KioskID)
	}
	p := &puller{target: t, cancel: func() {}}
	s.pulls[t.KioskID] = p
	h := s.healthLocked(t.KioskID)
	h.pullURL, h.pullSource, h.pullError = t.URL, t.Source, ""
	if s.runCtx != nil {
		s.startPuller(p)
	}
}

// RemovePullTarget stops pulling from a kiosk, when its current target
// came from source ("" removes whatever it is).
func (s *Service) RemovePullTarget(kioskID, source string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pulls[kioskID]
	if !ok || (source != "" && p.target.Source != source) {
		return
	}
	p.cancel()
	delete(s.pulls, kioskID)
	if h := s.health[kioskID]; h != nil {
		h.pullURL, h.pullSource = "", ""
	}
}

// PullTargets lists the current pull targets.
func (s *Service) PullTargets() []PullTarget {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]PullTarget, 0, len(s.pulls))
	for _, p := range s.pulls {
		out = append(out, p.target)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].KioskID < out[j].KioskID })
	return out
}

func (s *Service) healthLocked(id string) *kioskState {
	h := s.health[id]
	if h == nil {
		h = &kioskState{Health: store.Health{KioskID: id}}
		s.health[id] = h
	}
	return h
}

// NewToken returns a fresh kiosk token.
func NewToken() string { return rand.Text() + rand.Text() }

// AddKiosk registers a kiosk (or gives it a new token) and returns the
// token. The running service uses it at once.
func (s *Service) AddKiosk(id, source string) (string, error) {
	if !link.ValidKioskID(id) {
		return "", errBadKioskID
	}
	k := store.Kiosk{ID: id, Token: NewToken(), Source: source, AddedAt: s.cfg.Now().UTC()}
	if err := s.store.PutKiosk(k); err != nil {
		return "", err
	}
	s.mu.Lock()
	s.kiosks[id] = k
	// A kiosk already seen on the LAN (or given a pull target) was being
	// pulled in vain, backing off for minutes: start again now, with the
	// token.
	if p, ok := s.pulls[id]; ok && s.runCtx != nil {
		p.cancel()
		np := &puller{target: p.target, cancel: func() {}}
		s.pulls[id] = np
		s.healthLocked(id).pullError = ""
		s.startPuller(np)
	}
	s.mu.Unlock()
	s.log.Info("kiosk registered", "kiosk", id, "source", source)
	return k.Token, nil
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
	st, err := openStore(dataDir, offlineOptions(key))
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

// tokenFor is the batch-file key lookup.
func (s *Service) tokenFor(id string) (string, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	k, ok := s.kiosks[id]
	return k.Token, ok
}

// Plan returns the current plan.
func (s *Service) Plan() quota.Plan {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.plan
}

// updatePlan changes the plan durably.
func (s *Service) updatePlan(change func(*quota.Plan)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.plan
	change(&p)
	if err := s.store.PutSetting(settingPlan, p); err != nil {
		return err
	}
	s.plan = p
	return nil
}

// Progress computes the public progress document.
func (s *Service) Progress() tally.Progress {
	now := s.cfg.Now()
	p := tally.Compute(s.Plan(), s.tally.Snapshot(now, s.cfg.RecentDays), now)
	if s.book != nil {
		v, a := s.book.ConfirmedCounts()
		p.SetConfirmed(v, a)
	}
	return p
}

// ListKiosksOffline lists the kiosks registered in a ward's data directory
// while the ward is not running.
func ListKiosksOffline(dataDir string, key []byte) ([]string, error) {
	if _, err := os.Stat(filepath.Join(dataDir, "store")); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	st, err := openStore(dataDir, offlineOptions(key))
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

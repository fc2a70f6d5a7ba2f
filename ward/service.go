package ward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/ward/outreach"
	"github.com/kyso-vn/kyso/ward/purge"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/ward/tally"
	"github.com/kyso-vn/kyso/web/wardweb"
)

// TargetSource finds kiosks to pull from, e.g. an mDNS browser. Run calls
// it with the service's context; it reports what it sees through the
// service's Sighted and returns when ctx ends.
type TargetSource interface {
	Run(ctx context.Context, s *Service) error
}

// Service is one ward, and the composition root of its parts: the ledger
// (the only writer of records and the counts), the registry (kiosks,
// tokens, pairing), the fleet (health, LAN sightings, pullers), the
// campaign (plan and progress), the outreach book, and the HTTP layer (api,
// pages, the gate; routes.go). Construct it with New, serve with Run (or
// Serve on a listener you made), and Close it after Run has returned.
type Service struct {
	cfg   Config
	log   *slog.Logger
	store *store.Store
	met   *metrics

	led   *ledger
	reg   *registry
	fleet *fleet
	camp  *campaign

	auth  *auth
	gate  *gate
	api   *api
	pages *pages
	app   *fiber.App

	generated string // admin password generated at first start, to print once

	// Outreach: rosters, statuses, sessions (outreach_wire.go).
	book  *outreach.Book
	users *users
	out   *outreachAPI

	off *office // the commune office's tools (office.go)

	serving atomic.Bool
	addr    net.Addr
	ready   chan struct{}
	wg      sync.WaitGroup // target sources and the value-log GC
}

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
	st, err := purge.OpenStore(cfg.Data, store.Options{
		Logger: cfg.Logger, EncryptionKey: cfg.DataKey, MinFree: cfg.MinFreeBytes, Ballast: cfg.BallastBytes,
	})
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: cfg.Logger, store: st, ready: make(chan struct{})}
	if err := s.init(); err != nil {
		st.Close()
		return nil, err
	}
	return s, nil
}

// init wires the parts and loads them from the store.
func (s *Service) init() error {
	cfg, st := s.cfg, s.store
	pseudo, err := purge.LoadPseudonyms(st)
	if err != nil {
		return err
	}
	t := tally.New()
	s.led = &ledger{store: st, tally: t, pseudo: pseudo, log: s.log, now: cfg.Now, qSeen: map[qKey]bool{}}
	s.met = newMetrics(s.led, cfg.Now)
	s.led.met = s.met
	s.reg = &registry{store: st, log: s.log, now: cfg.Now, pair: newPairings(), kiosks: map[string]store.Kiosk{}}
	s.fleet = &fleet{cfg: cfg, log: s.log, met: s.met, store: st, led: s.led, reg: s.reg,
		health: map[string]*kioskState{}, pulls: map[string]*puller{}}
	s.camp = &campaign{store: st, tally: t, log: s.log, now: cfg.Now, recentDays: cfg.RecentDays}
	s.led.tokens, s.led.contacts, s.led.outcome = s.reg.tokenFor, s.fleet, s.noteOutcome
	s.reg.added = s.fleet.registered

	tmpl, err := wardweb.Templates()
	if err != nil {
		return err
	}
	s.auth, s.generated, err = setupAdmin(st, cfg.AdminPassword, cfg.passwordIterations, cfg.Now)
	if err != nil {
		return fmt.Errorf("admin password: %w", err)
	}
	if err := s.camp.load(cfg); err != nil {
		return err
	}
	if err := s.reg.load(cfg.Kiosks); err != nil {
		return err
	}
	if err := s.openOutreach(); err != nil {
		return err
	}
	s.camp.book = s.book
	if err := s.led.rebuild(); err != nil {
		return err
	}
	if err := s.fleet.load(cfg.Pulls); err != nil {
		return err
	}

	s.gate = &gate{auth: s.auth, users: s.users, log: s.log, now: cfg.Now}
	s.api = &api{cfg: cfg, log: s.log, led: s.led, reg: s.reg, fleet: s.fleet, camp: s.camp, gate: s.gate,
		unverified: httpx.NewBudget(maxBody)}
	s.pages = &pages{cfg: cfg, log: s.log, tmpl: tmpl, led: s.led, reg: s.reg, fleet: s.fleet, camp: s.camp, gate: s.gate}
	s.app = s.routes()
	return nil
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

// Sighted hands what the LAN browser saw of a kiosk to the fleet (see
// fleet.Sighted): target sources report through it.
func (s *Service) Sighted(x Sighting) { s.fleet.Sighted(x) }

// Serve serves on ln until ctx ends, with the pullers, the target sources
// and the value-log GC; then it shuts the HTTP server down gracefully and
// waits for all of them.
func (s *Service) Serve(ctx context.Context, ln net.Listener) error {
	if !s.serving.CompareAndSwap(false, true) {
		ln.Close()
		return errors.New("ward: Serve called twice")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.addr = ln.Addr()
	s.fleet.start(ctx)
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
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		trimMemory(ctx)
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
	s.fleet.wait()
	s.log.Info("ward stopped", "err", err)
	return err
}

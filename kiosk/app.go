package kiosk

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/discovery"
	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/internal/keyfile"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/web"
)

// Clock is what the kiosk needs from package clock: a stamp with its
// source, and the times other devices report.
type Clock interface {
	Now() (time.Time, string)
	ObserveWard(wardTime time.Time, rtt time.Duration)
	ObserveTablet(deviceTime time.Time)
}

// maxBody bounds every request body, after decoding (none is decoded).
const maxBody = 64 << 10

// ErrRestart is what Run returns after a successful pairing: the caller
// starts the process again so that every part sees the new identity.
var ErrRestart = errors.New("kiosk: restart requested after pairing")

// deps is what the handler groups share. Each group holds a pointer to it;
// none of them holds another group or the App (no cycles).
type deps struct {
	cfg      Config
	q        *queue.Queue
	clock    Clock
	log      *slog.Logger
	metrics  *metrics
	board    *boardState
	sessions *httpx.Sessions
	claims   *deskClaims
	deltas   *deltaLog
	sync     func() SyncStatus // the forwarder's view, or the queue's counts
	inv      *invitations      // today's invited households (empty when not paired)
	findWard func() string     // a ward found on the LAN, for pairing; may be nil
	paired   func()            // asks the App to restart; may be nil
}

// stamp returns the time to record and which clock gave it.
func (d *deps) stamp() (time.Time, string) {
	t, src := d.clock.Now()
	if src == "" {
		src = record.ClockKiosk
	}
	return t, src
}

func (d *deps) now() time.Time { t, _ := d.clock.Now(); return t }

// isPaired reports whether the kiosk can talk to a ward.
func (d *deps) isPaired() bool { return d.cfg.Token != "" }

// App is one kiosk: the queue, the HTTP face, the forwarder to the ward,
// mDNS, backups and GC. New opens it; Run serves until ctx ends.
type App struct {
	cfg   Config
	log   *slog.Logger
	q     *queue.Queue
	clock *clock.Clock
	d     *deps
	http  *fiber.App
	fwd   *Forwarder // nil until paired
	fix   *repairer  // takes the log back from the ward after damage
	wards *discovery.Browser
	find  *WardFinder
	adv   atomic.Pointer[discovery.Advertiser]

	backupNow chan struct{}
	restart   atomic.Bool
	stopRun   atomic.Pointer[context.CancelFunc]
	ready     chan struct{}
}

// New opens the kiosk's store under cfg.Data and builds every part. The
// config must be validated; cfg.PIN must be set (EnsurePIN). Close the App
// after Run has returned.
func New(cfg Config) (*App, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	if cfg.PIN == "" {
		return nil, errors.New("kiosk: no volunteer PIN (EnsurePIN)")
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, err
	}
	key, err := keyfile.Read(cfg.DataKeyFile)
	if err != nil {
		return nil, err
	}
	tmpl, err := web.Templates()
	if err != nil {
		return nil, err
	}
	a := &App{cfg: cfg, log: log, clock: clock.New(cfg.BuildTime, time.Now), backupNow: make(chan struct{}, 1), ready: make(chan struct{})}
	qopts := queue.Options{
		Dir: filepath.Join(cfg.Data, "store"), KioskID: cfg.ID, Desks: cfg.Desks, Clock: a.clock,
		EncryptionKey: key, Logger: log, BallastBytes: cfg.BallastBytes, OnChange: a.changed,
	}
	a.q, err = queue.Open(qopts)
	if errors.Is(err, queue.ErrDamaged) {
		// A damaged SD card: never serve from it. The queue goes on from a
		// fresh store (started from the last good backup) and the repairer
		// takes the log back from the ward (repair.go).
		log.Error("the store is damaged: it is moved aside and rebuilt; the log comes back from the ward", "err", err)
		a.q, err = queue.Rebuild(qopts, err, BackupDir(cfg.Data), time.Now())
	}
	if err != nil {
		return nil, err
	}
	d := &deps{cfg: cfg, q: a.q, clock: a.clock, log: log, sessions: newSessions(),
		claims: newDeskClaims(cfg.Desks, deskIdle), deltas: newDeltaLog()}
	d.board = newBoardState(cfg, a.q, a.clock, log)
	d.metrics = newMetrics(a.q, d.board.broker)
	a.d = d

	wardURL := func() string { return cfg.WardURL }
	if cfg.MDNS {
		a.wards = discovery.NewBrowser(discovery.BrowserConfig{Type: discovery.WardService, Interfaces: cfg.MDNSIfaces, Logger: log})
		a.find = &WardFinder{KioskID: cfg.ID, Token: cfg.Token, Candidates: func() []string {
			if p, ok := discovery.PickWard(a.wards.Peers()); ok {
				return []string{p.URL()}
			}
			return nil
		}}
		d.findWard = a.find.First
		if cfg.WardURL == "" {
			wardURL = a.find.URL
		}
	}
	d.sync = func() SyncStatus {
		head, acked := a.q.Log().HeadSeq(), a.q.Log().AckedSeq()
		return SyncStatus{HeadSeq: head, AckedSeq: acked, Unsent: head - acked}
	}
	if cfg.Token != "" {
		a.fwd = &Forwarder{
			WardURL: wardURL, Token: cfg.Token, KioskID: cfg.ID, Version: cfg.Version,
			Src: a.q.Log(), Clock: a.clock, Log: log, MaxDelay: cfg.SyncMaxDelay,
			Info: d.board, Pushes: d.metrics,
		}
		d.sync = a.fwd.Status
	}
	// The ward as tonight's invitations and the store's repair reach it
	// (nil until paired).
	ward := func() *link.WardClient {
		if cfg.Token == "" {
			return nil
		}
		return &link.WardClient{URL: wardURL(), KioskID: cfg.ID, Token: cfg.Token, Version: cfg.Version}
	}
	d.inv = newInvitations(cfg.Token, cfg.Village, ward, log, d.board.changed)
	a.fix = &repairer{log: a.q.Log(), logger: log, changed: d.board.changed, now: time.Now, ward: ward}
	d.board.mu.Lock()
	d.board.tonight = d.inv.counts
	d.board.alert = a.fix.alert
	d.board.mu.Unlock()
	d.paired = a.requestRestart
	a.http = newHTTP(d, tmpl)
	return a, nil
}

// changed is the queue's OnChange: cheap and non-blocking.
func (a *App) changed() {
	if a.d != nil {
		a.d.board.changed()
	}
	if a.fwd != nil {
		a.fwd.Wake()
	}
	if adv := a.adv.Load(); adv != nil && a.q != nil {
		adv.SetSeq(a.q.Log().HeadSeq())
	}
}

func (a *App) requestRestart() {
	a.restart.Store(true)
	if stop := a.stopRun.Load(); stop != nil {
		(*stop)()
	}
}

// BackupNow asks the running kiosk for a fresh backup (`kiosk backup`
// sends SIGUSR1; cmd/kiosk calls this).
func (a *App) BackupNow() {
	select {
	case a.backupNow <- struct{}{}:
	default:
	}
}

// Close closes the store. Call it after Run has returned.
func (a *App) Close() error { return a.q.Close() }

// Run listens on cfg.Listen and serves until ctx ends.
func (a *App) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", a.cfg.Listen)
	if err != nil {
		return err
	}
	return a.Serve(ctx, ln)
}

// Serve serves on ln, with the background parts (mDNS, forwarder, GC,
// backups), until ctx ends or a pairing asks for a restart (ErrRestart).
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a.stopRun.Store(&cancel)
	close(a.ready)
	a.log.Info("kiosk listening", "addr", ln.Addr().String(), "id", a.cfg.ID, "version", a.cfg.Version,
		"board", a.cfg.PublicURL+"/", "join", a.cfg.PublicURL+"/join", "volunteer", a.cfg.PublicURL+"/volunteer")
	pidFile := filepath.Join(a.cfg.Data, "kiosk.pid")
	if err := os.WriteFile(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600); err != nil {
		ln.Close()
		return err
	}
	defer os.Remove(pidFile)

	parts := []func(context.Context) error{
		a.d.board.publishLoop,
		a.fix.Run,
		func(ctx context.Context) error { return a.q.RunGC(ctx, 10*time.Minute) },
		func(ctx context.Context) error {
			return RunBackups(ctx, a.q, a.cfg.Data, a.cfg.BackupKeep, a.backupNow, a.log)
		},
	}
	if a.cfg.MDNS {
		_, portStr, _ := net.SplitHostPort(ln.Addr().String())
		port, _ := strconv.Atoi(portStr)
		adv := discovery.NewAdvertiser(discovery.AdvertiserConfig{
			Service:    discovery.Service{Name: a.cfg.Name, ID: a.cfg.ID, Village: a.cfg.Village, Version: a.cfg.Version, API: "/api/v1", Port: port, Seq: a.q.Log().HeadSeq()},
			Interfaces: a.cfg.MDNSIfaces, Logger: a.log,
		})
		a.adv.Store(adv)
		parts = append(parts, adv.Run, a.wards.Run)
	}
	if a.fwd != nil {
		parts = append(parts, a.fwd.Run, a.d.inv.Run)
	}
	err := RunAll(ctx, a.log, func(ctx context.Context) error {
		return serveHTTP(ctx, a.http, ln, a.log, a.d.board.broker.close, a.d.deltas.close)
	}, parts...)
	if a.restart.Load() {
		return ErrRestart
	}
	return err
}

// serveHTTP serves on ln until ctx ends, then shuts down within a grace
// period, closing live streams first (Fiber would wait on them forever).
func serveHTTP(ctx context.Context, app *fiber.App, ln net.Listener, log *slog.Logger, closeStreams ...func()) error {
	errc := make(chan error, 1)
	// Refused requests (413, 415 before the body is read) close lingering, so a
	// phone still sending reads the Vietnamese answer instead of a reset.
	go func() { errc <- app.Listener(httpx.LingerListener(ln, 10*time.Second, 1<<20)) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	for _, c := range closeStreams {
		c()
	}
	err := app.ShutdownWithTimeout(5 * time.Second)
	if errors.Is(err, context.DeadlineExceeded) {
		// Every acknowledged write is already on disk; a client that keeps a
		// connection busy past the grace period must not fail the stop.
		log.Warn("shutdown grace period over; closing remaining connections")
		err = nil
	}
	// A stop that comes as the server starts finds no listener to close
	// yet (Shutdown knows only a serving one): close it here, so Listener
	// returns instead of serving on.
	_ = ln.Close()
	if lerr := <-errc; lerr != nil && err == nil && !errors.Is(lerr, net.ErrClosed) {
		err = lerr
	}
	return err
}

// newHTTP builds the Fiber app with every route (routes.go).
func newHTTP(d *deps, tmpl *template.Template) *fiber.App {
	app := httpx.New(httpx.Config{
		Name: "kyso-kiosk",
		// Everything a phone or tablet sends is small JSON; nothing is
		// compressed; nothing is large.
		Limits:         httpx.Limits{Default: maxBody},
		Headers:        httpx.Headers{CSP: csp, NoStorePrefix: "/api/"},
		Errors:         kioskErrors(d.log),
		ReadTimeout:    30 * time.Second,
		IdleTimeout:    120 * time.Second,
		ReadBufferSize: 8192,
	})
	routes(app, d, tmpl)
	return app
}

// EnsurePIN fills cfg.PIN: the configured one, or the one stored in the
// data dir, or a new one stored there. A new PIN is printed to out once —
// never shown on the TV.
func EnsurePIN(cfg *Config, out io.Writer) error {
	if cfg.PIN != "" {
		return nil
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return err
	}
	path := filepath.Join(cfg.Data, "volunteer-pin")
	if b, err := os.ReadFile(path); err == nil {
		cfg.PIN = strings.TrimSpace(string(b))
		fmt.Fprintf(out, "Volunteer PIN: stored in %s\n", path)
		return nil
	}
	pin := NewPIN()
	if err := os.WriteFile(path, []byte(pin+"\n"), 0o600); err != nil {
		return fmt.Errorf("store PIN: %w", err)
	}
	cfg.PIN = pin
	fmt.Fprintf(out, "Mã PIN tình nguyện viên / volunteer PIN: %s  (shown once; kept in %s)\n", pin, path)
	return nil
}

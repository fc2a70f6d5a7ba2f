package kiosk

import (
	"context"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"math"
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/internal/httpx"
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

// Server is the kiosk's HTTP face.
type Server struct {
	cfg      Config
	q        *queue.Queue
	clock    Clock
	log      *slog.Logger
	app      *fiber.App
	tmpl     *template.Template
	broker   *broker
	sessions *httpx.Sessions
	pins     *httpx.Throttle
	joins    *limiter
	logins   *limiter
	qr       *qrCache
	metrics  *metrics
	nonces   *nonces
	notify   chan struct{} // coalesced "the queue changed"
	fwd      *Forwarder

	wardMu   sync.Mutex
	wardInfo wardInfo

	onPaired func()
	findWard func() string // a ward found on the LAN, for pairing and forwarding
}

// SetWardFinder lets the kiosk use a ward found by mDNS.
func (s *Server) SetWardFinder(fn func() string) { s.findWard = fn }

// wardInfo is what the kiosk learned from the ward: villages and quotas.
type wardInfo struct {
	Villages     []string        `json:"villages"`
	Associations []string        `json:"associations"`
	Progress     []villageTarget `json:"progress"`
	At           time.Time       `json:"at"`
}

type villageTarget struct {
	Name   string  `json:"name"`
	Target int     `json:"target"`
	Before int     `json:"before"`
	Have   int     `json:"have"`
	Pct    float64 `json:"percent"`
}

// New builds the server around an open queue. The queue's OnChange must
// call s.Changed (cmd/kiosk wires it).
func New(cfg Config, q *queue.Queue, clk Clock, log *slog.Logger) (*Server, error) {
	tmpl, err := web.Templates()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg: cfg, q: q, clock: clk, log: log, tmpl: tmpl,
		broker: newBroker(), sessions: newSessions(), pins: newPINThrottle(),
		joins: newLimiter(cfg.JoinLimit), logins: newLimiter(20), qr: newQRCache(),
		notify: make(chan struct{}, 1), nonces: newNonces(),
	}
	s.metrics = newMetrics(s)
	s.loadWardInfo()
	s.app = httpx.New(httpx.Config{
		Name: "kyso-kiosk",
		// Everything a phone or tablet sends is small JSON; nothing is
		// compressed; nothing is large.
		Limits:         httpx.Limits{Default: maxBody},
		Headers:        httpx.Headers{CSP: csp, NoStorePrefix: "/api/"},
		Errors:         kioskErrors(log),
		ReadTimeout:    30 * time.Second,
		IdleTimeout:    120 * time.Second,
		ReadBufferSize: 8192,
	})
	s.routes()
	return s, nil
}

// App exposes the Fiber app (tests use it for in-process checks).
func (s *Server) App() *fiber.App { return s.app }

// Changed tells the server the queue changed; cheap and non-blocking.
func (s *Server) Changed() {
	select {
	case s.notify <- struct{}{}:
	default:
	}
	if s.fwd != nil {
		s.fwd.Wake()
	}
}

// board is the public state on the TV: numbers, counts, no personal data.
type board struct {
	KioskID string `json:"kiosk_id"`
	Name    string `json:"name"`
	Village string `json:"village"`
	queue.Snapshot
	Progress boardProgress `json:"progress"`
	HasWifi  bool          `json:"has_wifi"`
	Time     time.Time     `json:"time"`
}

type boardProgress struct {
	Village   string  `json:"village"`
	Activated int     `json:"activated"`
	Target    int     `json:"target"`
	Before    int     `json:"before"`
	Have      int     `json:"have"`
	Percent   float64 `json:"percent"`
}

func (s *Server) board() board {
	snap := s.q.Snapshot()
	now, _ := s.clock.Now()
	b := board{KioskID: s.cfg.ID, Name: s.cfg.Name, Village: s.cfg.Village, Snapshot: snap, HasWifi: s.cfg.WifiSSID != "", Time: now.UTC()}
	b.Progress = boardProgress{Village: s.cfg.Village, Activated: snap.ActivatedTotal}
	s.wardMu.Lock()
	for _, v := range s.wardInfo.Progress {
		if v.Name == s.cfg.Village && v.Target > 0 {
			b.Progress.Target, b.Progress.Before = v.Target, v.Before
			// The ward's count already holds what it received from us; add only what it lacks.
			b.Progress.Have = max(v.Have, v.Before+snap.ActivatedTotal)
			b.Progress.Percent = math.Round(1000*float64(b.Progress.Have)/float64(v.Target)) / 10 // as the ward rounds
		}
	}
	s.wardMu.Unlock()
	return b
}

func (s *Server) boardJSON() []byte {
	b, err := json.Marshal(s.board())
	if err != nil {
		panic(err) // plain data only
	}
	return b
}

// Run serves on ln until ctx ends, then shuts down within timeout, closing
// live streams first (Fiber would wait on them forever).
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		s.publishLoop(ctx)
	}()
	errc := make(chan error, 1)
	// Refused requests (413, 415 before the body is read) close lingering, so a
	// phone still sending reads the Vietnamese answer instead of a reset.
	go func() { errc <- s.app.Listener(httpx.LingerListener(ln, 10*time.Second, 1<<20)) }()
	select {
	case err := <-errc:
		cancel()
		wg.Wait()
		return err
	case <-ctx.Done():
	}
	s.broker.close()
	err := s.app.ShutdownWithTimeout(5 * time.Second)
	if errors.Is(err, context.DeadlineExceeded) {
		// Every acknowledged write is already on disk; a client that keeps a
		// connection busy past the grace period must not fail the stop.
		s.log.Warn("shutdown grace period over; closing remaining connections")
		err = nil
	}
	wg.Wait()
	if lerr := <-errc; lerr != nil && err == nil && !errors.Is(lerr, net.ErrClosed) {
		err = lerr
	}
	return err
}

// publishLoop rebuilds the board after changes, at most every 50 ms, and
// fans it out. Coalescing keeps a burst of joins from flooding 1,000 phones.
func (s *Server) publishLoop(ctx context.Context) {
	tick := time.NewTicker(30 * time.Second) // refresh time-derived fields
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.notify:
		case <-tick.C:
		}
		s.broker.publish(s.boardJSON())
		s.metrics.update()
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// knownVillages is what the join form offers.
func (s *Server) knownVillages() (villages, associations []string) {
	s.wardMu.Lock()
	defer s.wardMu.Unlock()
	villages = append(villages, s.wardInfo.Villages...)
	if len(villages) == 0 && s.cfg.Village != "" {
		villages = []string{s.cfg.Village}
	}
	associations = append(associations, s.wardInfo.Associations...)
	if len(associations) == 0 {
		associations = defaultAssociations
	}
	return villages, associations
}

// The mass organisations named in the campaign plans.
var defaultAssociations = []string{
	"Hội Cựu chiến binh", "Hội Phụ nữ", "Hội Nông dân", "Đoàn Thanh niên", "Hội Người cao tuổi", "Mặt trận Tổ quốc",
}

// stamp returns the time to record and which clock gave it.
func (s *Server) stamp() (time.Time, string) {
	t, src := s.clock.Now()
	if src == "" {
		src = record.ClockKiosk
	}
	return t, src
}

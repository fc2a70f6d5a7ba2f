package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grandcat/zeroconf"
)

// Defaults for AdvertiserConfig.
const (
	DefaultPollInterval = 5 * time.Second
	DefaultSeqInterval  = 30 * time.Second
)

// AdvertiserConfig says what to announce and where.
type AdvertiserConfig struct {
	// Type is the DNS-SD service type; KioskService when empty.
	Type    string
	Service Service
	// Interfaces are the names from --mdns-iface; empty means the default
	// rule (see Interfaces).
	Interfaces []string
	// HostName is the SRV target; HostName(Type, Service.ID) when empty.
	HostName string
	// PollInterval is how often interfaces and addresses are checked
	// (default 5 s).
	PollInterval time.Duration
	// SeqInterval is the least time between two re-registrations made only
	// to publish a new head seq (default 30 s). Each one is a goodbye and a
	// fresh announcement, so this bounds the churn during a busy evening.
	SeqInterval time.Duration
	Logger      *slog.Logger
}

var serviceTypeRE = regexp.MustCompile(`^_[a-z0-9]([a-z0-9-]{0,13}[a-z0-9])?\._(tcp|udp)$`)

func (c AdvertiserConfig) withDefaults() AdvertiserConfig {
	if c.Type == "" {
		c.Type = KioskService
	}
	if c.HostName == "" {
		c.HostName = HostName(c.Type, c.Service.ID)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.SeqInterval <= 0 {
		c.SeqInterval = DefaultSeqInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports configuration errors; Run calls it too.
func (c AdvertiserConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if !serviceTypeRE.MatchString(c.Type) {
		errs = append(errs, fmt.Errorf("discovery: service type %q is not _name._tcp", c.Type))
	}
	if err := c.Service.Validate(c.Type); err != nil {
		errs = append(errs, err)
	}
	if err := checkNames(c.Interfaces); err != nil {
		errs = append(errs, err)
	}
	if !strings.HasSuffix(c.HostName, "."+domain) {
		errs = append(errs, fmt.Errorf("discovery: host name %q must end in .%s", c.HostName, domain))
	}
	return errors.Join(errs...)
}

// registration is one zeroconf registration, in zeroconf's spelling.
type registration struct {
	Instance string // presentation form (labelToZeroconf)
	Type     string
	Host     string
	Port     int
	Addrs    []netip.Addr
	TXT      []string // presentation form (txtToZeroconf)
	Ifaces   []net.Interface
}

// registerFunc registers and returns the function that sends the goodbye
// and releases the sockets.
type registerFunc func(registration) (stop func(), err error)

// zeroconfRegister uses RegisterProxy rather than Register so that the
// addresses are exactly the ones the interface rule chose (Register would
// take every address of the interfaces, and the OS hostname).
func zeroconfRegister(r registration) (func(), error) {
	ips := make([]string, len(r.Addrs))
	for i, a := range r.Addrs {
		ips[i] = a.String()
	}
	// Domain "local" without the dot: RegisterProxy appends it to the host
	// only when the host does not already end in it.
	srv, err := zeroconf.RegisterProxy(r.Instance, r.Type, "local", r.Port, r.Host, ips, r.TXT, r.Ifaces)
	if err != nil {
		return nil, err
	}
	return srv.Shutdown, nil
}

// Advertiser announces one service and keeps the announcement true: it
// follows interface and address changes and publishes the head seq.
type Advertiser struct {
	cfg      AdvertiserConfig
	instance string

	seq  atomic.Uint64
	kick chan struct{}

	// Seams for tests that need no network.
	register registerFunc
	nics     func() ([]nic, error)

	mu    sync.Mutex
	addrs []netip.Addr
}

// NewAdvertiser prepares an advertiser; Run starts it.
func NewAdvertiser(cfg AdvertiserConfig) *Advertiser {
	cfg = cfg.withDefaults()
	a := &Advertiser{
		cfg:      cfg,
		instance: InstanceName(cfg.Service.Name, cfg.Service.ID),
		kick:     make(chan struct{}, 1),
		register: zeroconfRegister,
		nics:     systemNICs,
	}
	a.seq.Store(cfg.Service.Seq)
	return a
}

// Instance is the instance name announced on the wire.
func (a *Advertiser) Instance() string { return a.instance }

// Addrs are the addresses currently announced; nil while nothing is.
func (a *Advertiser) Addrs() []netip.Addr {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.addrs)
}

func (a *Advertiser) setAddrs(addrs []netip.Addr) {
	a.mu.Lock()
	a.addrs = slices.Clone(addrs)
	a.mu.Unlock()
}

// SetSeq records a new head seq. Safe from any goroutine and cheap: it
// stores the value and wakes Run, which publishes the latest value no more
// than once per SeqInterval.
func (a *Advertiser) SetSeq(seq uint64) {
	if a.seq.Swap(seq) == seq {
		return
	}
	select {
	case a.kick <- struct{}{}:
	default: // a wake-up is already pending; it will read the latest seq
	}
}

// active is the registration currently on the air.
type active struct {
	stop func()
	snap snapshot
	seq  uint64
	at   time.Time
}

// Run advertises until ctx ends, then sends a goodbye and returns nil. It
// returns an error only for a configuration that can never work; failures
// to register are logged and retried with backoff. Call Run once.
func (a *Advertiser) Run(ctx context.Context) error {
	if err := a.cfg.Validate(); err != nil {
		return err
	}
	st := &advState{log: a.cfg.Logger.With("component", "mdns-advertiser", "type", a.cfg.Type, "instance", a.instance)}
	defer func() {
		if st.cur != nil {
			st.cur.stop()
			a.setAddrs(nil)
			st.log.Info("mdns goodbye sent")
		}
	}()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-a.kick:
		case <-timer.C:
		}
		wait, err := a.reconcile(st, time.Now())
		if err != nil {
			return err
		}
		timer.Reset(wait)
	}
}

// advState is Run's private state.
type advState struct {
	log      *slog.Logger
	cur      *active
	failures int
	retryAt  time.Time
	lastNote string // last "why nothing is advertised", logged once
}

// note logs a warning once until it changes.
func (st *advState) note(msg string, args ...any) {
	key := fmt.Sprint(append([]any{msg}, args...)...)
	if key == st.lastNote {
		return
	}
	st.lastNote = key
	st.log.Warn(msg, args...)
}

// reconcile brings the registration in line with the interfaces and the
// seq, and says when to look again.
func (a *Advertiser) reconcile(st *advState, now time.Time) (time.Duration, error) {
	poll := a.cfg.PollInterval
	all, err := a.nics()
	var (
		chosen  []nic
		skipped []string
	)
	if err == nil {
		chosen, skipped, err = choose(all, a.cfg.Interfaces)
	}
	if errors.Is(err, ErrLoopback) {
		return 0, err
	}
	if err != nil {
		// Keep what is on the air: a failed listing says nothing about
		// the network.
		st.note("mdns: cannot list interfaces", "err", err)
		return poll, nil
	}
	snap := snapshotOf(chosen)
	seq := a.seq.Load()

	if len(snap.addrs) == 0 {
		if st.cur != nil {
			st.cur.stop()
			st.cur = nil
			a.setAddrs(nil)
			st.log.Info("mdns goodbye sent: no usable interface left")
		}
		st.note("mdns: no usable interface, not advertising", "skipped", skipped)
		return poll, nil
	}

	reason := "start"
	if st.cur != nil {
		switch {
		case st.cur.snap.key != snap.key:
			reason = "addresses changed"
		case st.cur.seq != seq:
			due := st.cur.at.Add(a.cfg.SeqInterval)
			if now.Before(due) {
				return min(poll, due.Sub(now)), nil
			}
			reason = "seq changed"
		default:
			return poll, nil
		}
	}
	if now.Before(st.retryAt) {
		return min(poll, st.retryAt.Sub(now)), nil
	}

	if st.cur != nil {
		// The goodbye goes first: the old server would otherwise keep
		// answering with the old addresses or TXT.
		st.cur.stop()
		st.cur = nil
		a.setAddrs(nil)
	}
	reg, err := a.registration(snap, seq)
	if err != nil {
		return 0, err
	}
	stop, err := a.register(reg)
	if err != nil {
		st.failures++
		back := backoff(st.failures)
		st.retryAt = now.Add(back)
		st.log.Warn("mdns register failed", "err", err, "retry_in", back)
		return min(poll, back), nil
	}
	st.failures = 0
	st.retryAt = time.Time{}
	st.lastNote = ""
	st.cur = &active{stop: stop, snap: snap, seq: seq, at: now}
	a.setAddrs(snap.addrs)
	names := make([]string, len(snap.ifaces))
	for i, ifi := range snap.ifaces {
		names[i] = ifi.Name
	}
	st.log.Info("mdns registered", "reason", reason, "ifaces", names, "addrs", snap.addrs,
		"port", a.cfg.Service.Port, "seq", seq)
	return poll, nil
}

func (a *Advertiser) registration(snap snapshot, seq uint64) (registration, error) {
	inst, err := labelToZeroconf(a.instance)
	if err != nil {
		return registration{}, err
	}
	s := a.cfg.Service
	s.Seq = seq
	return registration{
		Instance: inst,
		Type:     a.cfg.Type,
		Host:     a.cfg.HostName,
		Port:     s.Port,
		Addrs:    slices.Clone(snap.addrs),
		TXT:      txtToZeroconf(EncodeTXT(a.cfg.Type, s)),
		Ifaces:   slices.Clone(snap.ifaces),
	}, nil
}

// backoff is 1 s doubling to a minute.
func backoff(failures int) time.Duration {
	d := time.Second
	for i := 1; i < failures && d < time.Minute; i++ {
		d *= 2
	}
	return min(d, time.Minute)
}

package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grandcat/zeroconf"
)

// Defaults for BrowserConfig.
const (
	DefaultWindow = 30 * time.Second
	// DefaultMaxPeers bounds memory when something on the LAN floods
	// announcements: the kiosk browses for wards on the same Wi-Fi as the
	// citizens' phones.
	DefaultMaxPeers = 256
	// forgetAfter drops peers that have been gone this long.
	forgetAfter = 24 * time.Hour
)

// BrowserConfig says what to look for and how long silence means gone.
type BrowserConfig struct {
	// Type is the DNS-SD service type; KioskService when empty.
	Type string
	// Interfaces as for the advertiser; empty means the default rule.
	Interfaces []string
	// Window is how long one zeroconf browse runs before a fresh one starts
	// (default 30 s). zeroconf v1.0.0 reports an instance once per browse,
	// so the window is also how often a live peer is confirmed.
	Window time.Duration
	// GoneAfter is how long a peer may go unseen before it is marked gone
	// (default 3 windows: two lost windows are tolerated). Must exceed
	// Window.
	GoneAfter time.Duration
	// MaxPeers caps the peers kept (default 256).
	MaxPeers int
	// OnChange is called on Run's goroutine, in order, when a peer appears,
	// changes (addresses, port, TXT), goes or comes back. It must not
	// block for long.
	OnChange func(Peer)
	Logger   *slog.Logger
}

func (c BrowserConfig) withDefaults() BrowserConfig {
	if c.Type == "" {
		c.Type = KioskService
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.GoneAfter <= 0 {
		c.GoneAfter = 3 * c.Window
	}
	if c.MaxPeers <= 0 {
		c.MaxPeers = DefaultMaxPeers
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports configuration errors; Run calls it too.
func (c BrowserConfig) Validate() error {
	c = c.withDefaults()
	var errs []error
	if !serviceTypeRE.MatchString(c.Type) {
		errs = append(errs, fmt.Errorf("discovery: service type %q is not _name._tcp", c.Type))
	}
	if c.GoneAfter <= c.Window {
		errs = append(errs, fmt.Errorf("discovery: GoneAfter %v must exceed Window %v", c.GoneAfter, c.Window))
	}
	if err := checkNames(c.Interfaces); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Peer is a kiosk or ward found on the LAN. Everything in it was announced
// by the peer and is unauthenticated.
type Peer struct {
	Instance string       // instance name, UTF-8
	Host     string       // SRV target, without the trailing dot
	ID       string       // TXT id
	Village  string       // TXT village (kiosks)
	Version  string       // TXT v
	API      string       // TXT api (base path)
	Seq      uint64       // TXT seq (kiosks): head seq when last announced
	Addrs    []netip.Addr // IPv4 first, sorted
	Port     int
	// FirstSeen is when this peer was first found (or found again after
	// being forgotten); LastSeen when an announcement or answer last
	// arrived.
	FirstSeen, LastSeen time.Time
	// Gone is set when no answer came for GoneAfter.
	Gone bool
}

// URL is the peer's HTTP base URL on its first IPv4 address, or "".
func (p Peer) URL() string {
	for _, a := range p.Addrs {
		if a.Is4() && p.Port > 0 {
			return "http://" + netip.AddrPortFrom(a, uint16(p.Port)).String()
		}
	}
	return ""
}

// sameAnnouncement reports whether two sightings carry the same content.
func sameAnnouncement(a, b Peer) bool {
	return a.Host == b.Host && a.ID == b.ID && a.Village == b.Village && a.Version == b.Version &&
		a.API == b.API && a.Seq == b.Seq && a.Port == b.Port && slices.Equal(a.Addrs, b.Addrs)
}

func (p Peer) clone() Peer {
	p.Addrs = slices.Clone(p.Addrs)
	return p
}

// browseFunc starts a browse that ends with ctx and closes entries when it
// has ended, also when it fails to start.
type browseFunc func(ctx context.Context, ifaces []net.Interface, serviceType string, entries chan *zeroconf.ServiceEntry) error

func zeroconfBrowse(ctx context.Context, ifaces []net.Interface, serviceType string, entries chan *zeroconf.ServiceEntry) error {
	// IPv4 only: joining IPv6 groups fails outright on hosts with IPv6
	// disabled, and the addresses we use are IPv4.
	r, err := zeroconf.NewResolver(zeroconf.SelectIfaces(ifaces), zeroconf.SelectIPTraffic(zeroconf.IPv4))
	if err != nil {
		close(entries)
		return err
	}
	// On error Browse has already cancelled its loop, which closes entries.
	return r.Browse(ctx, serviceType, domain, entries)
}

// Browser keeps the list of peers of one service type.
type Browser struct {
	cfg BrowserConfig
	log *slog.Logger

	// Seams for tests that need no network.
	browse     browseFunc
	interfaces func([]string) ([]net.Interface, error)

	mu    sync.Mutex
	peers map[string]*Peer // by instance name
	full  bool             // MaxPeers reached; logged once
}

// NewBrowser prepares a browser; Run starts it.
func NewBrowser(cfg BrowserConfig) *Browser {
	cfg = cfg.withDefaults()
	return &Browser{
		cfg:        cfg,
		log:        cfg.Logger.With("component", "mdns-browser", "type", cfg.Type),
		browse:     zeroconfBrowse,
		interfaces: Interfaces,
		peers:      map[string]*Peer{},
	}
}

// Peers returns a copy of the peers, gone ones included, by instance name.
func (b *Browser) Peers() []Peer {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Peer, 0, len(b.peers))
	for _, p := range b.peers {
		out = append(out, p.clone())
	}
	slices.SortFunc(out, func(x, y Peer) int { return strings.Compare(x.Instance, y.Instance) })
	return out
}

var errNoInterface = errors.New("no usable interface")

// Run browses in windows until ctx ends, then returns nil. It returns an
// error only for a configuration that can never work; everything else is
// logged and retried with backoff, and peers keep expiring meanwhile (a
// ward whose network is down must not go on reporting kiosks as present).
func (b *Browser) Run(ctx context.Context) error {
	if err := b.cfg.Validate(); err != nil {
		return err
	}
	failures := 0
	lastErr := ""
	for ctx.Err() == nil {
		ifaces, err := b.interfaces(b.cfg.Interfaces)
		if errors.Is(err, ErrLoopback) {
			return err
		}
		if err == nil && len(ifaces) == 0 {
			err = errNoInterface
		}
		if err == nil {
			err = b.window(ctx, ifaces)
		}
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			failures++
			if err.Error() != lastErr {
				lastErr = err.Error()
				b.log.Warn("mdns browse failed; retrying", "err", err)
			}
			b.wait(ctx, backoff(failures))
			continue
		}
		if lastErr != "" {
			b.log.Info("mdns browse working again")
		}
		failures, lastErr = 0, ""
	}
	return nil
}

// sweepEvery is how often gone peers are looked for.
func (b *Browser) sweepEvery() time.Duration {
	return min(max(b.cfg.GoneAfter/8, 50*time.Millisecond), 5*time.Second)
}

// window runs one bounded browse.
func (b *Browser) window(ctx context.Context, ifaces []net.Interface) error {
	wctx, cancel := context.WithTimeout(ctx, b.cfg.Window)
	defer cancel()
	entries := make(chan *zeroconf.ServiceEntry, 16)
	startErr := b.browse(wctx, ifaces, b.cfg.Type, entries)
	tick := time.NewTicker(b.sweepEvery())
	defer tick.Stop()
	for {
		select {
		case e, ok := <-entries:
			if !ok {
				// zeroconf closes the channel when its context ends;
				// closing before that means the browse failed.
				if startErr != nil {
					return startErr
				}
				if wctx.Err() == nil {
					return errors.New("browse ended early")
				}
				return nil
			}
			b.observe(e, time.Now())
		case now := <-tick.C:
			b.sweep(now)
		}
	}
}

// wait sleeps for d while still expiring peers.
func (b *Browser) wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	tick := time.NewTicker(b.sweepEvery())
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			return
		case now := <-tick.C:
			b.sweep(now)
		}
	}
}

// peerFromEntry turns a zeroconf entry into a Peer, undoing miekg/dns's
// presentation escapes (UTF-8 arrives as \DDD).
func peerFromEntry(e *zeroconf.ServiceEntry) Peer {
	txt := DecodeTXT(txtFromZeroconf(e.Text))
	p := Peer{
		Instance: labelFromZeroconf(e.Instance),
		Host:     strings.TrimSuffix(labelFromZeroconf(e.HostName), "."),
		ID:       txt[KeyID],
		Village:  txt[KeyVillage],
		Version:  txt[KeyVersion],
		API:      txt[KeyAPI],
		Port:     e.Port,
	}
	if s, ok := txt[KeySeq]; ok {
		p.Seq, _ = strconv.ParseUint(s, 10, 64)
	}
	for _, ip := range append(slices.Clone(e.AddrIPv4), e.AddrIPv6...) {
		a, ok := netip.AddrFromSlice(ip)
		if !ok {
			continue
		}
		a = a.Unmap()
		if a.IsLoopback() || a.IsUnspecified() || a.IsMulticast() {
			continue
		}
		p.Addrs = append(p.Addrs, a)
	}
	// Addr.Compare puts IPv4 before IPv6.
	slices.SortFunc(p.Addrs, netip.Addr.Compare)
	p.Addrs = slices.Compact(p.Addrs)
	return p
}

// observe records one sighting.
func (b *Browser) observe(e *zeroconf.ServiceEntry, now time.Time) {
	seen := peerFromEntry(e)
	if seen.Instance == "" {
		return
	}
	var changed *Peer
	b.mu.Lock()
	p, ok := b.peers[seen.Instance]
	switch {
	case !ok && len(b.peers) >= b.cfg.MaxPeers:
		if !b.full {
			b.full = true
			b.log.Warn("mdns: too many peers, ignoring new ones", "max", b.cfg.MaxPeers)
		}
	case !ok:
		seen.FirstSeen, seen.LastSeen = now, now
		b.peers[seen.Instance] = &seen
		c := seen.clone()
		changed = &c
	default:
		if p.Gone || !sameAnnouncement(*p, seen) {
			seen.FirstSeen = p.FirstSeen
			*p = seen
			c := p.clone()
			changed = &c
		}
		p.LastSeen = now
		if changed != nil {
			changed.LastSeen = now
		}
	}
	b.mu.Unlock()
	if changed != nil {
		b.log.Info("mdns peer", "instance", changed.Instance, "id", changed.ID, "addrs", changed.Addrs,
			"port", changed.Port, "seq", changed.Seq)
		b.notify(*changed)
	}
}

// sweep marks peers gone that have been silent for GoneAfter, and forgets
// those gone for a day.
func (b *Browser) sweep(now time.Time) {
	var gone []Peer
	b.mu.Lock()
	for k, p := range b.peers {
		silent := now.Sub(p.LastSeen)
		switch {
		case p.Gone && silent > forgetAfter:
			delete(b.peers, k)
			b.full = false
		case !p.Gone && silent > b.cfg.GoneAfter:
			p.Gone = true
			gone = append(gone, p.clone())
		}
	}
	b.mu.Unlock()
	slices.SortFunc(gone, func(x, y Peer) int { return strings.Compare(x.Instance, y.Instance) })
	for _, p := range gone {
		b.log.Info("mdns peer gone", "instance", p.Instance, "id", p.ID, "last_seen", p.LastSeen)
		b.notify(p)
	}
}

func (b *Browser) notify(p Peer) {
	if b.cfg.OnChange != nil {
		b.cfg.OnChange(p)
	}
}

// PickWard chooses the ward a kiosk with no --ward-url should use: a peer
// that is not gone and has an IPv4 address, the lowest ID first so that
// every kiosk picks the same one and the choice does not flap between
// windows. ok is false when there is none.
//
// The answer is only where to connect: anyone on the Wi-Fi can announce
// _kyso-ward._tcp, so the kiosk must not send records to it before the ward
// has proven itself (see the package doc).
func PickWard(peers []Peer) (Peer, bool) {
	var best *Peer
	for i := range peers {
		p := &peers[i]
		if p.Gone || p.URL() == "" {
			continue
		}
		if best == nil || p.ID < best.ID || (p.ID == best.ID && p.Instance < best.Instance) {
			best = p
		}
	}
	if best == nil {
		return Peer{}, false
	}
	return best.clone(), true
}

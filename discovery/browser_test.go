package discovery

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grandcat/zeroconf"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entry builds what zeroconf's browser hands over: names and TXT in
// miekg/dns presentation form, as they come off the wire.
func entry(t *testing.T, instance string, ips []string, port int, txt ...string) *zeroconf.ServiceEntry {
	t.Helper()
	inst, err := labelToZeroconf(instance)
	require.NoError(t, err)
	e := zeroconf.NewServiceEntry(inst, KioskService, "local.")
	e.HostName = "kyso-x.local."
	e.Port = port
	e.TTL = 120
	for _, s := range txt {
		pres, err := labelToZeroconf(s) // same \DDD escaping as a TXT string
		require.NoError(t, err)
		e.Text = append(e.Text, pres)
	}
	for _, ip := range ips {
		e.AddrIPv4 = append(e.AddrIPv4, net.ParseIP(ip))
	}
	return e
}

type changeLog struct {
	mu  sync.Mutex
	got []Peer
}

func (c *changeLog) add(p Peer) {
	c.mu.Lock()
	c.got = append(c.got, p)
	c.mu.Unlock()
}

func (c *changeLog) all() []Peer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Peer(nil), c.got...)
}

func TestBrowserPeerLifecycle(t *testing.T) {
	var changes changeLog
	b := NewBrowser(BrowserConfig{Window: time.Second, GoneAfter: 3 * time.Second, OnChange: changes.add})
	t0 := time.Unix(1000, 0)
	name := "Nhà văn hóa thôn Đông Lão (dong-lao)"
	txt := []string{"id=dong-lao", "village=Đông Lão", "v=1.0.0", "api=/api/v1", "seq=7"}

	steps := []struct {
		name    string
		at      time.Duration
		seen    *zeroconf.ServiceEntry // nil: a sweep only
		changed bool
		check   func(t *testing.T, p Peer)
	}{
		{"found", 0, entry(t, name, []string{"10.0.0.5"}, 8080, txt...), true, func(t *testing.T, p Peer) {
			assert.Equal(t, name, p.Instance, "UTF-8 restored from \\DDD escapes")
			assert.Equal(t, "dong-lao", p.ID)
			assert.Equal(t, "Đông Lão", p.Village)
			assert.Equal(t, "1.0.0", p.Version)
			assert.Equal(t, "/api/v1", p.API)
			assert.Equal(t, uint64(7), p.Seq)
			assert.Equal(t, "kyso-x.local", p.Host)
			assert.Equal(t, "http://10.0.0.5:8080", p.URL())
			assert.Equal(t, t0, p.FirstSeen)
		}},
		// The next window reports the same announcement: no event.
		{"seen again unchanged", time.Second, entry(t, name, []string{"10.0.0.5"}, 8080, txt...), false, nil},
		{"still there before GoneAfter", 3 * time.Second, nil, false, nil},
		{"address changed", 3500 * time.Millisecond, entry(t, name, []string{"10.0.0.9"}, 8080, txt...), true, func(t *testing.T, p Peer) {
			assert.Equal(t, []netip.Addr{netip.MustParseAddr("10.0.0.9")}, p.Addrs, "replaced, not merged")
			assert.Equal(t, t0, p.FirstSeen)
		}},
		{"seq changed", 4 * time.Second, entry(t, name, []string{"10.0.0.9"}, 8080,
			"id=dong-lao", "village=Đông Lão", "v=1.0.0", "api=/api/v1", "seq=8"), true, func(t *testing.T, p Peer) {
			assert.Equal(t, uint64(8), p.Seq)
		}},
		{"silent past GoneAfter", 7100 * time.Millisecond, nil, true, func(t *testing.T, p Peer) {
			assert.True(t, p.Gone)
		}},
		// Gone is reported once.
		{"still gone", 8 * time.Second, nil, false, nil},
		{"back", 9 * time.Second, entry(t, name, []string{"10.0.0.9"}, 8080, txt...), true, func(t *testing.T, p Peer) {
			assert.False(t, p.Gone)
			assert.Equal(t, t0, p.FirstSeen, "a peer that comes back keeps its first sighting")
			assert.Equal(t, t0.Add(9*time.Second), p.LastSeen)
		}},
	}
	for _, s := range steps {
		before := len(changes.all())
		now := t0.Add(s.at)
		if s.seen != nil {
			b.observe(s.seen, now)
		}
		b.sweep(now)
		got := changes.all()
		if !s.changed {
			assert.Len(t, got, before, "step %q: no change expected", s.name)
			continue
		}
		require.Len(t, got, before+1, "step %q: one change expected", s.name)
		if s.check != nil {
			t.Run(s.name, func(t *testing.T) { s.check(t, got[before]) })
		}
	}
	peers := b.Peers()
	require.Len(t, peers, 1)
	assert.Equal(t, t0.Add(9*time.Second), peers[0].LastSeen)
}

func TestBrowserForgetsAndCaps(t *testing.T) {
	b := NewBrowser(BrowserConfig{Window: time.Second, GoneAfter: 3 * time.Second, MaxPeers: 2})
	t0 := time.Unix(1000, 0)
	b.observe(entry(t, "a", []string{"10.0.0.1"}, 1), t0)
	b.observe(entry(t, "b", []string{"10.0.0.2"}, 1), t0)
	// Something floods the Wi-Fi with fake instances: memory stays bounded.
	b.observe(entry(t, "c", []string{"10.0.0.3"}, 1), t0)
	assert.Len(t, b.Peers(), 2)

	b.sweep(t0.Add(time.Minute))
	assert.Len(t, b.Peers(), 2, "gone peers are kept for the ward to show")
	b.sweep(t0.Add(25 * time.Hour))
	assert.Empty(t, b.Peers(), "a day later they are forgotten")
	b.observe(entry(t, "c", []string{"10.0.0.3"}, 1), t0.Add(25*time.Hour))
	assert.Len(t, b.Peers(), 1, "room again after forgetting")
}

func TestPeersAreCopies(t *testing.T) {
	b := NewBrowser(BrowserConfig{})
	b.observe(entry(t, "a", []string{"10.0.0.1"}, 1), time.Unix(1000, 0))
	p := b.Peers()
	p[0].Addrs[0] = netip.MustParseAddr("1.2.3.4")
	assert.Equal(t, "10.0.0.1", b.Peers()[0].Addrs[0].String())
}

func TestPickWard(t *testing.T) {
	ward := func(id, inst, ip string, gone bool) Peer {
		p := Peer{ID: id, Instance: inst, Port: 8090, Gone: gone}
		if ip != "" {
			p.Addrs = []netip.Addr{netip.MustParseAddr(ip)}
		}
		return p
	}
	tests := []struct {
		name   string
		peers  []Peer
		wantID string
	}{
		{"none", nil, ""},
		{"one", []Peer{ward("cam-ngoc", "w", "10.0.0.2", false)}, "cam-ngoc"},
		{"gone is skipped", []Peer{ward("a", "w", "10.0.0.2", true), ward("b", "w", "10.0.0.3", false)}, "b"},
		// Without an IPv4 address there is nothing to connect to.
		{"no address is skipped", []Peer{ward("a", "w", "", false)}, ""},
		// Every kiosk must choose the same ward, window after window.
		{"lowest id wins whatever the order", []Peer{ward("z", "w", "10.0.0.9", false), ward("m", "w", "10.0.0.8", false)}, "m"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := PickWard(tc.peers)
			assert.Equal(t, tc.wantID != "", ok)
			assert.Equal(t, tc.wantID, got.ID)
		})
	}
}

func TestBrowserConfigValidate(t *testing.T) {
	assert.NoError(t, BrowserConfig{}.Validate())
	assert.NoError(t, BrowserConfig{Type: WardService, Window: time.Second}.Validate())
	assert.ErrorContains(t, BrowserConfig{Window: time.Second, GoneAfter: time.Second}.Validate(), "must exceed")
	assert.ErrorIs(t, BrowserConfig{Interfaces: []string{"lo"}}.Validate(), ErrLoopback)
	assert.ErrorContains(t, BrowserConfig{Type: "_kyso"}.Validate(), "service type")
}

// TestBrowserRunWindows drives Run with a fake zeroconf that behaves like
// v1.0.0: one report per browse, channel closed when the context ends.
func TestBrowserRunWindows(t *testing.T) {
	var (
		windows atomic.Int32
		failing atomic.Bool
	)
	var changes changeLog
	b := NewBrowser(BrowserConfig{Window: 50 * time.Millisecond, GoneAfter: 200 * time.Millisecond, OnChange: changes.add})
	b.interfaces = func([]string) ([]net.Interface, error) {
		return []net.Interface{{Name: "eth0", Index: 2, Flags: upMulti}}, nil
	}
	// Built here: require must not run on the fake's goroutines.
	seen := entry(t, "k", []string{"10.0.0.5"}, 8080, "id=k", "seq=1")
	b.browse = func(ctx context.Context, _ []net.Interface, _ string, entries chan *zeroconf.ServiceEntry) error {
		windows.Add(1)
		if failing.Load() {
			close(entries)
			return errors.New("udp4: failed to join any of these interfaces")
		}
		go func() {
			defer close(entries)
			select {
			case entries <- seen:
			case <-ctx.Done():
				return
			}
			<-ctx.Done()
		}()
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()

	require.Eventually(t, func() bool { return windows.Load() >= 5 }, 5*time.Second, 10*time.Millisecond,
		"a fresh browse starts every window")
	ps := b.Peers()
	require.Len(t, ps, 1)
	assert.False(t, ps[0].Gone)
	assert.Len(t, changes.all(), 1, "re-reports of the same announcement are not changes")

	// The network breaks: browsing fails and backs off, and the peer must
	// still expire meanwhile.
	failing.Store(true)
	require.Eventually(t, func() bool {
		ps := b.Peers()
		return len(ps) == 1 && ps[0].Gone
	}, 5*time.Second, 10*time.Millisecond)

	failing.Store(false)
	require.Eventually(t, func() bool {
		ps := b.Peers()
		return len(ps) == 1 && !ps[0].Gone
	}, 5*time.Second, 10*time.Millisecond, "browsing recovers after the backoff")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestBrowserRunNoInterfaceRetries(t *testing.T) {
	// Boot order: the ward may start before its network is up.
	var calls atomic.Int32
	b := NewBrowser(BrowserConfig{Window: 50 * time.Millisecond})
	b.interfaces = func([]string) ([]net.Interface, error) {
		calls.Add(1)
		return nil, nil
	}
	b.browse = func(context.Context, []net.Interface, string, chan *zeroconf.ServiceEntry) error {
		t.Error("browse without interfaces")
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	require.NoError(t, b.Run(ctx))
	assert.GreaterOrEqual(t, calls.Load(), int32(2), "keeps looking for an interface")
}

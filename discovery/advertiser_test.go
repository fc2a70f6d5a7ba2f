package discovery

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeAir stands in for zeroconf and the interfaces: it records every
// registration and goodbye.
type fakeAir struct {
	mu      sync.Mutex
	nics    []nic
	listErr error
	regs    []registration
	log     []string // "register" / "goodbye" in order
	fail    int      // fail this many registrations
	events  chan string
}

func newFakeAir(nics ...nic) *fakeAir {
	return &fakeAir{nics: nics, events: make(chan string, 100)}
}

func (f *fakeAir) setNICs(nics ...nic) {
	f.mu.Lock()
	f.nics = nics
	f.mu.Unlock()
}

func (f *fakeAir) list() ([]nic, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]nic(nil), f.nics...), f.listErr
}

func (f *fakeAir) register(r registration) (func(), error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		f.log = append(f.log, "fail")
		return nil, errors.New("no supported interface")
	}
	f.regs = append(f.regs, r)
	f.log = append(f.log, "register")
	f.events <- "register"
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			f.log = append(f.log, "goodbye")
			f.mu.Unlock()
			f.events <- "goodbye"
		})
	}, nil
}

func (f *fakeAir) snapshot() ([]registration, []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]registration(nil), f.regs...), append([]string(nil), f.log...)
}

func newTestAdvertiser(t *testing.T, air *fakeAir, mutate func(*AdvertiserConfig)) (*Advertiser, *advState) {
	t.Helper()
	cfg := AdvertiserConfig{
		Service: Service{Name: "Nhà văn hóa thôn Đông Lão", ID: "dong-lao", Village: "Đông Lão",
			Version: "1.0.0", API: "/api/v1", Port: 8080, Seq: 5},
		PollInterval: 5 * time.Second,
		SeqInterval:  30 * time.Second,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	a := NewAdvertiser(cfg)
	a.register = air.register
	a.nics = air.list
	return a, &advState{log: a.cfg.Logger}
}

// The reconcile tests drive the advertiser step by step with a chosen
// clock, so timing rules are checked exactly and without sleeping.
func TestAdvertiserRegistersWhatTheRuleChose(t *testing.T) {
	air := newFakeAir(
		mkNIC("lo", 1, net.FlagUp|net.FlagLoopback|net.FlagMulticast, "127.0.0.1"),
		mkNIC("eth0", 2, upMulti, "192.168.1.10"),
		mkNIC("docker0", 3, upMulti, "172.17.0.1"),
	)
	a, st := newTestAdvertiser(t, air, nil)
	_, err := a.reconcile(st, time.Unix(1000, 0))
	require.NoError(t, err)

	regs, _ := air.snapshot()
	require.Len(t, regs, 1)
	r := regs[0]
	assert.Equal(t, []netip.Addr{netip.MustParseAddr("192.168.1.10")}, r.Addrs, "no loopback, no container address")
	require.Len(t, r.Ifaces, 1)
	assert.Equal(t, "eth0", r.Ifaces[0].Name)
	assert.Equal(t, KioskService, r.Type)
	assert.Equal(t, "kyso-dong-lao.local.", r.Host)
	assert.Equal(t, 8080, r.Port)
	assert.Equal(t, `Nh\195\160\ v\196\131n\ h\195\179a\ th\195\180n\ \196\144\195\180ng\ L\195\163o\ \(dong-lao\)`, r.Instance)
	assert.Equal(t, []string{"id=dong-lao", "village=Đông Lão", "v=1.0.0", "api=/api/v1", "seq=5"}, r.TXT)
	assert.Equal(t, r.Addrs, a.Addrs())
}

func TestAdvertiserFollowsAddresses(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tests := []struct {
		name string
		next []nic
		want []string // air log after the second reconcile
	}{
		{"nothing changed", []nic{mkNIC("eth0", 2, upMulti, "192.168.1.10")}, []string{"register"}},
		// Goodbye first: the old server would go on answering with the old address.
		{"new lease", []nic{mkNIC("eth0", 2, upMulti, "192.168.1.77")}, []string{"register", "goodbye", "register"}},
		{"Wi-Fi joined", []nic{mkNIC("eth0", 2, upMulti, "192.168.1.10"), mkNIC("wlan0", 3, upMulti, "10.0.0.5")},
			[]string{"register", "goodbye", "register"}},
		// Cable out: stop announcing an address nobody can reach.
		{"last interface lost", []nic{mkNIC("eth0", 2, upMulti)}, []string{"register", "goodbye"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			air := newFakeAir(mkNIC("eth0", 2, upMulti, "192.168.1.10"))
			a, st := newTestAdvertiser(t, air, nil)
			_, err := a.reconcile(st, t0)
			require.NoError(t, err)
			air.setNICs(tc.next...)
			_, err = a.reconcile(st, t0.Add(5*time.Second))
			require.NoError(t, err)
			regs, log := air.snapshot()
			assert.Equal(t, tc.want, log)
			if len(regs) == 2 {
				assert.Equal(t, snapshotOf(tc.next).addrs, regs[1].Addrs)
			}
		})
	}
}

func TestAdvertiserSeqIsCoalesced(t *testing.T) {
	t0 := time.Unix(1000, 0)
	air := newFakeAir(mkNIC("eth0", 2, upMulti, "192.168.1.10"))
	a, st := newTestAdvertiser(t, air, nil)
	_, err := a.reconcile(st, t0)
	require.NoError(t, err)

	// A burst of completions within the interval: nothing goes out yet,
	// and the advertiser asks to be woken when the interval is over.
	for seq := uint64(6); seq <= 20; seq++ {
		a.SetSeq(seq)
	}
	wait, err := a.reconcile(st, t0.Add(10*time.Second))
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, wait, "poll interval is sooner than the seq deadline")
	_, log := air.snapshot()
	assert.Equal(t, []string{"register"}, log)

	a.cfg.PollInterval = time.Minute
	wait, err = a.reconcile(st, t0.Add(25*time.Second))
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, wait, "woken exactly when the seq may go out")

	// Interval over: one re-registration with the latest seq only.
	_, err = a.reconcile(st, t0.Add(30*time.Second))
	require.NoError(t, err)
	regs, log := air.snapshot()
	assert.Equal(t, []string{"register", "goodbye", "register"}, log)
	assert.Contains(t, regs[1].TXT, "seq=20")

	// Same seq again: no churn.
	a.SetSeq(20)
	_, err = a.reconcile(st, t0.Add(90*time.Second))
	require.NoError(t, err)
	_, log = air.snapshot()
	assert.Len(t, log, 3)
}

func TestAdvertiserAddressChangeCarriesSeqAtOnce(t *testing.T) {
	// An address change re-registers at once and takes the pending seq
	// with it, without waiting for SeqInterval.
	t0 := time.Unix(1000, 0)
	air := newFakeAir(mkNIC("eth0", 2, upMulti, "192.168.1.10"))
	a, st := newTestAdvertiser(t, air, nil)
	_, err := a.reconcile(st, t0)
	require.NoError(t, err)
	a.SetSeq(9)
	air.setNICs(mkNIC("eth0", 2, upMulti, "192.168.1.11"))
	_, err = a.reconcile(st, t0.Add(time.Second))
	require.NoError(t, err)
	regs, _ := air.snapshot()
	require.Len(t, regs, 2)
	assert.Contains(t, regs[1].TXT, "seq=9")
}

func TestAdvertiserBacksOffOnRegisterErrors(t *testing.T) {
	t0 := time.Unix(1000, 0)
	air := newFakeAir(mkNIC("eth0", 2, upMulti, "192.168.1.10"))
	air.fail = 2
	a, st := newTestAdvertiser(t, air, nil)

	wait, err := a.reconcile(st, t0)
	require.NoError(t, err, "a failed registration is retried, not fatal")
	assert.Equal(t, time.Second, wait)
	// Woken early (a seq change): still inside the backoff, no attempt.
	_, err = a.reconcile(st, t0.Add(500*time.Millisecond))
	require.NoError(t, err)
	_, log := air.snapshot()
	assert.Equal(t, []string{"fail"}, log)

	wait, err = a.reconcile(st, t0.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, 2*time.Second, wait, "backoff doubles")
	_, err = a.reconcile(st, t0.Add(3*time.Second))
	require.NoError(t, err)
	_, log = air.snapshot()
	assert.Equal(t, []string{"fail", "fail", "register"}, log)
}

func TestAdvertiserKeepsAdvertisingWhenListingFails(t *testing.T) {
	// A failed net.Interfaces says nothing about the network: do not send
	// a goodbye for it.
	air := newFakeAir(mkNIC("eth0", 2, upMulti, "192.168.1.10"))
	a, st := newTestAdvertiser(t, air, nil)
	_, err := a.reconcile(st, time.Unix(1000, 0))
	require.NoError(t, err)
	air.mu.Lock()
	air.listErr = errors.New("netlink: too many open files")
	air.mu.Unlock()
	_, err = a.reconcile(st, time.Unix(1005, 0))
	require.NoError(t, err)
	_, log := air.snapshot()
	assert.Equal(t, []string{"register"}, log)
}

func TestAdvertiserConfigValidate(t *testing.T) {
	good := AdvertiserConfig{Service: Service{ID: "dong-lao", Port: 8080}}
	tests := []struct {
		name    string
		mutate  func(*AdvertiserConfig)
		wantErr string
	}{
		{"defaults are valid", func(*AdvertiserConfig) {}, ""},
		{"ward type", func(c *AdvertiserConfig) { c.Type = WardService }, ""},
		{"bad type", func(c *AdvertiserConfig) { c.Type = "kyso" }, "service type"},
		// The issue: never advertise loopback.
		{"lo named", func(c *AdvertiserConfig) { c.Interfaces = []string{"eth0", "lo"} }, "loopback"},
		{"host outside .local", func(c *AdvertiserConfig) { c.HostName = "kiosk.example.com." }, "must end in .local."},
		{"bad service", func(c *AdvertiserConfig) { c.Service.Port = 0 }, "port 0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.mutate(&cfg)
			err := cfg.Validate()
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

// TestAdvertiserRun checks the loop itself: SetSeq from other goroutines
// wakes it, and cancelling sends the goodbye before Run returns.
func TestAdvertiserRun(t *testing.T) {
	air := newFakeAir(mkNIC("eth0", 2, upMulti, "192.168.1.10"))
	a, _ := newTestAdvertiser(t, air, func(c *AdvertiserConfig) {
		c.PollInterval = time.Hour // only SetSeq may wake it
		c.SeqInterval = 50 * time.Millisecond
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	waitEvent := func(want string) {
		t.Helper()
		select {
		case got := <-air.events:
			require.Equal(t, want, got)
		case <-time.After(5 * time.Second):
			t.Fatalf("no %s", want)
		}
	}
	waitEvent("register")

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				a.SetSeq(uint64(100 + g*50 + i))
			}
		}()
	}
	wg.Wait()
	a.SetSeq(1000)
	waitEvent("goodbye")
	waitEvent("register")
	require.Eventually(t, func() bool {
		regs, _ := air.snapshot()
		return len(regs) > 0 && regs[len(regs)-1].TXT[4] == "seq=1000"
	}, 5*time.Second, 10*time.Millisecond, "the latest seq is published")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	_, log := air.snapshot()
	assert.Equal(t, "goodbye", log[len(log)-1], "stopping sends a goodbye")
	assert.Nil(t, a.Addrs())
}

func TestAdvertiserRunRefusesLoopbackNamedAtRuntime(t *testing.T) {
	// An interface named by the operator that turns out to be a loopback
	// (not called "lo") is a configuration error Run reports.
	air := newFakeAir(mkNIC("lo0", 1, net.FlagUp|net.FlagLoopback|net.FlagMulticast, "127.0.0.1"))
	a, _ := newTestAdvertiser(t, air, func(c *AdvertiserConfig) { c.Interfaces = []string{"lo0"} })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.ErrorIs(t, a.Run(ctx), ErrLoopback)
	_, log := air.snapshot()
	assert.Empty(t, log)
}

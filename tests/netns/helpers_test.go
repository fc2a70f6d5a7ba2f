//go:build linux

package netns

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/netnstest"
	"github.com/kyso-vn/kyso/internal/proctest"
)

// newLAN is the LAN of netnstest with a (the ward) and b (the kiosk).
func newLAN(t *testing.T) *netnstest.LAN { return netnstest.NewLAN(t, "ward", "kiosk") }

// client talks to a program inside ns over the namespace's loopback.
func client(t *testing.T, ns, base string) *proctest.Client {
	c := proctest.NewClient(t, base)
	c.HTTP.Transport = &http.Transport{DialContext: netnstest.DialIn(ns), MaxIdleConnsPerHost: 4}
	c.HTTP.Timeout = 10 * time.Second
	return c
}

// proc is a program running in a namespace, restartable on the same data.
type proc struct {
	t       *testing.T
	name    string
	ns      string
	argv    []string
	run     *netnstest.Proc // the current run
	out     *netnstest.SyncBuffer
	started time.Time
}

// startIn runs bin in ns and waits until GET health on its loopback says
// 200.
func startIn(t *testing.T, name, ns string, health *proctest.Client, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, ns: ns, argv: append([]string{bin}, args...), out: &netnstest.SyncBuffer{}}
	p.start(health)
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("--- %s output ---\n%s", p.name, netnstest.Tail(p.out.String(), 8000))
		}
	})
	return p
}

func (p *proc) start(health *proctest.Client) {
	p.t.Helper()
	cmd := netnstest.Command(context.Background(), p.ns, p.argv...)
	cmd.Stdout, cmd.Stderr = p.out, p.out
	p.started = time.Now()
	p.run = netnstest.Start(p.t, p.name, cmd, nil)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if code, _, err := health.Do("GET", "/healthz", nil); err == nil && code == 200 {
			return
		}
		select {
		case <-p.run.Done():
			p.t.Fatalf("%s exited at start (%v):\n%s", p.name, p.run.Err(), netnstest.Tail(p.out.String(), 8000))
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.t.Fatalf("%s did not answer /healthz:\n%s", p.name, netnstest.Tail(p.out.String(), 8000))
}

// stop is an operator's clean stop: SIGTERM, and the program must exit 0.
func (p *proc) stop() {
	p.t.Helper()
	err := p.run.Stop(15 * time.Second)
	require.NoError(p.t, err, "%s exit status\n%s", p.name, netnstest.Tail(p.out.String(), 4000))
}

// restart runs the same program again (same data) with other arguments.
func (p *proc) restart(health *proctest.Client, bin string, args ...string) {
	p.t.Helper()
	p.argv = append([]string{bin}, args...)
	p.start(health)
}

func (p *proc) kill() {
	if p.run != nil {
		p.run.Kill()
	}
}

// within polls cond every 100 ms until it holds, and returns how long that
// took from since; it fails the test after timeout (measured from since).
func within(t *testing.T, since time.Time, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	for {
		if cond() {
			return time.Since(since)
		}
		if time.Since(since) > timeout {
			t.Fatalf("not within %v: %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

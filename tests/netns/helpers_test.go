//go:build linux

package netns

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/kyso-vn/kyso/internal/proctest"
)

var nsSeq atomic.Int32

func sh(t *testing.T, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), out)
}

// lan is two namespaces, a (the ward) and b (the kiosk), joined by a veth
// pair named lan0 at both ends — not veth*, so the programs' default
// interface rule takes it as it would eth0 — with 10.77.1.1/24 in a and
// 10.77.1.2/24 in b. Names carry the pid: tests of several packages run at
// once.
type lan struct{ a, b string }

func newLAN(t *testing.T) *lan {
	t.Helper()
	id := fmt.Sprintf("%d-%d", os.Getpid(), nsSeq.Add(1))
	l := &lan{a: "kyso-ward-" + id, b: "kyso-kiosk-" + id}
	for _, ns := range []string{l.a, l.b} {
		sh(t, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			// Programs are stopped by cleanups registered later, which
			// run first; the veth pair goes with the namespaces.
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Logf("ip netns del %s: %v %s", ns, err, out)
			}
		})
	}
	sh(t, "ip", "link", "add", "lan0", "netns", l.a, "type", "veth", "peer", "name", "lan0", "netns", l.b)
	for ns, addr := range map[string]string{l.a: "10.77.1.1/24", l.b: "10.77.1.2/24"} {
		sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
		sh(t, "ip", "-n", ns, "addr", "add", addr, "dev", "lan0")
		sh(t, "ip", "-n", ns, "link", "set", "lan0", "multicast", "on")
		sh(t, "ip", "-n", ns, "link", "set", "lan0", "up")
	}
	return l
}

// dialIn returns a DialContext that opens its sockets inside network
// namespace ns. A socket belongs to the namespace of the thread that
// created it, for its whole life; so one locked thread enters ns, dials,
// and comes back. A thread that cannot come back is never reused: the
// goroutine ends still locked, and the runtime retires the thread.
func dialIn(ns string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		type result struct {
			c   net.Conn
			err error
		}
		ch := make(chan result, 1)
		go func() {
			runtime.LockOSThread()
			home, err := os.Open(fmt.Sprintf("/proc/%d/task/%d/ns/net", os.Getpid(), unix.Gettid()))
			if err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, err}
				return
			}
			defer home.Close()
			target, err := os.Open(filepath.Join("/run/netns", ns))
			if err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, err}
				return
			}
			defer target.Close()
			if err := setns(target); err != nil {
				runtime.UnlockOSThread()
				ch <- result{nil, fmt.Errorf("setns %s: %w", ns, err)}
				return
			}
			var d net.Dialer
			c, err := d.DialContext(ctx, network, addr)
			if setns(home) == nil {
				runtime.UnlockOSThread()
			}
			ch <- result{c, err}
		}()
		r := <-ch
		return r.c, r.err
	}
}

func setns(f *os.File) error { return unix.Setns(int(f.Fd()), unix.CLONE_NEWNET) }

// client talks to a program inside ns over the namespace's loopback.
func client(t *testing.T, ns, base string) *proctest.Client {
	c := proctest.NewClient(t, base)
	c.HTTP.Transport = &http.Transport{DialContext: dialIn(ns), MaxIdleConnsPerHost: 4}
	c.HTTP.Timeout = 10 * time.Second
	return c
}

// syncBuffer collects a program's output for the failure log.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is a program running in a namespace (`ip netns exec` execs it, so
// signals reach the program itself).
type proc struct {
	t       *testing.T
	name    string
	ns      string
	args    []string
	cmd     *exec.Cmd
	out     *syncBuffer
	done    chan struct{}
	err     error // set before done is closed
	started time.Time
}

// startIn runs bin in ns and waits until GET health on its loopback says
// 200.
func startIn(t *testing.T, name, ns string, health *proctest.Client, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, ns: ns, args: append([]string{"netns", "exec", ns, bin}, args...), out: &syncBuffer{}}
	p.start(health)
	t.Cleanup(func() {
		p.kill()
		if t.Failed() {
			t.Logf("--- %s output ---\n%s", p.name, tail(p.out.String(), 8000))
		}
	})
	return p
}

func (p *proc) start(health *proctest.Client) {
	p.t.Helper()
	p.cmd = exec.Command("ip", p.args...)
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	p.done = make(chan struct{})
	p.started = time.Now()
	require.NoError(p.t, p.cmd.Start(), "start %s", p.name)
	go func(c *exec.Cmd, done chan struct{}) {
		p.err = c.Wait()
		close(done)
	}(p.cmd, p.done)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if code, _, err := health.Do("GET", "/healthz", nil); err == nil && code == 200 {
			return
		}
		select {
		case <-p.done:
			p.t.Fatalf("%s exited at start (%v):\n%s", p.name, p.err, tail(p.out.String(), 8000))
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.t.Fatalf("%s did not answer /healthz:\n%s", p.name, tail(p.out.String(), 8000))
}

// stop is an operator's clean stop: SIGTERM, and the program must exit 0.
func (p *proc) stop() {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.t.Fatalf("%s did not stop within 15 s of SIGTERM", p.name)
	}
	require.NoError(p.t, p.err, "%s exit status\n%s", p.name, tail(p.out.String(), 4000))
}

// restart runs the same program again (same data) with other arguments.
func (p *proc) restart(health *proctest.Client, bin string, args ...string) {
	p.t.Helper()
	p.args = append([]string{"netns", "exec", p.ns, bin}, args...)
	p.start(health)
}

func (p *proc) kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
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

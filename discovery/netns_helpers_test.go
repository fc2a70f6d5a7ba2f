//go:build linux

package discovery

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/netnstest"
	"github.com/kyso-vn/kyso/internal/testenv"
)

// The namespace tests put an advertiser and a browser (or avahi) on two
// ends of a veth pair, each end in its own network namespace: real
// multicast between two "machines". Each party is a child process started
// with `ip netns exec`, running as nobody to show that no root is needed.

const nobody = "65534"

var (
	toolOnce sync.Once
	toolDir  string
	toolPath string
	toolErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if toolDir != "" {
		os.RemoveAll(toolDir)
	}
	os.Exit(code)
}

// needNetns skips (fails in CI) without root and the tools.
func needNetns(t *testing.T) {
	t.Helper()
	testenv.Slow(t, "network namespaces")
	netnstest.Need(t)
	testenv.Need(t, "setpriv", "util-linux")
	mdnstool(t) // build first: a cold -race build must not eat a test's deadline
}

// mdnstool builds the helper once per test binary, with -race when the
// tests run with -race, into a directory nobody can read.
func mdnstool(t *testing.T) string {
	t.Helper()
	toolOnce.Do(func() {
		goBin, err := exec.LookPath("go")
		if err != nil {
			goBin = "/usr/local/go/bin/go" // where .ci/run puts Go
		}
		if toolDir, toolErr = os.MkdirTemp("", "kyso-mdnstool-"); toolErr != nil {
			return
		}
		if toolErr = os.Chmod(toolDir, 0o755); toolErr != nil {
			return
		}
		toolPath = filepath.Join(toolDir, "mdnstool")
		args := []string{"build", "-o", toolPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "./internal/mdnstool")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, goBin, args...).CombinedOutput()
		if err != nil {
			toolErr = fmt.Errorf("go build mdnstool: %v\n%s", err, out)
		}
	})
	require.NoError(t, toolErr)
	return toolPath
}

// newLAN is the LAN of netnstest with advertiser-side a and browser-side b.
func newLAN(t *testing.T) *netnstest.LAN { return netnstest.NewLAN(t, "a", "b") }

// child is a process in a namespace whose stdout lines are read as they come.
type child struct {
	t      *testing.T
	name   string
	proc   *netnstest.Proc
	stdin  io.WriteCloser
	lines  chan string // closed at EOF, before proc is reaped
	stderr *netnstest.SyncBuffer
	stdout *netnstest.SyncBuffer // every line read, for the failure log
}

// startChild runs argv inside ns, as nobody when user is set.
func startChild(t *testing.T, ctx context.Context, name, ns, user string, env []string, argv ...string) *child {
	t.Helper()
	if user != "" {
		argv = append([]string{"setpriv", "--reuid=" + user, "--regid=" + user, "--clear-groups"}, argv...)
	}
	c := &child{t: t, name: name, lines: make(chan string, 1024), stderr: &netnstest.SyncBuffer{}, stdout: &netnstest.SyncBuffer{}}
	cmd := netnstest.Command(ctx, ns, argv...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = c.stderr
	cmd.WaitDelay = 2 * time.Second
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	c.stdin, err = cmd.StdinPipe()
	require.NoError(t, err)
	c.proc = netnstest.Start(t, name, cmd, func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(c.stdout, sc.Text())
			c.lines <- sc.Text()
		}
		close(c.lines)
	})
	t.Cleanup(func() {
		c.proc.Kill()
		if t.Failed() {
			t.Logf("--- %s stdout ---\n%s", c.name, netnstest.Tail(c.stdout.String(), 6000))
			t.Logf("--- %s stderr ---\n%s", c.name, netnstest.Tail(c.stderr.String(), 6000))
		}
	})
	return c
}

// waitLine returns the first line, from now on, that match accepts.
func (c *child) waitLine(timeout time.Duration, what string, match func(string) bool) string {
	c.t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				<-c.proc.Done()
				c.t.Fatalf("%s exited (%v) before %s", c.name, c.proc.Err(), what)
			}
			if match(line) {
				return line
			}
		case <-deadline.C:
			c.t.Fatalf("%s: no %s within %v", c.name, what, timeout)
		}
	}
}

// noLine fails if a line that match accepts arrives within d.
func (c *child) noLine(d time.Duration, what string, match func(string) bool) {
	c.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				return
			}
			if match(line) {
				c.t.Fatalf("%s: unexpected %s: %s", c.name, what, line)
			}
		case <-deadline.C:
			return
		}
	}
}

func (c *child) send(line string) {
	c.t.Helper()
	_, err := io.WriteString(c.stdin, line+"\n")
	require.NoError(c.t, err)
}

// stop sends SIGTERM and requires a clean exit: exit status 0 also means
// no data race was reported when the helper was built with -race.
func (c *child) stop() {
	c.t.Helper()
	err := c.proc.Stop(10 * time.Second)
	require.NoError(c.t, err, "%s exit status (66 = race detected)\n%s", c.name, netnstest.Tail(c.stderr.String(), 4000))
}

// kill ends the child with SIGKILL: no goodbye.
func (c *child) kill() {
	c.t.Helper()
	c.proc.Kill()
}

// toolEvent is one JSON line from mdnstool.
type toolEvent struct {
	Event    string    `json:"event"`
	Instance string    `json:"instance"`
	UID      int       `json:"uid"`
	Peer     *peerLine `json:"peer"`
	WardURL  string    `json:"ward_url"`
}

type peerLine struct {
	Instance string   `json:"instance"`
	Host     string   `json:"host"`
	ID       string   `json:"id"`
	Village  string   `json:"village"`
	Version  string   `json:"version"`
	API      string   `json:"api"`
	Seq      uint64   `json:"seq"`
	Addrs    []string `json:"addrs"`
	Port     int      `json:"port"`
	Gone     bool     `json:"gone"`
	URL      string   `json:"url"`
}

// waitEvent returns the first mdnstool event that match accepts.
func (c *child) waitEvent(timeout time.Duration, what string, match func(toolEvent) bool) toolEvent {
	c.t.Helper()
	var got toolEvent
	c.waitLine(timeout, what, func(line string) bool {
		var ev toolEvent
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			c.t.Logf("%s: not JSON: %s", c.name, line)
			return false
		}
		if match(ev) {
			got = ev
			return true
		}
		return false
	})
	return got
}

// waitPeer waits for a browser's peer event.
func (c *child) waitPeer(timeout time.Duration, what string, match func(peerLine) bool) toolEvent {
	c.t.Helper()
	return c.waitEvent(timeout, what, func(ev toolEvent) bool {
		return ev.Event == "peer" && ev.Peer != nil && match(*ev.Peer)
	})
}

// startTool runs mdnstool in ns as nobody and waits for it to start.
func startTool(t *testing.T, ctx context.Context, name, ns string, args ...string) *child {
	t.Helper()
	c := startChild(t, ctx, name, ns, nobody, nil, append([]string{mdnstool(t)}, args...)...)
	ev := c.waitEvent(10*time.Second, "start", func(ev toolEvent) bool { return ev.Event == "started" })
	require.Equal(t, 65534, ev.UID, "runs without root")
	return c
}

// avahiLine is one line of `avahi-browse -p`.
type avahiLine struct {
	Op, Iface, Proto, Name, Type, Domain, Host, Addr, Port string
	TXT                                                    map[string]string
}

// parseAvahi reads avahi-browse's parsable format:
// op;iface;proto;name;type;domain[;host;addr;port;"txt" "txt"...].
// Names and TXT use \DDD escapes, as miekg/dns does.
func parseAvahi(line string) (avahiLine, bool) {
	f := strings.SplitN(line, ";", 10)
	if len(f) < 6 {
		return avahiLine{}, false
	}
	l := avahiLine{Op: f[0], Iface: f[1], Proto: f[2], Name: unescapePresentation(f[3]), Type: f[4], Domain: f[5]}
	if len(f) == 10 {
		l.Host, l.Addr, l.Port = f[6], f[7], f[8]
		l.TXT = DecodeTXT(parseQuoted(f[9]))
	}
	return l, true
}

// parseQuoted splits `"a=1" "b=x\"y"` into unescaped strings.
func parseQuoted(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(s) && s[j] != '"' {
			if s[j] == '\\' {
				j++
			}
			j++
		}
		if j > len(s) {
			j = len(s)
		}
		out = append(out, unescapePresentation(s[i+1:j]))
		i = j
	}
	return out
}

// startAvahi runs a private avahi-daemon inside ns: its own D-Bus system
// bus (a dbus-daemon on a socket in a temp dir) and its own /run, so it
// neither needs nor disturbs a system avahi. It returns the bus address
// for avahi-browse.
func startAvahi(t *testing.T, ctx context.Context, ns, iface string) string {
	t.Helper()
	dir := t.TempDir()
	busConf := filepath.Join(dir, "bus.conf")
	sock := filepath.Join(dir, "bus")
	require.NoError(t, os.WriteFile(busConf, []byte(`<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=`+sock+`</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
`), 0o644))
	avahiConf := filepath.Join(dir, "avahi.conf")
	require.NoError(t, os.WriteFile(avahiConf, []byte(`[server]
use-ipv4=yes
use-ipv6=no
allow-interfaces=`+iface+`
enable-dbus=yes
ratelimit-interval-usec=1000000
ratelimit-burst=1000
[wide-area]
enable-wide-area=no
[publish]
disable-publishing=yes
`), 0o644))

	bus := exec.CommandContext(ctx, "dbus-daemon", "--config-file="+busConf, "--nofork", "--nopidfile", "--print-address")
	busOut, err := bus.StdoutPipe()
	require.NoError(t, err)
	var busErr netnstest.SyncBuffer
	bus.Stderr = &busErr
	bus.WaitDelay = time.Second
	require.NoError(t, bus.Start())
	t.Cleanup(func() {
		_ = bus.Process.Kill()
		_ = bus.Wait()
	})
	addrCh := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(busOut)
		if sc.Scan() {
			addrCh <- strings.TrimSpace(sc.Text())
		}
		close(addrCh)
		_, _ = io.Copy(io.Discard, busOut)
	}()
	var addr string
	select {
	case addr = <-addrCh:
	case <-time.After(10 * time.Second):
	}
	require.NotEmpty(t, addr, "dbus-daemon did not start: %s", busErr.String())
	env := []string{"DBUS_SYSTEM_BUS_ADDRESS=" + addr}

	// ip netns exec gives the shell a private mount namespace, so the tmpfs
	// on /run (where avahi keeps its pid file) is seen by this daemon only.
	daemon := startChild(t, ctx, "avahi-daemon", ns, "", env, "sh", "-c",
		`mount -t tmpfs tmpfs /run && mkdir -p /run/avahi-daemon && exec avahi-daemon -f "$1" --no-drop-root --no-chroot --no-rlimits --debug`,
		"sh", avahiConf)
	require.Eventually(t, func() bool {
		return strings.Contains(daemon.stderr.String(), "Server startup complete")
	}, 15*time.Second, 50*time.Millisecond, "avahi-daemon did not start:\n%s", daemon.stderr.String())
	t.Cleanup(func() {
		_ = daemon.proc.Signal(syscall.SIGTERM)
	})
	return addr
}

// startAvahiBrowse runs `avahi-browse -rpk TYPE` against the private avahi.
func startAvahiBrowse(t *testing.T, ctx context.Context, ns, busAddr, serviceType string) *child {
	t.Helper()
	return startChild(t, ctx, "avahi-browse", ns, "", []string{"DBUS_SYSTEM_BUS_ADDRESS=" + busAddr},
		"avahi-browse", "-r", "-p", "-k", serviceType)
}

// waitAvahi waits for an avahi-browse line with op for the instance.
func waitAvahi(c *child, timeout time.Duration, op, instance string, match func(avahiLine) bool) avahiLine {
	c.t.Helper()
	var got avahiLine
	c.waitLine(timeout, fmt.Sprintf("%q for %q", op, instance), func(line string) bool {
		l, ok := parseAvahi(line)
		if !ok || l.Op != op || l.Name != instance {
			return false
		}
		if match != nil && !match(l) {
			return false
		}
		got = l
		return true
	})
	return got
}

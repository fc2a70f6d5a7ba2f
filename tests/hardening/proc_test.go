package hardening

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/internal/testenv"
)

// binDir holds the binaries TestMain built; empty entries were not built.
var bins struct {
	dir   string
	kiosk string
	ward  string
	race  bool
}

// moduleRoot is the repository root, two levels up from this package.
func moduleRoot() string {
	wd, _ := os.Getwd()
	return filepath.Clean(filepath.Join(wd, "..", ".."))
}

func TestMain(m *testing.M) {
	if testenv.SkipPackageIfShort("process-level hardening tests") {
		os.Exit(0)
	}
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kyso-hardening-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	bins.dir = dir
	// A race-enabled test run builds race-enabled programs too: a data race
	// in the real process then fails the test that provoked it.
	bins.race = raceEnabled && os.Getenv("CGO_ENABLED") != "0"
	build := func(name string) (string, error) {
		out := filepath.Join(dir, name)
		args := []string{"build", "-o", out}
		if bins.race {
			args = append(args, "-race")
		}
		args = append(args, "./cmd/"+name)
		cmd := exec.Command("go", args...)
		cmd.Dir = moduleRoot()
		if b, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("go build %s: %v\n%s", name, err, b)
		}
		return out, nil
	}
	if bins.kiosk, err = build("kiosk"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if _, err := os.Stat(filepath.Join(moduleRoot(), "cmd", "ward", "main.go")); err == nil {
		if bins.ward, err = build("ward"); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	return m.Run()
}

// needWard skips (fails in CI) until cmd/ward exists.
func needWard(t *testing.T) {
	t.Helper()
	if bins.ward == "" {
		if os.Getenv("KYSO_CI") == "1" {
			t.Fatal("cmd/ward is missing")
		}
		t.Skip("SKIPPED — NOT TESTED: cmd/ward does not exist yet")
	}
}

// syncBuffer collects a process's output across restarts.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is one program run as a child process; it can be killed and started
// again on the same data directory and port.
type proc struct {
	t      *testing.T
	bin    string
	args   []string
	addr   string // 127.0.0.1:port
	out    *syncBuffer
	cmd    *exec.Cmd
	exited chan struct{}
	starts int
}

// freePort returns a port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// kioskOpts are the flags of a test kiosk.
type kioskOpts struct {
	Data      string // default t.TempDir()
	JoinLimit int
	DataKey   string // path of a key file
	Extra     []string
	Bin       string // default bins.kiosk
}

const (
	testPIN   = "246810"
	testToken = "kiosk-secret-token-0123456789"
	testID    = "dong-lao"
)

// startKiosk runs bin/kiosk on a free port and waits until it answers.
func startKiosk(t *testing.T, o kioskOpts) *proc {
	t.Helper()
	if o.Data == "" {
		o.Data = t.TempDir()
	}
	port := freePort(t)
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{
		"--listen", addr, "--data", o.Data, "--id", testID, "--village", "Đông Lão",
		"--pin", testPIN, "--token", testToken, "--mdns=false", "--public-url", "http://" + addr,
		"--join-limit", strconv.Itoa(o.JoinLimit), "--desks", "3",
	}
	if o.DataKey != "" {
		args = append(args, "--data-key", o.DataKey)
	}
	args = append(args, o.Extra...)
	bin := bins.kiosk
	if o.Bin != "" {
		bin = o.Bin
	}
	p := &proc{t: t, bin: bin, args: args, addr: addr, out: &syncBuffer{}}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proc) url() string { return "http://" + p.addr }

// start launches the process and waits for /healthz.
func (p *proc) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = p.out, p.out
	// The kiosk must never learn its settings from the developer's shell.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "GORACE=halt_on_error=0"}
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.bin, err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	p.starts++
	go func(ch chan struct{}) { _ = cmd.Wait(); close(ch) }(p.exited)
	p.waitReady(15 * time.Second)
}

func (p *proc) waitReady(limit time.Duration) {
	p.t.Helper()
	c := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			p.t.Fatalf("%s exited during start-up:\n%s", filepath.Base(p.bin), p.tail())
		default:
		}
		res, err := c.Get(p.url() + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	p.t.Fatalf("%s did not answer /healthz within %s:\n%s", filepath.Base(p.bin), limit, p.tail())
}

// alive reports whether the process still runs.
func (p *proc) alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// exitedWithin reports whether the process ends within d.
func (p *proc) exitedWithin(d time.Duration) bool {
	select {
	case <-p.exited:
		return true
	case <-time.After(d):
		return false
	}
}

// kill is the power cut: SIGKILL, no chance to flush or close anything.
func (p *proc) kill() {
	p.t.Helper()
	if p.cmd == nil || !p.alive() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.t.Fatal("process did not die after SIGKILL")
	}
}

// stop ends the process gracefully (SIGTERM), killing it if it hangs.
func (p *proc) stop() {
	if p.cmd == nil || !p.alive() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		p.t.Errorf("%s did not stop within 10 s of SIGTERM", filepath.Base(p.bin))
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.exited
	}
}

// tail is the end of the output, for failure messages.
func (p *proc) tail() string {
	s := p.out.String()
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

// checkOutput fails on what must never appear in a program's output: data
// races, panics, crashes.
func (p *proc) checkOutput() {
	p.t.Helper()
	out := p.out.String()
	for _, bad := range []string{"DATA RACE", "panic:", "fatal error:", "SIGBUS", "SIGSEGV", "goroutine "} {
		if i := strings.Index(out, bad); i >= 0 {
			from := max(0, i-200)
			p.t.Errorf("output contains %q:\n%s", bad, out[from:min(len(out), i+6000)])
			return
		}
	}
}

// waitFor polls cond until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		if cond() {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// runFor runs a program to its end, killing it after limit.
func runFor(limit time.Duration, bin string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir()}
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		return out, errors.New("still running after " + limit.String())
	}
	return out, err
}

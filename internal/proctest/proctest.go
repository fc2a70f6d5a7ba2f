// Package proctest runs the real kiosk and ward binaries for process-level
// tests: built once per test binary, started on 127.0.0.1 with temp data,
// killed or stopped like a power cut or an operator would.
package proctest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries builds bin/kiosk and bin/ward once per test process.
func Binaries(t testing.TB) (kiosk, ward string) {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "kyso-bin-")
		if buildErr != nil {
			return
		}
		for _, name := range []string{"kiosk", "ward"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(buildDir, name), "github.com/kyso-vn/kyso/cmd/"+name).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", name, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "kiosk"), filepath.Join(buildDir, "ward")
}

// FreeAddr returns a free 127.0.0.1 port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// Proc is one running program.
type Proc struct {
	t    testing.TB
	Bin  string
	Args []string
	Addr string
	URL  string
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

type lockedWriter struct{ p *Proc }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.out.Write(b)
}

// Start runs bin with args (which must include --listen addr) and waits for /healthz.
func Start(t testing.TB, bin, addr string, args ...string) *Proc {
	t.Helper()
	p := &Proc{t: t, Bin: bin, Args: args, Addr: addr, URL: "http://" + addr}
	p.start()
	t.Cleanup(func() { p.Kill() })
	return p
}

func (p *Proc) start() {
	p.t.Helper()
	p.cmd = exec.Command(p.Bin, p.Args...)
	p.cmd.Stdout, p.cmd.Stderr = lockedWriter{p}, lockedWriter{p}
	if err := p.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { c.Wait(); close(done) }(p.cmd, p.done)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		res, err := http.Get(p.URL + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return
			}
		}
		select {
		case <-p.done:
			p.t.Fatalf("%s exited at start:\n%s", filepath.Base(p.Bin), p.Output())
		case <-time.After(50 * time.Millisecond):
		}
	}
	p.t.Fatalf("%s did not answer /healthz:\n%s", filepath.Base(p.Bin), p.Output())
}

// Output is what the program printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Kill is a power cut: SIGKILL, no goodbye.
func (p *Proc) Kill() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Kill()
	<-p.done
}

// Stop is an operator's clean stop.
func (p *Proc) Stop() {
	if p.cmd == nil || p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		p.t.Errorf("%s did not stop within 15 s", filepath.Base(p.Bin))
		p.Kill()
	}
}

// Restart starts the same program again on the same address and data.
func (p *Proc) Restart() { p.t.Helper(); p.start() }

// Client is an HTTP client with cookies and optional default headers.
type Client struct {
	T      testing.TB
	Base   string
	HTTP   *http.Client
	Header http.Header
}

// NewClient talks to base.
func NewClient(t testing.TB, base string) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{T: t, Base: base, HTTP: &http.Client{Jar: jar, Timeout: 30 * time.Second}, Header: http.Header{}}
}

// Do sends a request; body may be nil, []byte or a value to JSON-encode.
func (c *Client) Do(method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range c.Header {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, b, err
}

// JSON sends a request and decodes the answer into out (when non-nil); it fails the test on transport errors.
func (c *Client) JSON(method, path string, body, out any) int {
	c.T.Helper()
	code, b, err := c.Do(method, path, body)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			c.T.Fatalf("%s %s: %d %s: %v", method, path, code, b, err)
		}
	}
	return code
}

// Eventually polls cond until it holds or timeout passes.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %s waiting for: %s", timeout, what)
}

// Citizen returns the i-th valid adult citizen (unique CCCD and phone).
func Citizen(i int, village string) map[string]any {
	year := 1950 + i%50
	gender, digit := "male", 0
	if i%2 == 1 {
		gender, digit = "female", 1
	}
	return map[string]any{
		"name":       "Công Dân " + Letters(i),
		"cccd":       fmt.Sprintf("038%d%02d%06d", digit, year%100, i),
		"birth_date": fmt.Sprintf("%d-03-15", year),
		"gender":     gender,
		"phone":      fmt.Sprintf("09%08d", i),
		"village":    village,
		"consent":    true,
	}
}

// Letters spells i in letters (names may not hold digits): 0 → "A", 27 → "Bb".
func Letters(i int) string {
	s := string(rune('A' + i%26))
	for i /= 26; i > 0; i /= 26 {
		s += string(rune('a' + i%26))
	}
	return s
}

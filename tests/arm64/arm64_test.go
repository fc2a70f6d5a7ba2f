package arm64

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
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
)

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

type proc struct {
	cmd  *exec.Cmd
	addr string
	out  *bytes.Buffer
}

func startKiosk(t *testing.T, qemu, bin, data, addr string) *proc {
	t.Helper()
	out := &bytes.Buffer{}
	cmd := exec.Command(qemu, bin, "--listen", addr, "--data", data, "--id", "pi-test", "--village", "Đông Lão",
		"--pin", "135790", "--token", "tok", "--mdns=false", "--join-limit", "0", "--public-url", "http://192.168.4.1:8080")
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	p := &proc{cmd: cmd, addr: addr, out: out}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	deadline := time.Now().Add(60 * time.Second) // emulation is slow
	for time.Now().Before(deadline) {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("arm64 kiosk did not answer /healthz within 60 s:\n%s", out.String())
	return nil
}

func post(t *testing.T, c *http.Client, url string, body any, csrf string) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", url, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	rb, _ := io.ReadAll(res.Body)
	var m map[string]any
	_ = json.Unmarshal(rb, &m)
	return res.StatusCode, m
}

func TestArm64KioskUnderQEMU(t *testing.T) {
	testenv.Slow(t, "an arm64 kiosk under QEMU")
	if runtime.GOARCH == "arm64" {
		t.Skip("already on arm64: the ordinary tests cover it")
	}
	qemu := testenv.Need(t, "qemu-aarch64-static", "qemu-user-static")
	bin := filepath.Join(t.TempDir(), "kiosk-linux-arm64")
	build := exec.Command("go", "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, "github.com/kyso-vn/kyso/cmd/kiosk")
	build.Env = append(os.Environ(), "GOOS=linux", "GOARCH=arm64", "CGO_ENABLED=0")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)
	st, err := os.Stat(bin)
	require.NoError(t, err)
	assert.LessOrEqual(t, st.Size(), int64(25<<20), "arm64 kiosk must fit the 25 MB budget")

	data := t.TempDir()
	addr := freePort(t)
	p := startKiosk(t, qemu, bin, data, addr)
	base := "http://" + addr

	var hz map[string]any
	res, err := http.Get(base + "/healthz")
	require.NoError(t, err)
	require.NoError(t, json.NewDecoder(res.Body).Decode(&hz))
	res.Body.Close()
	assert.Equal(t, "ok", hz["status"])
	assert.Equal(t, "pi-test", hz["kiosk_id"])

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	code, tk := post(t, c, base+"/api/v1/tickets", map[string]any{
		"name": "Nguyễn Văn An", "phone": "0912345678", "cccd": "038090012345", "birth_date": "1990-05-01",
		"gender": "male", "village": "Đông Lão", "consent": true,
	}, "")
	require.Equal(t, 201, code, "%v", tk)
	code, login := post(t, c, base+"/api/v1/login", map[string]string{"pin": "135790", "volunteer": "Lan"}, "")
	require.Equal(t, 200, code)
	csrf := login["csrf_token"].(string)
	code, called := post(t, c, base+"/api/v1/desks/1/next", nil, csrf)
	require.Equal(t, 200, code)
	assert.Equal(t, tk["id"], called["id"])
	code, done := post(t, c, base+"/api/v1/tickets/"+fmt.Sprint(tk["id"])+"/complete", map[string]string{"outcome": "activated"}, csrf)
	require.Equal(t, 201, code, "%v", done)

	// Survives a restart: a clean stop, then the same data dir again.
	require.NoError(t, p.cmd.Process.Signal(os.Interrupt))
	waitErr := make(chan error, 1)
	go func() { waitErr <- p.cmd.Wait() }()
	select {
	case <-waitErr:
	case <-time.After(30 * time.Second):
		t.Fatal("arm64 kiosk did not stop on SIGINT")
	}
	startKiosk(t, qemu, bin, data, addr)
	req, _ := http.NewRequest("GET", base+"/api/v1/records?after=0", nil)
	req.Header.Set("Authorization", "Bearer tok")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	var page struct {
		HeadSeq uint64 `json:"head_seq"`
		Records []struct {
			Seq     uint64 `json:"seq"`
			Outcome string `json:"outcome"`
		} `json:"records"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&page))
	res.Body.Close()
	require.Len(t, page.Records, 1)
	assert.Equal(t, uint64(1), page.HeadSeq)
	assert.Equal(t, "activated", page.Records[0].Outcome)
}

package kiosk

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/queue"
)

// harness is a real kiosk on a real 127.0.0.1 listener with Badger in a temp dir.
type harness struct {
	t      *testing.T
	url    string
	app    *App
	q      *queue.Queue
	cfg    Config
	cancel context.CancelFunc
	done   chan error
}

func testConfig(t testing.TB) Config {
	cfg := Defaults()
	cfg.Data = t.TempDir()
	cfg.ID = "dong-lao"
	cfg.Village = "Đông Lão"
	cfg.PIN = "246810"
	cfg.Token = "kiosk-secret-token"
	cfg.Listen = "127.0.0.1:0"
	cfg.JoinLimit = 0
	cfg.MDNS = false
	cfg.BallastBytes = 0
	require.NoError(t, cfg.Validate())
	return cfg
}

func start(t *testing.T, cfg Config) *harness {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	return startOn(t, cfg, ln)
}

// startOn serves on ln: a restarted kiosk takes the address of the one it
// replaces, as the real box does, so that open pages find it again.
func startOn(t *testing.T, cfg Config, ln net.Listener) *harness {
	t.Helper()
	if cfg.PublicURL == "" {
		cfg.PublicURL = "http://" + ln.Addr().String()
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	app, err := New(cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, url: "http://" + ln.Addr().String(), app: app, q: app.q, cfg: cfg, cancel: cancel, done: make(chan error, 1)}
	go func() { h.done <- app.Serve(ctx, ln) }()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) stop() {
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case <-h.done:
	case <-time.After(10 * time.Second):
		h.t.Error("kiosk did not shut down within 10 s")
	}
	h.app.Close()
	h.cancel = nil
}

// client is one device: a phone or a tablet, with its own cookies.
type client struct {
	t    *testing.T
	h    *harness
	http *http.Client
	csrf string
}

func (h *harness) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: h.t, h: h, http: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m), "body: %s", r.Body)
	return m
}

func (r resp) ErrCode(t *testing.T) string {
	t.Helper()
	m := r.JSON(t)
	e, ok := m["error"].(map[string]any)
	require.True(t, ok, "no error object in %s", r.Body)
	require.NotEmpty(t, e["message"], "error without a message")
	return e["code"].(string)
}

func (c *client) do(method, path string, body any, hdr ...string) resp {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = bytes.NewReader([]byte(b))
	default:
		j, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.h.url+path, rd)
	require.NoError(c.t, err)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := c.http.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(c.t, err)
	return resp{Status: res.StatusCode, Header: res.Header, Body: b}
}

func (c *client) login() {
	c.t.Helper()
	r := c.do("POST", "/api/v1/login", map[string]string{"pin": c.h.cfg.PIN, "volunteer": "Trần Thị Lan"})
	require.Equal(c.t, 200, r.Status, "%s", r.Body)
	c.csrf = r.JSON(c.t)["csrf_token"].(string)
}

type person struct {
	Name, Phone, CCCD, Birth, Gender, Village string
}

var people = []person{
	{"Nguyễn Văn An", "0912345678", "038090012345", "1990-05-01", "male", "Đông Lão"},
	{"Lê Thị Bình", "0987654321", "038185001122", "1985-02-03", "female", "Song Nga"},
	{"Phạm Văn Cường", "0356789012", "038070004455", "1970-12-30", "male", "Đông Lão"},
	{"Hoàng Thị Dung", "0701234567", "038199006677", "1999-07-15", "female", "Thôn Kim"},
}

func (p person) body() map[string]any {
	return map[string]any{"name": p.Name, "phone": p.Phone, "cccd": p.CCCD, "birth_date": p.Birth, "gender": p.Gender, "village": p.Village, "consent": true}
}

type joined struct {
	ID, Token string
	Number    int
}

func (c *client) join(p person) joined {
	c.t.Helper()
	r := c.do("POST", "/api/v1/tickets", p.body())
	require.Equal(c.t, 201, r.Status, "%s", r.Body)
	m := r.JSON(c.t)
	return joined{ID: m["id"].(string), Token: m["token"].(string), Number: int(m["number"].(float64))}
}

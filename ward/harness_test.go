package ward

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

const (
	tokA      = "token-of-kiosk-a-0123456789"
	tokB      = "token-of-kiosk-b-0123456789"
	adminPW   = "mat-khau-quan-tri"
	quotasCSV = "quota/testdata/quotas-cam-ngoc-2024.csv"
)

// testClock is a settable clock for the ward.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type harness struct {
	t      *testing.T
	cfg    Config
	svc    *Service
	url    string
	cancel context.CancelFunc
	done   chan error
	clock  *testClock
}

func testConfig(t *testing.T) Config {
	cfg := Defaults()
	cfg.Data = t.TempDir()
	cfg.Listen = "127.0.0.1:0"
	cfg.AdminPassword = adminPW
	cfg.QuotasFile = quotasCSV
	cfg.Kiosks = []KioskCred{{ID: "kiosk-a", Token: tokA}, {ID: "kiosk-b", Token: tokB}}
	cfg.passwordIterations = 1000
	cfg.Logger = slog.New(slog.DiscardHandler)
	cfg.PullInterval = 50 * time.Millisecond
	return cfg
}

// start runs a ward on a real 127.0.0.1 listener until the test ends.
func start(t *testing.T, cfg Config) *harness {
	t.Helper()
	h := &harness{t: t, cfg: cfg, clock: &testClock{}}
	if cfg.Now == nil {
		h.cfg.Now = h.clock.Now
	}
	h.open()
	t.Cleanup(h.stop)
	return h
}

func (h *harness) open() {
	h.t.Helper()
	svc, err := New(h.cfg)
	require.NoError(h.t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(h.t, err)
	ctx, cancel := context.WithCancel(context.Background())
	h.svc, h.cancel, h.done = svc, cancel, make(chan error, 1)
	go func() { h.done <- svc.Serve(ctx, ln) }()
	<-svc.Ready()
	h.url = "http://" + svc.Addr().String()
}

// stop shuts the ward down and closes its store (idempotent).
func (h *harness) stop() {
	if h.svc == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		require.NoError(h.t, err)
	case <-time.After(20 * time.Second):
		buf := make([]byte, 1<<20)
		h.t.Fatalf("ward did not shut down:\n%s", buf[:runtime.Stack(buf, true)])
	}
	require.NoError(h.t, h.svc.Close())
	h.svc = nil
}

// restart stops the ward and opens it again on the same data.
func (h *harness) restart() {
	h.stop()
	h.open()
}

var t0 = time.Date(2024, 6, 5, 8, 0, 0, 0, clock.Vietnam)

// rec builds a completion record. Its id is derived from (kiosk, seq) so
// the same call always gives byte-identical records.
func rec(kiosk string, seq uint64, cccd, village string, activated bool) record.Record {
	out := record.OutcomeActivated
	reason := ""
	if !activated {
		out, reason = record.OutcomeFailed, "no_email"
	}
	at := t0.Add(time.Duration(seq) * time.Minute).UTC()
	return record.Record{
		ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", len(kiosk)*7919+int(kiosk[len(kiosk)-1]), seq), KioskID: kiosk, Seq: seq,
		Type: record.TypeCompletion, Outcome: out, Reason: reason,
		Citizen: record.Citizen{Name: "Nguyễn Thị Hằng " + fmt.Sprint(seq), CCCD: cccd, BirthDate: "1990-05-17", Gender: "female",
			Phone: "0912345678", Village: village, Association: "Hội Phụ nữ"},
		Volunteer: "Đỗ Văn Tình", Desk: 1, ConsentAt: at.Add(-10 * time.Minute), RecordedAt: at, Clock: record.ClockKiosk,
	}
}

func correction(kiosk string, seq uint64, of record.Record, village string, activated bool) record.Record {
	r := rec(kiosk, seq, of.Citizen.CCCD, village, activated)
	r.Type, r.Corrects = record.TypeCorrection, of.ID
	r.Citizen.Name = of.Citizen.Name
	return r
}

func cccd(n int) string { return fmt.Sprintf("0381%08d", n) }

type resp struct {
	status int
	body   []byte
	header http.Header
}

func (r resp) json(t *testing.T, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(r.body, v), string(r.body))
}

func (r resp) errCode(t *testing.T) string {
	t.Helper()
	var e struct {
		Error apiError `json:"error"`
	}
	r.json(t, &e)
	require.NotEmpty(t, e.Error.Message, "every error carries a Vietnamese message")
	return e.Error.Code
}

func do(t *testing.T, c *http.Client, method, url string, body io.Reader, hdr map[string]string) resp {
	t.Helper()
	if c == nil {
		c = http.DefaultClient
	}
	req, err := http.NewRequest(method, url, body)
	require.NoError(t, err)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return resp{res.StatusCode, b, res.Header}
}

func (h *harness) push(kiosk, token string, recs ...record.Record) resp {
	h.t.Helper()
	now := time.Now().UTC()
	b, err := json.Marshal(link.PushRequest{KioskID: kiosk, Version: "test-1", Now: &now, Records: recs})
	require.NoError(h.t, err)
	return do(h.t, nil, "POST", h.url+"/api/v1/records", bytes.NewReader(b), map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/json"})
}

func (h *harness) progress() progressDoc {
	h.t.Helper()
	var p progressDoc
	r := do(h.t, nil, "GET", h.url+"/api/v1/progress", nil, nil)
	require.Equal(h.t, 200, r.status)
	r.json(h.t, &p)
	return p
}

type row struct {
	Name      string  `json:"name"`
	Base      int     `json:"base"`
	Target    int     `json:"target"`
	Before    int     `json:"before"`
	Done      int     `json:"done"`
	Have      int     `json:"have"`
	Percent   float64 `json:"percent"`
	Remaining int     `json:"remaining"`
}

type progressDoc struct {
	Total         row   `json:"total"`
	Villages      []row `json:"villages"`
	Associations  []row `json:"associations"`
	OtherVillages []row `json:"other_villages"`
	Rounds        []struct {
		Name string `json:"name"`
		Done int    `json:"done"`
	} `json:"rounds"`
	Days []struct {
		Date string `json:"date"`
		Done int    `json:"done"`
	} `json:"days"`
	Records int `json:"records"`
}

func (p progressDoc) village(name string) row {
	for _, v := range append(p.Villages, p.OtherVillages...) {
		if v.Name == name {
			return v
		}
	}
	return row{}
}

// admin is an HTTP client logged in as admin, with its CSRF token.
type admin struct {
	c    *http.Client
	csrf string
}

func (h *harness) login() admin {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r := do(h.t, c, "POST", h.url+"/api/v1/login", strings.NewReader(`{"password":"`+adminPW+`"}`), map[string]string{"Content-Type": "application/json"})
	require.Equal(h.t, 200, r.status, string(r.body))
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	r.json(h.t, &body)
	return admin{c: c, csrf: body.CSRF}
}

func (a admin) post(t *testing.T, url string, body io.Reader, contentType string) resp {
	t.Helper()
	return do(t, a.c, "POST", url, body, map[string]string{"X-CSRF-Token": a.csrf, "Content-Type": contentType})
}

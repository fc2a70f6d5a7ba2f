package kiosk

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Run one target at a time, e.g.
//
//	go test -run '^$' -fuzz '^FuzzTicketJSON$' -fuzztime 10s ./kiosk/
//
// Seeds come from f.Add below and from testdata/fuzz/<FuzzName>/. Each
// fuzzing worker runs its own kiosk (Badger in a temp dir) and sends the
// input through the whole Fiber stack with app.Test: body limit, content
// type, JSON decoding, validation, the queue and the error handler.

// fuzzKiosk is an in-process kiosk with a logged-in volunteer.
type fuzzKiosk struct {
	app    *App
	cookie string
	csrf   string
	logs   *bytes.Buffer
}

func newFuzzKiosk(f *testing.F) *fuzzKiosk {
	cfg := Defaults()
	cfg.Data = f.TempDir()
	cfg.ID, cfg.Village, cfg.PIN, cfg.Token = "dong-lao", "Đông Lão", "246810", "kiosk-secret-token"
	cfg.Listen, cfg.PublicURL, cfg.JoinLimit, cfg.MDNS = "127.0.0.1:0", "http://127.0.0.1:8080", 0, false
	if err := cfg.Validate(); err != nil {
		f.Fatal(err)
	}
	logs := &bytes.Buffer{}
	cfg.Logger, cfg.BallastBytes = slog.New(slog.NewTextHandler(logs, nil)), 0
	app, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { app.Close() })
	k := &fuzzKiosk{app: app, logs: logs}
	res := k.send(f, "POST", "/api/v1/login", []byte(`{"pin":"246810","volunteer":"Lan"}`), false)
	if res.StatusCode != 200 {
		f.Fatalf("login: %d", res.StatusCode)
	}
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			k.cookie = c.Value
		}
	}
	var m struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&m)
	k.csrf = m.CSRF
	return k
}

// send runs one request through the app, with no time limit (a fuzzing
// worker on a busy machine can be slow).
func (k *fuzzKiosk) send(tb testing.TB, method, path string, body []byte, volunteer bool) *http.Response {
	tb.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if volunteer {
		req.Header.Set("Cookie", sessionCookie+"="+k.cookie)
		req.Header.Set("X-CSRF-Token", k.csrf)
	}
	res, err := k.app.http.Test(req, -1)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

var (
	fuzzMobileRE = regexp.MustCompile(`^0[35789][0-9]{8}$`)
	fuzzCCCDRE   = regexp.MustCompile(`^[0-9]{12}$`)
)

// checkAnswer holds for every answer: a status from the contract, never a
// 5xx, and for errors the JSON shape with a code and a Vietnamese-ready
// (valid UTF-8, NFC) message.
func checkAnswer(t *testing.T, res *http.Response, allowed ...int) []byte {
	t.Helper()
	b, _ := io.ReadAll(res.Body)
	ok := false
	for _, s := range allowed {
		ok = ok || s == res.StatusCode
	}
	if !ok {
		t.Fatalf("status %d: %s", res.StatusCode, b)
	}
	if res.StatusCode >= 400 {
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(b, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" ||
			!utf8.ValidString(e.Error.Message) || !norm.NFC.IsNormalString(e.Error.Message) {
			t.Fatalf("error answer %d not in the contract's shape: %s", res.StatusCode, b)
		}
	}
	return b
}

// FuzzTicketJSON sends arbitrary bodies to POST /api/v1/tickets, as a
// citizen's phone and as a volunteer's walk-in. Whatever the body: no panic,
// no 5xx, the error shape; and a ticket that is created holds a normalised
// citizen (12-digit CCCD, mobile phone, NFC text) and its answer carries no
// personal data.
func FuzzTicketJSON(f *testing.F) {
	f.Add([]byte(`{"name":"Nguyễn Văn An","phone":"0912345678","cccd":"038090012345","birth_date":"1990-05-01","gender":"male","village":"Đông Lão","consent":true}`), false)
	f.Add([]byte(`{"name":"Lê Thị Bình","phone":"+84 987 654 321","cccd":"038 185 001 122","birth_date":"3/2/1985","gender":"nữ","village":"Song Nga","association":"Hội Phụ nữ","consent":true}`), true)
	f.Add([]byte(`{"name":"Nguye\u0302\u0303n Thi\u0323 Ha\u0300","phone":"84.912.345.679","cccd":"001160012345","birth_date":"1960-03-05","village":"Tho\u0302n\u00a0Đông","consent":true}`), false)
	f.Add([]byte(`{"consent":"yes"}`), false)
	f.Add([]byte(`{"name":[[[[[[[[[[1]]]]]]]]]]}`), false)
	f.Add([]byte(`{}{}`), true)
	f.Add([]byte(`{"name":"\u0000","cccd":"123456789","consent":true}`), false)
	f.Add([]byte(`{"name":"=HYPERLINK(\"http://x\")","phone":"0912345678","cccd":"038090012399","birth_date":"1990-05-01","village":"+cmd","consent":true}`), true)
	k := newFuzzKiosk(f)
	f.Fuzz(func(t *testing.T, body []byte, walkIn bool) {
		res := k.send(t, "POST", "/api/v1/tickets", body, walkIn)
		b := checkAnswer(t, res, 201, 400, 409, 413, 415, 422)
		if res.StatusCode != 201 {
			return
		}
		var j struct {
			ID, Token string
			Number    int
		}
		if err := json.Unmarshal(b, &j); err != nil || j.ID == "" || j.Token == "" || j.Number < 1 {
			t.Fatalf("201 without a ticket: %s", b)
		}
		tk, err := k.app.q.Get(j.ID)
		if err != nil {
			t.Fatalf("created ticket not in the queue: %v", err)
		}
		c := tk.Citizen
		if !fuzzCCCDRE.MatchString(c.CCCD) || !fuzzMobileRE.MatchString(c.Phone) {
			t.Fatalf("stored un-normalised CCCD %q or phone %q", c.CCCD, c.Phone)
		}
		for _, s := range []string{c.Name, c.Village, c.Association} {
			if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) || strings.TrimSpace(s) != s {
				t.Fatalf("stored un-normalised text %q", s)
			}
		}
		if c.Gender != "male" && c.Gender != "female" {
			t.Fatalf("stored gender %q", c.Gender)
		}
		for _, s := range []string{c.CCCD, c.Phone} {
			if bytes.Contains(b, []byte(s)) {
				t.Fatalf("the answer carries personal data: %s", b)
			}
		}
		// Free the CCCD so later inputs can reach the success path again.
		if _, err := k.app.q.Cancel(j.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzVolunteerJSON sends arbitrary bodies to the volunteer requests that
// take JSON: corrections, completions, record corrections and login. The
// ticket they act on is a fresh, called one each time.
func FuzzVolunteerJSON(f *testing.F) {
	f.Add([]byte(`{"outcome":"activated","device_time":"2026-11-23T12:00:00Z"}`), uint8(0))
	f.Add([]byte(`{"outcome":"failed","reason":"other","note":"máy cũ","citizen":{"name":"Nguyễn Văn Ân"}}`), uint8(0))
	f.Add([]byte(`{"citizen":{"cccd":"038090012346","phone":"0987654321"}}`), uint8(1))
	f.Add([]byte(`{"citizen":{"birth_date":"2015-01-01"}}`), uint8(1))
	f.Add([]byte(`{"citizen":{"village":"Song Nga"},"outcome":"failed","reason":"no_email"}`), uint8(2))
	f.Add([]byte(`{"pin":"246810","volunteer":"Trần Thị Lan"}`), uint8(3))
	f.Add([]byte(`{"pin":["246810"]}`), uint8(3))
	f.Add([]byte(`{"citizen":null,"outcome":null}`), uint8(0))
	k := newFuzzKiosk(f)
	n := 0
	f.Fuzz(func(t *testing.T, body []byte, action uint8) {
		n++
		j := k.send(t, "POST", "/api/v1/tickets", []byte(`{"name":"Phạm Văn Cường","phone":"0356789012","cccd":"`+fuzzCCCD(n)+`","birth_date":"1970-12-30","gender":"male","village":"Đông Lão","consent":true}`), false)
		if j.StatusCode != 201 {
			t.Fatalf("setup join: %d", j.StatusCode)
		}
		var tk struct{ ID string }
		_ = json.NewDecoder(j.Body).Decode(&tk)
		next := k.send(t, "POST", "/api/v1/desks/1/next", nil, true)
		checkAnswer(t, next, 200)
		switch action % 4 {
		case 0:
			checkAnswer(t, k.send(t, "POST", "/api/v1/tickets/"+tk.ID+"/complete", body, true), 201, 400, 409, 413, 422)
		case 1:
			checkAnswer(t, k.send(t, "PATCH", "/api/v1/tickets/"+tk.ID, body, true), 200, 400, 409, 413, 422)
		case 2:
			res := k.send(t, "POST", "/api/v1/tickets/"+tk.ID+"/complete", []byte(`{"outcome":"failed","reason":"left"}`), true)
			var rec struct{ Record struct{ ID string } }
			_ = json.NewDecoder(res.Body).Decode(&rec)
			checkAnswer(t, k.send(t, "POST", "/api/v1/records/"+rec.Record.ID+"/correct", body, true), 201, 400, 404, 409, 413, 422)
		case 3:
			checkAnswer(t, k.send(t, "POST", "/api/v1/login", body, false), 200, 400, 401, 413, 422, 429)
		}
		// Whatever happened, the desk is free for the next input.
		if st, err := k.app.q.Get(tk.ID); err == nil && st.Status.Active() {
			if _, err := k.app.q.Cancel(tk.ID); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range []string{fuzzCCCD(n), "0356789012"} {
			if strings.Contains(k.logs.String(), s) {
				t.Fatalf("personal data in the log: %s", k.logs.String())
			}
		}
	})
}

// fuzzCCCD is a valid, distinct CCCD of a man born in 1970 for each n.
func fuzzCCCD(n int) string {
	s := "038070" + strings.Repeat("0", 6)
	d := []byte(s)
	for i := 11; i >= 6 && n > 0; i-- {
		d[i] = byte('0' + n%10)
		n /= 10
	}
	return string(d)
}

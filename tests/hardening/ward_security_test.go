package hardening

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

// wardLogin opens an admin session through the API.
func wardLogin(t *testing.T, c *client) {
	t.Helper()
	r := c.must(t, "POST", "/api/v1/login", map[string]string{"password": wardPassword})
	if r.Status != 200 {
		t.Fatalf("ward login: %v", r)
	}
	var m struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.Unmarshal(r.Body, &m)
	c.csrf = m.CSRF
}

// TestWardHostileInput sends broken, oversized, foreign and mistyped
// deliveries and uploads: every answer is a 4xx in the error shape with a
// Vietnamese message, the ward stays up and counts nothing from them.
func TestWardHostileInput(t *testing.T) {
	p := startWard(t, wardOpts{})
	c := newClient(p.url())
	admin := newClient(p.url())
	wardLogin(t, admin)
	if a, r, err := push(c, 0, 1, 5); err != nil || a != 5 {
		t.Fatalf("push: %v %v", r, err)
	}
	tok := func(k int) []string { return []string{"Authorization", "Bearer " + wardKiosks[k].Token} }
	body := func(k int, recs ...record.Record) link.PushRequest {
		return link.PushRequest{KioskID: wardKiosks[k].ID, Records: recs}
	}
	bad := wardRecord(0, 6)
	bad.Seq = 0
	foreign := wardRecord(1, 1)
	noOutcome := wardRecord(0, 7)
	noOutcome.Outcome = "maybe"
	many := body(0)
	for s := uint64(1); s <= 50_001; s++ {
		many.Records = append(many.Records, record.Record{ID: "x", KioskID: wardKiosks[0].ID, Seq: s + 1000, Type: record.TypeCompletion, Outcome: record.OutcomeActivated})
	}
	cases := []struct {
		name    string
		c       *client
		method  string
		path    string
		body    any
		hdr     []string
		allowed []int
	}{
		{"push without a token", c, "POST", "/api/v1/records", body(0, wardRecord(0, 6)), nil, []int{401}},
		{"push with another kiosk's token", c, "POST", "/api/v1/records", body(0, wardRecord(0, 6)), tok(1), []int{401, 403}},
		{"push of another kiosk's records", c, "POST", "/api/v1/records", body(0, foreign), tok(0), []int{403}},
		{"record with seq 0", c, "POST", "/api/v1/records", body(0, bad), tok(0), []int{422}},
		{"record with an unknown outcome", c, "POST", "/api/v1/records", body(0, noOutcome), tok(0), []int{422}},
		{"more records than one delivery may hold", c, "POST", "/api/v1/records", many, tok(0), []int{413}},
		{"broken JSON", c, "POST", "/api/v1/records", `{"kiosk_id":`, tok(0), []int{400}},
		{"JSON nested 100,000 deep", c, "POST", "/api/v1/records", strings.Repeat("[", 100000) + strings.Repeat("]", 100000), tok(0), []int{400}},
		{"records as a string", c, "POST", "/api/v1/records", `{"kiosk_id":"dong-lao","records":"x"}`, tok(0), []int{400}},
		{"push sent as a form", c, "POST", "/api/v1/records", "kiosk_id=dong-lao", append(tok(0), "Content-Type", "application/x-www-form-urlencoded"), []int{400, 415}},
		{"import of garbage", admin, "POST", "/api/v1/import", "not a batch", []string{"Content-Type", "application/octet-stream"}, []int{400, 422}},
		{"import of a tampered batch", admin, "POST", "/api/v1/import", tamperedBatch(t), []string{"Content-Type", "application/json"}, []int{400, 403, 422}},
		{"import of an empty multipart form", admin, "POST", "/api/v1/import", "--x--\r\n", []string{"Content-Type", "multipart/form-data; boundary=x"}, []int{400}},
		{"quotas CSV of garbage", admin, "POST", "/api/v1/quotas", "\x00\x01,\"\n,,,", []string{"Content-Type", "text/csv"}, []int{400, 422}},
		{"deadline not a date", admin, "POST", "/api/v1/deadline", `{"deadline":"mai"}`, nil, []int{400, 422}},
		{"kiosk id with a NUL", admin, "POST", "/api/v1/kiosks", `{"id":"a\u0000b"}`, nil, []int{400, 422}},
		{"pull URL to a file", admin, "POST", "/api/v1/pulls", `{"kiosk_id":"dong-lao","url":"file:///etc/passwd"}`, nil, []int{400, 422}},
		{"login with a number", c, "POST", "/api/v1/login", `{"password":1}`, nil, []int{400}},
		{"unknown API", c, "GET", "/api/v1/nope", nil, nil, []int{404}},
	}
	c.http.Timeout = time.Minute // 30 MB of JSON under the race detector
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.must(t, tc.method, tc.path, tc.body, tc.hdr...)
			checkRefusal(t, r, tc.allowed)
		})
	}
	for _, tc := range []struct {
		name, req string
		want      []int
	}{
		{"declared 10 GB body", "POST /api/v1/records HTTP/1.1\r\nHost: w\r\nContent-Length: 10737418240\r\nAuthorization: Bearer " + wardKiosks[0].Token + "\r\n\r\n{}", []int{413}},
		{"header block over 8 KB", "GET /api/v1/progress HTTP/1.1\r\nHost: w\r\nX-Junk: " + strings.Repeat("j", 9000) + "\r\n\r\n", []int{431}},
	} {
		t.Run("raw/"+tc.name, func(t *testing.T) {
			status, b := rawHTTP(t, p.addr, tc.req)
			checkRefusal(t, resp{Status: status, Body: []byte(b)}, tc.want)
		})
	}
	if !p.alive() {
		t.Fatalf("the ward died:\n%s", p.tail())
	}
	if d := wardDone(t, c); d != 5 {
		t.Errorf("hostile deliveries changed the count: %d, want 5", d)
	}
	if strings.Contains(p.out.String(), "request failed") {
		t.Errorf("hostile input was logged as a server failure:\n%s", p.tail())
	}
	p.checkOutput()
}

// tamperedBatch is a kiosk batch file whose content was changed after it
// was signed.
func tamperedBatch(t *testing.T) []byte {
	t.Helper()
	b, err := record.SealBatch(record.Batch{KioskID: wardKiosks[0].ID, HeadSeq: 1, CreatedAt: time.Now().UTC(),
		Records: []record.Record{wardRecord(0, 100)}}, wardKiosks[0].Token)
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.Replace(string(b), `"activated"`, `"failed"`, 1))
}

var wardRouteRE = regexp.MustCompile(`(api|ui|app|exp)\.(Post|Put|Patch|Delete)\("([^"]+)",\s*([^)]*\))?`)

// TestWardAdminAccess: the admin login throttles guessing, its cookie is
// HttpOnly and SameSite=Strict, every state-changing admin request needs
// the CSRF token with a session and a same-site origin with HTTP Basic, and
// exports need a login.
func TestWardAdminAccess(t *testing.T) {
	var src []byte
	for _, f := range []string{"routes.go", "outreach_wire.go", "office.go"} {
		b, err := os.ReadFile(filepath.Join(moduleRoot(), "ward", f))
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	prefix := map[string]string{"api": "/api/v1", "ui": "/ui", "app": "", "exp": "/export"}
	public := map[string]bool{
		"POST /api/v1/records":  true, // kiosks push with their bearer token
		"POST /api/v1/pair":     true, // a kiosk redeems a short, expiring, rate-limited pairing code
		"POST /api/v1/login":    true,
		"POST /api/v1/tonight":  true, // sealed and signed with the kiosk's token
		"POST /api/v1/arrivals": true, // sealed and signed with the kiosk's token
		"POST /api/v1/recover":  true, // sealed and signed with the kiosk's token
		"POST /login":           true,
	}
	var guarded [][2]string
	for _, m := range wardRouteRE.FindAllStringSubmatch(string(src), -1) {
		rt := [2]string{strings.ToUpper(m[2]), prefix[m[1]] + m[3]}
		switch {
		case public[rt[0]+" "+rt[1]]:
		case m[1] == "ui" || strings.Contains(m[4], "(true)") || strings.Contains(m[4], "unit(true,"):
			guarded = append(guarded, rt)
		default:
			t.Errorf("%s %s changes state without an admin check that demands CSRF", rt[0], rt[1])
		}
	}
	if len(guarded) < 10 {
		t.Fatalf("found only %d guarded routes in ward/routes.go: has its style changed?", len(guarded))
	}

	p := startWard(t, wardOpts{})
	admin := newClient(p.url())
	r := admin.must(t, "POST", "/api/v1/login", map[string]string{"password": wardPassword})
	ck := (&http.Response{Header: r.Header}).Cookies()
	if len(ck) != 1 || !ck[0].HttpOnly || ck[0].SameSite != http.SameSiteStrictMode || ck[0].Path != "/" {
		t.Errorf("admin cookie %+v: want one, HttpOnly, SameSite=Strict, Path=/", ck)
	}
	var m struct {
		CSRF string `json:"csrf_token"`
	}
	_ = json.Unmarshal(r.Body, &m)
	before := string(admin.must(t, "GET", "/api/v1/villages", nil).Body)
	for _, rt := range guarded {
		path := strings.Replace(rt[1], ":id", wardKiosks[0].ID, 1)
		for _, v := range []struct{ name, token string }{{"no token", ""}, {"wrong token", strings.Repeat("0", len(m.CSRF))}} {
			admin.csrf = v.token
			r := admin.must(t, rt[0], path, `{"id":"evil-kiosk","deadline":"31/12/2026","kiosk_id":"x","url":"http://127.0.0.1:1"}`)
			if r.Status != 403 {
				t.Errorf("%s %s with a session and %s: %d, want 403", rt[0], path, v.name, r.Status)
			}
		}
		// HTTP Basic is sent by browsers on their own: a foreign page must not use it.
		b := newClient(p.url())
		r := b.must(t, rt[0], path, `{"id":"evil-kiosk"}`, append(basicAdmin(), "Origin", "http://evil.example")...)
		if r.Status != 403 {
			t.Errorf("%s %s with HTTP Basic from another site: %d, want 403", rt[0], path, r.Status)
		}
	}
	admin.csrf = m.CSRF
	if after := string(admin.must(t, "GET", "/api/v1/villages", nil).Body); after != before {
		t.Errorf("refused requests changed the plan")
	}
	var ks struct {
		Kiosks []struct {
			KioskID string `json:"kiosk_id"`
		}
	}
	_ = json.Unmarshal(admin.must(t, "GET", "/api/v1/kiosks", nil).Body, &ks)
	for _, k := range ks.Kiosks {
		if k.KioskID == "evil-kiosk" {
			t.Errorf("a refused request registered a kiosk")
		}
	}
	for _, path := range []string{"/export/completions.csv", "/export/completions.xlsx", "/export/summary.xlsx", "/api/v1/quarantine"} {
		if r := newClient(p.url()).must(t, "GET", path, nil); r.Status != 401 {
			t.Errorf("GET %s without a login: %d", path, r.Status)
		}
	}
	// Guessing: the throttle stops a client after its budget, right password or not.
	g := newClientFrom(p.url(), "127.0.3.10")
	var last resp
	for range 12 {
		last = g.must(t, "POST", "/api/v1/login", map[string]string{"password": "doan-mo-" + fmt.Sprint(time.Now().UnixNano())})
	}
	wantCode(t, "12th wrong password", last, 429, "locked")
	wantCode(t, "right password after the budget", g.must(t, "POST", "/api/v1/login", map[string]string{"password": wardPassword}), 429, "locked")
	if r := newClientFrom(p.url(), "127.0.3.11").must(t, "POST", "/api/v1/login", map[string]string{"password": wardPassword}); r.Status != 200 {
		t.Errorf("another office computer is locked out: %v", r)
	}
	if strings.Contains(p.out.String(), wardPassword) {
		t.Errorf("the admin password reached the log")
	}
}

// TestWardPrivacy pushes records, then crawls every public route of the
// ward without a login: progress and kiosk health are aggregates, never a
// CCCD, phone or name; neither is the log.
func TestWardPrivacy(t *testing.T) {
	p := startWard(t, wardOpts{})
	c := newClient(p.url())
	if a, r, err := push(c, 0, 1, 30); err != nil || a != 30 {
		t.Fatalf("push: %v %v", r, err)
	}
	conflict := wardRecord(0, 3)
	conflict.Citizen.Name = "Người Khác Hẳn"
	if r, _ := c.do("POST", "/api/v1/records", link.PushRequest{KioskID: wardKiosks[0].ID, Records: []record.Record{conflict}}, "Authorization", "Bearer "+wardKiosks[0].Token); r.Status != 409 {
		t.Errorf("a conflicting record: %v", r)
	}
	pages := crawl(t, newClient(p.url()), []string{"/", "/login", "/healthz", "/metrics", "/api/v1/progress",
		"/api/v1/kiosks", "/api/v1/villages", "/api/v1/quarantine", "/export/completions.csv", "/nope", "/api/v1/nope"})
	if _, ok := pages["/static/ward.css"]; !ok {
		t.Errorf("the crawl did not reach the stylesheet: %v", keys(pages))
	}
	var recs []record.Record
	for s := uint64(1); s <= 30; s++ {
		recs = append(recs, wardRecord(0, s))
	}
	recs = append(recs, conflict)
	for path, body := range pages {
		checkNoPII(t, "public "+path, body, recs...)
	}
	if !strings.Contains(pages["/api/v1/progress"], `"done":30`) {
		t.Errorf("the crawl read no real progress: %.300s", pages["/api/v1/progress"])
	}
	p.stop()
	checkNoPII(t, "ward log", p.out.String(), recs...)
	p.checkOutput()
}

// TestWardSecurityHeaders checks the headers of the ward's answers,
// including errors raised before any route runs.
func TestWardSecurityHeaders(t *testing.T) {
	p := startWard(t, wardOpts{})
	c := newClient(p.url())
	for _, tc := range []struct {
		name, path string
		body       any
		hdr        []string
	}{
		{"login page", "/login", nil, nil},
		{"dashboard redirect", "/", nil, nil},
		{"progress", "/api/v1/progress", nil, nil},
		{"stylesheet", "/static/ward.css", nil, nil},
		{"export without login", "/export/completions.csv", nil, nil},
		{"404", "/api/v1/nope", nil, nil},
		{"413 before any route", "/api/v1/records", strings.Repeat("x", 65<<20), []string{"Authorization", "Bearer " + wardKiosks[0].Token}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			method := "GET"
			if tc.body != nil {
				method = "POST"
			}
			c.http.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			r := c.must(t, method, tc.path, tc.body, tc.hdr...)
			if tc.body != nil && r.Header.Get("Content-Security-Policy") == "" {
				t.Log("errors fasthttp raises before routing skip the middleware: the error handler must set the headers too (as kiosk.setSecurityHeaders)")
			}
			checkHeaders(t, tc.name, r.Header)
		})
	}
}

// wardSupports reports whether the ward binary knows a flag or subcommand.
func wardSupports(t *testing.T, args ...string) bool {
	t.Helper()
	out, _ := runFor(10*time.Second, bins.ward, args...)
	s := string(out)
	return !strings.Contains(s, "flag provided but not defined") && !strings.Contains(s, "unexpected argument")
}

// TestWardPurge: after the reporting period, `ward purge --before DATE`
// removes the personal fields of older records — from the API, the exports
// and the bytes on disk — while the counts stay.
func TestWardPurge(t *testing.T) {
	needWard(t)
	data := t.TempDir()
	if !wardSupports(t, "purge", "--before", "2000-01-01", "--data", filepath.Join(t.TempDir(), "probe")) {
		t.Skip("SKIPPED — NOT TESTED: `ward purge` does not exist yet")
	}
	p := startWard(t, wardOpts{Data: data})
	c := newClient(p.url())
	if a, r, err := push(c, 0, 1, 20); err != nil || a != 20 {
		t.Fatalf("push: %v %v", r, err)
	}
	before := string(c.must(t, "GET", "/api/v1/progress", nil).Body)
	p.stop()
	// Records 1..20 were recorded on 2026-11-20 from 19:01 on.
	if out, err := runFor(60*time.Second, bins.ward, "purge", "--before", "2026-11-21", "--data", data); err != nil {
		t.Fatalf("ward purge: %v\n%s", err, out)
	}
	p.start()
	if after := string(c.must(t, "GET", "/api/v1/progress", nil).Body); after != before {
		t.Errorf("purge changed the counts:\n%s\n%s", before, after)
	}
	csv := c.must(t, "GET", "/export/completions.csv", nil, basicAdmin()...)
	var recs []record.Record
	for s := uint64(1); s <= 20; s++ {
		recs = append(recs, wardRecord(0, s))
	}
	checkNoPII(t, "export after purge", string(csv.Body), recs...)
	p.stop()
	for _, r := range recs {
		if hits := filesContaining(t, data, r.Citizen.CCCD); len(hits) > 0 {
			t.Errorf("CCCD of seq %d still on disk after purge: %v", r.Seq, hits)
			break
		}
	}
}

// TestWardEncryptionAtRest mirrors the kiosk's: with --data-key no CCCD is
// readable in the ward's data directory.
func TestWardEncryptionAtRest(t *testing.T) {
	needWard(t)
	if !wardSupports(t, "--data-key", "/nonexistent", "--version") {
		t.Skip("SKIPPED — NOT TESTED: the ward has no --data-key yet")
	}
	key := filepath.Join(t.TempDir(), "ward.key")
	_ = os.WriteFile(key, []byte(strings.Repeat("5a", 32)), 0o600)
	data := t.TempDir()
	p := startWard(t, wardOpts{Data: data, Extra: []string{"--data-key", key}})
	if a, r, err := push(newClient(p.url()), 0, 1, 10); err != nil || a != 10 {
		t.Fatalf("push: %v %v", r, err)
	}
	p.kill()
	for s := uint64(1); s <= 10; s++ {
		if hits := filesContaining(t, data, wardRecord(0, s).Citizen.CCCD); len(hits) > 0 {
			t.Fatalf("CCCD readable in %v", hits)
		}
	}
}

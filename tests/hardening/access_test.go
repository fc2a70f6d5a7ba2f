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
)

// loginFrom tries the PIN from a loopback source address of its own.
func loginFrom(t *testing.T, base, ip, pin string) resp {
	t.Helper()
	r, err := newClientFrom(base, ip).login(pin)
	if err != nil {
		t.Fatalf("login from %s: %v", ip, err)
	}
	return r
}

func wantCode(t *testing.T, what string, r resp, status int, code string) {
	t.Helper()
	got, msg, ok := errorOf(r)
	if r.Status != status || !ok || got != code || !isVietnamese(msg) {
		t.Errorf("%s: want %d %s with a Vietnamese message, got %v", what, status, code, r)
	}
}

// TestKioskPINLockout: five wrong PINs lock one client out (even with the
// right PIN afterwards) without locking the others; twenty wrong PINs in all,
// spread over clients that each stay under their own limit, lock everyone.
func TestKioskPINLockout(t *testing.T) {
	p := startKiosk(t, kioskOpts{})
	for range 5 {
		wantCode(t, "wrong PIN", loginFrom(t, p.url(), "127.0.0.10", "000000"), 401, "invalid_pin")
	}
	wantCode(t, "right PIN after five wrong ones", loginFrom(t, p.url(), "127.0.0.10", testPIN), 429, "locked")
	if r := loginFrom(t, p.url(), "127.0.0.11", testPIN); r.Status != 200 {
		t.Fatalf("another tablet is locked out by someone else's typos: %v", r)
	}
	// 5 failures so far; 4 more from each of four addresses make 21.
	for i := range 4 {
		for range 4 {
			loginFrom(t, p.url(), fmt.Sprintf("127.0.0.%d", 20+i), "999999")
		}
	}
	wantCode(t, "right PIN while the kiosk is under a spread-out guessing attack", loginFrom(t, p.url(), "127.0.0.30", testPIN), 429, "locked")
	if out := p.out.String(); strings.Contains(out, "999999") || strings.Contains(out, testPIN) {
		t.Errorf("a PIN reached the log")
	}
}

// TestKioskRateLimits: logins and joins are limited per client address
// and per minute; a volunteer's walk-in is not a citizen's join.
func TestKioskRateLimits(t *testing.T) {
	p := startKiosk(t, kioskOpts{JoinLimit: 3})
	// The limits count per wall-clock minute: a run that straddles a minute
	// boundary gets one more try in a fresh window.
	for attempt := 0; ; attempt++ {
		ip := fmt.Sprintf("127.0.1.%d", 10+attempt)
		c := newClientFrom(p.url(), ip)
		var last resp
		for range 21 {
			last, _ = c.login(testPIN)
		}
		if last.Status == 429 || attempt == 1 {
			wantCode(t, "21st login in a minute", last, 429, "rate_limited")
			break
		}
	}
	for attempt := 0; ; attempt++ {
		phone := newClientFrom(p.url(), fmt.Sprintf("127.0.2.%d", 10+attempt))
		for range 3 {
			phone.mustJoin(t, newPerson())
		}
		_, r, err := phone.join(newPerson())
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == 429 || attempt == 1 {
			wantCode(t, "4th join in a minute from one phone", r, 429, "rate_limited")
			break
		}
	}
	newClientFrom(p.url(), "127.0.2.50").mustJoin(t, newPerson()) // another phone is not affected
	tab := newClientFrom(p.url(), "127.0.2.10")
	tab.mustLogin(t)
	for range 5 { // walk-ins registered at a desk are not rate limited
		r := tab.must(t, "POST", "/api/v1/tickets", newPerson().body())
		if r.Status != 201 {
			t.Fatalf("walk-in: %v", r)
		}
	}
}

var routeRE = regexp.MustCompile(`a\.(Post|Put|Patch|Delete)\("([^"]+)",\s*([^)]*)\)`)

// stateChangingRoutes reads kiosk/routes.go, so that a route added later is
// checked without anyone remembering to add it here.
func stateChangingRoutes(t *testing.T) (volunteer [][2]string, other [][2]string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(moduleRoot(), "kiosk", "routes.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range routeRE.FindAllStringSubmatch(string(src), -1) {
		r := [2]string{strings.ToUpper(m[1]), m[2]}
		if strings.Contains(m[3], "vol,") || strings.Contains(m[3], ".volunteer") { // the session guard (routes.go: vol := au.volunteer)
			volunteer = append(volunteer, r)
		} else {
			other = append(other, r)
		}
	}
	if len(volunteer) < 8 {
		t.Fatalf("found only %d volunteer routes in routes.go: has its style changed?", len(volunteer))
	}
	return volunteer, other
}

// TestKioskCSRF sends every state-changing volunteer request with a valid
// session cookie but without the CSRF token, with a wrong one, and as a
// cross-site form would (text/plain, no header): all are refused with 403
// and change nothing. It also pins the list of state-changing routes that
// need no session at all.
func TestKioskCSRF(t *testing.T) {
	volunteerRoutes, open := stateChangingRoutes(t)
	public := map[string]bool{
		"POST /api/v1/tickets":       true, // citizens join from their phones
		"DELETE /api/v1/tickets/:id": true, // and leave, with their ticket's bearer token
		"POST /api/v1/login":         true,
		"POST /api/v1/board/speech":  true, // the TV says whether it has a Vietnamese voice: one word on the tablet
	}
	for _, r := range open {
		if !public[r[0]+" "+r[1]] {
			t.Errorf("%s %s changes state without a volunteer session: add it to the public list only if that is intended", r[0], r[1])
		}
	}

	p := startKiosk(t, kioskOpts{})
	phone, tab := newClient(p.url()), newClient(p.url())
	tab.mustLogin(t)
	a := phone.mustJoin(t, newPerson())
	r := tab.must(t, "POST", "/api/v1/desks/1/next", nil)
	if r.Status != 200 {
		t.Fatal(r)
	}
	r = tab.must(t, "POST", "/api/v1/tickets/"+a.ID+"/complete", map[string]any{"outcome": "activated"})
	if r.Status != 201 {
		t.Fatal(r)
	}
	var done struct{ Record struct{ ID string } }
	_ = json.Unmarshal(r.Body, &done)
	b := phone.mustJoin(t, newPerson())
	before := queueTickets(t, tab)
	boardBefore := boardRev(t, phone)

	csrf := tab.csrf
	for _, rt := range volunteerRoutes {
		path := strings.NewReplacer(":id", b.ID, ":desk", "1").Replace(rt[1])
		if strings.HasPrefix(rt[1], "/api/v1/records/") {
			path = strings.Replace(rt[1], ":id", done.Record.ID, 1)
		}
		for _, variant := range []struct {
			name, token, ctype string
		}{
			{"no token", "", "application/json"},
			{"wrong token", strings.Repeat("0", len(csrf)), "application/json"},
			{"cross-site form", "", "text/plain"},
		} {
			tab.csrf = variant.token
			r := tab.must(t, rt[0], path, `{"outcome":"activated","citizen":{"name":"Kẻ Gian"},"code":"ABCD","ward_url":"http://127.0.0.1:1"}`, "Content-Type", variant.ctype)
			wantCode(t, rt[0]+" "+rt[1]+" with "+variant.name, r, 403, "csrf")
		}
	}
	tab.csrf = csrf
	if after := queueTickets(t, tab); after != before {
		t.Errorf("refused requests changed the queue:\n%s\n%s", before, after)
	}
	if rev := boardRev(t, phone); rev != boardBefore {
		t.Errorf("refused requests changed the board (rev %d → %d)", boardBefore, rev)
	}
	if head := newClient(p.url()).records(t).HeadSeq; head != 1 {
		t.Errorf("refused requests wrote records: head %d", head)
	}
	// The same session with its token still works: the refusals were about the token.
	if r := tab.must(t, "POST", "/api/v1/desks/1/next", nil); r.Status != 200 {
		t.Errorf("with the token: %v", r)
	}
}

// queueTickets is the volunteer list's tickets, as JSON text.
func queueTickets(t *testing.T, tab *client) string {
	t.Helper()
	var q struct{ Tickets json.RawMessage }
	if err := json.Unmarshal(tab.must(t, "GET", "/api/v1/queue", nil).Body, &q); err != nil {
		t.Fatal(err)
	}
	return string(q.Tickets)
}

func boardRev(t *testing.T, c *client) int64 {
	t.Helper()
	var b struct{ Rev int64 }
	if err := json.Unmarshal(c.must(t, "GET", "/api/v1/board", nil).Body, &b); err != nil {
		t.Fatal(err)
	}
	return b.Rev
}

// TestKioskSessionsAndTokens: cookie flags, a new session per login, logout
// ends the session on the server, and the ward token and ticket tokens do
// not open anything when wrong, short, long or a prefix.
func TestKioskSessionsAndTokens(t *testing.T) {
	p := startKiosk(t, kioskOpts{})
	tab := newClient(p.url())
	r, err := tab.login(testPIN)
	if err != nil || r.Status != 200 {
		t.Fatal(r, err)
	}
	cookies := (&http.Response{Header: r.Header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies", len(cookies))
	}
	ck := cookies[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || ck.Domain != "" || len(ck.Value) < 32 {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, host-only, long value", ck)
	}
	r2, _ := newClient(p.url()).login(testPIN)
	if c2 := (&http.Response{Header: r2.Header}).Cookies(); len(c2) != 1 || c2[0].Value == ck.Value {
		t.Errorf("two logins share a session id")
	}
	for _, path := range []string{"/", "/join", "/volunteer", "/api/v1/board"} {
		if h := newClient(p.url()).must(t, "GET", path, nil).Header.Get("Set-Cookie"); h != "" {
			t.Errorf("GET %s sets a cookie: %s", path, h)
		}
	}
	stolen := newClient(p.url())
	stolen.http.Jar.SetCookies(mustURL(p.url()), []*http.Cookie{{Name: ck.Name, Value: ck.Value}})
	if r := stolen.must(t, "GET", "/api/v1/queue", nil); r.Status != 200 {
		t.Fatalf("the cookie itself is the session: %v", r)
	}
	if r := tab.must(t, "POST", "/api/v1/logout", nil); r.Status != 200 {
		t.Fatal(r)
	}
	wantCode(t, "a session after logout", stolen.must(t, "GET", "/api/v1/queue", nil), 401, "unauthorized")

	ward := newClient(p.url())
	for _, tok := range []string{"", "x", testToken[:len(testToken)-1], testToken + "x", strings.ToUpper(testToken), strings.Repeat("a", 4096)} {
		wantCode(t, fmt.Sprintf("ward token of %d bytes", len(tok)), ward.must(t, "GET", "/api/v1/records", nil, "Authorization", "Bearer "+tok), 401, "unauthorized")
	}
	phone := newClient(p.url())
	j := phone.mustJoin(t, newPerson())
	for _, tok := range []string{"", j.Token[:len(j.Token)-1], j.Token + "0", strings.Repeat("0", len(j.Token))} {
		if r := phone.must(t, "GET", "/api/v1/tickets/"+j.ID, nil, "Authorization", "Bearer "+tok); r.Status != 404 {
			t.Errorf("ticket with a wrong token: %v", r)
		}
	}
}

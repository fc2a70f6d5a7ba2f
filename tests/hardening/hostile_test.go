package hardening

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawHTTP sends bytes as they are and returns the status code and body of
// the answer (0 when the kiosk closed the connection without one).
func rawHTTP(t *testing.T, addr string, req string) (int, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, req); err != nil {
		return 0, "" // closed while we were still sending: also a refusal
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, ""
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	return res.StatusCode, string(b)
}

// hiddenLength makes net/http send a body chunked (no Content-Length).
type hiddenLength struct{ io.Reader }

// TestKioskHostileInput sends what a broken phone, a fuzzer or an attacker
// on the Wi-Fi may send. Every answer is a 4xx with the JSON error shape
// and a Vietnamese message; nothing is a 500; the kiosk stays up and logs
// no failure.
func TestKioskHostileInput(t *testing.T) {
	p := startKiosk(t, kioskOpts{})
	phone, tab := newClient(p.url()), newClient(p.url())
	tab.mustLogin(t)
	valid := newPerson()
	j := phone.mustJoin(t, valid)
	r := tab.must(t, "POST", "/api/v1/desks/1/next", nil)
	if r.Status != 200 {
		t.Fatalf("next: %v", r)
	}

	deep := func(open, close string, n int) string {
		return `{"name":` + strings.Repeat(open, n) + `1` + strings.Repeat(close, n) + `}`
	}
	const json = "application/json"
	cases := []struct {
		name, method, path string
		body               any
		ctype              string
		volunteer          bool
		want               []int
	}{
		{"body over 64 KB", "POST", "/api/v1/tickets", `{"name":"` + strings.Repeat("a", 100<<10) + `"}`, json, false, []int{413}},
		{"body over 64 KB, chunked", "POST", "/api/v1/tickets", hiddenLength{strings.NewReader(`{"name":"` + strings.Repeat("a", 200<<10) + `"}`)}, json, false, []int{413}},
		{"volunteer body over 64 KB", "POST", "/api/v1/tickets/" + j.ID + "/complete", `{"note":"` + strings.Repeat("á", 40<<10) + `"}`, json, true, []int{413}},
		{"plain text", "POST", "/api/v1/tickets", `{"name":"x"}`, "text/plain", false, []int{415}},
		{"form post", "POST", "/api/v1/tickets", "name=x&cccd=1", "application/x-www-form-urlencoded", false, []int{415}},
		{"multipart", "POST", "/api/v1/tickets", "--x\r\n\r\n--x--", "multipart/form-data; boundary=x", false, []int{415}},
		{"no content type", "POST", "/api/v1/tickets", `{"name":"x"}`, "", false, []int{415}},
		{"json-looking type", "POST", "/api/v1/tickets", `{"name":"x"}`, "application/jsonx", false, []int{400, 415, 422}},
		{"login as a form", "POST", "/api/v1/login", "pin=246810", "application/x-www-form-urlencoded", false, []int{415}},
		{"arrays nested 30,000 deep", "POST", "/api/v1/tickets", deep("[", "]", 30000), json, false, []int{400}},
		{"objects nested 10,200 deep", "POST", "/api/v1/tickets", deep(`{"a":`, "}", 10200), json, false, []int{400}},
		{"objects nested 9,000 deep in an unknown field", "POST", "/api/v1/tickets", `{"x":` + strings.Repeat(`{"a":`, 9000) + "1" + strings.Repeat("}", 9000) + `}`, json, false, []int{400, 422}},
		{"6,000 unknown keys", "POST", "/api/v1/tickets", "{" + strings.Repeat(`"k":1,`, 6000) + `"consent":true}`, json, false, []int{422}},
		{"a long string in every field", "POST", "/api/v1/tickets", fmt.Sprintf(`{"name":%q,"phone":%q,"cccd":%q,"birth_date":%q,"village":%q,"association":%q,"gender":%q,"consent":true}`,
			strings.Repeat("Ă", 5000), strings.Repeat("9", 5000), strings.Repeat("0", 5000), strings.Repeat("1", 5000), strings.Repeat("x", 5000), strings.Repeat("y", 5000), strings.Repeat("z", 5000)), json, false, []int{422}},
		{"invalid UTF-8", "POST", "/api/v1/tickets", "{\"name\":\"\xff\xfe\xc3\",\"consent\":true}", json, false, []int{400, 422}},
		{"NUL and control characters", "POST", "/api/v1/tickets", `{"name":"An\u0000\u0007","village":"\u001b[31m","consent":true}`, json, false, []int{422}},
		{"number for a string", "POST", "/api/v1/tickets", `{"name":12}`, json, false, []int{400}},
		{"top-level array", "POST", "/api/v1/tickets", `[1,2]`, json, false, []int{400}},
		{"top-level null", "POST", "/api/v1/tickets", `null`, json, false, []int{400, 422}},
		{"two documents", "POST", "/api/v1/tickets", `{}{}`, json, false, []int{400}},
		{"empty body", "POST", "/api/v1/tickets", "", json, false, []int{400}},
		{"huge number", "POST", "/api/v1/tickets", `{"consent":1e999999}`, json, false, []int{400}},
		{"citizen as a string in a correction", "PATCH", "/api/v1/tickets/" + j.ID, `{"citizen":"x"}`, json, true, []int{400}},
		{"broken completion", "POST", "/api/v1/tickets/" + j.ID + "/complete", `{"outcome":`, json, true, []int{400}},
		{"unknown outcome", "POST", "/api/v1/tickets/" + j.ID + "/complete", `{"outcome":"maybe"}`, json, true, []int{422}},
		{"bogus device time", "POST", "/api/v1/tickets/" + j.ID + "/complete", `{"outcome":"activated","device_time":"yesterday"}`, json, true, []int{422}},
		{"note too long", "POST", "/api/v1/tickets/" + j.ID + "/complete", `{"outcome":"failed","reason":"other","note":"` + strings.Repeat("x", 300) + `"}`, json, true, []int{422}},
		{"correction with a bad CCCD", "PATCH", "/api/v1/tickets/" + j.ID, `{"citizen":{"cccd":"12"}}`, json, true, []int{422}},
		{"desk is not a number", "POST", "/api/v1/desks/abc/next", nil, "", true, []int{422}},
		{"desk 0", "POST", "/api/v1/desks/0/next", nil, "", true, []int{422}},
		{"desk beyond int64", "POST", "/api/v1/desks/99999999999999999999999/next", nil, "", true, []int{422}},
		{"negative cursor", "GET", "/api/v1/completions?after=-5", nil, "", true, []int{400}},
		{"cursor beyond int64", "GET", "/api/v1/completions?after=99999999999999999999999", nil, "", true, []int{400}},
		{"unknown ticket action", "POST", "/api/v1/tickets/" + j.ID + "/explode", nil, "", true, []int{404}},
		{"ticket id full of junk", "GET", "/api/v1/tickets/%2e%2e%2f%2e%2e%2fetc%2fpasswd", nil, "", false, []int{404}},
		{"bearer of 10 KB", "GET", "/api/v1/tickets/" + j.ID, nil, "", false, []int{404, 431}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := phone
			if tc.volunteer {
				c = tab
			}
			var body io.Reader
			switch b := tc.body.(type) {
			case string:
				body = strings.NewReader(b)
			case io.Reader:
				body = b
			}
			req, err := http.NewRequest(tc.method, p.url()+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.ctype != "" {
				req.Header.Set("Content-Type", tc.ctype)
			}
			if c.csrf != "" {
				req.Header.Set("X-CSRF-Token", c.csrf)
			}
			if tc.name == "bearer of 10 KB" {
				req.Header.Set("Authorization", "Bearer "+strings.Repeat("A", 10<<10))
			}
			res, err := c.http.Do(req)
			if err != nil && contains(tc.want, 413) && (errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)) {
				// The kiosk answered 413 from the Content-Length and closed
				// before the client finished sending: refused, not read.
				return
			}
			if err != nil {
				t.Fatalf("transport: %v", err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			r := resp{Status: res.StatusCode, Header: res.Header, Body: b}
			checkRefusal(t, r, tc.want)
		})
	}

	// Below HTTP: malformed requests straight on the socket.
	raw := []struct {
		name string
		req  string
		want []int
	}{
		{"declared 10 GB body", "POST /api/v1/tickets HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n{}", []int{413}},
		{"header block over 8 KB", "GET /api/v1/board HTTP/1.1\r\nHost: k\r\nX-Junk: " + strings.Repeat("j", 9000) + "\r\n\r\n", []int{431}},
		{"URL over 8 KB", "GET /api/v1/board?" + strings.Repeat("q", 9000) + " HTTP/1.1\r\nHost: k\r\n\r\n", []int{414, 431}},
		{"garbage request line", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 TLS hello on plain HTTP\r\n\r\n", []int{0, 400}},
		{"no Host header", "GET /api/v1/board HTTP/1.1\r\n\r\n", []int{200, 400}},
		{"negative content length", "POST /api/v1/tickets HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: -1\r\n\r\n{}", []int{0, 400}},
		{"two content lengths", "POST /api/v1/tickets HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{} ", []int{0, 400, 422}},
		{"bad chunk size", "POST /api/v1/tickets HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", []int{0, 400}},
		{"unknown method", "BREW /api/v1/tickets HTTP/1.1\r\nHost: k\r\n\r\n", []int{400, 404, 405}},
	}
	for _, tc := range raw {
		t.Run("raw/"+tc.name, func(t *testing.T) {
			status, body := rawHTTP(t, p.addr, tc.req)
			if !contains(tc.want, status) {
				t.Errorf("status %d (want one of %v): %s", status, tc.want, body)
			}
			if status >= 400 && status != 400 { // a 400 for a request fasthttp cannot parse may be plain text
				checkRefusal(t, resp{Status: status, Body: []byte(body)}, tc.want)
			}
		})
	}

	// The kiosk is still up, still serves the citizen who joined, and
	// logged no failure and no personal data.
	if !p.alive() {
		t.Fatalf("the kiosk died:\n%s", p.tail())
	}
	if r := phone.must(t, "GET", "/api/v1/tickets/"+j.ID, nil, "Authorization", "Bearer "+j.Token); r.Status != 200 {
		t.Errorf("the joined citizen lost their ticket: %v", r)
	}
	out := p.out.String()
	if strings.Contains(out, "request failed") || strings.Contains(out, "level=ERROR") {
		t.Errorf("hostile input was logged as a failure:\n%s", p.tail())
	}
	for _, s := range []string{valid.CCCD, valid.Phone, valid.Name} {
		if strings.Contains(out, s) {
			t.Errorf("personal data %q in the log", s)
		}
	}
	p.checkOutput()
}

// checkRefusal holds for every refused request: an expected 4xx, never a
// 5xx, the JSON error shape and a Vietnamese message.
func checkRefusal(t *testing.T, r resp, want []int) {
	t.Helper()
	if !contains(want, r.Status) {
		t.Errorf("status %d, want one of %v: %.300s", r.Status, want, r.Body)
	}
	if r.Status >= 500 {
		t.Errorf("a server error for bad input: %.300s", r.Body)
	}
	if r.Status < 400 {
		return
	}
	code, msg, ok := errorOf(r)
	if !ok {
		t.Errorf("not the JSON error shape: %.300s", r.Body)
		return
	}
	if !isVietnamese(msg) {
		t.Errorf("error %s: message %q is not Vietnamese", code, msg)
	}
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

package hardening

import (
	"net/http"
	"strings"
	"testing"
)

// checkHeaders holds for every answer of the kiosk, pages, JSON and errors
// alike: a strict CSP (no inline code, no framing), no MIME sniffing, no
// referrer leaving the box.
func checkHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "object-src 'none'", "base-uri 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", what, csp, want)
		}
	}
	for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*", "http:", "https:"} {
		if strings.Contains(csp, bad) {
			t.Errorf("%s: CSP %q allows %q", what, csp, bad)
		}
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q", what, got)
	}
	if got := h.Get("Referrer-Policy"); got != "no-referrer" && got != "same-origin" {
		t.Errorf("%s: Referrer-Policy %q", what, got)
	}
}

// TestKioskSecurityHeaders checks the headers on every kind of answer,
// including errors raised before any route runs (413 from the body limit).
func TestKioskSecurityHeaders(t *testing.T) {
	p := startKiosk(t, kioskOpts{JoinLimit: 1})
	phone, tab := newClient(p.url()), newClient(p.url())
	tab.mustLogin(t)
	j := phone.mustJoin(t, newPerson())
	cases := []struct {
		name, method, path string
		body               any
		hdr                []string
		status             int
	}{
		{"board page", "GET", "/", nil, nil, 200},
		{"join page", "GET", "/join", nil, nil, 200},
		{"install page", "GET", "/app", nil, nil, 200},
		{"tablet page", "GET", "/volunteer", nil, nil, 200},
		{"stylesheet", "GET", "/static/css/app.css", nil, nil, 200},
		{"QR code", "GET", "/qr/join.png", nil, nil, 200},
		{"health", "GET", "/healthz", nil, nil, 200},
		{"metrics", "GET", "/metrics", nil, nil, 200},
		{"board JSON", "GET", "/api/v1/board", nil, nil, 200},
		{"own ticket", "GET", "/api/v1/tickets/" + j.ID, nil, []string{"Authorization", "Bearer " + j.Token}, 200},
		{"volunteer list", "GET", "/api/v1/queue", nil, nil, 200},
		{"404 page", "GET", "/nope", nil, nil, 404},
		{"404 JSON", "GET", "/api/v1/nope", nil, nil, 404},
		{"401 ward", "GET", "/api/v1/records", nil, nil, 401},
		{"415", "POST", "/api/v1/login", "pin=1", []string{"Content-Type", "text/plain"}, 415},
		{"413 before any route", "POST", "/api/v1/tickets", strings.Repeat("x", 70<<10), nil, 413},
		{"429 join limit", "POST", "/api/v1/tickets", newPerson().body(), nil, 429},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := phone
			if tc.path == "/api/v1/queue" {
				c = tab
			}
			r := c.must(t, tc.method, tc.path, tc.body, tc.hdr...)
			if r.Status != tc.status {
				t.Errorf("status %d, want %d: %.200s", r.Status, tc.status, r.Body)
			}
			checkHeaders(t, tc.name, r.Header)
		})
	}
}

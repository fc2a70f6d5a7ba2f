package ward

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func basic(u, p string) string { return base64.StdEncoding.EncodeToString([]byte(u + ":" + p)) }

func noRedirect() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func TestDashboardLogin(t *testing.T) {
	h := start(t, testConfig(t))
	c := noRedirect()
	r := do(t, c, "GET", h.url+"/", nil, nil)
	assert.Equal(t, 303, r.status, "no session: to the login form")
	assert.Equal(t, "/login", r.header.Get("Location"))

	r = do(t, c, "GET", h.url+"/login", nil, nil)
	require.Equal(t, 200, r.status)
	assert.Contains(t, string(r.body), "Đăng nhập quản trị")
	assert.Equal(t, csp, r.header.Get("Content-Security-Policy"))

	form := func(pw string) resp {
		return do(t, c, "POST", h.url+"/login", strings.NewReader(url.Values{"password": {pw}}.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	}
	r = form("sai-mat-khau")
	assert.Equal(t, 401, r.status)
	assert.Contains(t, string(r.body), "Mật khẩu không đúng")

	r = form(adminPW)
	require.Equal(t, 303, r.status)
	cookie := r.header.Get("Set-Cookie")
	assert.Contains(t, cookie, sessionCookie+"=")
	assert.Contains(t, cookie, "HttpOnly")
	assert.Contains(t, cookie, "SameSite=Strict")

	r = do(t, c, "GET", h.url+"/", nil, map[string]string{"Cookie": strings.Split(cookie, ";")[0]})
	require.Equal(t, 200, r.status)
	page := string(r.body)
	for _, want := range []string{"Tiến độ cài đặt chữ ký số", "Đông Lão", "Thôn Sành", "1.701", `id="t-villages"`, `name="csrf-token"`} {
		assert.Contains(t, page, want)
	}
	assert.NotContains(t, page, "<script>", "no inline script")
	assert.NotContains(t, page, "style=", "no inline style")
}

func TestLoginRateLimit(t *testing.T) {
	h := start(t, testConfig(t))
	body := `{"password":"doan-mo"}`
	for i := 0; i < loginFailLimit; i++ {
		r := do(t, nil, "POST", h.url+"/api/v1/login", strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
		require.Equal(t, 401, r.status)
		assert.Equal(t, "invalid_password", r.errCode(t))
	}
	r := do(t, nil, "POST", h.url+"/api/v1/login", strings.NewReader(`{"password":"`+adminPW+`"}`), map[string]string{"Content-Type": "application/json"})
	assert.Equal(t, 429, r.status, "even the right password waits once the budget is spent")
	assert.Equal(t, "locked", r.errCode(t))
	r = do(t, nil, "GET", h.url+"/export/summary.xlsx", nil, map[string]string{"Authorization": "Basic " + basic("admin", adminPW)})
	assert.Equal(t, 429, r.status, "HTTP Basic shares the budget")
}

func TestCSRF(t *testing.T) {
	h := start(t, testConfig(t))
	a := h.login()
	body := `{"deadline":"30/09/2024"}`
	cases := []struct {
		name   string
		hdr    map[string]string
		client *http.Client
		status int
		why    string
	}{
		{"session-no-token", map[string]string{}, a.c, 403, "a state change with the cookie alone could come from any page"},
		{"session-wrong-token", map[string]string{"X-CSRF-Token": "x"}, a.c, 403, "a guessed token"},
		{"session-token", map[string]string{"X-CSRF-Token": a.csrf}, a.c, 200, "the session's token"},
		{"basic", map[string]string{"Authorization": "Basic " + basic("admin", adminPW)}, nil, 200, "scripts use HTTP Basic"},
		{"basic-cross-site", map[string]string{"Authorization": "Basic " + basic("admin", adminPW), "Origin": "http://evil.example"}, nil, 403, "a browser caches Basic credentials: refuse foreign pages"},
		{"nothing", map[string]string{}, nil, 401, "no credentials"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.hdr["Content-Type"] = "application/json"
			r := do(t, tc.client, "POST", h.url+"/api/v1/deadline", strings.NewReader(body), tc.hdr)
			assert.Equal(t, tc.status, r.status, "%s: %s", tc.why, r.body)
		})
	}
	// Logout ends the session.
	r := do(t, a.c, "POST", h.url+"/api/v1/logout", nil, map[string]string{"X-CSRF-Token": a.csrf})
	require.Equal(t, 200, r.status)
	r = do(t, a.c, "GET", h.url+"/api/v1/session", nil, nil)
	assert.Equal(t, 401, r.status)
}

func TestGeneratedPasswordPersists(t *testing.T) {
	cfg := testConfig(t)
	cfg.AdminPassword = ""
	svc, err := New(cfg)
	require.NoError(t, err)
	pw := svc.GeneratedPassword()
	require.Len(t, pw, 16)
	require.NoError(t, svc.Close())

	svc, err = New(cfg)
	require.NoError(t, err)
	assert.Empty(t, svc.GeneratedPassword(), "printed once: the hash is kept")
	assert.True(t, svc.auth.verify(pw))
	assert.False(t, svc.auth.verify(pw+"x"))
	require.NoError(t, svc.Close())

	cfg.AdminPassword = "mat-khau-moi-2024"
	svc, err = New(cfg)
	require.NoError(t, err)
	assert.True(t, svc.auth.verify("mat-khau-moi-2024"), "a given password replaces the stored one")
	assert.False(t, svc.auth.verify(pw))
	require.NoError(t, svc.Close())
}

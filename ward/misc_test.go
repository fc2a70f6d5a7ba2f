package ward

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPublicEndpoints(t *testing.T) {
	h := start(t, testConfig(t))
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 1, cccd(1), "Đông Lão", true)).status)
	cases := []struct {
		path, want string
		status     int
		why        string
	}{
		{"/healthz", `"status":"ok"`, 200, "liveness for systemd and the lead's checks"},
		{"/metrics", "kyso_ward_records_total{result=\"new\",via=\"push\"} 1", 200, "ingest counters"},
		{"/api/v1/kiosks", `"kiosk_id":"kiosk-a"`, 200, "health, public"},
		{"/static/ward.js", "use strict", 200, "embedded script"},
		{"/static/ward.css", "progress", 200, "embedded stylesheet"},
		{"/nowhere", `"code":"not_found"`, 404, "JSON 404"},
		{"/api/v1/quarantine", `"code":"unauthorized"`, 401, "admin only"},
	}
	for _, tc := range cases {
		r := do(t, nil, "GET", h.url+tc.path, nil, nil)
		assert.Equal(t, tc.status, r.status, tc.path)
		assert.Contains(t, string(r.body), tc.want, "%s: %s", tc.path, tc.why)
		assert.Equal(t, csp, r.header.Get("Content-Security-Policy"), tc.path)
	}
	// No personal data on public endpoints.
	for _, path := range []string{"/api/v1/progress", "/api/v1/kiosks", "/api/v1/villages", "/healthz", "/metrics"} {
		body := string(do(t, nil, "GET", h.url+path, nil, nil).body)
		assert.NotContains(t, body, cccd(1), path)
		assert.NotContains(t, body, "Nguyễn", path)
		assert.NotContains(t, body, "0912345678", path)
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		want   string
	}{
		{"ok", func(*Config) {}, ""},
		{"short-token", func(c *Config) { c.Kiosks = []KioskCred{{ID: "a", Token: "short"}} }, "token shorter"},
		{"twice", func(c *Config) { c.Kiosks = []KioskCred{{ID: "a", Token: tokA}, {ID: "a", Token: tokB}} }, "given twice"},
		{"bad-url", func(c *Config) { c.Pulls = []PullTarget{{KioskID: "a", URL: "ftp://x"}} }, "http(s)"},
		{"bad-deadline", func(c *Config) { c.Deadline = "mai" }, "--deadline"},
		{"short-password", func(c *Config) { c.AdminPassword = "123" }, "at least 8"},
		{"no-data", func(c *Config) { c.Data = "" }, "--data"},
	}
	for _, tc := range cases {
		c := Defaults()
		tc.change(&c)
		err := c.Validate()
		if tc.want == "" {
			assert.NoError(t, err, tc.name)
		} else {
			assert.ErrorContains(t, err, tc.want, tc.name)
		}
	}
	_, err := ParseKiosk("dong-lao:" + tokA)
	assert.NoError(t, err)
	_, err = ParseKiosk("dong-lao")
	assert.Error(t, err)
	p, err := ParsePull("dong-lao=http://192.168.1.20:8080/")
	require.NoError(t, err)
	assert.Equal(t, PullTarget{KioskID: "dong-lao", URL: "http://192.168.1.20:8080", Source: SourceFlag}, p)
	_, err = ParsePull("http://x")
	assert.Error(t, err)
}

package ward

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fullDisk makes the guard see a full disk whatever the real free space:
// no reserve can be met. (tests/hardening.TestWardFullDisk fills a real
// tmpfs; this runs without root.)
const fullDisk = 1 << 62

// On a full disk the ward starts (the plan, kiosks and password from the
// flags are used, not stored), answers every write 503 store_unavailable
// in Vietnamese, keeps serving reads, and takes writes again once space is
// back, with nothing lost.
func TestDiskFull(t *testing.T) {
	cfg := testConfig(t)
	h := start(t, cfg)
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 1, cccd(1), "Đông Lão", true)).status)
	h.stop()

	h.cfg.MinFreeBytes = fullDisk
	h.open()
	r := h.push("kiosk-a", tokA, rec("kiosk-a", 2, cccd(2), "Đông Lão", true))
	assert.Equal(t, 503, r.status)
	assert.Equal(t, "store_unavailable", r.errCode(t))
	assert.Equal(t, csp, r.header.Get("Content-Security-Policy"), "errors carry the headers too")
	a := h.login() // sessions live in memory: no write
	writes := []struct {
		path, body, ctype string
		why               string
	}{
		{"/api/v1/kiosks", `{"id":"kiosk-c"}`, "application/json", "registering a kiosk writes its token"},
		{"/api/v1/deadline", `{"deadline":"30/09/2024"}`, "application/json", "the plan is stored"},
		{"/api/v1/pulls", `{"kiosk_id":"kiosk-a","url":"http://127.0.0.1:1"}`, "application/json", "dashboard pull targets are stored"},
	}
	for _, w := range writes {
		r := a.post(t, h.url+w.path, strings.NewReader(w.body), w.ctype)
		assert.Equal(t, 503, r.status, "%s: %s", w.path, w.why)
		assert.Equal(t, "store_unavailable", r.errCode(t), w.path)
	}
	assert.Equal(t, 1, h.progress().Total.Done, "reads go on")
	assert.Equal(t, uint64(1), h.svc.led.tally.Acked("kiosk-a"), "nothing was counted from refused pushes")
	csv := do(t, nil, "GET", h.url+"/export/completions.csv", nil, map[string]string{"Authorization": "Basic " + basic("admin", adminPW)})
	assert.Equal(t, 200, csv.status)
	h.stop()

	h.cfg.MinFreeBytes = 0
	h.open()
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 2, cccd(2), "Đông Lão", true)).status)
	assert.Equal(t, 2, h.progress().Total.Done)
}

// A ward whose very first start finds the disk full still starts with what
// its flags say (quotas, kiosks, a given admin password), serving reads.
func TestDiskFullFirstStart(t *testing.T) {
	cfg := testConfig(t)
	cfg.MinFreeBytes = fullDisk
	h := start(t, cfg)
	assert.Len(t, h.progress().Villages, 7, "the quotas from --quotas, in memory")
	h.login()
	assert.Equal(t, 503, h.push("kiosk-a", tokA, rec("kiosk-a", 1, cccd(1), "Đông Lão", true)).status, "the kiosk from --kiosk is known")
	h.stop()

	cfg.AdminPassword = ""
	_, err := New(cfg)
	require.Error(t, err, "a generated password must be stored, or it is lost with the process")
}

// Errors fasthttp raises before any route carry the security headers and
// reach the client as an answer, not a reset, even while it still sends.
func TestTooLargeBeforeRouting(t *testing.T) {
	h := start(t, testConfig(t))
	body := bytes.Repeat([]byte("x"), maxBody+(1<<20))
	r := do(t, nil, "POST", h.url+"/api/v1/records", bytes.NewReader(body), map[string]string{"Authorization": "Bearer " + tokA, "Content-Type": "application/json"})
	assert.Equal(t, 413, r.status)
	assert.Equal(t, "too_large", r.errCode(t))
	for k, v := range map[string]string{"Content-Security-Policy": csp, "X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		assert.Equal(t, v, r.header.Get(k), k)
	}
	assert.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 1, cccd(1), "Đông Lão", true)).status, "the ward goes on")
}

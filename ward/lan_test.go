package ward

import (
	"fmt"
	"html"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// healthOf returns one kiosk's row of GET /api/v1/kiosks, as JSON clients
// see it.
func healthOf(t *testing.T, h *harness, id string) (row map[string]any, ok bool) {
	t.Helper()
	r := do(t, nil, "GET", h.url+"/api/v1/kiosks", nil, nil)
	require.Equal(t, 200, r.status)
	var body struct {
		Kiosks []map[string]any `json:"kiosks"`
	}
	r.json(t, &body)
	for _, k := range body.Kiosks {
		if k["kiosk_id"] == id {
			return k, true
		}
	}
	return nil, false
}

func lanOf(row map[string]any) map[string]any {
	l, _ := row["lan"].(map[string]any)
	return l
}

// A registered kiosk found on the LAN is pulled from where it is, followed
// when its address changes, and no longer pulled once gone; the health row
// says all of that.
func TestSightedFollowsAKiosk(t *testing.T) {
	h := start(t, testConfig(t))
	_, first := newFakeKiosk(t, "kiosk-a", tokA, kioskLog("kiosk-a", 3))
	seen := time.Now()
	h.svc.Sighted(Sighting{KioskID: "kiosk-a", Instance: "Nhà văn hóa thôn Đông Lão (kiosk-a)", Village: "Đông Lão",
		Version: "1.4.2", Addrs: []string{"127.0.0.1"}, URL: first, Seq: 3, LastSeen: seen})
	require.Eventually(t, func() bool { return h.svc.led.tally.Acked("kiosk-a") == 3 }, 10*time.Second, 20*time.Millisecond)

	row, ok := healthOf(t, h, "kiosk-a")
	require.True(t, ok)
	assert.Equal(t, first, row["pull_url"])
	assert.Equal(t, SourceMDNS, row["pull_source"])
	assert.Equal(t, "ok", row["status"])
	lan := lanOf(row)
	require.NotNil(t, lan)
	assert.Equal(t, "seen", lan["state"])
	assert.Equal(t, "Đang thấy trên mạng", lan["state_text"])
	assert.Equal(t, []any{"127.0.0.1"}, lan["addrs"])
	assert.Equal(t, float64(3), lan["seq"], "the announced head seq")
	assert.Equal(t, "Đông Lão", lan["village"])
	assert.Contains(t, row["lan_text"], "127.0.0.1")

	// Renumbered: the second fake holds more records; only pulling from the
	// new address can bring them.
	_, moved := newFakeKiosk(t, "kiosk-a", tokA, kioskLog("kiosk-a", 5))
	h.svc.Sighted(Sighting{KioskID: "kiosk-a", Instance: "Nhà văn hóa thôn Đông Lão (kiosk-a)", Addrs: []string{"127.0.0.2"}, URL: moved, Seq: 5, LastSeen: time.Now()})
	require.Eventually(t, func() bool { return h.svc.led.tally.Acked("kiosk-a") == 5 }, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, moved, targetURL(h.svc, "kiosk-a"))

	h.svc.Sighted(Sighting{KioskID: "kiosk-a", Instance: "Nhà văn hóa thôn Đông Lão (kiosk-a)", Addrs: []string{"127.0.0.2"}, URL: moved, Seq: 5, Gone: true, LastSeen: seen})
	assert.Empty(t, targetURL(h.svc, "kiosk-a"), "a kiosk gone from the LAN is not pulled")
	row, _ = healthOf(t, h, "kiosk-a")
	assert.Equal(t, "gone", lanOf(row)["state"])
	assert.Equal(t, "Không còn thấy trên mạng", lanOf(row)["state_text"])
	assert.Contains(t, row["lan_text"], "Không còn thấy")
	assert.Nil(t, row["pull_url"])
	assert.Equal(t, 5, h.progress().Total.Done)
}

// An unregistered kiosk seen on the LAN is listed as such, is not pulled
// (the ward has no token), and is pulled at once when an official
// registers it: not after the backoff its failed pulls had built up.
func TestSightedUnregisteredThenRegistered(t *testing.T) {
	cfg := testConfig(t)
	cfg.PullInterval = time.Minute // a retry would come minutes later: only the restart can pull in time
	h := start(t, cfg)

	// The fake kiosk will hold whatever token the ward hands out later.
	k, front := newFakeKiosk(t, "kiosk-z", "none-yet", kioskLog("kiosk-z", 2))
	k.tokenOf = func() string {
		tok, _ := h.svc.reg.tokenFor("kiosk-z")
		return tok
	}

	h.svc.Sighted(Sighting{KioskID: "kiosk-z", Instance: "Nhà văn hóa thôn Song Nga (kiosk-z)", Addrs: []string{"127.0.0.1"}, URL: front, Seq: 2, LastSeen: time.Now()})
	require.Eventually(t, func() bool {
		row, ok := healthOf(t, h, "kiosk-z")
		return ok && row["pull_error"] != nil
	}, 10*time.Second, 20*time.Millisecond)
	row, _ := healthOf(t, h, "kiosk-z")
	assert.Equal(t, false, row["registered"])
	assert.Equal(t, "unregistered", row["status"])
	assert.Contains(t, row["status_text"], "Chưa đăng ký")
	assert.Contains(t, row["pull_error"], "not registered")
	assert.Equal(t, "seen", lanOf(row)["state"])
	k.mu.Lock()
	assert.Zero(t, k.calls, "no token, no pull")
	k.mu.Unlock()

	// The dashboard offers to register it, and only it.
	a := h.login()
	page := do(t, a.c, "GET", h.url+"/", nil, nil)
	require.Equal(t, 200, page.status)
	body := html.UnescapeString(string(page.body))
	assert.Equal(t, 1, strings.Count(body, `<button type="submit" title="Cấp mã truy cập cho điểm này">Đăng ký</button>`),
		"one button: kiosk-a and kiosk-b are registered")
	assert.Contains(t, body, `<input type="hidden" name="id" value="kiosk-z">`)
	assert.Contains(t, body, "Đang thấy trên mạng: 127.0.0.1, số cuối 2")

	// The button's form, as the browser sends it.
	form := url.Values{"csrf_token": {a.csrf}, "id": {"kiosk-z"}}
	res := do(t, a.c, "POST", h.url+"/ui/kiosks", strings.NewReader(form.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	require.Equal(t, 201, res.status, string(res.body))
	tok, ok := h.svc.reg.tokenFor("kiosk-z")
	require.True(t, ok)
	assert.Contains(t, string(res.body), tok, "the token is shown once, to put on the kiosk")

	// Pulled within seconds although the failed pulls had backed off.
	require.Eventually(t, func() bool { return h.svc.led.tally.Acked("kiosk-z") == 2 }, 5*time.Second, 20*time.Millisecond)
	row, _ = healthOf(t, h, "kiosk-z")
	assert.Equal(t, true, row["registered"])
	assert.Equal(t, "ok", row["status"])
	assert.Nil(t, row["pull_error"])
	assert.Contains(t, row["reached"], "pull")
}

// What mDNS must not do: redirect or drop a target an official set, fill
// the table with junk ids, or make a row for an id that is not an id.
func TestSightedLimits(t *testing.T) {
	_, flagURL := newFakeKiosk(t, "kiosk-a", tokA, kioskLog("kiosk-a", 1))
	cfg := testConfig(t)
	cfg.Pulls = []PullTarget{{KioskID: "kiosk-a", URL: flagURL}}
	h := start(t, cfg)

	cases := []struct {
		name  string
		seen  Sighting
		check func(t *testing.T)
		why   string
	}{
		{"flag-target-kept", Sighting{KioskID: "kiosk-a", Addrs: []string{"10.0.0.9"}, URL: "http://10.0.0.9:8080", LastSeen: time.Now()}, func(t *testing.T) {
			assert.Equal(t, flagURL, targetURL(h.svc, "kiosk-a"))
			row, _ := healthOf(t, h, "kiosk-a")
			assert.Equal(t, "seen", lanOf(row)["state"], "still shown as seen")
		}, "an announcement cannot redirect a --pull target"},
		{"flag-target-not-dropped", Sighting{KioskID: "kiosk-a", URL: "http://10.0.0.9:8080", Gone: true, LastSeen: time.Now()}, func(t *testing.T) {
			assert.Equal(t, flagURL, targetURL(h.svc, "kiosk-a"))
		}, "a kiosk the official named is pulled whatever mDNS says"},
		{"no-ipv4", Sighting{KioskID: "kiosk-b", Addrs: []string{"fe80::1"}, LastSeen: time.Now()}, func(t *testing.T) {
			assert.Empty(t, targetURL(h.svc, "kiosk-b"))
			row, ok := healthOf(t, h, "kiosk-b")
			require.True(t, ok)
			assert.Equal(t, "seen", lanOf(row)["state"])
		}, "listed, but nothing to pull from"},
		{"bad-id", Sighting{KioskID: "../../etc", URL: "http://10.0.0.9:8080", LastSeen: time.Now()}, func(t *testing.T) {
			_, ok := healthOf(t, h, "../../etc")
			assert.False(t, ok)
		}, "an id the ward could never register makes no row"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h.svc.Sighted(tc.seen)
			tc.check(t)
		})
	}

	t.Run("flood", func(t *testing.T) {
		for i := range 3 * maxLANOnly {
			h.svc.Sighted(Sighting{KioskID: fmt.Sprintf("junk-%03d", i), LastSeen: time.Now()})
		}
		unregistered := 0
		for _, k := range h.svc.fleet.KioskHealth() {
			if !k.Registered {
				unregistered++
			}
		}
		assert.Equal(t, maxLANOnly, unregistered, "anyone can announce: rows made by mDNS alone are bounded")
		// A registered kiosk is always shown.
		h.svc.Sighted(Sighting{KioskID: "kiosk-b", Addrs: []string{"10.0.0.7"}, LastSeen: time.Now()})
		row, _ := healthOf(t, h, "kiosk-b")
		assert.Equal(t, []any{"10.0.0.7"}, lanOf(row)["addrs"])
	})
}

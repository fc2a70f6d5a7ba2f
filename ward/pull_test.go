package ward

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

func kioskLog(kiosk string, n int) []record.Record {
	var log []record.Record
	for i := 1; i <= n; i++ {
		log = append(log, rec(kiosk, uint64(i), cccd(i), "Đông Lão", true))
	}
	return log
}

func TestPullOncePagesToHead(t *testing.T) {
	h := start(t, testConfig(t))
	k, url := newFakeKiosk(t, "kiosk-a", tokA, kioskLog("kiosk-a", 10))
	require.NoError(t, h.svc.fleet.PullOnce(t.Context(), http.DefaultClient, PullTarget{KioskID: "kiosk-a", URL: url}))
	assert.Equal(t, uint64(10), h.svc.led.tally.Acked("kiosk-a"))
	assert.Equal(t, 4, k.calls, "pages of 3 from after=0: 3+3+3+1")

	// Nothing new: one request, nothing stored twice.
	require.NoError(t, h.svc.fleet.PullOnce(t.Context(), http.DefaultClient, PullTarget{KioskID: "kiosk-a", URL: url}))
	assert.Equal(t, 5, k.calls)
	assert.Equal(t, 10, h.progress().Total.Done)

	health := h.svc.fleet.KioskHealth()
	require.Len(t, health, 2)
	a := health[0]
	assert.Equal(t, "kiosk-a", a.KioskID)
	assert.Equal(t, "fake-1", a.Version, "read from the kiosk's /healthz")
	assert.Contains(t, a.Reached, "pull")
	require.NotNil(t, a.SkewSeconds, "from the Date header")
	assert.InDelta(t, 0, *a.SkewSeconds, 3)
	assert.Equal(t, uint64(0), a.Pending)
}

func TestPullFillsGapLeftByPush(t *testing.T) {
	h := start(t, testConfig(t))
	log := kioskLog("kiosk-a", 6)
	require.Equal(t, 200, h.push("kiosk-a", tokA, log[4], log[5]).status) // seqs 5, 6: a gap before
	_, url := newFakeKiosk(t, "kiosk-a", tokA, log)
	require.NoError(t, h.svc.fleet.PullOnce(t.Context(), http.DefaultClient, PullTarget{KioskID: "kiosk-a", URL: url}))
	assert.Equal(t, uint64(6), h.svc.led.tally.Acked("kiosk-a"))
	assert.Equal(t, 6, h.progress().Total.Done)
}

func TestPullErrors(t *testing.T) {
	h := start(t, testConfig(t))
	_, wrongKiosk := newFakeKiosk(t, "kiosk-b", tokA, kioskLog("kiosk-b", 2))
	_, wrongToken := newFakeKiosk(t, "kiosk-a", "another-token-entirely", kioskLog("kiosk-a", 2))
	// Claims to be kiosk-a but serves kiosk-b's records.
	_, liar := newFakeKiosk(t, "kiosk-a", tokA, kioskLog("kiosk-b", 1))
	cases := []struct {
		name, kiosk, url, want, why string
	}{
		{"other-kiosk", "kiosk-a", wrongKiosk, `is "kiosk-b", not "kiosk-a"`, "an mDNS mix-up must not file records under the wrong kiosk"},
		{"bad-token", "kiosk-a", wrongToken, "401", "the kiosk refuses our token"},
		{"unregistered", "kiosk-z", wrongKiosk, "not registered", "no token to pull with"},
		{"foreign-records", "kiosk-a", liar, "foreign_record", "records of another kiosk inside a page"},
		{"dead", "kiosk-a", "http://127.0.0.1:1", "connect", "nobody listening"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := h.svc.fleet.PullOnce(t.Context(), http.DefaultClient, PullTarget{KioskID: tc.kiosk, URL: tc.url})
			require.Error(t, err, tc.why)
			assert.Contains(t, err.Error(), tc.want, tc.why)
		})
	}
	assert.Equal(t, 0, h.progress().Records)
}

// The running service pulls targets from --pull and from AddPullTarget
// (the discovery hook), and reports pull errors in kiosk health.
func TestPullLoopAndTargets(t *testing.T) {
	_, urlA := newFakeKiosk(t, "kiosk-a", tokA, kioskLog("kiosk-a", 5))
	cfg := testConfig(t)
	cfg.Pulls = []PullTarget{{KioskID: "kiosk-a", URL: urlA}}
	h := start(t, cfg)
	require.Eventually(t, func() bool { return h.svc.led.tally.Acked("kiosk-a") == 5 }, 10*time.Second, 20*time.Millisecond)

	k, urlB := newFakeKiosk(t, "kiosk-b", tokB, kioskLog("kiosk-b", 4))
	h.svc.fleet.AddPullTarget(PullTarget{KioskID: "kiosk-b", URL: urlB, Source: SourceMDNS})
	require.Eventually(t, func() bool { return h.svc.led.tally.Acked("kiosk-b") == 4 }, 10*time.Second, 20*time.Millisecond)

	// mDNS cannot redirect a configured target.
	h.svc.fleet.AddPullTarget(PullTarget{KioskID: "kiosk-a", URL: "http://127.0.0.1:9", Source: SourceMDNS})
	assert.Equal(t, urlA, targetURL(h.svc, "kiosk-a"))
	// Losing kiosk-b on mDNS stops its puller; a configured one stays.
	h.svc.fleet.RemovePullTarget("kiosk-b", SourceMDNS)
	h.svc.fleet.RemovePullTarget("kiosk-a", SourceMDNS)
	assert.Equal(t, "", targetURL(h.svc, "kiosk-b"))
	assert.Equal(t, urlA, targetURL(h.svc, "kiosk-a"))
	k.mu.Lock()
	calls := k.calls
	k.mu.Unlock()
	time.Sleep(200 * time.Millisecond)
	k.mu.Lock()
	assert.Equal(t, calls, k.calls, "a removed target is no longer pulled")
	k.mu.Unlock()

	// A dead target: the error shows in health.
	h.svc.fleet.AddPullTarget(PullTarget{KioskID: "kiosk-b", URL: "http://127.0.0.1:1", Source: SourceUI})
	require.Eventually(t, func() bool {
		for _, x := range h.svc.fleet.KioskHealth() {
			if x.KioskID == "kiosk-b" && x.PullError != "" {
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond)
	assert.Equal(t, 5, h.progress().Total.Done, "both fake logs hold the same five citizens")
	assert.Equal(t, 9, h.progress().Records)
}

func targetURL(s *Service, id string) string {
	for _, t := range s.fleet.PullTargets() {
		if t.KioskID == id {
			return t.URL
		}
	}
	return ""
}

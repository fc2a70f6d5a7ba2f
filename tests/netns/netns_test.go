//go:build linux

package netns

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/netnstest"
	"github.com/kyso-vn/kyso/internal/proctest"
)

const (
	kioskID  = "dong-lao"
	token    = "netns-test-token-dong-lao-0123"
	adminPW  = "mat-khau-quan-tri"
	pin      = "246810"
	village  = "Đông Lão"
	quotaCSV = "../../deploy/examples/quotas-cam-ngoc-2024.csv"
	// deadPush is where the kiosk pushes in the first part: nothing
	// listens there (the kiosk's own loopback), so every record the ward
	// gets comes by pull.
	deadPush = "http://127.0.0.1:9"
)

// wardKiosk is one row of the ward's GET /api/v1/kiosks.
type wardKiosk struct {
	KioskID    string               `json:"kiosk_id"`
	Registered bool                 `json:"registered"`
	Status     string               `json:"status"`
	Reached    map[string]time.Time `json:"reached"`
	PullURL    string               `json:"pull_url"`
	PullSource string               `json:"pull_source"`
	LAN        *struct {
		State string   `json:"state"`
		Addrs []string `json:"addrs"`
		Seq   uint64   `json:"seq"`
	} `json:"lan"`
}

type kioskHealth struct {
	HeadSeq  uint64 `json:"head_seq"`
	AckedSeq uint64 `json:"acked_seq"`
	Ward     bool   `json:"ward"`
}

// TestWardFollowsKioskOnLAN is the scenario with the real programs:
// the ward (namespace a) finds the kiosk (namespace b) by mDNS within 5 s
// and pulls its completions; the LAN is renumbered and the ward follows
// the kiosk to its new address; the kiosk stops and the ward marks it
// gone. Then the kiosk comes back with no --ward-url: the ward sees it
// again, and the kiosk finds the ward by mDNS, has it prove the token, and
// pushes.
//
// Why the first part pushes to a dead URL: with a working push, records
// reach the ward either way and "the ward pulled them" could not be told
// from "the kiosk pushed them". With push dead, every record at the ward
// is one the ward pulled from the address mDNS gave it; the ward's health
// row must then show pull as the only way the kiosk was reached.
func TestWardFollowsKioskOnLAN(t *testing.T) {
	netnstest.Need(t)
	kioskBin, wardBin := proctest.Binaries(t) // before the clock starts: a cold build is slow
	begin := time.Now()
	defer func() { t.Logf("scenario took %v (bound: 60 s)", time.Since(begin).Round(time.Millisecond)) }()

	l := newLAN(t)
	ward := client(t, l.A, "http://127.0.0.1:8090")
	kiosk := client(t, l.B, "http://127.0.0.1:8080")

	startIn(t, "ward", l.A, ward, wardBin, "--listen", "0.0.0.0:8090", "--data", t.TempDir(),
		"--quotas", quotaCSV, "--admin-password", adminPW, "--kiosk", kioskID+":"+token,
		"--mdns=true", "--mdns-iface", "lan0", "--mdns-window", "2s", "--pull-interval", "1s",
		"--name", "UBND xã Cẩm Ngọc", "--id", "cam-ngoc")

	kioskData := t.TempDir()
	kioskArgs := func(extra ...string) []string {
		return append([]string{"--listen", "0.0.0.0:8080", "--data", kioskData, "--id", kioskID,
			"--name", "Nhà văn hóa thôn Đông Lão", "--village", village, "--token", token, "--pin", pin,
			"--mdns=true", "--sync-max-delay", "2s", "--join-limit", "0"}, extra...)
	}
	kp := startIn(t, "kiosk", l.B, kiosk, kioskBin, kioskArgs("--ward-url", deadPush)...)

	row := func() wardKiosk {
		t.Helper()
		var body struct {
			Kiosks []wardKiosk `json:"kiosks"`
		}
		require.Equal(t, 200, ward.JSON("GET", "/api/v1/kiosks", nil, &body))
		for _, k := range body.Kiosks {
			if k.KioskID == kioskID {
				return k
			}
		}
		return wardKiosk{}
	}
	seenAt := func(addr string) func() bool {
		return func() bool {
			k := row()
			return k.LAN != nil && k.LAN.State == "seen" && len(k.LAN.Addrs) == 1 && k.LAN.Addrs[0] == addr &&
				k.PullURL == "http://"+addr+":8080"
		}
	}
	done := func() int {
		t.Helper()
		var p struct {
			Total struct {
				Done int `json:"done"`
			} `json:"total"`
		}
		require.Equal(t, 200, ward.JSON("GET", "/api/v1/progress", nil, &p))
		return p.Total.Done
	}

	// Found within 5 s of the kiosk's start, and pulled from at once.
	took := within(t, kp.started, 5*time.Second, "the ward lists the kiosk found by mDNS", seenAt("10.77.1.2"))
	t.Logf("ward found the kiosk %v after it started", took.Round(time.Millisecond))
	k := row()
	assert.True(t, k.Registered)
	assert.Equal(t, "mdns", k.PullSource)

	v := volunteer(t, kiosk)
	for i := 1; i <= 3; i++ {
		complete(t, v, i)
	}
	wrote := time.Now()
	took = within(t, wrote, 10*time.Second, "3 completions at the ward", func() bool { return done() == 3 })
	t.Logf("3 completions pulled %v after they were made", took.Round(time.Millisecond))
	k = row()
	assert.Contains(t, k.Reached, "pull")
	assert.NotContains(t, k.Reached, "push", "the kiosk's push goes nowhere: these records were pulled")

	// The LAN is renumbered, ward and kiosk alike, as when the commune
	// changes its router. The kiosk re-announces with its new address (and
	// its current head seq); the ward follows.
	netnstest.Sh(t, "ip", "-n", l.A, "addr", "add", "10.77.2.1/24", "dev", "lan0")
	netnstest.Sh(t, "ip", "-n", l.B, "addr", "add", "10.77.2.2/24", "dev", "lan0")
	netnstest.Sh(t, "ip", "-n", l.A, "addr", "del", "10.77.1.1/24", "dev", "lan0")
	netnstest.Sh(t, "ip", "-n", l.B, "addr", "del", "10.77.1.2/24", "dev", "lan0")
	moved := time.Now()
	took = within(t, moved, 12*time.Second, "the ward follows the kiosk to 10.77.2.2", seenAt("10.77.2.2"))
	t.Logf("ward followed the new address %v after the change", took.Round(time.Millisecond))
	var kh kioskHealth
	require.Equal(t, 200, kiosk.JSON("GET", "/healthz", nil, &kh))
	assert.Equal(t, kh.HeadSeq, row().LAN.Seq, "the re-announcement carries the head seq")

	for i := 4; i <= 5; i++ {
		complete(t, v, i)
	}
	wrote = time.Now()
	took = within(t, wrote, 10*time.Second, "2 more completions, pulled from the new address", func() bool { return done() == 5 })
	t.Logf("2 more completions pulled from the new address %v after they were made", took.Round(time.Millisecond))
	assert.NotContains(t, row().Reached, "push")

	// A clean stop (goodbye sent). The ward's browser does not hear
	// goodbyes (zeroconf hides them); it marks a kiosk gone after three
	// silent windows, 6 s here.
	stopped := time.Now()
	kp.stop()
	took = within(t, stopped, 12*time.Second, "the ward marks the kiosk gone", func() bool {
		k := row()
		return k.LAN != nil && k.LAN.State == "gone" && k.PullURL == ""
	})
	t.Logf("ward marked the kiosk gone %v after SIGTERM", took.Round(time.Millisecond))

	// Back, with no --ward-url: kiosk-side discovery. The ward sees it
	// again; the kiosk finds the ward by mDNS and, once the ward has proven
	// it holds the token, pushes — everything it has, since no push has
	// ever been acknowledged.
	kp.restart(kiosk, kioskBin, kioskArgs()...)
	took = within(t, kp.started, 5*time.Second, "the ward sees the kiosk back", seenAt("10.77.2.2"))
	t.Logf("ward saw the kiosk back %v after it started", took.Round(time.Millisecond))
	// The kiosk's /healthz asks its ward finder, which proves the ward.
	took = within(t, kp.started, 10*time.Second, "the kiosk finds and proves the ward", func() bool {
		var h kioskHealth
		return kiosk.JSON("GET", "/healthz", nil, &h) == 200 && h.Ward
	})
	t.Logf("kiosk found and proved the ward %v after it started", took.Round(time.Millisecond))
	v = volunteer(t, kiosk)
	complete(t, v, 6) // wakes the forwarder
	wrote = time.Now()
	took = within(t, wrote, 10*time.Second, "the kiosk pushed and the ward acknowledged all 6", func() bool {
		var h kioskHealth
		return kiosk.JSON("GET", "/healthz", nil, &h) == 200 && h.HeadSeq > 0 && h.AckedSeq == h.HeadSeq && done() == 6
	})
	t.Logf("kiosk's push acknowledged %v after the completion", took.Round(time.Millisecond))
	assert.Contains(t, row().Reached, "push")
	assert.Equal(t, 6, done(), "each citizen once, whichever way the records came")
	assert.Less(t, time.Since(begin), 60*time.Second, "the scenario is bounded")
}

// volunteer logs in on the kiosk; the client then sends the CSRF token.
func volunteer(t *testing.T, c *proctest.Client) *proctest.Client {
	t.Helper()
	var r struct {
		CSRF string `json:"csrf_token"`
	}
	require.Equal(t, 200, c.JSON("POST", "/api/v1/login", map[string]string{"pin": pin, "volunteer": "Trần Thị Lan"}, &r))
	c.Header.Set("X-CSRF-Token", r.CSRF)
	return c
}

// complete registers citizen i as a walk-in and records an activation.
func complete(t *testing.T, v *proctest.Client, i int) {
	t.Helper()
	var tk struct {
		ID string `json:"id"`
	}
	code, body, err := v.Do("POST", "/api/v1/tickets", proctest.Citizen(i, village))
	require.NoError(t, err)
	require.Equal(t, 201, code, string(body))
	require.NoError(t, json.Unmarshal(body, &tk))
	code, body, err = v.Do("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]string{"outcome": "activated"})
	require.NoError(t, err)
	require.Equal(t, 201, code, "complete %s: %s", tk.ID, body)
}

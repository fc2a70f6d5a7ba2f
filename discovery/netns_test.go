//go:build linux

package discovery

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/netnstest"
	"github.com/kyso-vn/kyso/internal/testenv"
)

const houseName = "Nhà văn hóa thôn Đông Lão"

var houseInstance = houseName + " (dong-lao)"

func kioskArgs(extra ...string) []string {
	return append([]string{"advertise", "-id", "dong-lao", "-name", houseName, "-village", "Đông Lão",
		"-version", "1.4.2", "-api", "/api/v1", "-port", "8080", "-seq", "7",
		"-poll", "250ms", "-seq-interval", "500ms"}, extra...)
}

// TestNetnsBrowserFindsFollowsAndLoses is the main scenario on a
// real (virtual) LAN: found within 5 s, seq and address changes followed,
// gone after the advertiser stops, found again after, so browsing goes on
// window after window. The advertiser's namespace also has a docker0 bridge
// and a multicast loopback, whose addresses must never be announced.
func TestNetnsBrowserFindsFollowsAndLoses(t *testing.T) {
	needNetns(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l := newLAN(t)
	netnstest.Sh(t, "ip", "-n", l.A, "link", "add", "docker0", "type", "bridge")
	netnstest.Sh(t, "ip", "-n", l.A, "addr", "add", "172.17.0.1/16", "dev", "docker0")
	netnstest.Sh(t, "ip", "-n", l.A, "link", "set", "docker0", "up")
	netnstest.Sh(t, "ip", "-n", l.A, "link", "set", "lo", "multicast", "on")

	// Default interface rule on both sides: no -iface.
	browser := startTool(t, ctx, "browser", l.B, "browse", "-window", "1s", "-gone-after", "3s")
	start := time.Now()
	adv := startTool(t, ctx, "advertiser", l.A, kioskArgs()...)

	found := browser.waitPeer(5*time.Second, "the kiosk", func(p peerLine) bool { return p.ID == "dong-lao" && !p.Gone })
	t.Logf("found after %v", time.Since(start).Round(time.Millisecond))
	p := found.Peer
	assert.Equal(t, houseInstance, p.Instance)
	assert.Equal(t, "Đông Lão", p.Village)
	assert.Equal(t, "1.4.2", p.Version)
	assert.Equal(t, "/api/v1", p.API)
	assert.Equal(t, uint64(7), p.Seq)
	assert.Equal(t, 8080, p.Port)
	assert.Equal(t, "kyso-dong-lao.local", p.Host)
	assert.Equal(t, []string{"10.77.1.1"}, p.Addrs, "no docker0 or loopback address")
	assert.Equal(t, "http://10.77.1.1:8080", p.URL)

	adv.send("seq 42")
	browser.waitPeer(5*time.Second, "seq 42", func(p peerLine) bool { return p.Seq == 42 && !p.Gone })

	// Renumbering, as when the box is moved to another router: the new
	// address must replace the old one.
	netnstest.Sh(t, "ip", "-n", l.B, "addr", "add", "10.77.2.2/24", "dev", "lan0")
	netnstest.Sh(t, "ip", "-n", l.A, "addr", "add", "10.77.2.1/24", "dev", "lan0")
	netnstest.Sh(t, "ip", "-n", l.A, "addr", "del", "10.77.1.1/24", "dev", "lan0")
	moved := time.Now()
	browser.waitPeer(5*time.Second, "the new address", func(p peerLine) bool {
		return !p.Gone && len(p.Addrs) == 1 && p.Addrs[0] == "10.77.2.1"
	})
	t.Logf("address change seen after %v", time.Since(moved).Round(time.Millisecond))

	stopped := time.Now()
	adv.stop()
	gone := browser.waitPeer(7*time.Second, "gone", func(p peerLine) bool { return p.ID == "dong-lao" && p.Gone })
	t.Logf("gone after %v", time.Since(stopped).Round(time.Millisecond))
	assert.Equal(t, uint64(42), gone.Peer.Seq)

	startTool(t, ctx, "advertiser again", l.A, kioskArgs()...)
	browser.waitPeer(5*time.Second, "the kiosk back", func(p peerLine) bool { return p.ID == "dong-lao" && !p.Gone })
	browser.stop()
}

// TestNetnsKioskFindsWard: the ward advertises _kyso-ward._tcp and a kiosk
// without --ward-url picks it.
func TestNetnsKioskFindsWard(t *testing.T) {
	needNetns(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := newLAN(t)
	kiosk := startTool(t, ctx, "kiosk browser", l.B, "browse", "-type", WardService, "-window", "1s", "-gone-after", "3s")
	ward := startTool(t, ctx, "ward", l.A, "advertise", "-type", WardService, "-id", "cam-ngoc",
		"-name", "UBND xã Cẩm Ngọc", "-port", "8090", "-version", "1.4.2", "-iface", "lan0")

	ev := kiosk.waitEvent(5*time.Second, "a ward", func(ev toolEvent) bool { return ev.WardURL != "" })
	assert.Equal(t, "http://10.77.1.1:8090", ev.WardURL)
	assert.Equal(t, "UBND xã Cẩm Ngọc (cam-ngoc)", ev.Peer.Instance)
	assert.Equal(t, "kyso-ward-cam-ngoc.local", ev.Peer.Host)
	assert.Empty(t, ev.Peer.Village, "a ward announces no village")
	ward.stop()
	kiosk.stop()
}

// TestNetnsAvahiSeesAnnouncement checks the announcement with an
// independent mDNS implementation, avahi: instance name and every TXT key,
// a seq update, and the goodbye on shutdown. A second advertiser killed
// with SIGKILL (no goodbye) is the control: avahi must not drop that one,
// so the first removal is the goodbye's doing.
func TestNetnsAvahiSeesAnnouncement(t *testing.T) {
	needNetns(t)
	testenv.Need(t, "avahi-daemon", "avahi-daemon")
	testenv.Need(t, "avahi-browse", "avahi-utils")
	testenv.Need(t, "dbus-daemon", "dbus-daemon")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l := newLAN(t)
	bus := startAvahi(t, ctx, l.B, "lan0")
	avahi := startAvahiBrowse(t, ctx, l.B, bus, KioskService)

	adv := startTool(t, ctx, "advertiser", l.A, kioskArgs("-iface", "lan0")...)
	control := startTool(t, ctx, "control advertiser", l.A, "advertise", "-id", "tay-lao",
		"-name", "Nhà văn hóa thôn Tây Lão", "-village", "Tây Lão", "-port", "8081", "-iface", "lan0")
	const controlInstance = "Nhà văn hóa thôn Tây Lão (tay-lao)"

	// Both resolve, in either order.
	resolved := map[string]avahiLine{}
	avahi.waitLine(10*time.Second, "both instances resolved", func(line string) bool {
		if l, ok := parseAvahi(line); ok && l.Op == "=" {
			resolved[l.Name] = l
		}
		_, a := resolved[houseInstance]
		_, b := resolved[controlInstance]
		return a && b
	})
	got := resolved[houseInstance]
	assert.Equal(t, "lan0", got.Iface)
	assert.Equal(t, "IPv4", got.Proto)
	assert.Equal(t, KioskService, got.Type)
	assert.Equal(t, "kyso-dong-lao.local", got.Host)
	assert.Equal(t, "10.77.1.1", got.Addr)
	assert.Equal(t, "8080", got.Port)
	assert.Equal(t, map[string]string{"id": "dong-lao", "village": "Đông Lão", "v": "1.4.2", "api": "/api/v1", "seq": "7"}, got.TXT)
	assert.Equal(t, "8081", resolved[controlInstance].Port)

	// A third party sees the new head seq too. avahi-browse resolves each
	// instance once, and avahi keeps the instance through the goodbye and
	// the re-announcement (they come within its one-second grace), so the
	// running browse says nothing; fresh one-shot browses are asked until
	// the re-announcement has reached avahi's cache.
	adv.send("seq 42")
	require.Eventually(t, func() bool {
		once, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		out, _ := netnstest.Command(once, l.B, "env", "DBUS_SYSTEM_BUS_ADDRESS="+bus,
			"avahi-browse", "-r", "-p", "-k", "-t", KioskService).Output()
		for _, line := range strings.Split(string(out), "\n") {
			if l, ok := parseAvahi(line); ok && l.Op == "=" && l.Name == houseInstance && l.TXT["seq"] == "42" {
				return true
			}
		}
		return false
	}, 10*time.Second, 200*time.Millisecond, "avahi sees seq=42")

	// The goodbye+announce of a seq re-registration must not look like a
	// departure to third parties; waiting out avahi's one-second grace also
	// makes sure that the removal checked below is the final goodbye's.
	avahi.noLine(1500*time.Millisecond, "removal during the seq re-registration", func(line string) bool {
		l, ok := parseAvahi(line)
		return ok && l.Op == "-"
	})

	// Timed from the signal: a -race child sleeps a second before exiting.
	stopped := time.Now()
	adv.stop()
	control.kill()
	waitAvahi(avahi, 5*time.Second, "-", houseInstance, nil)
	t.Logf("avahi dropped the kiosk %v after its goodbye", time.Since(stopped).Round(time.Millisecond))
	avahi.noLine(3*time.Second, "removal of the killed advertiser", func(line string) bool {
		l, ok := parseAvahi(line)
		return ok && l.Op == "-" && strings.Contains(l.Name, "tay-lao")
	})
}

// TestNetnsAdvertiserBesideAvahi: Raspberry Pi OS runs avahi-daemon (as
// root) on the box itself. The advertiser, as nobody, shares UDP 5353 with
// it and is still found.
func TestNetnsAdvertiserBesideAvahi(t *testing.T) {
	needNetns(t)
	testenv.Need(t, "avahi-daemon", "avahi-daemon")
	testenv.Need(t, "dbus-daemon", "dbus-daemon")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	l := newLAN(t)
	startAvahi(t, ctx, l.A, "lan0")
	browser := startTool(t, ctx, "browser", l.B, "browse", "-window", "1s", "-gone-after", "3s")
	adv := startTool(t, ctx, "advertiser", l.A, kioskArgs()...)
	browser.waitPeer(5*time.Second, "the kiosk", func(p peerLine) bool { return p.ID == "dong-lao" && !p.Gone })
	adv.stop()
	browser.stop()
}

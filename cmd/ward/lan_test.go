package main

import (
	"net/netip"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kyso-vn/kyso/discovery"
	"github.com/kyso-vn/kyso/ward"
)

func TestSightingOf(t *testing.T) {
	seen := time.Date(2024, 6, 5, 19, 0, 0, 0, time.UTC)
	peer := discovery.Peer{
		Instance: "Nhà văn hóa thôn Đông Lão (dong-lao)", ID: "dong-lao", Village: "Đông Lão", Version: "1.4.2",
		API: "/api/v1", Seq: 42, Port: 8080, LastSeen: seen,
		Addrs: []netip.Addr{netip.MustParseAddr("192.168.1.20"), netip.MustParseAddr("fe80::1")},
	}
	cases := []struct {
		name string
		edit func(*discovery.Peer)
		want func(*ward.Sighting)
		why  string
	}{
		{"kiosk", func(*discovery.Peer) {}, func(*ward.Sighting) {}, "every announced field is kept, the URL on the IPv4 address"},
		{"gone", func(p *discovery.Peer) { p.Gone = true }, func(s *ward.Sighting) { s.Gone = true }, "gone is passed on: the service stops pulling"},
		{"ipv6-only", func(p *discovery.Peer) { p.Addrs = p.Addrs[1:] }, func(s *ward.Sighting) { s.Addrs, s.URL = []string{"fe80::1"}, "" },
			"listed without a URL: a link-local IPv6 address needs a zone the URL cannot carry"},
		{"other-api", func(p *discovery.Peer) { p.API = "/api/v2" }, func(s *ward.Sighting) { s.URL = "" },
			"a kiosk speaking another API is listed, not pulled"},
		{"api-trailing-slash", func(p *discovery.Peer) { p.API = "/api/v1/" }, func(*ward.Sighting) {}, "same API"},
		{"no-api", func(p *discovery.Peer) { p.API = "" }, func(*ward.Sighting) {}, "an older kiosk without the api key speaks v1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := peer
			p.Addrs = append([]netip.Addr(nil), peer.Addrs...)
			tc.edit(&p)
			want := ward.Sighting{KioskID: "dong-lao", Instance: "Nhà văn hóa thôn Đông Lão (dong-lao)", Village: "Đông Lão", Version: "1.4.2",
				Addrs: []string{"192.168.1.20", "fe80::1"}, URL: "http://192.168.1.20:8080", Seq: 42, LastSeen: seen}
			tc.want(&want)
			assert.Equal(t, want, sightingOf(p), tc.why)
		})
	}
}

func TestHostSlug(t *testing.T) {
	cases := []struct{ host, want, why string }{
		{"ubnd-cam-ngoc", "ubnd-cam-ngoc", "already a slug"},
		{"UBND_Cam Ngoc", "ubnd-cam-ngoc", "lower case, one hyphen per run of others"},
		{"ward-pc.local", "ward-pc", "the first label only"},
		{"", "ward", "no host name"},
		{"--", "ward", "nothing usable"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, hostSlug(tc.host), tc.why)
	}
}

func TestKioskView(t *testing.T) {
	t0 := time.Date(2024, 6, 5, 19, 0, 0, 0, time.UTC)
	addr := []netip.Addr{netip.MustParseAddr("192.168.1.20")}
	old := discovery.Peer{Instance: "Nhà văn hóa (dong-lao)", ID: "dong-lao", Addrs: addr, Port: 8080, LastSeen: t0}
	renamed := discovery.Peer{Instance: "Nhà văn hóa thôn Đông Lão (dong-lao)", ID: "dong-lao", Addrs: addr, Port: 8080, LastSeen: t0.Add(time.Minute)}
	oldGone := old
	oldGone.Gone = true
	other := discovery.Peer{Instance: "Nhà văn hóa thôn Tây Lão (tay-lao)", ID: "tay-lao", Addrs: addr, Port: 8081, LastSeen: t0.Add(2 * time.Minute)}
	noAddr := renamed
	noAddr.Addrs, noAddr.LastSeen = nil, t0.Add(3*time.Minute)
	renamedGone := renamed
	renamedGone.Gone = true

	cases := []struct {
		name    string
		peers   []discovery.Peer
		changed discovery.Peer
		want    string // instance
		gone    bool
		why     string
	}{
		{"single", []discovery.Peer{old}, old, old.Instance, false, "one instance: itself"},
		{"old-instance-gone", []discovery.Peer{oldGone, renamed, other}, oldGone, renamed.Instance, false,
			"a renamed kiosk is not dropped when its old name expires"},
		{"newest-wins", []discovery.Peer{old, renamed}, old, renamed.Instance, false, "two live instances: the one heard last"},
		{"url-beats-newer", []discovery.Peer{renamed, noAddr}, noAddr, renamed.Instance, false, "an instance that can be pulled from beats a newer one that cannot"},
		{"all-gone", []discovery.Peer{oldGone, renamedGone}, oldGone, renamedGone.Instance, true, "gone only when every instance is"},
		{"other-id-ignored", []discovery.Peer{oldGone, other}, oldGone, old.Instance, true, "another kiosk's instance says nothing of this one"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := kioskView(tc.peers, tc.changed)
			assert.Equal(t, tc.want, got.Instance, tc.why)
			assert.Equal(t, tc.gone, got.Gone, tc.why)
		})
	}
}

package discovery

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncodeTXT(t *testing.T) {
	svc := Service{Name: "Nhà văn hóa thôn Đông Lão", ID: "dong-lao", Village: "Đông Lão",
		Version: "1.2.0", API: "/api/v1", Port: 8080, Seq: 42}
	tests := []struct {
		name, typ string
		svc       Service
		want      []string
	}{
		// The list of keys, in a fixed order.
		{"kiosk carries all five keys", KioskService, svc,
			[]string{"id=dong-lao", "village=Đông Lão", "v=1.2.0", "api=/api/v1", "seq=42"}},
		// A ward has no village or log of its own.
		{"ward carries id, version, api", WardService, Service{ID: "cam-ngoc", Version: "1.2.0", API: "/api/v1", Port: 8090},
			[]string{"id=cam-ngoc", "v=1.2.0", "api=/api/v1"}},
		// seq=0 is a real state (empty log), not a missing key.
		{"kiosk with empty log says seq=0", KioskService, Service{ID: "x", Port: 1},
			[]string{"id=x", "village=", "v=", "api=", "seq=0"}},
		// Combining marks (NFD from some keyboards) must match the precomposed village.
		{"village is NFC-normalised", KioskService, Service{ID: "x", Village: "Đo\u0302ng La\u0303o", Port: 1},
			[]string{"id=x", "village=Đông Lão", "v=", "api=", "seq=0"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, EncodeTXT(tc.typ, tc.svc))
		})
	}
}

func TestDecodeTXT(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want map[string]string
	}{
		{"plain pairs", []string{"id=a", "seq=3"}, map[string]string{"id": "a", "seq": "3"}},
		// RFC 6763 §6.4: keys are case-insensitive, the first one wins.
		{"first of a repeated key wins", []string{"ID=a", "id=b"}, map[string]string{"id": "a"}},
		// Values may contain "=" (a URL with a query, say).
		{"value keeps later equals signs", []string{"api=/x?a=b"}, map[string]string{"api": "/x?a=b"}},
		// Boolean attributes and empty keys carry nothing we use.
		{"boolean and empty keys ignored", []string{"flag", "=x", "v="}, map[string]string{"v": ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, DecodeTXT(tc.in))
		})
	}
}

// TestTXTWireRoundTrip packs and unpacks real DNS messages with miekg/dns,
// the library zeroconf uses, to show that what the advertiser hands zeroconf
// is what the browser gets back, UTF-8 and backslashes included.
func TestTXTWireRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		txt  []string
	}{
		{"vietnamese", []string{"village=Tổ dân phố Đông Lão", "id=dong-lao"}},
		// A backslash in the sent string would otherwise start an escape.
		{"backslash and quote", []string{`api=C:\path "x"`, `v=\065`}},
		{"empty value", []string{"village="}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := new(dns.Msg)
			m.Response = true
			m.Answer = []dns.RR{&dns.TXT{
				Hdr: dns.RR_Header{Name: "x._kyso-kiosk._tcp.local.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 120},
				Txt: txtToZeroconf(tc.txt),
			}}
			wire, err := m.Pack()
			require.NoError(t, err)
			var back dns.Msg
			require.NoError(t, back.Unpack(wire))
			got := back.Answer[0].(*dns.TXT).Txt
			assert.Equal(t, tc.txt, txtFromZeroconf(got))
		})
	}
}

func TestInstanceName(t *testing.T) {
	long := strings.Repeat("Nhà văn hóa ", 10)
	tests := []struct {
		name, human, id, want string
	}{
		// Two houses may share a name; the id keeps instances apart.
		{"name and id", "Nhà văn hóa thôn Đông Lão", "dong-lao", "Nhà văn hóa thôn Đông Lão (dong-lao)"},
		{"id already in name", "kiosk dong-lao", "dong-lao", "kiosk dong-lao"},
		{"empty name", "", "dong-lao", "kyso (dong-lao)"},
		// Copy-pasted names bring tabs, newlines and double spaces.
		{"white space collapsed", "  Thôn\tĐông\n\nLão  ", "x", "Thôn Đông Lão (x)"},
		// zeroconf trims dots from instance names, which would break escapes.
		{"outer dots removed", "..Thôn.", "x", "Thôn (x)"},
		{"NFD becomes NFC", "La\u0303o", "x", "Lão (x)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, InstanceName(tc.human, tc.id))
		})
	}
	t.Run("long names are cut at a rune boundary and keep the id", func(t *testing.T) {
		got := InstanceName(long, "dong-lao")
		assert.LessOrEqual(t, len(got), maxLabel)
		assert.True(t, utf8.ValidString(got))
		assert.True(t, strings.HasSuffix(got, " (dong-lao)"), got)
	})
}

// TestLabelEscaping checks the instance label against miekg/dns itself:
// zeroconf compares question names as miekg/dns unpacks them, so the form
// we register must be exactly that one.
func TestLabelEscaping(t *testing.T) {
	for _, label := range []string{
		"Nhà văn hóa thôn Đông Lão (dong-lao)",
		"Tổ 3. Phường X; @home \\ \"q\"",
		"plain",
	} {
		t.Run(label, func(t *testing.T) {
			pres, err := labelToZeroconf(label)
			require.NoError(t, err)

			// Pack the name as zeroconf would, unpack as a receiver would.
			name := pres + "._kyso-kiosk._tcp.local."
			buf := make([]byte, 512)
			n, err := dns.PackDomainName(name, buf, 0, nil, false)
			require.NoError(t, err)
			got, _, err := dns.UnpackDomainName(buf[:n], 0)
			require.NoError(t, err)
			assert.Equal(t, name, got, "unpacked name must equal what zeroconf compares against")
			assert.Equal(t, 4, dns.CountLabel(got), "one instance label, whatever dots it holds")
			assert.Equal(t, label, labelFromZeroconf(pres))
		})
	}
	_, err := labelToZeroconf(strings.Repeat("x", 64))
	assert.Error(t, err, "a label over 63 bytes cannot go on the wire")
}

func TestHostName(t *testing.T) {
	tests := []struct{ name, typ, id, want string }{
		{"kiosk", KioskService, "dong-lao", "kyso-dong-lao.local."},
		{"ward", WardService, "cam-ngoc", "kyso-ward-cam-ngoc.local."},
		// Ids are slugs, but a hostname-derived default may carry anything.
		{"odd characters become single hyphens", KioskService, "Đông_Lão..2", "kyso-ng-l-o-2.local."},
		{"long ids are cut", KioskService, strings.Repeat("a", 80), "kyso-" + strings.Repeat("a", 58) + ".local."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, HostName(tc.typ, tc.id))
		})
	}
}

func TestServiceValidate(t *testing.T) {
	ok := Service{ID: "dong-lao", Port: 8080, Village: "Đông Lão"}
	tests := []struct {
		name    string
		svc     Service
		wantErr string
	}{
		{"valid", ok, ""},
		{"missing id", Service{Port: 8080}, "id is empty"},
		{"id without letters", Service{ID: "--", Port: 8080}, "no letters or digits"},
		{"port zero", Service{ID: "x"}, "port 0"},
		// One TXT string is at most 255 bytes; better a clear error at start.
		{"village too long", Service{ID: "x", Port: 1, Village: strings.Repeat("ă", 130)}, "TXT village"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.svc.Validate(KioskService)
			if tc.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.wantErr)
		})
	}
}

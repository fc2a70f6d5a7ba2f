package discovery

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/miekg/dns"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/internal/slug"
)

// Service types, as DNS-SD writes them.
const (
	KioskService = "_kyso-kiosk._tcp"
	WardService  = "_kyso-ward._tcp"
)

// TXT keys. Short, because every query answer carries them.
const (
	KeyID      = "id"
	KeyVillage = "village"
	KeyVersion = "v"
	KeyAPI     = "api"
	KeySeq     = "seq"
)

const (
	domain = "local."
	// maxLabel is the DNS limit for one label, counted in bytes on the
	// wire (UTF-8), not in characters.
	maxLabel = 63
	// maxTXTString is the DNS limit for one TXT character-string.
	maxTXTString = 255
	// maxTXT keeps the whole TXT record well inside one packet
	// (RFC 6763 §6.2 recommends under 1300 bytes).
	maxTXT = 1300
)

// Service is what an Advertiser announces.
type Service struct {
	// Name is the human name (--name, e.g. "Nhà văn hóa thôn Đông Lão").
	// The instance name on the wire is InstanceName(Name, ID).
	Name    string
	ID      string // kiosk or ward id (slug); must be unique per LAN
	Village string // the village the house serves (kiosk only)
	Version string // program version
	API     string // HTTP API base path, e.g. "/api/v1"
	Port    int    // HTTP port
	Seq     uint64 // head seq of the completion log (kiosk only)
}

// Validate reports what would make the announcement invalid on the wire.
func (s Service) Validate(serviceType string) error {
	var errs []error
	if strings.TrimSpace(s.ID) == "" {
		errs = append(errs, errors.New("discovery: service id is empty"))
	} else if hostLabel(s.ID) == "" {
		errs = append(errs, fmt.Errorf("discovery: service id %q has no letters or digits", s.ID))
	}
	if s.Port <= 0 || s.Port > 65535 {
		errs = append(errs, fmt.Errorf("discovery: port %d out of range", s.Port))
	}
	total := 0
	for _, kv := range txtPairs(serviceType, s) {
		n := len(kv[0]) + 1 + len(kv[1])
		if n > maxTXTString {
			errs = append(errs, fmt.Errorf("discovery: TXT %s is %d bytes, limit %d", kv[0], n, maxTXTString))
		}
		if strings.ContainsRune(kv[1], 0) {
			errs = append(errs, fmt.Errorf("discovery: TXT %s contains NUL", kv[0]))
		}
		total += n + 1
	}
	if total > maxTXT {
		errs = append(errs, fmt.Errorf("discovery: TXT record is %d bytes, limit %d", total, maxTXT))
	}
	return errors.Join(errs...)
}

// txtPairs lists the TXT key/value pairs for a service type, in wire order.
// Kiosks carry the village and head seq; a ward has neither.
func txtPairs(serviceType string, s Service) [][2]string {
	pairs := [][2]string{{KeyID, s.ID}}
	if serviceType == KioskService || s.Village != "" {
		pairs = append(pairs, [2]string{KeyVillage, s.Village})
	}
	pairs = append(pairs, [2]string{KeyVersion, s.Version}, [2]string{KeyAPI, s.API})
	if serviceType == KioskService {
		pairs = append(pairs, [2]string{KeySeq, strconv.FormatUint(s.Seq, 10)})
	}
	return pairs
}

// EncodeTXT returns the TXT strings as they go on the wire ("key=value",
// raw UTF-8). Values are NFC-normalised so that a village typed with
// combining marks matches the same village typed precomposed.
func EncodeTXT(serviceType string, s Service) []string {
	pairs := txtPairs(serviceType, s)
	out := make([]string, 0, len(pairs))
	for _, kv := range pairs {
		out = append(out, kv[0]+"="+norm.NFC.String(kv[1]))
	}
	return out
}

// DecodeTXT parses wire TXT strings into a map. Keys are case-insensitive
// and only the first occurrence of a key counts (RFC 6763 §6.4); strings
// without "=" are boolean attributes and are ignored.
func DecodeTXT(txt []string) map[string]string {
	m := make(map[string]string, len(txt))
	for _, s := range txt {
		k, v, ok := strings.Cut(s, "=")
		if !ok || k == "" {
			continue
		}
		k = strings.ToLower(k)
		if _, dup := m[k]; dup {
			continue
		}
		m[k] = v
	}
	return m
}

// txtToZeroconf escapes wire TXT strings for zeroconf, which hands them to
// miekg/dns in presentation format: a backslash there starts an escape.
func txtToZeroconf(txt []string) []string {
	out := make([]string, len(txt))
	for i, s := range txt {
		out[i] = strings.ReplaceAll(s, `\`, `\\`)
	}
	return out
}

// txtFromZeroconf undoes miekg/dns's presentation escaping of TXT strings
// (`\"`, `\\` and `\DDD` for every byte outside printable ASCII, so UTF-8
// arrives as \DDD sequences).
func txtFromZeroconf(txt []string) []string {
	out := make([]string, len(txt))
	for i, s := range txt {
		out[i] = unescapePresentation(s)
	}
	return out
}

// unescapePresentation turns miekg/dns presentation escapes back into bytes.
func unescapePresentation(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b = append(b, c)
			continue
		}
		if i+3 < len(s) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]) {
			n := int(s[i+1]-'0')*100 + int(s[i+2]-'0')*10 + int(s[i+3]-'0')
			if n <= 255 {
				b = append(b, byte(n))
				i += 3
				continue
			}
		}
		b = append(b, s[i+1])
		i++
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// InstanceName builds the DNS-SD instance name: the human name with the id
// appended, because zeroconf v1.0.0 never probes for conflicts and two houses
// may carry the same name. Control characters are dropped, white space is
// collapsed, the text is NFC-normalised, and the name part is cut at a rune
// boundary so the whole label fits 63 bytes of UTF-8.
func InstanceName(name, id string) string {
	name = cleanText(name)
	id = cleanText(id)
	if name == "" {
		name = "kyso"
	}
	suffix := ""
	if id != "" && !strings.Contains(name, id) {
		suffix = " (" + id + ")"
	}
	room := maxLabel - len(suffix)
	if room < 1 {
		return truncateUTF8(name+suffix, maxLabel)
	}
	name = strings.TrimRight(truncateUTF8(name, room), " .")
	return name + suffix
}

// cleanText normalises text for a DNS label: NFC, no control characters,
// single spaces, no leading or trailing dots or spaces (zeroconf trims
// dots, which would leave a dangling escape).
func cleanText(s string) string {
	s = norm.NFC.String(s)
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r): // before IsControl: tab and newline are both
			space = b.Len() > 0
			continue
		case r == utf8.RuneError, unicode.IsControl(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return strings.Trim(b.String(), " .")
}

func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// HostName is the advertised host: kyso-<id>.local. (ward: kyso-ward-<id>),
// made of [a-z0-9-] only. The OS hostname is not used because boxes flashed
// from one image share it ("raspberrypi"), and nothing would notice the
// clash.
func HostName(serviceType, id string) string {
	prefix := "kyso-"
	if serviceType == WardService {
		prefix = "kyso-ward-"
	}
	label := truncateUTF8(prefix+hostLabel(id), maxLabel)
	return strings.TrimRight(label, "-") + "." + domain
}

// hostLabel reduces an id to lower-case letters, digits and single hyphens.
func hostLabel(id string) string { return slug.Make(id) }

// labelToZeroconf returns a label in the exact presentation form that
// miekg/dns produces when it unpacks one. zeroconf compares incoming
// question names, which miekg/dns has unpacked, as plain strings against the
// names it was given; any other spelling of "Nhà văn hóa" would leave
// direct SRV/TXT queries (avahi's resolver sends them) unanswered.
func labelToZeroconf(label string) (string, error) {
	if len(label) == 0 || len(label) > maxLabel {
		return "", fmt.Errorf("discovery: label of %d bytes", len(label))
	}
	wire := make([]byte, 0, len(label)+2)
	wire = append(wire, byte(len(label)))
	wire = append(wire, label...)
	wire = append(wire, 0)
	s, _, err := dns.UnpackDomainName(wire, 0)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(s, "."), nil
}

// labelFromZeroconf undoes labelToZeroconf for a name zeroconf reports.
func labelFromZeroconf(s string) string {
	return unescapePresentation(s)
}

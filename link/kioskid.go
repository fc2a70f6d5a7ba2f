package link

import (
	"strings"

	"github.com/kyso-vn/kyso/internal/slug"
)

// MaxKioskIDLen is the longest kiosk id: one DNS label, because the id is
// also the kiosk's mDNS host name.
const MaxKioskIDLen = 63

// KioskIDPattern is the rule as an HTML pattern, for the ward's forms.
const KioskIDPattern = `[a-z0-9][a-z0-9\-]{0,62}`

// KioskIDRule says the rule to a person; both programs refuse a bad id
// with exactly this text.
const KioskIDRule = "Mã điểm chỉ gồm chữ thường không dấu (a–z), số và dấu gạch ngang, bắt đầu bằng chữ hoặc số, tối đa 63 ký tự (ví dụ: dong-lao)."

// ValidKioskID is the one kiosk-id rule, for the kiosk's --id, the ward's
// registrations, pairing and pull targets alike: lower-case ASCII letters,
// digits and hyphens, starting with a letter or digit, at most 63
// characters. internal/slug makes such ids from names.
func ValidKioskID(id string) bool {
	if id == "" || len(id) > MaxKioskIDLen || id[0] == '-' {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

// CheckKioskID returns ReasonBadKioskID for an id outside the rule.
func CheckKioskID(id string) error {
	if ValidKioskID(id) {
		return nil
	}
	return ReasonBadKioskID
}

// KioskIDFrom turns a host name or a place name into a valid kiosk id
// ("NVH Đông Lão" → "nvh-ng-l-o", "Dong-Lao" → "dong-lao"), "kiosk" when
// nothing usable is left.
func KioskIDFrom(s string) string {
	out := slug.Make(s)
	if len(out) > MaxKioskIDLen {
		out = strings.TrimRight(out[:MaxKioskIDLen], "-")
	}
	if out == "" {
		out = "kiosk"
	}
	return out
}

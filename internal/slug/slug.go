// Package slug makes identifiers from names: lower-case ASCII letters and
// digits, other runs of characters folded into single hyphens, none at the
// ends. Kiosk ids, ward ids and mDNS host labels all use it, so a name
// becomes the same id wherever it is typed.
package slug

import "strings"

// Make returns the slug of s ("" when s holds no ASCII letter or digit).
func Make(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			hyphen = false
			b.WriteRune(r)
		default:
			hyphen = true
		}
	}
	return b.String()
}

package citizen

import (
	"strings"
	"unicode"
)

// NormalizePhone returns a Vietnamese mobile number as the 10 digits people
// dial at home: spaces, dots, dashes and parentheses removed; an
// international prefix (+84, 0084, or 84 in front of 9 digits) replaced by
// 0, also when the 0 was kept after it ("+84 (0) 912…"); then it must be
// 0 followed by 3, 5, 7, 8 or 9 and 8 more digits. Errors are *FieldError.
func NormalizePhone(s string) (string, error) {
	bad := func() (string, error) { return "", fieldErr(FieldPhone, CodeInvalidPhone, msgPhone) }
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteByte(byte(r))
		case r == '+' && b.Len() == 0:
			b.WriteByte('+')
		case unicode.IsSpace(r) || r == '.' || r == '-' || r == '(' || r == ')':
		default:
			return bad()
		}
	}
	p := b.String()
	// Strip a country code; what follows is the national number, with or
	// without its leading 0.
	intl := true
	switch {
	case strings.HasPrefix(p, "+84"):
		p = p[3:]
	case strings.HasPrefix(p, "+"):
		return bad() // another country
	case strings.HasPrefix(p, "0084"):
		p = p[4:]
	case strings.HasPrefix(p, "84") && (len(p) == 11 || len(p) == 12 && p[2] == '0'):
		p = p[2:]
	default:
		intl = false
	}
	if intl && len(p) == 9 {
		p = "0" + p
	}
	if !IsMobile(p) {
		return bad()
	}
	return p, nil
}

// IsMobile reports whether p is already a normalised mobile number:
// ^0[35789][0-9]{8}$.
func IsMobile(p string) bool {
	if len(p) != 10 || p[0] != '0' || !allDigits(p) {
		return false
	}
	switch p[1] {
	case '3', '5', '7', '8', '9':
		return true
	}
	return false
}

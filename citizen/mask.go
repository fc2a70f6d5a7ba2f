package citizen

import "strings"

// MaskCCCD hides a CCCD number for lists: "********1234". Spaces are
// dropped first. Strings shorter than 8 characters are hidden entirely,
// since 4 shown digits would then be most of the number.
func MaskCCCD(s string) string { return maskKeep4(stripSpaces(s)) }

// MaskPhone hides a phone number for lists: "******5678".
func MaskPhone(s string) string { return maskKeep4(stripSpaces(s)) }

func maskKeep4(s string) string {
	r := []rune(s)
	if len(r) < 8 {
		return strings.Repeat("*", len(r))
	}
	return strings.Repeat("*", len(r)-4) + string(r[len(r)-4:])
}

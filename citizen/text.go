package citizen

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Limits, counted in runes (characters as a person sees them) after NFC.
const (
	NameMinRunes        = 2
	NameMaxRunes        = 80
	VillageMaxRunes     = 100
	AssociationMaxRunes = 100
)

// cleanText brings typed text to one canonical form: invisible format
// characters (zero-width spaces from copy-paste) dropped, every run of
// whitespace turned into one ASCII space, outer spaces trimmed, then NFC.
// Phones send NFD or NFC depending on the keyboard; counts per village at the
// ward compare names byte for byte, so both must become the same bytes.
// The steps run in this order so that a second pass changes nothing: NFC
// never produces whitespace or format characters from text that has none.
// ok is false for invalid UTF-8 or control characters other than whitespace.
func cleanText(s string) (out string, ok bool) {
	if !utf8.ValidString(s) {
		return "", false
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r):
			continue
		case unicode.IsControl(r), invisibleFiller(r):
			return "", false
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String()), true
}

// NormalizeName returns the citizen's full name in NFC with single spaces.
// It must hold 2..80 characters, at least one letter, and nothing but
// letters (with their combining marks), spaces, apostrophes, dots and
// hyphens.
func NormalizeName(s string) (string, error) {
	name, ok := cleanText(s)
	if !ok {
		return "", fieldErr(FieldName, CodeInvalidName, msgNameChars)
	}
	if name == "" {
		return "", fieldErr(FieldName, CodeInvalidName, msgNameEmpty)
	}
	n := utf8.RuneCountInString(name)
	if n < NameMinRunes || n > NameMaxRunes {
		return "", fieldErr(FieldName, CodeInvalidName, msgNameLength)
	}
	letters := 0
	prevLetter := false // a combining mark must sit on a letter
	for _, r := range name {
		switch {
		case unicode.IsLetter(r):
			letters++
			prevLetter = true
		case unicode.IsMark(r) && prevLetter:
			// Scripts without precomposed forms keep their marks after NFC.
		case r == ' ' || r == '\'' || r == '.' || r == '-':
			prevLetter = false
		default:
			return "", fieldErr(FieldName, CodeInvalidName, msgNameChars)
		}
	}
	if letters == 0 {
		return "", fieldErr(FieldName, CodeInvalidName, msgNameChars)
	}
	return name, nil
}

// NormalizeVillage returns the village (thôn, tổ dân phố) name cleaned like a
// name: NFC, single spaces, 1..100 characters. Any village is accepted; the
// kiosk does not know every quota row. A leading = + - @ is refused: village
// names never start so, and the ward exports them to CSV and XLSX, where
// such text would run as a formula.
func NormalizeVillage(s string) (string, error) {
	v, ok := cleanText(s)
	switch {
	case !ok || formulaLike(v):
		return "", fieldErr(FieldVillage, CodeInvalidVillage, msgVillageChars)
	case v == "":
		return "", fieldErr(FieldVillage, CodeInvalidVillage, msgVillageEmpty)
	case utf8.RuneCountInString(v) > VillageMaxRunes:
		return "", fieldErr(FieldVillage, CodeInvalidVillage, msgVillageLong)
	}
	return v, nil
}

// NormalizeAssociation returns the optional association (hội, đoàn thể)
// cleaned like a village; empty is allowed.
func NormalizeAssociation(s string) (string, error) {
	a, ok := cleanText(s)
	switch {
	case !ok || formulaLike(a):
		return "", fieldErr(FieldAssociation, CodeInvalidAssociation, msgAssociationChars)
	case utf8.RuneCountInString(a) > AssociationMaxRunes:
		return "", fieldErr(FieldAssociation, CodeInvalidAssociation, msgAssociationLong)
	}
	return a, nil
}

// formulaLike reports text a spreadsheet would read as a formula.
func formulaLike(s string) bool {
	return s != "" && strings.ContainsRune("=+-@", rune(s[0]))
}

// Genders as stored.
const (
	Male   = "male"
	Female = "female"
)

// NormalizeGender maps what a form sends to "male" or "female": the API
// values, or the Vietnamese words in any case and with or without
// diacritics ("Nam", "Nữ", "nu"). Empty input gives "" and no error: the
// gender is then taken from the CCCD.
func NormalizeGender(s string) (string, error) {
	g, ok := cleanText(s)
	if !ok {
		return "", fieldErr(FieldGender, CodeInvalidGender, msgGender)
	}
	switch strings.ToLower(g) {
	case "":
		return "", nil
	case Male, "nam":
		return Male, nil
	case Female, "nữ", "nu":
		return Female, nil
	}
	return "", fieldErr(FieldGender, CodeInvalidGender, msgGender)
}

// invisibleFiller reports characters that print as nothing yet count as
// letters (Hangul fillers, the braille blank): a name or a note made of them
// looks empty on paper.
func invisibleFiller(r rune) bool {
	switch r {
	case '\u115F', '\u1160', '\u3164', '\uFFA0', '\u2800':
		return true
	}
	return false
}

// ErrFreeText is returned for free text (a note, a reason) that holds control
// or format characters, invisible fillers, or more than the allowed length.
var ErrFreeText = fieldErr("text", "invalid_text", "Nội dung có ký tự không hợp lệ (ký tự điều khiển, ký tự ẩn) hoặc quá dài.")

// NormalizeFreeText holds free text to the rules of names: valid UTF-8, no
// control, format (bidi overrides, zero-width) or invisible filler
// characters, whitespace collapsed, NFC, at most maxRunes characters.
// Empty text is allowed.
func NormalizeFreeText(s string, maxRunes int) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrFreeText
	}
	for _, r := range s {
		if unicode.Is(unicode.Cf, r) || invisibleFiller(r) || (unicode.IsControl(r) && !unicode.IsSpace(r)) {
			return "", ErrFreeText
		}
	}
	out, ok := cleanText(s)
	if !ok || utf8.RuneCountInString(out) > maxRunes {
		return "", ErrFreeText
	}
	return out, nil
}

package roster

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// NormalizeHeader folds a column header (or any label) to the form header
// synonyms are compared in: NFD with the combining marks dropped, đ → d,
// lower case, and every run of characters that are neither letters nor
// digits turned into one space, trimmed. "Số CMND/CCCD" → "so cmnd cccd",
// "SĐT" → "sdt", "Ngày, tháng, năm sinh" → "ngay thang nam sinh".
// The ward uses it to match a mapping chosen in the UI to a header.
func NormalizeHeader(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
		default:
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// clean returns a cell's text in NFC with inner white space collapsed to one
// space and no outer space; format characters (zero-width spaces pasted from
// the web) and control characters are dropped. Invalid UTF-8 becomes "".
func clean(s string) string {
	if s == "" {
		return ""
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	simple := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || c < ' ' || c == 0x7f || c == ' ' && (i == 0 || i == len(s)-1 || s[i+1] == ' ') {
			simple = false
			break
		}
	}
	if simple {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r):
			space = b.Len() > 0
			continue
		case unicode.Is(unicode.Cf, r), unicode.IsControl(r):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return norm.NFC.String(b.String())
}

// hasLower reports whether s has a lower-case letter.
func hasLower(s string) bool {
	for _, r := range s {
		if unicode.IsLower(r) {
			return true
		}
	}
	return false
}

// titleCase turns a name typed in capitals ("NGUYỄN THỊ NGOÀI", as VNPT and
// some registers write them) into the way it is written on the card
// ("Nguyễn Thị Ngoài"). Text that already has lower-case letters is kept:
// its writer chose the case.
func titleCase(s string) string {
	if hasLower(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	start := true
	for _, r := range s {
		if unicode.IsLetter(r) {
			if start {
				b.WriteRune(unicode.ToUpper(r))
			} else {
				b.WriteRune(unicode.ToLower(r))
			}
			start = false
			continue
		}
		start = r == ' ' || r == '-'
		b.WriteRune(r)
	}
	return b.String()
}

// placePrefixes are the words that name a village-level unit, folded. The
// longer ones come first so that "to dan pho" wins over "to".
var placePrefixes = []string{"to dan pho", "khu pho", "thon", "xom", "tdp", "ban", "ap", "lang", "khu"}

// placeKey is the matching key of a village name: lower case NFC with a
// leading unit word dropped, so "Thôn Đông Lão" and "Đông Lão" key alike
// (the ward's quota table writes it either way).
func placeKey(s string) string {
	k := strings.ToLower(clean(s))
	f := NormalizeHeader(k)
	for _, p := range placePrefixes {
		if strings.HasPrefix(f, p+" ") {
			// Drop as many words from k as p has.
			n := strings.Count(p, " ") + 1
			fields := strings.Fields(k)
			if len(fields) > n {
				return strings.Join(fields[n:], " ")
			}
		}
	}
	return k
}

// placeIn finds a village named in free text: an address ("Thôn Đông Lão, xã
// Cẩm Ngọc"), a section row ("THÔN ĐÔNG LÃO") or a title ("SỔ HỘ KHẨU THÔN
// ĐÔNG LÃO"). It returns the name without its unit word ("Đông Lão"; the
// ward matches village names with or without it), capitals turned to title
// case, or "" when no unit word is found. A name that is only a number keeps
// its unit word ("Tổ dân phố 3").
func placeIn(s string) string {
	for _, seg := range strings.FieldsFunc(clean(s), func(r rune) bool { return strings.ContainsRune(",;()–", r) }) {
		words := strings.Fields(seg)
		for i := range words {
			for _, p := range placePrefixes {
				pw := strings.Fields(p)
				// Short unit words are also ordinary words: only at the start.
				if i > 0 && (p == "khu" || p == "ban" || p == "ap" || p == "lang") || i+len(pw) > len(words) {
					continue
				}
				match := true
				for j, w := range pw {
					if NormalizeHeader(words[i+j]) != w {
						match = false
						break
					}
				}
				if !match {
					continue
				}
				// The name runs to the end or to the next administrative word.
				var name []string
			scan:
				for _, w := range words[i+len(pw):] {
					switch NormalizeHeader(w) {
					case "xa", "phuong", "huyen", "tinh", "thi", "quan", "tp", "thanh", "":
						break scan
					}
					name = append(name, w)
				}
				if len(name) == 0 || len(name) > 5 {
					continue
				}
				n := strings.Join(name, " ")
				if allDigits(strings.ReplaceAll(n, " ", "")) {
					n = strings.Join(words[i:i+len(pw)], " ") + " " + n
				}
				return titleCase(n)
			}
		}
	}
	return ""
}

// allDigits reports whether s is non-empty and only ASCII digits.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

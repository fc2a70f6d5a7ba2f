package quota

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// namePrefixes are the words officials put in front of a village name. They
// are dropped for matching only ("Thôn Đông Lão" matches "Đông Lão").
var namePrefixes = []string{"tổ dân phố ", "khu phố ", "thôn ", "tdp ", "xóm ", "bản ", "làng ", "ấp ", "kp ", "tổ "}

// Clean returns s in NFC with surrounding space trimmed and inner runs of
// white space collapsed to one space. Use it for every name that is shown.
func Clean(s string) string {
	s = norm.NFC.String(s)
	return strings.Join(strings.Fields(s), " ")
}

// Key is the matching key of a village or association name.
func Key(s string) string {
	k := strings.ToLower(Clean(s))
	for _, p := range namePrefixes {
		if strings.HasPrefix(k, p) && len(k) > len(p) {
			k = k[len(p):]
			break
		}
	}
	return k
}

// fold returns s lower-cased without diacritics ("Đã cài đặt" → "da cai dat"),
// for recognising column headers however they were typed.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ':
			r = 'd'
		case unicode.IsSpace(r) || r == '\u00a0':
			r = ' '
		}
		b.WriteRune(r)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// decode turns whatever a spreadsheet saved into UTF-8 text with "\n" line
// ends: it removes a UTF-8 BOM, decodes UTF-16 with a BOM and falls back to
// Windows-1258 (the Vietnamese ANSI code page) when the bytes are not UTF-8.
func decode(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		dec := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder()
		if out, _, err := transform.Bytes(dec, data); err == nil {
			data = out
		}
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		data = data[3:]
	}
	data = bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})
	if !utf8.Valid(data) {
		if out, _, err := transform.Bytes(charmap.Windows1258.NewDecoder(), data); err == nil {
			data = out
		}
	}
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return norm.NFC.String(s)
}

// sniffComma picks the separator of the first non-empty line: the one of
// ',', ';' and tab that occurs most often outside quotes. Excel in a
// Vietnamese locale writes ';' because ',' is the decimal separator there.
func sniffComma(text string) rune {
	for line := range strings.SplitSeq(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		counts := map[rune]int{}
		inQuote := false
		for _, r := range line {
			switch {
			case r == '"':
				inQuote = !inQuote
			case !inQuote && (r == ',' || r == ';' || r == '\t'):
				counts[r]++
			}
		}
		best, n := ',', counts[',']
		for _, r := range []rune{';', '\t'} {
			if counts[r] > n {
				best, n = r, counts[r]
			}
		}
		return best
	}
	return ','
}

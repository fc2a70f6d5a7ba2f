package announce

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

var digitWords = [...]string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}

// Number says a whole number in Vietnamese: 21 "hai mươi mốt", 15 "mười
// lăm", 24 "hai mươi tư", 105 "một trăm linh năm", 1000 "một nghìn",
// 2026 "hai nghìn không trăm hai mươi sáu".
func Number(n int64) string {
	if n < 0 {
		if n == -n { // math.MinInt64 has no positive twin; say its digits
			return "âm " + Digits(strconv.FormatInt(n, 10)[1:])
		}
		return "âm " + Number(-n)
	}
	if n == 0 {
		return "không"
	}
	const billion = 1_000_000_000
	if n >= billion {
		head := Number(n / billion)
		rest := n % billion
		if rest == 0 {
			return head + " tỷ"
		}
		return head + " tỷ " + belowBillion(rest, true)
	}
	return belowBillion(n, false)
}

// belowBillion says 0 < n < 10^9; inner means a larger unit was said before
// it, so a leading group below 100 needs "không trăm" / "linh".
func belowBillion(n int64, inner bool) string {
	groups := []struct {
		v    int64
		unit string
	}{{n / 1_000_000, "triệu"}, {n / 1000 % 1000, "nghìn"}, {n % 1000, ""}}
	var parts []string
	for _, g := range groups {
		if g.v == 0 {
			continue
		}
		w := triple(int(g.v), inner || len(parts) > 0)
		if g.unit != "" {
			w += " " + g.unit
		}
		parts = append(parts, w)
	}
	return strings.Join(parts, " ")
}

// triple says 0 < n < 1000; full says the hundreds even when zero
// ("không trăm linh năm" after "một nghìn").
func triple(n int, full bool) string {
	h, t, u := n/100, n/10%10, n%10
	var parts []string
	if h > 0 || full {
		parts = append(parts, digitWords[h]+" trăm")
	}
	switch {
	case t == 0:
		if u > 0 {
			if len(parts) > 0 {
				parts = append(parts, "linh")
			}
			parts = append(parts, digitWords[u])
		}
	case t == 1:
		parts = append(parts, "mười")
		if u == 5 {
			parts = append(parts, "lăm")
		} else if u > 0 {
			parts = append(parts, digitWords[u])
		}
	default:
		parts = append(parts, digitWords[t], "mươi")
		switch u {
		case 0:
		case 1:
			parts = append(parts, "mốt")
		case 4:
			parts = append(parts, "tư")
		case 5:
			parts = append(parts, "lăm")
		default:
			parts = append(parts, digitWords[u])
		}
	}
	return strings.Join(parts, " ")
}

// Digits reads a digit string one digit at a time: "0987" → "không chín tám bảy".
func Digits(s string) string {
	var parts []string
	for _, r := range s {
		if r >= '0' && r <= '9' {
			parts = append(parts, digitWords[r-'0'])
		}
	}
	return strings.Join(parts, " ")
}

// sayNumber reads a digit string as a number, or digit by digit when it is
// an identifier (leading zero, or longer than nine digits: a phone, a CCCD).
func sayNumber(s string) string {
	if (len(s) > 1 && s[0] == '0') || len(s) > 9 {
		return Digits(s)
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return Digits(s)
	}
	return Number(n)
}

// Abbreviations written out before speaking. Keys are whole words, matched
// case-sensitively (an upper-case "CA" is not "ca" the shift).
var Abbreviations = map[string]string{
	"TDP":  "tổ dân phố",
	"CCCD": "căn cước công dân",
	"CMND": "chứng minh nhân dân",
	"UBND": "ủy ban nhân dân",
	"HĐND": "hội đồng nhân dân",
	"MTTQ": "mặt trận tổ quốc",
	"SĐT":  "số điện thoại",
	"ĐT":   "điện thoại",
	"NVH":  "nhà văn hóa",
	"HTX":  "hợp tác xã",
	"VNPT": "vê en pê tê",
	"VD":   "ví dụ",
}

var (
	reDate    = regexp.MustCompile(`(?i)(ngày\s+)?(\d{1,2})/(\d{1,2})(?:/(\d{4}))?`)
	reTime    = regexp.MustCompile(`(?i)(\d{1,2})(\s*giờ\s*|h|g|:)(\d{1,2})?(\s*phút|p)?`)
	reOrdinal = regexp.MustCompile(`(?i)(thứ|tháng)\s+(\d{1,2})`)
	reRange   = regexp.MustCompile(`(\d)\s*[-–]\s*(\d)`)
	reWord    = regexp.MustCompile(`[\p{L}\p{N}]+`)
	reNumber  = regexp.MustCompile(`(\d+(?:\.\d{3})*)(?:,(\d+))?(\s*%)?`)
	reSpaces  = regexp.MustCompile(`[ \t]+`)
	reCommas  = regexp.MustCompile(`\s*,(?:\s*,)*`)
)

// Spoken rewrites an announcement for a speech synthesiser: dates, times,
// ordinals, numbers and abbreviations become words, and symbols a
// synthesiser would spell out become pauses.
func Spoken(text string) string {
	s := norm.NFC.String(text)
	s = strings.NewReplacer("…", ".", "—", ",", "(", ", ", ")", ", ", "&", " và ", "\r", "").Replace(s)

	s = replace(s, reDate, func(s string, m []int) (string, int, bool) {
		if isWordOr(lastRune(s, m[0]), '/') || isDigitOr(firstRune(s, m[1]), '/') {
			return "", 0, false
		}
		d, _ := strconv.Atoi(s[m[4]:m[5]])
		mo, _ := strconv.Atoi(s[m[6]:m[7]])
		if d < 1 || d > 31 || mo < 1 || mo > 12 {
			return "", 0, false
		}
		out := "ngày " + Number(int64(d)) + " tháng " + month(mo)
		if m[8] >= 0 {
			out += " năm " + sayNumber(s[m[8]:m[9]])
		}
		return out, m[1], true
	})

	s = reRange.ReplaceAllString(s, "$1 đến $2")

	s = replace(s, reTime, func(s string, m []int) (string, int, bool) {
		if isWordOr(lastRune(s, m[0])) || afterDecimalMark(s, m[0]) {
			return "", 0, false
		}
		sep := strings.ToLower(strings.TrimSpace(s[m[4]:m[5]]))
		hasMin, hasPhut := m[6] >= 0, m[8] >= 0
		end := m[1]
		if !hasMin && !hasPhut {
			end = m[4] + len(strings.TrimRight(s[m[4]:m[5]], " \t\n"))
		}
		if sep == "giờ" && hasMin && !hasPhut {
			// "19 giờ 30 người": 30 counts people, not minutes.
			if r := firstNonSpace(s, m[1]); unicode.IsLetter(r) || unicode.IsDigit(r) {
				hasMin = false
				end = m[4] + len(strings.TrimRight(s[m[4]:m[5]], " \t\n"))
			}
		}
		if hasPhut && !hasMin {
			return "", 0, false // "5p" alone, or "19 giờ phút"
		}
		if isWordOr(firstRune(s, end)) {
			return "", 0, false // "5ha", "19h30x"
		}
		if sep == ":" && (!hasMin || m[7]-m[6] != 2) {
			return "", 0, false
		}
		h, _ := strconv.Atoi(s[m[2]:m[3]])
		if h > 24 {
			return "", 0, false
		}
		out := Number(int64(h)) + " giờ"
		if hasMin {
			mi, _ := strconv.Atoi(s[m[6]:m[7]])
			if mi > 59 {
				return "", 0, false
			}
			if mi > 0 {
				out += " " + Number(int64(mi)) + " phút"
			}
		}
		return out, end, true
	})

	s = replace(s, reOrdinal, func(s string, m []int) (string, int, bool) {
		if isWordOr(lastRune(s, m[0])) || isWordOr(firstRune(s, m[1])) {
			return "", 0, false
		}
		word := s[m[2]:m[3]]
		n, _ := strconv.Atoi(s[m[4]:m[5]])
		var say string
		switch {
		case strings.EqualFold(word, "thứ") && n == 1:
			say = "nhất"
		case n == 4:
			say = "tư"
		default:
			say = sayNumber(s[m[4]:m[5]])
		}
		return word + " " + say, m[1], true
	})

	s = replace(s, reWord, func(s string, m []int) (string, int, bool) {
		w, ok := Abbreviations[s[m[0]:m[1]]]
		return w, m[1], ok
	})

	s = replace(s, reNumber, func(s string, m []int) (string, int, bool) {
		if isDigitOr(lastRune(s, m[0])) {
			return "", 0, false
		}
		whole := strings.ReplaceAll(s[m[2]:m[3]], ".", "")
		out := sayNumber(whole)
		if m[4] >= 0 {
			out += " phẩy " + sayNumber(s[m[4]:m[5]])
		}
		if m[6] >= 0 {
			out += " phần trăm"
		}
		if unicode.IsLetter(lastRune(s, m[0])) {
			out = " " + out // "B2" → "B hai"
		}
		if unicode.IsLetter(firstRune(s, m[1])) {
			out += " " // "5ha" → "năm ha"
		}
		return out, m[1], true
	})

	s = strings.ReplaceAll(s, "/", " ")
	var lines []string
	for _, l := range strings.Split(s, "\n") {
		l = reSpaces.ReplaceAllString(l, " ")
		l = reCommas.ReplaceAllString(l, ",")
		if l = strings.TrimRight(strings.TrimLeft(l, " ,"), " "); l != "" {
			lines = append(lines, l)
		}
	}
	return strings.Join(lines, "\n")
}

// afterDecimalMark: s[:i] ends in a digit and a comma or dot ("2,5 giờ" is
// two and a half hours, not five o'clock).
func afterDecimalMark(s string, i int) bool {
	r := lastRune(s, i)
	return (r == ',' || r == '.') && unicode.IsDigit(lastRune(s, i-1))
}

func month(m int) string {
	if m == 4 {
		return "tư"
	}
	return Number(int64(m))
}

// replace rewrites each match of re for which f says ok; f may end the
// replaced span earlier than the match (end ≤ match end).
func replace(s string, re *regexp.Regexp, f func(s string, m []int) (out string, end int, ok bool)) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(s, -1) {
		if m[0] < last {
			continue
		}
		out, end, ok := f(s, m)
		if !ok {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(out)
		last = end
	}
	b.WriteString(s[last:])
	return b.String()
}

func lastRune(s string, i int) rune {
	if i <= 0 {
		return -1
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

func firstRune(s string, i int) rune {
	if i >= len(s) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r
}

func firstNonSpace(s string, i int) rune {
	return firstRune(s, len(s)-len(strings.TrimLeft(s[i:], " \t")))
}

func isWordOr(r rune, also ...rune) bool {
	if unicode.IsLetter(r) || unicode.IsDigit(r) {
		return true
	}
	for _, a := range also {
		if r == a {
			return true
		}
	}
	return false
}

func isDigitOr(r rune, also ...rune) bool {
	if unicode.IsDigit(r) {
		return true
	}
	for _, a := range also {
		if r == a {
			return true
		}
	}
	return false
}

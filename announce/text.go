package announce

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Session is one evening (or morning) at a cultural house.
type Session struct {
	// Place is the full place as it is said: "nhà văn hóa thôn Đông Lão".
	// Empty means the village's cultural house.
	Place   string
	Village string // "Đông Lão"
	// Date is a civil date; only its year, month and day count.
	Date time.Time
	// Start and End are wall-clock times as typed: "19:00", "19h30", "7:05".
	Start, End string
}

// Household is one household invited to a session, named by its head.
type Household struct {
	Head       string
	HeadGender string // "male", "female" or "" (unknown: no ông/bà)
	Members    []string
}

// What citizens must bring; the same words on the loudspeaker and on slips.
const (
	Bring   = "căn cước công dân và điện thoại thông minh"
	Purpose = "cài đặt chữ ký số"
)

// Text is the announcement read on the loudspeaker for session s inviting hh.
func Text(s Session, hh []Household) string {
	when := When(s)
	where := PlaceText(s)

	var b strings.Builder
	b.WriteString("Thông báo: ")
	if when != "" {
		b.WriteString(when + ", ")
	}
	if where != "" {
		b.WriteString("tại " + where + ", ")
	}
	names := HouseholdNames(hh)
	if len(names) == 0 {
		b.WriteString("mời bà con chưa " + Purpose + " đến " + Purpose + "; khi đi mang theo " + Bring + ".\n")
	} else {
		b.WriteString("mời các hộ sau đến " + Purpose + ":\n")
		for i, n := range names {
			b.WriteString(n)
			if i < len(names)-1 {
				b.WriteString(",\n")
			} else {
				b.WriteString(";\n")
			}
		}
		b.WriteString("khi đi mang theo " + Bring + ".\n")
	}

	b.WriteString("Xin nhắc lại: ")
	if when != "" {
		b.WriteString(when + ", ")
	}
	if where != "" {
		b.WriteString("tại " + where + ", ")
	}
	if len(names) > 0 {
		fmt.Fprintf(&b, "mời %d hộ có tên trên đến %s, ", len(names), Purpose)
	} else {
		b.WriteString("mời bà con đến " + Purpose + ", ")
	}
	b.WriteString("mang theo " + Bring + ". Xin cảm ơn bà con.\n")
	return norm.NFC.String(b.String())
}

// HouseholdNames says each household as it is read: "hộ ông Nguyễn Văn An",
// "hộ bà Lê Thị Hoa", "hộ Trần Minh Khang" (gender unknown). Households with
// no head's name are left out.
func HouseholdNames(hh []Household) []string {
	var out []string
	for _, h := range hh {
		head := strings.Join(strings.Fields(h.Head), " ")
		if head == "" {
			continue
		}
		out = append(out, "hộ "+Honorific(h.HeadGender)+head)
	}
	return out
}

// Honorific is "ông ", "bà " or "" for a gender.
func Honorific(gender string) string {
	switch strings.ToLower(strings.TrimSpace(gender)) {
	case "male", "nam":
		return "ông "
	case "female", "nữ", "nu":
		return "bà "
	}
	return ""
}

// When is "tối thứ Tư, ngày 20 tháng 11, lúc 19 giờ" (or "… từ 19 giờ đến
// 21 giờ" when the end is known). Missing parts are left out.
func When(s Session) string {
	var parts []string
	h, _, okStart := ParseClock(s.Start)
	day := ""
	if okStart {
		day = PartOfDay(h) + " "
	}
	if !s.Date.IsZero() {
		parts = append(parts, day+Weekday(s.Date.Weekday()))
		parts = append(parts, DateText(s.Date))
	} else if okStart {
		parts = append(parts, strings.TrimSpace(day))
	}
	if okStart {
		if _, _, okEnd := ParseClock(s.End); okEnd {
			parts = append(parts, "từ "+ClockText(s.Start)+" đến "+ClockText(s.End))
		} else {
			parts = append(parts, "lúc "+ClockText(s.Start))
		}
	}
	return strings.Join(parts, ", ")
}

// PlaceText is where the session is held, as said mid-sentence.
func PlaceText(s Session) string {
	p := strings.Join(strings.Fields(norm.NFC.String(s.Place)), " ")
	v := strings.Join(strings.Fields(norm.NFC.String(s.Village)), " ")
	if p == "" {
		if v == "" {
			return ""
		}
		return "nhà văn hóa thôn " + v
	}
	// "Nhà văn hóa …" starts a sentence on a form but not mid-sentence.
	for _, common := range []string{"Nhà ", "Hội trường ", "Trụ sở ", "Trường ", "Sân "} {
		if strings.HasPrefix(p, common) {
			r, n := utf8.DecodeRuneInString(p)
			return string(unicode.ToLower(r)) + p[n:]
		}
	}
	return p
}

var weekdays = [...]string{"Chủ nhật", "thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy"}

// Weekday in words as written mid-sentence: "thứ Tư", "Chủ nhật".
func Weekday(d time.Weekday) string { return weekdays[d] }

// DateText is "ngày 20 tháng 11" (no year: announcements are for days ahead).
func DateText(d time.Time) string {
	return fmt.Sprintf("ngày %d tháng %d", d.Day(), int(d.Month()))
}

// PartOfDay names the part of the day a session starting at hour h falls in.
func PartOfDay(h int) string {
	switch {
	case h < 11:
		return "sáng"
	case h < 13:
		return "trưa"
	case h < 18:
		return "chiều"
	default:
		return "tối"
	}
}

// ParseClock reads "19:00", "19h", "19h30", "19g30", "19 giờ 30", "7:05".
func ParseClock(s string) (hour, minute int, ok bool) {
	s = strings.ToLower(strings.TrimSpace(norm.NFC.String(s)))
	s = strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(s, "phút")), "p")
	var hs, ms string
	for _, sep := range []string{"giờ", ":", "h", "g"} {
		if i := strings.Index(s, sep); i >= 0 {
			hs, ms = s[:i], s[i+len(sep):]
			break
		}
	}
	if hs == "" {
		hs = s
	}
	hs, ms = strings.TrimSpace(hs), strings.TrimSpace(ms)
	h, err := strconv.Atoi(hs)
	if err != nil || len(hs) > 2 || h < 0 || h > 24 {
		return 0, 0, false
	}
	m := 0
	if ms != "" {
		m, err = strconv.Atoi(ms)
		if err != nil || len(ms) > 2 || m < 0 || m > 59 {
			return 0, 0, false
		}
	}
	return h, m, true
}

// ClockText writes a wall-clock time the way it is said and printed in
// notices: "19 giờ", "19 giờ 30", "7 giờ 05". Unreadable input comes back trimmed.
func ClockText(s string) string {
	h, m, ok := ParseClock(s)
	if !ok {
		return strings.TrimSpace(s)
	}
	if m == 0 {
		return fmt.Sprintf("%d giờ", h)
	}
	return fmt.Sprintf("%d giờ %02d", h, m)
}

package citizen

import (
	"strconv"
	"strings"
	"time"
)

// AdultAge is the age from which a citizen may join: the digital signature
// is for adults, counted on the day of joining.
const AdultAge = 18

// vietnamOffset is Vietnam's UTC offset. It has not changed since 1975 and
// there is no daylight saving, so a fixed offset needs no zoneinfo files.
const vietnamOffset = 7 * time.Hour

// clockFloorUnix (2024-01-01T00:00:00Z) is the earliest "now" Normalize
// believes; see doc.go.
const clockFloorUnix = 1704067200

// plausibleNow returns now, or the clock floor when now is before it.
func plausibleNow(now time.Time) time.Time {
	if now.Unix() < clockFloorUnix {
		return time.Unix(clockFloorUnix, 0).UTC()
	}
	return now
}

// Today returns the calendar day in Vietnam at instant now.
func Today(now time.Time) (year int, month time.Month, day int) {
	return now.UTC().Add(vietnamOffset).Date()
}

// ParseBirthDate reads a birth date typed as YYYY-MM-DD (what the API and
// date pickers send) or day first as DD/MM/YYYY (what people write). Either
// may use /, - or . between the parts and one-digit day or month. The date
// must exist (29/02 only in leap years) and not be before 1900. It returns
// midnight UTC of that day. Errors are *FieldError.
func ParseBirthDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	// The first separator decides the separator of all three parts, and a
	// four-digit first part means year first.
	i := strings.IndexAny(s, "/-.")
	if i < 0 {
		return time.Time{}, fieldErr(FieldBirthDate, CodeInvalidBirthDate, msgBirthFormat)
	}
	var y, m, d int
	var ok bool
	if i == 4 {
		y, m, d, ok = threeNumbers(s, s[i], 4, 2, 2)
	} else {
		d, m, y, ok = threeNumbers(s, s[i], 2, 2, 4)
	}
	if !ok || m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return time.Time{}, fieldErr(FieldBirthDate, CodeInvalidBirthDate, msgBirthFormat)
	}
	if y < 1900 {
		return time.Time{}, fieldErr(FieldBirthDate, CodeInvalidBirthDate, msgBirthTooOld)
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), nil
}

// threeNumbers splits s at sep into exactly three ASCII-digit parts of at
// most max1, max2, max3 digits; the part allowed 4 digits must have 4.
func threeNumbers(s string, sep byte, max1, max2, max3 int) (a, b, c int, ok bool) {
	parts := strings.Split(s, string(sep))
	if len(parts) != 3 {
		return 0, 0, 0, false
	}
	var out [3]int
	for i, width := range [3]int{max1, max2, max3} {
		p := parts[i]
		if !allDigits(p) || len(p) > width || width == 4 && len(p) != 4 {
			return 0, 0, 0, false
		}
		out[i], _ = strconv.Atoi(p)
	}
	return out[0], out[1], out[2], true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Age returns the completed years of someone born on birth's calendar day
// (read in birth's own location) at instant now, as counted in Vietnam. A
// person born on 29 February turns a year older on 1 March in common years.
func Age(birth, now time.Time) int {
	y, m, d := Today(now)
	by, bm, bd := birth.Date()
	age := y - by
	if m < bm || m == bm && d < bd {
		age--
	}
	return age
}

// checkBirth rejects birth days after today and people under 18.
func checkBirth(birth, now time.Time) error {
	y, m, d := Today(now)
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	by, bm, bd := birth.Date()
	if time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC).After(today) {
		return fieldErr(FieldBirthDate, CodeInvalidBirthDate, msgBirthFuture)
	}
	if Age(birth, now) < AdultAge {
		return fieldErr(FieldBirthDate, CodeUnderage, msgUnderage)
	}
	return nil
}

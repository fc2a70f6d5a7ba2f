package roster

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/citizen"
)

// excelError reports a cell holding a spreadsheet error value (a formula
// that failed): it stands for "no value".
func excelError(s string) bool {
	switch s {
	case "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!", "#GETTING_DATA":
		return true
	}
	return false
}

// unquoteExcel undoes what people do to keep Excel from eating leading zeros:
// a leading apostrophe ('038…) and the formula-text trick ="038…" of CSV
// exports. Only these exact shapes are undone; other text starting with =
// is a formula and is never evaluated.
func unquoteExcel(s string) string {
	s = strings.TrimSpace(s)
	for _, q := range []string{"'", "’", "`"} {
		if strings.HasPrefix(s, q) {
			return strings.TrimSpace(s[len(q):])
		}
	}
	if len(s) >= 3 && strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) {
		return s[2 : len(s)-1]
	}
	return s
}

// cccdProblem is why a CCCD cell could not be kept, for the report.
type cccdProblem string

// Reasons written in the import report (Vietnamese, shown to officials). They
// never quote the number itself: it is personal data.
const (
	cccdOK        cccdProblem = ""
	cccdLength    cccdProblem = "Số CCCD không đủ 12 chữ số"
	cccdCMND      cccdProblem = "Số CMND 9 số đã hết hạn, người này cần làm thẻ CCCD"
	cccdProvince  cccdProblem = "3 số đầu của số CCCD không phải mã tỉnh"
	cccdBirth     cccdProblem = "Số CCCD không khớp với năm sinh"
	cccdRounded   cccdProblem = "Số CCCD bị Excel làm tròn (dạng 3,8E+11), không khôi phục được"
	cccdNotNumber cccdProblem = "Số CCCD có chữ hoặc ký tự lạ"
)

// repairCCCD returns the 12 digits a spreadsheet cell meant, repairing what
// Excel does to long numbers: a number cell loses its leading zero(s)
// (11 digits → "0" + 11), a number may come as "3.8123456789E+11" or
// "38123456789.0", people type spaces, dots or dashes between groups. It
// does not validate the structure (see checkCCCD). ok is false when the cell
// cannot be read as a number at all; problem then says why.
func repairCCCD(raw string) (digits string, problem cccdProblem) {
	s := unquoteExcel(raw)
	if s == "" || excelError(s) {
		return "", cccdOK
	}
	// Scientific notation: only when the mantissa kept every digit.
	if i := strings.IndexAny(s, "eE"); i > 0 && strings.ContainsAny(s[i+1:], "0123456789") {
		mant, exp := s[:i], s[i+1:]
		e, err := strconv.Atoi(strings.TrimPrefix(exp, "+"))
		intPart, frac, _ := strings.Cut(strings.ReplaceAll(mant, ",", "."), ".")
		if err != nil || !allDigits(intPart) || frac != "" && !allDigits(frac) || e < 0 || e > 14 {
			return "", cccdNotNumber
		}
		frac = strings.TrimRight(frac, "0")
		if len(frac) > e {
			return "", cccdNotNumber // not a whole number
		}
		n := strings.TrimLeft(intPart+frac+strings.Repeat("0", e-len(frac)), "0")
		// Excel's General format shows 5 or 6 significant digits
		// ("3.8179E+10"): a CCCD-sized number with fewer than 10 was
		// rounded and its last digits are gone.
		if sig := len(strings.TrimLeft(intPart, "0")) + len(frac); len(n) >= 10 && sig < 10 {
			return "", cccdRounded
		}
		s = n
	}
	// A number cell read as "38179000501.0".
	if whole, frac, ok := strings.Cut(s, "."); ok && allDigits(whole) && len(whole) >= 9 && strings.Trim(frac, "0") == "" {
		s = whole
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '\u00a0' || r == '\u202f':
		default:
			return "", cccdNotNumber
		}
	}
	d := b.String()
	switch len(d) {
	case 10, 11:
		// A number cell dropped the province code's leading zeros: every
		// code is below 100, so a 12-digit CCCD starts with 0.
		d = strings.Repeat("0", 12-len(d)) + d
	case 12, 9:
	default:
		return "", cccdLength
	}
	return d, cccdOK
}

// checkCCCD validates a repaired number with the citizen package against the
// birth year when known. A gender that disagrees is not held against the
// number (the gender column is the likelier typo); the caller takes the
// gender from the card.
func checkCCCD(d string, birthYear int) cccdProblem {
	var birth time.Time
	if birthYear > 0 {
		birth = time.Date(birthYear, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	err := citizen.ValidateCCCD(d, birth, "")
	if err == nil {
		return cccdOK
	}
	fe, _ := citizen.AsFieldError(err)
	switch {
	case fe == nil:
		return cccdLength
	case fe.Code == citizen.CodeCMNDExpired:
		return cccdCMND
	case fe.Code == citizen.CodeUnknownProvince:
		return cccdProvince
	case fe.Code == citizen.CodeCCCDBirthMismatch:
		return cccdBirth
	}
	return cccdLength
}

// date is a calendar day read from a cell; Month and Day are 0 when only the
// year is known ("Năm sinh: 1979").
type date struct {
	Year, Month, Day int
}

func (d date) zero() bool     { return d.Year == 0 }
func (d date) yearOnly() bool { return d.Year != 0 && d.Month == 0 }

// String is YYYY-MM-DD, or YYYY when only the year is known.
func (d date) String() string {
	switch {
	case d.zero():
		return ""
	case d.yearOnly():
		return strconv.Itoa(d.Year)
	}
	return time.Date(d.Year, time.Month(d.Month), d.Day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// ageOn returns the completed years at the day ref. A bare year counts from
// 31 December of that year, the latest birthday it allows: the age is never
// overstated, so a person known only by a birth year is never counted as an
// adult (or sent an invitation) before they can be one. It errs toward
// "not yet 18" in that one year, like citizen.Normalize errs toward refusing.
func (d date) ageOn(ref time.Time) int {
	m, day := d.Month, d.Day
	if d.yearOnly() {
		m, day = 12, 31
	}
	return citizen.Age(time.Date(d.Year, time.Month(m), day, 0, 0, 0, 0, time.UTC), ref)
}

// excelEpoch is day 0 of Excel's 1900 date system as it really counts (the
// fictitious 29 February 1900 makes serials from 61 on line up with
// 1899-12-30); date1904 workbooks count from 1904-01-01.
var (
	excelEpoch1900 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	excelEpoch1904 = time.Date(1904, 1, 1, 0, 0, 0, 0, time.UTC)
)

// parseDate reads a date cell: an Excel serial (a number, perhaps with a time
// fraction), a bare year 1900–2100, dd/mm/yyyy or d/m/yyyy (also with - or
// .), yyyy-mm-dd, either followed by a time, or mm/dd/yyyy when the day
// cannot be a month. ok is false for anything else or a day that does not
// exist or lies before 1900.
func parseDate(raw string, date1904 bool) (date, bool) {
	s := unquoteExcel(raw)
	if s == "" || excelError(s) {
		return date{}, false
	}
	// A date-time: keep the date ("21/11/2024 08:15:33", "2024-11-21T08:15:33").
	if i := strings.IndexAny(s, " T"); i >= 8 {
		s = s[:i]
	}
	if allDigits(s) && len(s) == 4 {
		y, _ := strconv.Atoi(s)
		if y >= 1900 && y <= 2100 {
			return date{Year: y}, true
		}
		// 4-digit serials are 1902..1927: too old for a living person's
		// birth, too early for anything else here.
		return date{}, false
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "/-") {
		if f < 1 || f > 2958465 || math.IsNaN(f) { // 2958465 = 9999-12-31
			return date{}, false
		}
		epoch := excelEpoch1900
		if date1904 {
			epoch = excelEpoch1904
		}
		t := epoch.AddDate(0, 0, int(f))
		if t.Year() < 1900 {
			return date{}, false
		}
		return date{t.Year(), int(t.Month()), t.Day()}, true
	}
	s = strings.ReplaceAll(s, " ", "")
	if t, err := citizen.ParseBirthDate(s); err == nil {
		return date{t.Year(), int(t.Month()), t.Day()}, true
	}
	// mm/dd/yyyy from a spreadsheet set to US English: only when the first
	// number cannot be a day-first month.
	if i := strings.IndexAny(s, "/-."); i > 0 && i <= 2 {
		parts := strings.Split(s, s[i:i+1])
		if len(parts) == 3 {
			m, err1 := strconv.Atoi(parts[0])
			d, err2 := strconv.Atoi(parts[1])
			if err1 == nil && err2 == nil && d > 12 && m <= 12 {
				if t, err := citizen.ParseBirthDate(parts[1] + "/" + parts[0] + "/" + parts[2]); err == nil {
					return date{t.Year(), int(t.Month()), t.Day()}, true
				}
			}
		}
	}
	return date{}, false
}

// parsePhone returns the first valid mobile number in a cell, normalised by
// the citizen package's rule. A number cell lost the leading 0 ("912345678");
// a cell may hold two numbers ("0912… / 0987…").
func parsePhone(raw string) (phone string, ok bool) {
	s := unquoteExcel(raw)
	if s == "" || excelError(s) {
		return "", true
	}
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == ',' || r == ';' || r == '|' || r == '\n' }) {
		p := strings.TrimSpace(part)
		if whole, frac, ok := strings.Cut(p, "."); ok && allDigits(whole) && strings.Trim(frac, "0") == "" && len(whole) >= 9 {
			p = whole // a number cell: "912345678.0"
		}
		if allDigits(p) && len(p) == 9 && strings.ContainsRune("35789", rune(p[0])) {
			p = "0" + p
		}
		if n, err := citizen.NormalizePhone(p); err == nil {
			return n, true
		}
	}
	return "", false
}

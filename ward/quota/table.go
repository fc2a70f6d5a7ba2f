package quota

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// Limits keep a hostile or mistaken upload (a whole database dump chosen by
// accident) from eating the ward's memory.
const (
	MaxFileBytes = 4 << 20
	MaxRows      = 5000
	maxHeaderRow = 30 // the header must appear within the first rows
)

// Error is a problem in a file, with the line (1-based, 0 when the file as a
// whole is wrong) and the column header it concerns. Its message is
// Vietnamese: it is shown to officials as is.
type Error struct {
	Line   int
	Column string
	Msg    string
}

func (e *Error) Error() string {
	switch {
	case e.Line > 0 && e.Column != "":
		return fmt.Sprintf("Dòng %d, cột «%s»: %s", e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("Dòng %d: %s", e.Line, e.Msg)
	default:
		return e.Msg
	}
}

// readTable reads a whole CSV-like file into rows of cleaned cells, with the
// source line of each row.
func readTable(r io.Reader) (rows [][]string, lines []int, err error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileBytes+1))
	if err != nil {
		return nil, nil, &Error{Msg: "Không đọc được tệp: " + err.Error()}
	}
	if len(data) > MaxFileBytes {
		return nil, nil, &Error{Msg: fmt.Sprintf("Tệp quá lớn (tối đa %d MB).", MaxFileBytes>>20)}
	}
	text := decode(data)
	if strings.TrimSpace(text) == "" {
		return nil, nil, &Error{Msg: "Tệp trống."}
	}
	cr := csv.NewReader(strings.NewReader(text))
	cr.Comma = sniffComma(text)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = false
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nil, &Error{Line: pe.Line, Msg: "tệp CSV hỏng: " + pe.Err.Error()}
			}
			return nil, nil, &Error{Msg: "tệp CSV hỏng: " + err.Error()}
		}
		line, _ := cr.FieldPos(0)
		if len(rows) >= MaxRows {
			return nil, nil, &Error{Msg: fmt.Sprintf("Tệp có quá nhiều dòng (tối đa %d).", MaxRows)}
		}
		cells := make([]string, len(rec))
		empty := true
		for i, c := range rec {
			cells[i] = Clean(c)
			if cells[i] != "" {
				empty = false
			}
		}
		if empty {
			continue
		}
		rows = append(rows, cells)
		lines = append(lines, line)
	}
	if len(rows) == 0 {
		return nil, nil, &Error{Msg: "Tệp trống."}
	}
	return rows, lines, nil
}

func cell(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return row[i]
}

var (
	thousandsRe = regexp.MustCompile(`^\d{1,3}([.,  ]\d{3})+$`)
	wholeRe     = regexp.MustCompile(`^(\d+)[.,]0+$`)
	decimalRe   = regexp.MustCompile(`^\d+([.,]\d+)?$`)
)

// parseCount reads a non-negative whole number the way spreadsheets write
// it: "1815", "1.815", "1,815", "1 815", "491.0". Empty and "-" are zero.
func parseCount(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "-" {
		return 0, true
	}
	switch {
	case thousandsRe.MatchString(s):
		s = strings.NewReplacer(".", "", ",", "", " ", "", "\u00a0", "").Replace(s)
	case wholeRe.MatchString(s):
		s = wholeRe.FindStringSubmatch(s)[1]
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > 100_000_000 {
		return 0, false
	}
	return n, true
}

// parseRateBP reads a percentage ("41", "41%", "41,1") into basis points
// (1% = 100). A value below 1 is read as a fraction ("0.41" → 41%).
func parseRateBP(s string) (int, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	if s == "" {
		return 0, true
	}
	if !decimalRe.MatchString(s) {
		return 0, false
	}
	whole, frac, _ := strings.Cut(strings.Replace(s, ",", ".", 1), ".")
	if len(whole) > 4 {
		return 0, false
	}
	w, _ := strconv.Atoi(whole)
	f, _ := strconv.Atoi((frac + "0000")[:4])
	micro := w*10000 + f // the value × 10^4
	if len(frac) > 4 && frac[4] >= '5' {
		micro++
	}
	bp := (micro + 50) / 100 // a percentage: value × 100
	if w == 0 {
		bp = micro // a fraction: value × 10^4
	}
	if bp > 10000 {
		return 0, false
	}
	return bp, true
}

// Target is ceil(rate × base) with the rate in basis points, in integers.
func Target(base, rateBP int) int {
	if base <= 0 || rateBP <= 0 {
		return 0
	}
	return (base*rateBP + 9999) / 10000
}

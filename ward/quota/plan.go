package quota

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/clock"
)

// Association is a mass organisation's quota (e.g. 280 members per association).
type Association struct {
	Name   string `json:"name"`
	Target int    `json:"target"`
	Before int    `json:"before,omitempty"`
}

// Round is one đợt of the campaign: an inclusive range of local dates.
type Round struct {
	Name   string `json:"name"`
	From   string `json:"from"` // YYYY-MM-DD
	To     string `json:"to"`   // YYYY-MM-DD, inclusive
	Target int    `json:"target,omitempty"`
}

// Contains reports whether the local date day (YYYY-MM-DD) falls in the round.
func (r Round) Contains(day string) bool { return r.From <= day && day <= r.To }

// Plan is everything the ward counts against.
type Plan struct {
	Villages     Villages      `json:"villages"`
	Associations []Association `json:"associations,omitempty"`
	Rounds       []Round       `json:"rounds,omitempty"`
	Deadline     string        `json:"deadline,omitempty"` // YYYY-MM-DD
}

// simple tables: first row may be a header; otherwise columns are positional.
func classifySimple(h string, ids map[string][]string) string {
	for _, id := range []string{"from", "to", "date", "target", "before", "name"} {
		for _, s := range ids[id] {
			if h == s || strings.HasPrefix(h, s) {
				return id
			}
		}
	}
	return ""
}

func simpleColumns(rows [][]string, ids map[string][]string, positional []string) (cols map[string]int, start int) {
	cols = map[string]int{}
	for j, h := range rows[0] {
		if id := classifySimple(fold(h), ids); id != "" {
			if _, seen := cols[id]; !seen {
				cols[id] = j
			}
		}
	}
	if _, ok := cols["name"]; ok && len(cols) >= 2 {
		return cols, 1
	}
	cols = map[string]int{}
	for j, id := range positional {
		cols[id] = j
	}
	return cols, 0
}

var assocHeaders = map[string][]string{
	"name":   {"doan the", "hoi", "to chuc", "chi hoi", "association", "name", "ten", "don vi"},
	"target": {"chi tieu", "target", "so luong", "so nguoi", "so hoi vien", "can co chu ky so"},
	"before": {"da cai dat", "da co", "before"},
}

// ParseAssociations reads association quotas: "Đoàn thể,Chỉ tiêu[,Đã cài đặt]"
// with or without that header.
func ParseAssociations(r io.Reader) ([]Association, error) {
	rows, lines, err := readTable(r)
	if err != nil {
		return nil, err
	}
	cols, start := simpleColumns(rows, assocHeaders, []string{"name", "target", "before"})
	var out []Association
	seen := map[string]int{}
	for i := start; i < len(rows); i++ {
		row, line := rows[i], lines[i]
		name := cell(row, cols["name"])
		if name == "" || isTotalRow(name) {
			continue
		}
		a := Association{Name: name}
		for _, f := range []struct {
			id, label string
			dst       *int
		}{{"target", "Chỉ tiêu", &a.Target}, {"before", "Đã cài đặt", &a.Before}} {
			j, ok := cols[f.id]
			if !ok {
				continue
			}
			n, ok := parseCount(cell(row, j))
			if !ok {
				return nil, &Error{Line: line, Column: f.label, Msg: fmt.Sprintf("«%s» không phải là số nguyên không âm.", cell(row, j))}
			}
			*f.dst = n
		}
		if a.Target == 0 {
			return nil, &Error{Line: line, Column: "Chỉ tiêu", Msg: fmt.Sprintf("đoàn thể «%s» thiếu chỉ tiêu.", name)}
		}
		k := Key(name)
		if prev, dup := seen[k]; dup {
			return nil, &Error{Line: line, Msg: fmt.Sprintf("đoàn thể «%s» bị lặp (đã có ở dòng %d).", name, prev)}
		}
		seen[k] = line
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, &Error{Msg: "Không có đoàn thể nào trong tệp."}
	}
	return out, nil
}

var roundHeaders = map[string][]string{
	"name":   {"dot", "round", "name", "ten", "tt"},
	"from":   {"tu ngay", "from", "bat dau", "ngay bat dau"},
	"to":     {"den ngay", "to", "ket thuc", "ngay ket thuc"},
	"date":   {"ngay", "thoi gian", "date"},
	"target": {"chi tieu", "target"},
}

var (
	dateRe  = regexp.MustCompile(`\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.-]\d{1,2}[/.-]\d{4}`)
	rangeRe = regexp.MustCompile(`(\d{1,2})\s*[-–]\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})`)
)

// Location is clock.Vietnam, the campaigns' civil time zone, under its
// older name.
var Location = clock.Vietnam

// ParseDate reads a local date as officials write it (05/06/2024, 5/6/2024,
// 05-06-2024, 05.06.2024) or as ISO 2024-06-05, and returns YYYY-MM-DD.
func ParseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-1-2", "2/1/2006", "2-1-2006", "2.1.2006"} {
		if t, err := time.ParseInLocation(layout, s, clock.Vietnam); err == nil {
			if t.Year() < 2000 || t.Year() > 2100 {
				return "", false
			}
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// parseDateRange reads one cell holding a range: "05-07/6/2024",
// "05/06/2024 - 07/06/2024" or "03 ngày (05-07/6/2024)". A single date is a
// one-day range.
func parseDateRange(s string) (from, to string, ok bool) {
	if m := rangeRe.FindStringSubmatch(s); m != nil {
		f, ok1 := ParseDate(m[1] + "/" + m[3] + "/" + m[4])
		t, ok2 := ParseDate(m[2] + "/" + m[3] + "/" + m[4])
		return f, t, ok1 && ok2
	}
	ds := dateRe.FindAllString(s, 3)
	switch len(ds) {
	case 1:
		d, ok := ParseDate(ds[0])
		return d, d, ok
	case 2:
		f, ok1 := ParseDate(ds[0])
		t, ok2 := ParseDate(ds[1])
		return f, t, ok1 && ok2
	}
	return "", "", false
}

// ParseRounds reads rounds: "Đợt,Từ ngày,Đến ngày[,Chỉ tiêu]", or a single
// date column with ranges as the plans write them ("03 ngày (05-07/6/2024)").
func ParseRounds(r io.Reader) ([]Round, error) {
	rows, lines, err := readTable(r)
	if err != nil {
		return nil, err
	}
	cols, start := simpleColumns(rows, roundHeaders, []string{"name", "from", "to", "target"})
	var out []Round
	for i := start; i < len(rows); i++ {
		row, line := rows[i], lines[i]
		name := cell(row, cols["name"])
		if name == "" {
			continue
		}
		rd := Round{Name: name}
		var ok bool
		_, hasFrom := cols["from"]
		if j, hasDate := cols["date"]; hasDate && !hasFrom {
			if rd.From, rd.To, ok = parseDateRange(cell(row, j)); !ok {
				return nil, &Error{Line: line, Column: "Ngày", Msg: fmt.Sprintf("không đọc được khoảng ngày «%s» (ví dụ: 05-07/6/2024).", cell(row, j))}
			}
		}
		if rd.From == "" {
			jf, hasFrom := cols["from"]
			if !hasFrom {
				return nil, &Error{Line: line, Msg: "thiếu cột «Từ ngày»."}
			}
			if rd.From, ok = ParseDate(cell(row, jf)); !ok {
				if rd.From, rd.To, ok = parseDateRange(cell(row, jf)); !ok {
					return nil, &Error{Line: line, Column: "Từ ngày", Msg: fmt.Sprintf("«%s» không phải là ngày (dd/mm/yyyy).", cell(row, jf))}
				}
			}
			if jt, hasTo := cols["to"]; hasTo && cell(row, jt) != "" {
				if rd.To, ok = ParseDate(cell(row, jt)); !ok {
					return nil, &Error{Line: line, Column: "Đến ngày", Msg: fmt.Sprintf("«%s» không phải là ngày (dd/mm/yyyy).", cell(row, jt))}
				}
			}
			if rd.To == "" {
				rd.To = rd.From
			}
		}
		if j, has := cols["target"]; has {
			n, ok := parseCount(cell(row, j))
			if !ok {
				return nil, &Error{Line: line, Column: "Chỉ tiêu", Msg: fmt.Sprintf("«%s» không phải là số nguyên không âm.", cell(row, j))}
			}
			rd.Target = n
		}
		if rd.To < rd.From {
			return nil, &Error{Line: line, Msg: fmt.Sprintf("đợt «%s» kết thúc trước khi bắt đầu.", name)}
		}
		out = append(out, rd)
	}
	if len(out) == 0 {
		return nil, &Error{Msg: "Không có đợt nào trong tệp."}
	}
	if err := CheckRounds(out); err != nil {
		return nil, err
	}
	return out, nil
}

// CheckRounds rejects overlapping rounds: a day in two rounds would be
// counted in both, and the per-round table would no longer add up.
func CheckRounds(rs []Round) error {
	s := append([]Round(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].From < s[j].From })
	for i := 1; i < len(s); i++ {
		if s[i].From <= s[i-1].To {
			return &Error{Msg: fmt.Sprintf("Đợt «%s» trùng ngày với đợt «%s».", s[i].Name, s[i-1].Name)}
		}
	}
	return nil
}

package quota

import (
	"fmt"
	"io"
	"regexp"
	"strings"
)

// DefaultRateBP is the share of the base a village must reach when a file
// gives no target column: 41% in the Cẩm Ngọc plan.
const DefaultRateBP = 4100

// Village is one row of the appendix table. Households, Persons, Labour and
// Unable are carried only to reproduce the appendix in the summary export.
type Village struct {
	Name       string `json:"name"`
	Households int    `json:"households,omitempty"`
	Persons    int    `json:"persons,omitempty"`
	Labour     int    `json:"labour,omitempty"`
	Unable     int    `json:"unable,omitempty"`
	Base       int    `json:"base"`   // LĐ có khả năng lao động: the quota's denominator
	Target     int    `json:"target"` // Số LĐ cần có chữ ký số (tối thiểu)
	Before     int    `json:"before"` // Số LĐ đã cài đặt năm trước
}

// Villages is an imported appendix: its rows and the headers as the file
// wrote them (by column id), so exports speak the commune's own words.
type Villages struct {
	Rows   []Village         `json:"rows"`
	Labels map[string]string `json:"labels,omitempty"`
}

// Column ids of the appendix.
const (
	ColName       = "name"
	ColHouseholds = "households"
	ColPersons    = "persons"
	ColLabour     = "labour"
	ColUnable     = "unable"
	ColBase       = "base"
	ColTarget     = "target"
	ColRate       = "rate"
	ColBefore     = "before"
	ColRemaining  = "remaining"
	colIndex      = "index"
)

// DefaultLabels are the appendix headers used when a file did not name a column.
var DefaultLabels = map[string]string{
	ColName:       "Thôn",
	ColHouseholds: "Tổng số hộ",
	ColPersons:    "Tổng số khẩu",
	ColLabour:     "Tổng số lao động",
	ColUnable:     "LĐ không có khả năng LĐ",
	ColBase:       "LĐ có khả năng lao động",
	ColTarget:     "Số LĐ cần có chữ ký số (tối thiểu)",
	ColRate:       "Tỷ lệ %",
	ColBefore:     "Số LĐ đã cài đặt năm trước",
	ColRemaining:  "Số LĐ cần cài đặt (tối thiểu)",
}

// Label returns the header of column id as the file wrote it.
func (v Villages) Label(id string) string {
	if l := v.Labels[id]; l != "" {
		return l
	}
	return DefaultLabels[id]
}

// Totals sums the rows.
func (v Villages) Totals() Village {
	t := Village{Name: "Cộng"}
	for _, r := range v.Rows {
		t.Households += r.Households
		t.Persons += r.Persons
		t.Labour += r.Labour
		t.Unable += r.Unable
		t.Base += r.Base
		t.Target += r.Target
		t.Before += r.Before
	}
	return t
}

// classifyVillageHeader maps a folded header to a column id. Order matters:
// "LĐ không có khả năng LĐ" also contains "có khả năng", and "Số LĐ cần cài
// đặt" (what is left) must not be read as the target.
func classifyVillageHeader(h string) string {
	has := func(subs ...string) bool {
		for _, s := range subs {
			if strings.Contains(h, s) {
				return true
			}
		}
		return false
	}
	switch {
	case h == "":
		return ""
	case h == "tt" || h == "stt" || h == "so tt" || h == "#" || h == "no" || h == "no.":
		return colIndex
	case has("khong co kha nang"):
		return ColUnable
	case has("co kha nang") || h == "base":
		return ColBase
	case has("can co chu ky so", "chi tieu") || h == "target":
		return ColTarget
	case has("can cai dat", "con thieu") || h == "remaining":
		return ColRemaining
	case has("da cai dat", "da co chu ky so", "da kich hoat") || h == "before":
		return ColBefore
	case strings.HasPrefix(h, "ty le") || h == "rate" || h == "%":
		return ColRate
	case has("so ho") || h == "households":
		return ColHouseholds
	case has("khau", "dan so") || h == "persons" || h == "population":
		return ColPersons
	case has("lao dong") || h == "labour" || h == "labor":
		return ColLabour
	case strings.HasPrefix(h, "thon") || strings.HasPrefix(h, "ten thon") || has("to dan pho") ||
		strings.HasPrefix(h, "tdp") || strings.HasPrefix(h, "don vi") || strings.HasPrefix(h, "khu pho") ||
		strings.HasPrefix(h, "xom") || h == "village" || h == "name" || h == "ten":
		return ColName
	}
	return ""
}

// numberingRe matches the row of column numbers under the header ("1", "(2)").
var numberingRe = regexp.MustCompile(`^[(\[]?\d{1,3}[)\]]?$`)

// isTotalRow reports a "Cộng"/"Tổng cộng" row: totals are recomputed, not imported.
func isTotalRow(name string) bool {
	switch fold(name) {
	case "cong", "tong", "tong cong", "toan xa", "toan phuong", "total", "sum":
		return true
	}
	return false
}

// ParseVillages reads the appendix table of village quotas. defaultRateBP is
// used only when the file has neither a target nor a rate column (and may be
// 0 to require one).
func ParseVillages(r io.Reader, defaultRateBP int) (Villages, error) {
	rows, lines, err := readTable(r)
	if err != nil {
		return Villages{}, err
	}
	hdr, cols := -1, map[string]int{}
	for i := 0; i < len(rows) && i < maxHeaderRow; i++ {
		c := map[string]int{}
		for j, h := range rows[i] {
			id := classifyVillageHeader(fold(h))
			if _, seen := c[id]; id != "" && !seen {
				c[id] = j
			}
		}
		_, hasName := c[ColName]
		_, hasBase := c[ColBase]
		_, hasTarget := c[ColTarget]
		if hasName && (hasBase || hasTarget) {
			hdr, cols = i, c
			break
		}
	}
	if hdr < 0 {
		return Villages{}, &Error{Msg: "Không tìm thấy dòng tiêu đề. Tệp cần có cột «Thôn» và cột «LĐ có khả năng lao động» hoặc «Số LĐ cần có chữ ký số» (chỉ tiêu)."}
	}
	out := Villages{Labels: map[string]string{}}
	for id, j := range cols {
		if id != colIndex {
			out.Labels[id] = rows[hdr][j]
		}
	}
	col := func(id string) int {
		if j, ok := cols[id]; ok {
			return j
		}
		return -1
	}
	seen := map[string]int{}
	for i := hdr + 1; i < len(rows); i++ {
		row, line := rows[i], lines[i]
		name := cell(row, col(ColName))
		if name == "" || numberingRe.MatchString(name) || isTotalRow(name) {
			continue
		}
		if cell(row, col(ColBase)) == "" && cell(row, col(ColTarget)) == "" && cell(row, col(ColBefore)) == "" {
			continue // a note under the table ("Ghi chú: …")
		}
		v := Village{Name: name}
		for _, f := range []struct {
			id  string
			dst *int
		}{
			{ColHouseholds, &v.Households}, {ColPersons, &v.Persons}, {ColLabour, &v.Labour},
			{ColUnable, &v.Unable}, {ColBase, &v.Base}, {ColTarget, &v.Target}, {ColBefore, &v.Before},
		} {
			s := cell(row, col(f.id))
			n, ok := parseCount(s)
			if !ok {
				return Villages{}, &Error{Line: line, Column: out.Label(f.id), Msg: fmt.Sprintf("«%s» không phải là số nguyên không âm.", s)}
			}
			*f.dst = n
		}
		if cell(row, col(ColTarget)) == "" {
			rate := defaultRateBP
			if s := cell(row, col(ColRate)); s != "" {
				bp, ok := parseRateBP(s)
				if !ok {
					return Villages{}, &Error{Line: line, Column: out.Label(ColRate), Msg: fmt.Sprintf("«%s» không phải là tỷ lệ phần trăm.", s)}
				}
				rate = bp
			}
			if rate <= 0 || cell(row, col(ColBase)) == "" {
				return Villages{}, &Error{Line: line, Msg: fmt.Sprintf("thôn «%s» thiếu chỉ tiêu: cần cột chỉ tiêu, hoặc số LĐ có khả năng lao động và tỷ lệ.", name)}
			}
			v.Target = Target(v.Base, rate)
		}
		k := Key(name)
		if prev, dup := seen[k]; dup {
			return Villages{}, &Error{Line: line, Msg: fmt.Sprintf("thôn «%s» bị lặp (đã có ở dòng %d).", name, prev)}
		}
		seen[k] = line
		out.Rows = append(out.Rows, v)
	}
	if len(out.Rows) == 0 {
		return Villages{}, &Error{Msg: "Tệp không có thôn nào dưới dòng tiêu đề."}
	}
	return out, nil
}

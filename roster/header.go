package roster

import (
	"strconv"
	"strings"
)

// Fields: the keys of Result.Columns and Options.Mapping.
const (
	FieldName        = "name"
	FieldCCCD        = "cccd"
	FieldBirthDate   = "birth_date"
	FieldGender      = "gender"
	FieldPhone       = "phone"
	FieldHousehold   = "household"   // a household code: Mã hộ, Số hộ
	FieldRelation    = "relation"    // Quan hệ với chủ hộ
	FieldHead        = "head"        // Chủ hộ: the head's name, or a mark on the head's row
	FieldVillage     = "village"     // Thôn, TDP
	FieldAddress     = "address"     // Địa chỉ: used for the village when it names one
	FieldAssociation = "association" // Đoàn thể, Hội, Chi hội
	FieldActivatedAt = "activated_at"
	FieldStatus      = "status"

	// Internal: a sub-header split of a column ("Ngày sinh" over "Nam" |
	// "Nữ"; "Giới tính" over "Nam" | "Nữ" with a mark).
	fieldBirthMale    = "birth_male"
	fieldBirthFemale  = "birth_female"
	fieldGenderMale   = "gender_male"
	fieldGenderFemale = "gender_female"
	fieldSerial       = "stt" // STT: row numbers, ignored
)

// rosterFields and vnptFields are the fields each kind of file may carry, in
// the order a tie between two columns is settled.
var (
	rosterFields = []string{FieldName, FieldCCCD, FieldBirthDate, FieldGender, FieldPhone, FieldHousehold, FieldRelation, FieldHead, FieldVillage, FieldAddress, FieldAssociation}
	vnptFields   = []string{FieldCCCD, FieldName, FieldPhone, FieldActivatedAt, FieldStatus}
)

// synonyms are header texts as NormalizeHeader folds them, matched exactly.
var synonyms = map[string][]string{
	FieldName: {"ho va ten", "ho ten", "ten khach hang", "ho va ten khach hang", "ho ten khach hang", "ten",
		"ten thue bao", "ten chu thue bao", "ho ten thue bao", "ho va ten hoi vien", "ho ten hoi vien", "ten hoi vien",
		"ho va ten doan vien", "ho ten nguoi dan", "ho va ten cong dan", "ho ten cong dan", "ten nguoi dung", "ho va ten nhan khau"},
	FieldCCCD: {"so cccd", "cccd", "so dinh danh", "so dinh danh ca nhan", "so giay to", "cmnd cccd", "cccd cmnd",
		"so cmnd cccd", "so cccd cmnd", "can cuoc cong dan", "so can cuoc", "so can cuoc cong dan", "ma dinh danh",
		"ma so dinh danh", "so giay to tuy than", "giay to tuy than", "so ddcn", "ddcn", "cmnd", "so cmnd", "can cuoc",
		"so gttt", "gttt", "so cmt", "so id", "id"},
	FieldBirthDate: {"ngay sinh", "ngay thang nam sinh", "nam sinh", "ngay sinh nam sinh", "sinh ngay", "ngay thang sinh", "ns", "dob"},
	FieldGender:    {"gioi tinh", "gioi", "nam nu", "gioi tinh nam nu", "phai"},
	FieldPhone: {"so dien thoai", "sdt", "dien thoai", "so dt", "dt", "dtdd", "so dtdd", "dien thoai di dong",
		"so thue bao", "thue bao", "so di dong", "di dong", "so dien thoai lien he", "dien thoai lien he", "so dt lien he", "msisdn"},
	FieldHousehold: {"ma ho", "so ho", "ma ho gia dinh", "so ho khau", "ma so ho", "so so ho khau", "ma so ho gia dinh", "so thu tu ho", "stt ho", "ho so"},
	FieldRelation:  {"quan he voi chu ho", "quan he", "qh voi chu ho", "quan he chu ho", "qhe voi chu ho", "moi quan he", "quan he voi chu ho gia dinh", "qh chu ho", "qhch"},
	FieldHead:      {"chu ho", "ho ten chu ho", "ten chu ho", "ho va ten chu ho", "chu ho gia dinh"},
	FieldVillage: {"thon", "tdp", "to dan pho", "thon tdp", "thon xom", "xom", "thon to dan pho", "ban", "ap", "khu pho",
		"thon ban", "thon ban to dan pho", "dia ban", "thon xom tdp", "khu dan cu", "to dan pho thon", "ten thon", "thon lang", "lang"},
	FieldAddress: {"dia chi", "noi thuong tru", "dia chi thuong tru", "thuong tru", "noi o hien nay", "cho o hien nay",
		"dia chi cu tru", "noi cu tru", "noi o", "dia chi lien he", "que quan"},
	FieldAssociation: {"doan the", "hoi", "chi hoi", "to chuc", "doan the hoi", "hoi doan the", "to chuc doan the", "thuoc hoi",
		"doan the chinh tri xa hoi", "hoi doan the tham gia", "to chuc hoi", "thuoc doan the", "sinh hoat doan the"},
	FieldActivatedAt: {"ngay kich hoat", "ngay cap", "thoi gian kich hoat", "ngay kich hoat dich vu", "ngay dang ky",
		"thoi gian dang ky", "ngay tao", "ngay hieu luc", "activation date", "activated at", "ngay kh", "thoi gian cap",
		"ngay cap chung thu", "ngay cap cts", "thoi gian tao", "ngay ky"},
	FieldStatus: {"trang thai", "tinh trang", "trang thai thue bao", "trang thai chung thu", "trang thai cts", "status",
		"ket qua", "trang thai kich hoat", "tinh trang kich hoat", "trang thai dich vu"},
	fieldSerial: {"stt", "tt", "so tt", "so thu tu", "no", "stt trong ho"},
}

// exact is synonyms inverted.
var exact = func() map[string]string {
	m := map[string]string{}
	for f, ss := range synonyms {
		for _, s := range ss {
			m[s] = f
		}
	}
	return m
}()

// containsRule recognises a longer header by the words it contains, in order
// of precedence: "Họ tên chủ hộ" is the head, not the name.
type containsRule struct {
	field string
	any   []string // any of these word sequences, matched on word boundaries
}

var containsRules = []containsRule{
	{FieldRelation, []string{"quan he"}},
	{FieldHead, []string{"chu ho"}},
	{FieldHousehold, []string{"ma ho", "so ho"}},
	{FieldCCCD, []string{"cccd", "cmnd", "dinh danh", "can cuoc", "giay to"}},
	{FieldActivatedAt, []string{"ngay kich hoat", "thoi gian kich hoat", "ngay cap", "ngay dang ky"}},
	{FieldStatus, []string{"trang thai", "tinh trang"}},
	{FieldName, []string{"ho va ten", "ho ten", "ten khach hang", "ten thue bao"}},
	{FieldBirthDate, []string{"ngay sinh", "nam sinh", "ngay thang nam sinh"}},
	{FieldGender, []string{"gioi tinh"}},
	{FieldPhone, []string{"dien thoai", "sdt", "so dt", "di dong"}},
	{FieldAddress, []string{"dia chi", "thuong tru", "noi o"}},
	{FieldVillage, []string{"thon", "to dan pho", "tdp", "xom"}},
	{FieldAssociation, []string{"doan the", "chi hoi", "hoi"}},
}

// classify names the field of a header cell, or "". allowed limits the
// result to one kind of file's fields.
func classify(h string, allowed map[string]bool) string {
	n := NormalizeHeader(h)
	if n == "" {
		return ""
	}
	if f, ok := exact[n]; ok {
		if allowed[f] || f == fieldSerial {
			return f
		}
		return ""
	}
	// Long texts are titles and notes, not headers.
	if strings.Count(n, " ") >= 8 {
		return ""
	}
	padded := " " + n + " "
	for _, r := range containsRules {
		if !allowed[r.field] {
			continue
		}
		for _, w := range r.any {
			if strings.Contains(padded, " "+w+" ") {
				return r.field
			}
		}
	}
	return ""
}

// header is the recognised header of a table.
type header struct {
	top     int            // 1-based row of the (first) header row
	row     int            // 1-based row of the (last) header row
	labels  []string       // per column, the header text as shown ("Ngày sinh / Nam")
	col     map[string]int // field → 0-based column
	columns map[string]string
	serial  int // the STT column, -1 if none
}

// maxHeaderScan is how many rows from the top may hold the header: title
// rows, the commune's name, a date and blank lines come first.
const maxHeaderScan = 20

// findHeader picks the header among the first rows: the row recognising the
// most distinct fields (ties go to the earlier row), which must include the
// required field. A mapping's header texts count as recognised. A following
// row is taken as a sub-header when its cell under the name column is empty
// and no cell holds a digit ("Ngày sinh" split into "Nam" | "Nữ").
func findHeader(rows [][]string, nums []int, fields []string, required string, mapping map[string]string) (*header, *Error) {
	allowed := map[string]bool{}
	for _, f := range fields {
		allowed[f] = true
	}
	mapped := map[string]bool{}
	for _, h := range mapping {
		if !allDigits(h) {
			mapped[NormalizeHeader(h)] = true
		}
	}
	best, bestScore := -1, 0
	for i, r := range rows {
		seen := map[string]bool{}
		score := 0
		for _, c := range r {
			if f := classify(clean(c), allowed); f != "" && f != fieldSerial && !seen[f] {
				seen[f] = true
				score++
			}
			if mapped[NormalizeHeader(c)] {
				score += 10
			}
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	if best < 0 {
		// Nothing looks like a header: show the first non-empty row.
		for i, r := range rows {
			if len(nonEmpty(cleanAll(r))) > 0 {
				return nil, errNoColumn(required, cleanAll(r), nums[i], nil)
			}
		}
		return nil, errEmpty()
	}
	h := &header{top: nums[best], row: nums[best], serial: -1, col: map[string]int{}, columns: map[string]string{}}
	top := cleanAll(rows[best])
	var sub []string
	if best+1 < len(rows) {
		sub = cleanAll(rows[best+1])
		if !isSubHeader(top, sub, allowed) {
			sub = nil
		}
	}
	width := len(top)
	if len(sub) > width {
		width = len(sub)
	}
	h.labels = make([]string, width)
	parent := ""
	for c := 0; c < width; c++ {
		t, s := at(top, c), at(sub, c)
		if t != "" {
			parent = t
		} else if s != "" {
			t = parent // under a parent merged across columns
		}
		f := ""
		switch {
		case s == "":
			h.labels[c] = t
			f = classify(t, allowed)
		case t == "":
			h.labels[c] = s
			f = classify(s, allowed)
		default:
			h.labels[c] = t + " / " + s
			f = splitField(classify(t, allowed), NormalizeHeader(s))
			if f == "" {
				if f = classify(s, allowed); f == "" {
					f = classify(t, allowed)
				}
			}
		}
		if f == fieldSerial {
			if h.serial < 0 {
				h.serial = c
			}
			continue
		}
		if _, dup := h.col[f]; f != "" && !dup {
			h.col[f] = c
		}
	}
	if sub != nil {
		h.row = nums[best+1]
	}
	// A mapping chosen in the UI wins over recognition.
	for f, want := range mapping {
		if !allowed[f] {
			return nil, errBadMapping(f, "Trường «"+f+"» không có trong loại danh sách này.", h.labels, h.row)
		}
		c := -1
		if allDigits(want) {
			n, _ := strconv.Atoi(want)
			if n >= 1 && n <= 16384 {
				c = n - 1
			}
		} else {
			for i, l := range h.labels {
				if NormalizeHeader(l) == NormalizeHeader(want) || NormalizeHeader(at(top, i)) == NormalizeHeader(want) {
					c = i
					break
				}
			}
		}
		if c < 0 {
			return nil, errBadMapping(f, "Không tìm thấy cột «"+want+"» đã chọn cho «"+fieldLabel[f]+"».", h.labels, h.row)
		}
		for g, gc := range h.col {
			if gc == c {
				delete(h.col, g) // the column was taken for another field
			}
		}
		h.col[f] = c
		if c >= len(h.labels) {
			h.labels = append(h.labels, make([]string, c+1-len(h.labels))...)
		}
	}
	if _, ok := h.col[required]; !ok {
		return nil, errNoColumn(required, h.labels, h.row, nil)
	}
	for f, c := range h.col {
		switch f {
		case fieldBirthMale, fieldBirthFemale:
			h.columns[FieldBirthDate] = parentOf(h.labels[c])
			h.columns[FieldGender] = parentOf(h.labels[c])
		case fieldGenderMale, fieldGenderFemale:
			h.columns[FieldGender] = parentOf(h.labels[c])
		default:
			h.columns[f] = h.labels[c]
		}
	}
	return h, nil
}

// splitField names the column under a parent split by gender.
func splitField(parent, sub string) string {
	male, female := sub == "nam", sub == "nu"
	switch {
	case parent == FieldBirthDate && male:
		return fieldBirthMale
	case parent == FieldBirthDate && female:
		return fieldBirthFemale
	case parent == FieldGender && male:
		return fieldGenderMale
	case parent == FieldGender && female:
		return fieldGenderFemale
	}
	return ""
}

func parentOf(label string) string {
	p, _, _ := strings.Cut(label, " / ")
	return p
}

// isSubHeader: the row under the header is a second header row when it has
// text, no digits anywhere (data rows carry dates, numbers, CCCDs), and its
// cells either name a field or sit under an empty header cell (a parent
// merged across columns) or a gender split.
func isSubHeader(top, sub []string, allowed map[string]bool) bool {
	any := false
	for c, s := range sub {
		if s == "" {
			continue
		}
		any = true
		if strings.ContainsAny(s, "0123456789") {
			return false
		}
		n := NormalizeHeader(s)
		if at(top, c) != "" && classify(s, allowed) == "" && n != "nam" && n != "nu" {
			return false
		}
	}
	return any
}

func at(row []string, i int) string {
	if i < 0 || i >= len(row) {
		return ""
	}
	return row[i]
}

func cleanAll(row []string) []string {
	out := make([]string, len(row))
	for i, c := range row {
		out[i] = clean(c)
	}
	return out
}

package roster

import (
	"io"
	"strings"

	"github.com/kyso-vn/kyso/citizen"
)

// Activation is one row of VNPT's SmartCA report.
type Activation struct {
	Row  int    `json:"row"`
	CCCD string `json:"cccd"` // 12 digits passing the structure check
	Name string `json:"name,omitempty"`
	// Phone is normalised, or empty when missing or invalid.
	Phone string `json:"phone,omitempty"`
	// ActivatedAt is YYYY-MM-DD, or empty when the report gives none.
	ActivatedAt string `json:"activated_at,omitempty"`
	Status      string `json:"status,omitempty"` // as written
	// Activated is true when the status reads as activated, or when the
	// report has no status column (it then lists activations only).
	Activated bool `json:"activated"`
}

// Report is what a VNPT report holds: one Activation per CCCD, in row order.
type Report struct {
	Sheet       string            `json:"sheet,omitempty"`
	HeaderRow   int               `json:"header_row"`
	Rows        int               `json:"rows"` // as Result.Rows: len(Activations) + len(Merged) + len(Skipped)
	Activations []Activation      `json:"activations"`
	Activated   int               `json:"activated"` // Activations with Activated
	Skipped     []Skip            `json:"skipped"`   // rows not kept: blank, total, section, no valid CCCD
	Merged      []Skip            `json:"merged"`    // rows repeating a CCCD, merged
	Columns     map[string]string `json:"columns"`
}

// ParseVNPT reads VNPT's SmartCA activation report with the same file and
// header rules as Parse; the CCCD column is required (matching is by CCCD).
// Options.Kind, Village, Association and the age fields are ignored.
func ParseVNPT(r io.Reader, filename string, opts Options) (Report, error) {
	_ = filename
	opts = opts.withDefaults()
	var rep Report
	var byCCCD map[string]int
	var date1904 bool
	t, err := scan(r, opts, vnptFields, FieldCCCD, func() func(*table, int, []string, rowKind) {
		rep, byCCCD = Report{}, map[string]int{}
		return func(t *table, n int, cells []string, kind rowKind) {
			date1904 = t.date1904
			rep.Rows++
			switch kind {
			case rowBlank:
				rep.Skipped = append(rep.Skipped, Skip{n, reasonBlank})
				return
			case rowTotal:
				rep.Skipped = append(rep.Skipped, Skip{n, reasonTotal})
				return
			case rowSection:
				rep.Skipped = append(rep.Skipped, Skip{n, reasonSection + " «" + shorten(clean(truncate(strings.Join(nonEmpty(cells), " ")))) + "»"})
				return
			}
			get := func(f string) string {
				c, ok := t.h.col[f]
				if !ok || excelError(at(cells, c)) {
					return ""
				}
				return at(cells, c)
			}
			a := Activation{Row: n}
			d, prob := repairCCCD(get(FieldCCCD))
			if prob == cccdOK && d == "" {
				rep.Skipped = append(rep.Skipped, Skip{n, "Thiếu số CCCD"})
				return
			}
			if prob == cccdOK {
				prob = checkCCCD(d, 0)
			}
			if prob != cccdOK {
				rep.Skipped = append(rep.Skipped, Skip{n, string(prob) + ", không đối chiếu được"})
				return
			}
			a.CCCD = d
			if name, err := citizen.NormalizeName(titleCase(get(FieldName))); err == nil {
				a.Name = name
			}
			if ph, ok := parsePhone(get(FieldPhone)); ok {
				a.Phone = ph
			}
			if raw := get(FieldActivatedAt); raw != "" {
				if dt, ok := parseDate(raw, date1904); ok && !dt.yearOnly() {
					a.ActivatedAt = dt.String()
				}
			}
			_, hasStatus := t.h.col[FieldStatus]
			a.Status = get(FieldStatus)
			a.Activated = !hasStatus || activatedStatus(a.Status)
			if i, dup := byCCCD[d]; dup {
				// Keep one row per person: an activation wins over a failure,
				// else the earlier date.
				old := &rep.Activations[i]
				first := old.Row
				if a.Activated && (!old.Activated || old.ActivatedAt == "" || a.ActivatedAt != "" && a.ActivatedAt < old.ActivatedAt) {
					*old = a
				}
				rep.Merged = append(rep.Merged, Skip{n, "Trùng số CCCD với dòng " + itoa(first) + ", đã gộp làm một"})
				return
			}
			byCCCD[d] = len(rep.Activations)
			rep.Activations = append(rep.Activations, a)
		}
	})
	if err != nil {
		return Report{}, err
	}
	rep.Sheet, rep.HeaderRow, rep.Columns = t.sheet, t.h.row, t.h.columns
	for _, a := range rep.Activations {
		if a.Activated {
			rep.Activated++
		}
	}
	return rep, nil
}

// activatedStatus reads a status cell: activated words ("Đã kích hoạt",
// "Hoạt động", "Thành công", "Active") unless negated ("Chưa kích hoạt",
// "Không hoạt động", "Inactive", "Đã hủy", "Hết hạn").
func activatedStatus(s string) bool {
	n := " " + NormalizeHeader(s) + " "
	for _, neg := range []string{" chua ", " khong ", " huy ", " da huy ", " that bai ", " het han ", " tam dung ", " tam khoa ", " khoa ", " inactive ", " cho ", " dang xu ly ", " loi ", " tu choi ", " thu hoi ", " failed ", " pending ", " revoked ", " expired "} {
		if strings.Contains(n, neg) {
			return false
		}
	}
	for _, pos := range []string{" kich hoat ", " hoat dong ", " thanh cong ", " active ", " activated ", " da cap ", " hieu luc ", " con hieu luc ", " ok ", " success ", " dang su dung ", " su dung "} {
		if strings.Contains(n, pos) {
			return true
		}
	}
	return false
}

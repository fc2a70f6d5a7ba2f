package export

import (
	"fmt"
	"io"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/ward/outreach"
)

// Paper is what every printed list carries: the unit that issues it, the
// national header, the title, the date line and who signs.
type Paper struct {
	Commune  string // "UBND XÃ CẨM NGỌC"
	Unit     string // "Thôn Đông Lão" or "Hội Phụ nữ" (the second header line)
	Place    string // for the date line: "Cẩm Ngọc"
	Title    string // "DANH SÁCH NGƯỜI CHƯA CÀI ĐẶT CHỮ KÝ SỐ"
	Subtitle string // filters, in words
	Date     time.Time
	Signers  []string // "Người lập biểu", "Trưởng thôn", "Xác nhận của UBND xã"
}

// StatusWords are the statuses as the pages and papers say them.
var StatusWords = map[string]string{
	outreach.StatusActivated:   "Đã kích hoạt",
	outreach.StatusFailed:      "Chưa thành công",
	outreach.StatusInvited:     "Đã mời",
	outreach.StatusUnreachable: "Không liên lạc được",
	outreach.StatusNotYet:      "Chưa cài",
}

// header writes the national header block, title and date line across
// columns A..last and returns the next free row.
func (p Paper) header(f *excelize.File, sheet string, last string, st styles) (int, error) {
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true}})
	if err != nil {
		return 0, err
	}
	under, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Underline: "single"}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return 0, err
	}
	italic, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true}, Alignment: &excelize.Alignment{Horizontal: "right"}})
	if err != nil {
		return 0, err
	}
	mid := "C" // left block A..C, right block D..last
	put := func(cell, text string, style int, to string) error {
		if err := f.SetCellStr(sheet, cell, text); err != nil {
			return err
		}
		if to != "" {
			if err := f.MergeCell(sheet, cell, to); err != nil {
				return err
			}
		}
		return f.SetCellStyle(sheet, cell, cell, style)
	}
	commune := p.Commune
	if commune == "" {
		commune = "UBND XÃ"
	}
	steps := []struct {
		cell, text string
		style      int
		to         string
	}{
		{"A1", commune, bold, mid + "1"},
		{"D1", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold, last + "1"},
		{"A2", p.Unit, under, mid + "2"},
		{"D2", "Độc lập - Tự do - Hạnh phúc", under, last + "2"},
		{"A3", dateLine(p.Place, p.Date), italic, last + "3"},
		{"A5", p.Title, st.title, last + "5"},
		{"A6", p.Subtitle, st.subtitle, last + "6"},
	}
	for _, s := range steps {
		if err := put(s.cell, s.text, s.style, s.to); err != nil {
			return 0, err
		}
	}
	return 8, nil
}

// dateLine is the line officials write under the header: "Cẩm Ngọc, ngày 28 tháng 11 năm 2026".
func dateLine(place string, t time.Time) string {
	t = t.In(clock.Vietnam)
	s := fmt.Sprintf("ngày %d tháng %d năm %d", t.Day(), int(t.Month()), t.Year())
	if place != "" {
		return place + ", " + s
	}
	return s
}

// signatures writes the signature block from row r, one column group per signer.
func (p Paper) signatures(f *excelize.File, sheet string, r int, cols []string) error {
	if len(p.Signers) == 0 {
		return nil
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: &excelize.Alignment{Horizontal: "center", WrapText: true}})
	if err != nil {
		return err
	}
	italic, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Italic: true}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return err
	}
	per := len(cols) / len(p.Signers)
	for i, who := range p.Signers {
		from, to := cols[i*per], cols[i*per+per-1]
		for j, line := range []struct {
			text  string
			style int
		}{{who, bold}, {"(Ký, ghi rõ họ tên)", italic}} {
			a, b := fmt.Sprintf("%s%d", from, r+j), fmt.Sprintf("%s%d", to, r+j)
			if err := f.SetCellStr(sheet, a, line.text); err != nil {
				return err
			}
			if a != b {
				if err := f.MergeCell(sheet, a, b); err != nil {
					return err
				}
			}
			if err := f.SetCellStyle(sheet, a, a, line.style); err != nil {
				return err
			}
		}
	}
	return nil
}

// printable sets A4, fit to width, the table header repeated on every page.
func printable(f *excelize.File, sheet string, headerRow int, landscape bool) error {
	orient := "portrait"
	if landscape {
		orient = "landscape"
	}
	size, fitW, fitH := 9, 1, 0 // 9 = A4
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{Size: &size, Orientation: &orient, FitToWidth: &fitW, FitToHeight: &fitH}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	m := 0.5
	if err := f.SetPageMargins(sheet, &excelize.PageLayoutMarginsOptions{Left: &m, Right: &m, Top: &m, Bottom: &m}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: "&CTrang &P/&N"}); err != nil {
		return err
	}
	return f.SetDefinedName(&excelize.DefinedName{
		Name: "_xlnm.Print_Titles", Scope: sheet, RefersTo: fmt.Sprintf("'%s'!$%d:$%d", sheet, headerRow, headerRow),
	})
}

// OutreachColumns are the working list's columns.
var OutreachColumns = []string{"STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Số điện thoại", "Thôn/TDP", "Đoàn thể", "Tình trạng", "Lý do / buổi mời", "Ghi chú"}

// WriteOutreachXLSX writes a unit head's working list: full CCCD and phone,
// whole households together under a line naming the head, printable on A4
// with the national header and the signature block.
func WriteOutreachXLSX(w io.Writer, p Paper, rows []outreach.WorkRow, sessionLabel func(id string) string) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Danh sách"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	hhStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Italic: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"F3F3F3"}}})
	if err != nil {
		return err
	}
	cols := []string{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"}
	last := cols[len(cols)-1]
	r, err := p.header(f, sheet, last, st)
	if err != nil {
		return err
	}
	headerRow := r
	for i, h := range OutreachColumns {
		if err := f.SetCellStr(sheet, fmt.Sprintf("%s%d", cols[i], r), h); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", r), fmt.Sprintf("%s%d", last, r), st.header); err != nil {
		return err
	}
	widths := []float64{5, 24, 11, 8, 15, 13, 14, 14, 14, 22, 16}
	for i, wd := range widths {
		if err := f.SetColWidth(sheet, cols[i], cols[i], wd); err != nil {
			return err
		}
	}
	r++
	prevHH, n := "\x00", 0
	for _, x := range rows {
		if x.Household != prevHH {
			prevHH = x.Household
			label := "Hộ " + x.Household
			if x.Household == "" {
				label = "Không rõ hộ"
			}
			a := fmt.Sprintf("A%d", r)
			if err := f.SetCellStr(sheet, a, label); err != nil {
				return err
			}
			if err := f.MergeCell(sheet, a, fmt.Sprintf("%s%d", last, r)); err != nil {
				return err
			}
			if err := f.SetCellStyle(sheet, a, a, hhStyle); err != nil {
				return err
			}
			r++
		}
		n++
		gender := map[string]string{"male": "Nam", "female": "Nữ"}[x.Gender]
		note := x.Reason
		if w, ok := outreach.Reasons[x.Reason]; ok {
			note = w
		}
		if x.Session != "" && sessionLabel != nil {
			note = sessionLabel(x.Session)
		}
		vals := []string{fmt.Sprint(n), x.Name, dmy(x.BirthDate), gender, x.CCCD, x.Phone, x.Village, x.Association, StatusWords[x.Status], note, ""}
		for i, v := range vals {
			if err := f.SetCellStr(sheet, fmt.Sprintf("%s%d", cols[i], r), defuse(v)); err != nil {
				return err
			}
		}
		if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", r), fmt.Sprintf("%s%d", last, r), st.text); err != nil {
			return err
		}
		r++
	}
	if err := printable(f, sheet, headerRow, true); err != nil {
		return err
	}
	if err := p.signatures(f, sheet, r+2, cols[:9]); err != nil {
		return err
	}
	return f.Write(w)
}

// WriteReconciliationXLSX writes the reconciliation table and the people
// behind each of its numbers.
func WriteReconciliationXLSX(w io.Writer, p Paper, r outreach.Reconciliation, people []outreach.ReconPerson) error {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "Đối chiếu"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	cols := []string{"A", "B", "C", "D", "E", "F"}
	row, err := p.header(f, sheet, "F", st)
	if err != nil {
		return err
	}
	var rows [][]any
	for _, v := range r.Villages {
		rows = append(rows, []any{v.Name, v.KysoActivated, v.VNPTConfirmed, v.Both, v.KysoOnly, v.VNPTOnly})
	}
	t := r.Total
	headers := []string{"Thôn/TDP", "kyso ghi nhận", "VNPT xác nhận", "Cả hai", "Chỉ kyso", "Chỉ VNPT"}
	for i, h := range headers {
		if err := f.SetCellStr(sheet, fmt.Sprintf("%s%d", cols[i], row), h); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", row), fmt.Sprintf("F%d", row), st.header); err != nil {
		return err
	}
	headerRow := row
	rows = append(rows, []any{"Toàn xã", t.KysoActivated, t.VNPTConfirmed, t.Both, t.KysoOnly, t.VNPTOnly})
	for i, vals := range rows {
		row++
		for j, v := range vals {
			if err := f.SetCellValue(sheet, fmt.Sprintf("%s%d", cols[j], row), v); err != nil {
				return err
			}
		}
		style := st.num
		if i == len(rows)-1 {
			style = st.boldNum
		}
		if err := f.SetCellStyle(sheet, fmt.Sprintf("A%d", row), fmt.Sprintf("F%d", row), style); err != nil {
			return err
		}
	}
	_ = f.SetColWidth(sheet, "A", "A", 24)
	_ = f.SetColWidth(sheet, "B", "F", 14)
	if err := printable(f, sheet, headerRow, false); err != nil {
		return err
	}
	if err := p.signatures(f, sheet, row+3, cols); err != nil {
		return err
	}

	const detail = "Chi tiết"
	if _, err := f.NewSheet(detail); err != nil {
		return err
	}
	words := map[string]string{"both": "Cả hai", "kyso_only": "Chỉ kyso", "vnpt_only": "Chỉ VNPT"}
	dh := []string{"STT", "Thôn/TDP", "Đối chiếu", "Họ và tên", "Số CCCD", "Số điện thoại", "Ngày kyso ghi nhận", "Ngày VNPT kích hoạt"}
	dcols := []string{"A", "B", "C", "D", "E", "F", "G", "H"}
	for i, h := range dh {
		if err := f.SetCellStr(detail, dcols[i]+"1", h); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(detail, "A1", "H1", st.header); err != nil {
		return err
	}
	for i, x := range people {
		vals := []string{fmt.Sprint(i + 1), x.Village, words[x.Category], x.Name, x.CCCD, x.Phone, dmy(x.KysoDate), dmy(x.VNPTDate)}
		for j, v := range vals {
			if err := f.SetCellStr(detail, fmt.Sprintf("%s%d", dcols[j], i+2), defuse(v)); err != nil {
				return err
			}
		}
		if err := f.SetCellStyle(detail, fmt.Sprintf("A%d", i+2), fmt.Sprintf("H%d", i+2), st.text); err != nil {
			return err
		}
	}
	_ = f.SetColWidth(detail, "B", "D", 20)
	_ = f.SetColWidth(detail, "E", "H", 15)
	if err := printable(f, detail, 1, true); err != nil {
		return err
	}
	return f.Write(w)
}

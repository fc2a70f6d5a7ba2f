package export

import (
	"archive/zip"
	"encoding/csv"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/tally"
)

// Columns of the evidence list.
var Columns = []string{"STT", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "Số điện thoại", "Thôn/TDP", "Đoàn thể", "Ngày hỗ trợ", "Kết quả", "Người hỗ trợ", "Ghi chú"}

// Completion is one line of the evidence list (STT is its position).
type Completion struct {
	Name        string
	BirthDate   string // dd/mm/yyyy
	Gender      string // Nam | Nữ
	CCCD        string
	Phone       string
	Village     string
	Association string
	Date        string // dd/mm/yyyy, the day of support
	Result      string // Đã kích hoạt | Không thành công
	Volunteer   string
	Note        string
}

func (c Completion) texts() []string {
	return []string{c.Name, c.BirthDate, c.Gender, c.CCCD, c.Phone, c.Village, c.Association, c.Date, c.Result, c.Volunteer, c.Note}
}

// BOM is what Excel needs to read a CSV file as UTF-8.
const BOM = "\uFEFF"

// defuse keeps spreadsheet programs from evaluating a cell: a cell whose
// first character after leading blanks and line breaks would start a
// formula (" =HYPERLINK(…)", "\n=1+1") gets a leading apostrophe.
func defuse(s string) string {
	t := strings.TrimLeft(s, " \t\r\n\u00a0")
	if t != "" && strings.ContainsRune("=+-@", rune(t[0])) {
		return "'" + s
	}
	if s != "" && strings.ContainsRune("\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Rows streams the lines of a list in order, so that an export of a
// million lines never holds them all: fn is called once per line and the
// first error it returns stops the walk.
type Rows func(fn func(Completion) error) error

// SliceRows streams a slice.
func SliceRows(cs []Completion) Rows {
	return func(fn func(Completion) error) error {
		for _, c := range cs {
			if err := fn(c); err != nil {
				return err
			}
		}
		return nil
	}
}

// MaxSheetRows is Excel's row limit; a longer list continues on the next
// sheet (a variable so that tests can make it small).
var MaxSheetRows = 1_048_576

// WriteCompletionsCSV writes the list as CSV: BOM, header, one row per
// completion, CRLF line ends.
func WriteCompletionsCSV(w io.Writer, rows Rows) error {
	if _, err := io.WriteString(w, BOM); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	if err := cw.Write(Columns); err != nil {
		return err
	}
	rec := make([]string, len(Columns))
	i := 0
	err := rows(func(c Completion) error {
		i++
		rec[0] = fmt.Sprint(i)
		for j, t := range c.texts() {
			rec[j+1] = defuse(t)
		}
		return cw.Write(rec)
	})
	if err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

// Layout of the completions sheet: two title rows, a blank, the header.
const (
	CompletionsSheet     = "Danh sách"
	CompletionsHeaderRow = 4
)

type styles struct {
	title, subtitle, header, text, num, numItalic, pct, bold, boldNum, boldPct int
}

func newStyles(f *excelize.File) (styles, error) {
	border := []excelize.Border{{Type: "left", Color: "999999", Style: 1}, {Type: "right", Color: "999999", Style: 1}, {Type: "top", Color: "999999", Style: 1}, {Type: "bottom", Color: "999999", Style: 1}}
	var s styles
	var err error
	mk := func(dst *int, st *excelize.Style) {
		if err == nil {
			*dst, err = f.NewStyle(st)
		}
	}
	text := "@"
	mk(&s.title, &excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	mk(&s.subtitle, &excelize.Style{Font: &excelize.Font{Italic: true}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	mk(&s.header, &excelize.Style{Font: &excelize.Font{Bold: true}, Border: border, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"E8EDF5"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	mk(&s.text, &excelize.Style{Border: border, CustomNumFmt: &text})
	mk(&s.num, &excelize.Style{Border: border, NumFmt: 3}) // #,##0
	mk(&s.numItalic, &excelize.Style{Border: border, Font: &excelize.Font{Italic: true}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	pct := "0.0"
	mk(&s.pct, &excelize.Style{Border: border, CustomNumFmt: &pct})
	mk(&s.bold, &excelize.Style{Border: border, Font: &excelize.Font{Bold: true}})
	mk(&s.boldNum, &excelize.Style{Border: border, Font: &excelize.Font{Bold: true}, NumFmt: 3})
	mk(&s.boldPct, &excelize.Style{Border: border, Font: &excelize.Font{Bold: true}, CustomNumFmt: &pct})
	return s, err
}

// WriteCompletionsXLSX writes the list as a workbook: title and subtitle,
// then the header on row CompletionsHeaderRow and the rows under it. Rows
// go through excelize's stream writer (memory independent of their number);
// past Excel's row limit the list continues on a sheet "Danh sách (2)" with
// its own title and header, numbering carried on.
func WriteCompletionsXLSX(w io.Writer, title, subtitle string, rows Rows) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", CompletionsSheet); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(Columns))
	open := func(sheet string) (*excelize.StreamWriter, error) {
		sw, err := f.NewStreamWriter(sheet)
		if err != nil {
			return nil, err
		}
		for i, wd := range []float64{6, 26, 12, 9, 15, 13, 16, 16, 12, 15, 18, 30} {
			if err := sw.SetColWidth(i+1, i+1, wd); err != nil {
				return nil, err
			}
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: CompletionsHeaderRow, TopLeftCell: fmt.Sprintf("A%d", CompletionsHeaderRow+1), ActivePane: "bottomLeft"}); err != nil {
			return nil, err
		}
		if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: st.title, Value: title}}); err != nil {
			return nil, err
		}
		if err := sw.SetRow("A2", []any{excelize.Cell{StyleID: st.subtitle, Value: subtitle}}); err != nil {
			return nil, err
		}
		_ = sw.MergeCell("A1", last+"1")
		_ = sw.MergeCell("A2", last+"2")
		hdr := make([]any, len(Columns))
		for i, c := range Columns {
			hdr[i] = excelize.Cell{StyleID: st.header, Value: c}
		}
		return sw, sw.SetRow(fmt.Sprintf("A%d", CompletionsHeaderRow), hdr)
	}
	sw, err := open(CompletionsSheet)
	if err != nil {
		return err
	}
	vals := make([]any, len(Columns))
	n, row, sheets := 0, CompletionsHeaderRow, 1
	err = rows(func(c Completion) error {
		if row >= MaxSheetRows {
			if err := sw.Flush(); err != nil {
				return err
			}
			sheets++
			name := fmt.Sprintf("%s (%d)", CompletionsSheet, sheets)
			if _, err := f.NewSheet(name); err != nil {
				return err
			}
			var err error
			if sw, err = open(name); err != nil {
				return err
			}
			row = CompletionsHeaderRow
		}
		n++
		row++
		vals[0] = excelize.Cell{StyleID: st.num, Value: n}
		for j, t := range c.texts() {
			vals[j+1] = excelize.Cell{StyleID: st.text, Value: t}
		}
		return sw.SetRow(fmt.Sprintf("A%d", row), vals)
	})
	if err != nil {
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return writeDirect(f, w)
}

// writeDirect writes the workbook's zip straight to w. excelize's Write
// first builds the whole zip in a bytes.Buffer (to patch zip64 headers of
// parts over 4 GiB) and only then copies it out: 60–70 MB for a million
// lines, and twice that while the buffer grows. A sheet here holds at most
// MaxSheetRows lines of a few hundred bytes, far below 4 GiB, so nothing
// needs patching: the zip writer gets w and the buffer stays empty.
func writeDirect(f *excelize.File, w io.Writer) error {
	f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w) })
	_, err := f.WriteTo(io.Discard)
	return err
}

// Summary is what the summary workbook shows.
type Summary struct {
	Title    string // e.g. "KẾT QUẢ CÀI ĐẶT CHỮ KÝ SỐ CHO NGƯỜI DÂN"
	Updated  time.Time
	Villages quota.Villages
	Progress tally.Progress
	Helpers  []TallySheet // per volunteer, per house (tallies.go)
}

// Summary sheet names and the layout of the first.
const (
	SummarySheet     = "Tổng hợp"
	SummaryHeaderRow = 4 // then a row of column numbers, then the villages
)

// SummaryActualColumns are appended to the appendix's columns.
var SummaryActualColumns = []string{"Số đã cài đặt (thực hiện)", "Tổng số đã có chữ ký số", "Tỷ lệ đạt so với chỉ tiêu (%)", "Còn thiếu so với chỉ tiêu", "Tỷ lệ có chữ ký số / LĐ có khả năng LĐ (%)"}

func ratio(a, b int) float64 {
	if b <= 0 {
		return 0
	}
	return float64(int(1000*float64(a)/float64(b)+0.5)) / 10
}

// WriteSummaryXLSX writes the appendix table (same columns, same labels as
// the imported file) with the actual results, plus sheets per association,
// round and day.
func WriteSummaryXLSX(w io.Writer, s Summary) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return err
	}
	st, err := newStyles(f)
	if err != nil {
		return err
	}
	v := s.Villages
	headers := []string{"TT", v.Label(quota.ColName), v.Label(quota.ColHouseholds), v.Label(quota.ColPersons), v.Label(quota.ColLabour),
		v.Label(quota.ColUnable), v.Label(quota.ColBase), v.Label(quota.ColTarget), v.Label(quota.ColRate), v.Label(quota.ColBefore), v.Label(quota.ColRemaining)}
	headers = append(headers, SummaryActualColumns...)
	byName := map[string]tally.Row{}
	for _, r := range s.Progress.Villages {
		byName[quota.Key(r.Name)] = r
	}
	var rows [][]any
	for i, q := range v.Rows {
		p := byName[quota.Key(q.Name)]
		rows = append(rows, []any{i + 1, q.Name, q.Households, q.Persons, q.Labour, q.Unable, q.Base, q.Target, ratio(q.Target, q.Base), q.Before, max(0, q.Target-q.Before),
			p.Done, p.Have, p.Percent, p.Remaining, ratio(p.Have, q.Base)})
	}
	for _, o := range s.Progress.OtherVillages {
		rows = append(rows, []any{"", o.Name + " (ngoài chỉ tiêu)", nil, nil, nil, nil, nil, nil, nil, nil, nil, o.Done, o.Have, nil, nil, nil})
	}
	t, tp := v.Totals(), s.Progress.Total
	total := []any{"", "Cộng", t.Households, t.Persons, t.Labour, t.Unable, t.Base, t.Target, ratio(t.Target, t.Base), t.Before, max(0, t.Target-t.Before),
		tp.Done, tp.Have, tp.Percent, tp.Remaining, ratio(tp.Have, t.Base)}
	sub := "(Cập nhật đến " + s.Updated.In(clock.Vietnam).Format("15:04 ngày 02/01/2006") + ")"
	pctCols := map[int]bool{8: true, 13: true, 15: true}
	if err := table(f, st, SummarySheet, s.Title, sub, headers, rows, total, pctCols, true); err != nil {
		return err
	}

	var arows [][]any
	for _, a := range s.Progress.Associations {
		arows = append(arows, []any{a.Name, a.Target, a.Before, a.Done, a.Have, a.Percent, a.Remaining})
	}
	for _, a := range s.Progress.OtherAssociations {
		arows = append(arows, []any{a.Name + " (ngoài chỉ tiêu)", nil, nil, a.Done, a.Have, nil, nil})
	}
	if _, err := f.NewSheet("Đoàn thể"); err != nil {
		return err
	}
	if err := table(f, st, "Đoàn thể", "KẾT QUẢ THEO ĐOÀN THỂ", sub, []string{"Đoàn thể", "Chỉ tiêu", "Đã có trước", "Đã cài đặt", "Tổng đã có", "Tỷ lệ đạt (%)", "Còn thiếu"}, arows, nil, map[int]bool{5: true}, false); err != nil {
		return err
	}

	var rrows [][]any
	for _, r := range s.Progress.Rounds {
		var target, pct any
		if r.Target > 0 {
			target, pct = r.Target, r.Percent
		}
		rrows = append(rrows, []any{r.Name, dmy(r.From), dmy(r.To), target, r.Done, pct})
	}
	if _, err := f.NewSheet("Theo đợt"); err != nil {
		return err
	}
	if err := table(f, st, "Theo đợt", "KẾT QUẢ THEO ĐỢT", sub, []string{"Đợt", "Từ ngày", "Đến ngày", "Chỉ tiêu", "Đã cài đặt", "Tỷ lệ đạt (%)"}, rrows, nil, map[int]bool{5: true}, false); err != nil {
		return err
	}

	var drows [][]any
	cum := 0
	for _, d := range s.Progress.Days {
		cum += d.Done
		drows = append(drows, []any{dmy(d.Date), d.Done, cum})
	}
	if _, err := f.NewSheet("Theo ngày"); err != nil {
		return err
	}
	if err := table(f, st, "Theo ngày", "KẾT QUẢ THEO NGÀY", sub, []string{"Ngày", "Đã cài đặt", "Lũy kế"}, drows, nil, nil, false); err != nil {
		return err
	}
	if err := writeTallies(f, st, sub, s.Helpers); err != nil {
		return err
	}
	f.SetActiveSheet(0)
	return f.Write(w)
}

func dmy(iso string) string {
	t, err := time.Parse("2006-01-02", iso)
	if err != nil {
		return iso
	}
	return t.Format("02/01/2006")
}

// table writes title, subtitle, header (row 4), optionally a row of column
// numbers, the rows and a bold total row.
func table(f *excelize.File, st styles, sheet, title, sub string, headers []string, rows [][]any, total []any, pctCols map[int]bool, numbering bool) error {
	last, _ := excelize.ColumnNumberToName(len(headers))
	set := func(cell string, v any, style int) error {
		if err := f.SetCellValue(sheet, cell, v); err != nil {
			return err
		}
		return f.SetCellStyle(sheet, cell, cell, style)
	}
	if err := set("A1", title, st.title); err != nil {
		return err
	}
	if err := set("A2", sub, st.subtitle); err != nil {
		return err
	}
	_ = f.MergeCell(sheet, "A1", last+"1")
	_ = f.MergeCell(sheet, "A2", last+"2")
	row := SummaryHeaderRow
	for i, h := range headers {
		c, _ := excelize.CoordinatesToCellName(i+1, row)
		if err := set(c, h, st.header); err != nil {
			return err
		}
	}
	_ = f.SetRowHeight(sheet, row, 60)
	if numbering {
		row++
		for i := range headers {
			c, _ := excelize.CoordinatesToCellName(i+1, row)
			if err := set(c, i+1, st.numItalic); err != nil {
				return err
			}
		}
	}
	write := func(vals []any, bold bool) error {
		row++
		for i, v := range vals {
			c, _ := excelize.CoordinatesToCellName(i+1, row)
			style := st.num
			switch {
			case pctCols[i] && bold:
				style = st.boldPct
			case pctCols[i]:
				style = st.pct
			case bold && i < 2:
				style = st.bold
			case bold:
				style = st.boldNum
			}
			if _, isStr := v.(string); isStr && !bold {
				style = st.text
			}
			if v == nil {
				v = ""
			}
			if err := set(c, v, style); err != nil {
				return err
			}
		}
		return nil
	}
	for _, r := range rows {
		if err := write(r, false); err != nil {
			return err
		}
	}
	if total != nil {
		if err := write(total, true); err != nil {
			return err
		}
	}
	_ = f.SetColWidth(sheet, "A", "A", 6)
	_ = f.SetColWidth(sheet, "B", "B", 24)
	if len(headers) > 2 {
		col, _ := excelize.ColumnNumberToName(len(headers))
		_ = f.SetColWidth(sheet, "C", col, 14)
	}
	return nil
}

// Slug makes an ASCII file-name part of a name: "Thôn Sổng" → "thon-song".
func Slug(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteByte('d')
			dash = false
		case r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case !dash && b.Len() > 0:
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

package roster_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// formula is a cell holding a formula; cached, when set, is the value the
// spreadsheet program last computed (excelize cannot write one, so xlsx
// patches it into the sheet XML).
type formula struct{ expr, cached string }

// serial is a date written as a bare Excel serial number (no date format),
// as a column formatted "General" shows it.
type serial time.Time

// sheetSpec is one worksheet of a generated workbook.
type sheetSpec struct {
	name   string
	rows   [][]any // rows from A1; nil cells are left empty
	merges []string
	hidden bool
}

// xlsx builds a workbook the way officials' files look: real XLSX written by
// excelize, numbers as numbers, dates as date-formatted serials.
func xlsx(t testing.TB, sheets ...sheetSpec) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	require.NoError(t, err)
	var patches []formula
	for i, s := range sheets {
		if i == 0 {
			require.NoError(t, f.SetSheetName("Sheet1", s.name))
		} else {
			_, err := f.NewSheet(s.name)
			require.NoError(t, err)
		}
		for r, row := range s.rows {
			for c, v := range row {
				if v == nil {
					continue
				}
				ax, err := excelize.CoordinatesToCellName(c+1, r+1)
				require.NoError(t, err)
				switch v := v.(type) {
				case formula:
					require.NoError(t, f.SetCellFormula(s.name, ax, v.expr))
					if v.cached != "" {
						patches = append(patches, v)
					}
				case serial:
					days := time.Time(v).Sub(time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)).Hours() / 24
					require.NoError(t, f.SetCellValue(s.name, ax, int(days)))
				case time.Time:
					require.NoError(t, f.SetCellValue(s.name, ax, v))
					require.NoError(t, f.SetCellStyle(s.name, ax, ax, dateStyle))
				default:
					require.NoError(t, f.SetCellValue(s.name, ax, v))
				}
			}
		}
		for _, m := range s.merges {
			a, b, _ := strings.Cut(m, ":")
			require.NoError(t, f.MergeCell(s.name, a, b))
		}
		if s.hidden {
			require.NoError(t, f.SetSheetVisible(s.name, false))
		}
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	if len(patches) == 0 {
		return buf.Bytes()
	}
	return patchCached(t, buf.Bytes(), patches)
}

// patchCached gives formulas the cached value Excel would have saved.
func patchCached(t testing.TB, data []byte, patches []formula) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, zf := range zr.File {
		rc, err := zf.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		if strings.HasPrefix(zf.Name, "xl/worksheets/") {
			s := string(b)
			for _, p := range patches {
				var esc bytes.Buffer
				require.NoError(t, xmlEscape(&esc, p.expr))
				s = strings.Replace(s, "<f>"+esc.String()+"</f>", "<f>"+esc.String()+"</f><v>"+p.cached+"</v>", 1)
			}
			s = strings.ReplaceAll(s, "</f><v>0</v>", "</f>") // excelize's stale value
			b = []byte(s)
		}
		w, err := zw.Create(zf.Name)
		require.NoError(t, err)
		_, err = w.Write(b)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return out.Bytes()
}

func xmlEscape(w io.Writer, s string) error {
	r := strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;", `'`, "&#39;")
	_, err := io.WriteString(w, r.Replace(s))
	return err
}

func day[M int | time.Month](y int, m M, d int) time.Time {
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
}

// layoutTitleMerged (a): a village head's household book as kept in Excel —
// the commune and book title merged across the top, a blank line, the
// header, a numbering row, groups "Tổ 1"/"Tổ 2" as merged rows, the
// household code merged down over its members, a blank row, a total row.
func layoutTitleMerged(t testing.TB) []byte {
	return xlsx(t, sheetSpec{
		name: "Sổ hộ",
		rows: [][]any{
			{"UBND XÃ CẨM NGỌC"},         // 1
			{"SỔ HỘ KHẨU THÔN SONG NGA"}, // 2
			{},                           // 3
			{"Cập nhật ngày 15/11/2024"}, // 4
			{"STT", "Mã hộ", "Họ và tên", "Ngày sinh", "Giới tính", "Số CCCD", "SĐT", "Ghi chú"}, // 5
			{1, 2, 3, 4, 5, 6, 7, 8}, // 6: column numbers
			{"Tổ 1"},                 // 7
			{1, "SN01", "Lê Văn Bình", "12/03/1965", "Nam", "038065001234", "0912345678"}, // 8
			{2, nil, "Phạm Thị Cúc", "05/06/1968", "Nữ", "038168001235"},                  // 9
			{3, nil, "Lê Văn Dũng", "20/11/2007", "Nam"},                                  // 10: 16, no card
			{},       // 11
			{"Tổ 2"}, // 12
			{4, "SN02", "Trần Văn Em", "1950", "Nam", "038050001236", "091 234 5679"}, // 13: bare year
			{5, "SN02", "Nguyễn Thị Gấm", "02/02/2006", "Nữ"},                         // 14: 18, no card
			{6, "SN03", "Hoàng Văn Hải", "1/1/1990", "Nam", "038090001237", "12345"},  // 15: bad phone
			{nil, "Tổng cộng", nil, nil, nil, nil, nil, "6 người"},                    // 16
		},
		merges: []string{"A1:H1", "A2:H2", "A4:H4", "A7:H7", "B8:B10", "A12:H12"},
	})
}

// layoutNumbers (b): the CCCD typed into number cells (leading zeros lost),
// dates as Excel serials (formatted and bare), phones as numbers, a CSV
// round trip's "3.8085000602E+10", a formula with its cached value. The
// data is on the second sheet, after an instructions sheet.
func layoutNumbers(t testing.TB) []byte {
	return xlsx(t,
		sheetSpec{name: "Hướng dẫn", rows: [][]any{{"Nhập danh sách ở trang sau."}, {"Không sửa dòng tiêu đề."}}},
		sheetSpec{name: "Danh sách", rows: [][]any{
			{"STT", "Họ tên", "Ngày tháng năm sinh", "Giới tính", "CCCD", "Điện thoại", "Thôn", "Tuổi"},
			{1, "Đào Văn Phong", day(1975, 4, 30), "Nam", 38075003001, 912000001, "Đông Lão", formula{"=DATEDIF(C2,TODAY(),\"y\")", "49"}},
			{2, "Mai Thị Quế", serial(day(1980, 9, 2)), "Nữ", 38180003002, 983000002, "Đông Lão"},
			{3, "Kiều Văn Sơn", day(1985, 1, 15), "Nam", "3.8085000602E+10", nil, "Song Nga"},
			{4, "Phùng Thị Thu", day(2006, 11, 19), "Nữ", 1306003003, nil, "Song Nga"},                                   // Hà Nội: "001…" lost two zeros; 18 today
			{5, "Cao Văn Út", day(2006, 11, 20), "Nam", 38206003004, nil, "Song Nga"},                                    // 18 tomorrow
			{6, formula{`="Lý Thị "&"Vân"`, "Lý Thị Vân"}, day(1992, 7, 7), "Nữ", "3.8192E+10", nil, formula{"=G3", ""}}, // rounded CCCD; uncached village
		}},
	)
}

// layoutRelation (c): households by "Quan hệ với chủ hộ"; birth years only;
// a CCCD contradicting the birth year; a 9-digit CMND; a person listed twice.
func layoutRelation(t testing.TB) []byte {
	return xlsx(t, sheetSpec{
		name: "Nhân khẩu",
		rows: [][]any{
			{"DANH SÁCH NHÂN KHẨU"},
			{"Họ và tên", "Năm sinh", "Giới tính", "Quan hệ với chủ hộ", "Số định danh cá nhân", "Thôn/TDP", "Số điện thoại"},
			{"Đặng Văn Khoa", 1958, "Nam", "Chủ hộ", "038058002001", "Thôn Đông Lão"},
			{"Lưu Thị Lan", 1960, "Nữ", "Vợ", "038160002002", "Thôn Đông Lão"},
			{"Đặng Văn Minh", 2005, "Nam", "Con", "038205002003", "Thôn Đông Lão"}, // 31/12/2005 → 18
			{"Đặng Thị Ngọc", 2007, "Nữ", "Con", nil, "Thôn Đông Lão"},             // 16
			{"Chu Văn Phúc", 1972, "Nam", "Chủ hộ", "038072002004", "Thôn Đông Lão"},
			{"Vi Thị Quyên", 1975, "Nữ", "Vợ", "038185002005", "Thôn Đông Lão"},                    // card says 1985
			{"CHU VĂN PHÚC", 1972, "Nam", "Chủ hộ", "038072002004", "Thôn Đông Lão", "0977000004"}, // again, with a phone
			{"Ma Văn Sáng", 1990, "Nam", "Chủ hộ", "038123456", "Thôn Đông Lão"},                   // CMND
			{"Triệu Thị Tâm", 1992, "Nữ", "Vợ", "038192002007", "Thôn Đông Lão"},
		},
		merges: []string{"A1:G1"},
	})
}

// layoutMembersCSV (d): Hội Phụ nữ's member list saved by Excel in a
// Vietnamese locale: BOM, semicolons, CRLF, dd/mm/yyyy, a "Chi hội" column,
// CCCDs with spaces, an apostrophe and the ="…" trick, a total row.
func layoutMembersCSV() []byte {
	lines := []string{
		"DANH SÁCH HỘI VIÊN HỘI PHỤ NỮ XÃ CẨM NGỌC;;;;;",
		";;;;;",
		"STT;Họ và tên;Ngày sinh;Số CCCD;Số điện thoại;Chi hội",
		"1;Hà Thị Trang;15/07/1979;038 179 000 501;0992 619 427;Chi hội Đông Lão",
		"2;Trần Thu Nga;11/05/1959;'038159000507;;Chi hội Đông Lão",
		`3;Lò Thị Uyên;03/04/1988;;+84 912 000 777;Chi hội Đông Lão`,
		`4;Nông Thị Vui;7/8/1996;="038196004001";;Chi hội Song Nga`,
		"5;Bế Thị Xuân;2008-01-01;038308004002;;Chi hội Song Nga", // 16
		";Cộng: 5 hội viên;;;;",
	}
	return []byte("\uFEFF" + strings.Join(lines, "\r\n") + "\r\n")
}

// layoutTwoHeaders (e): "Ngày sinh" merged over "Nam" | "Nữ", the birth date
// written in the column of the person's gender, as paper registers do.
func layoutTwoHeaders(t testing.TB) []byte {
	return xlsx(t, sheetSpec{
		name: "Sheet1",
		rows: [][]any{
			{"SỔ ĐĂNG KÝ THƯỜNG TRÚ XÓM TRẠI"},
			{"STT", "Họ và tên", "Ngày sinh", nil, "Số CCCD", "Quan hệ với chủ hộ"},
			{nil, nil, "Nam", "Nữ"},
			{1, "Hứa Văn Yên", "14/02/1970", nil, "038070005001", "Chủ hộ"},
			{2, "Tạ Thị Ánh", nil, "08/08/1972", "038172005002", "Vợ"},
			{3, "Hứa Thị Bích", nil, "2010", nil, "Con"},
		},
		merges: []string{"A1:F1", "C2:D2", "A2:A3", "B2:B3", "E2:E3", "F2:F3"},
	})
}

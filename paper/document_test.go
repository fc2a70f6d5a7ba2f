package paper_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/paper"
)

func villageList(rows [][]string) paper.Doc {
	return paper.Doc{
		Unit:     "UBND xã Quảng Phú\nThôn Đông Lão",
		Place:    "Quảng Phú",
		Title:    "DANH SÁCH CÔNG DÂN ĐÃ KÍCH HOẠT CHỮ KÝ SỐ",
		Subtitle: "Thôn Đông Lão - đợt 1",
		Date:     day(2026, time.November, 28),
		Columns: []paper.Column{
			{Title: "STT", Width: 12, Align: paper.Center},
			{Title: "Họ và tên"},
			{Title: "Số CCCD", Width: 32, Align: paper.Center},
			{Title: "Ghi chú", Width: 55},
		},
		Rows:    rows,
		Signers: []string{"Người lập biểu", "Trưởng thôn\nNguyễn Văn Bình", "Xác nhận của UBND xã"},
	}
}

// Must show (issue 12): three citizens print on one A4 page with the
// national header, the title and the signature block.
func TestDoc_ThreeRowsOnOnePage(t *testing.T) {
	needPoppler(t)
	d := villageList([][]string{
		{"1", "Nguyễn Văn An", "038085001234", ""},
		{"2", "Lê Thị Hoa", "038190004567", "Cài lại ứng dụng VNeID"},
		{"3", norm.NFD.String("Trần Minh Khang"), "038202003456", ""}, // typed on a keyboard that decomposes
	})
	pdf := render(t, func(w *bytes.Buffer) error { return d.WritePDF(w) })

	assert.Equal(t, 1, pageCount(t, pdf))
	text := strings.Join(pages(t, pdf, "-layout"), "")
	for _, want := range []string{
		"UBND XÃ QUẢNG PHÚ", "THÔN ĐÔNG LÃO",
		"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc",
		"Quảng Phú, ngày 28 tháng 11 năm 2026",
		"DANH SÁCH CÔNG DÂN ĐÃ KÍCH HOẠT CHỮ KÝ SỐ", "Thôn Đông Lão - đợt 1",
		"Họ và tên", "Số CCCD", "Nguyễn Văn An", "038190004567", "Trần Minh Khang",
		"Người lập biểu", "Trưởng thôn", "Xác nhận của UBND xã", "(Ký, ghi rõ họ tên)", "(Ký tên, đóng dấu)",
		"Nguyễn Văn Bình", "Trang 1/1",
	} {
		assert.Contains(t, text, want)
	}
}

// Must show (issue 12): a 120-row list repeats the table header on every
// page and never splits a row across pages.
func TestDoc_LongListRepeatsHeaderNeverSplitsRow(t *testing.T) {
	needPoppler(t)
	names := []string{"Nguyễn Thị Ngọc Ánh", "Phạm Văn Đức", "Hoàng Thị Thu Hương", "Lê Quang Vinh", "Đặng Thị Yến"}
	var rows [][]string
	for i := 0; i < 120; i++ {
		note := fmt.Sprintf("Đầu R%03d", i)
		if i%4 == 1 { // every fourth row wraps over three or four lines
			note = fmt.Sprintf("Đầu R%03d: đã mời hai lần, vắng vì đi làm xa ở Bình Dương, hẹn buổi sau Cuối K%03d", i, i)
		}
		cccd := fmt.Sprintf("03819%d%06d", 5+i%5, 1000+i)
		rows = append(rows, []string{fmt.Sprint(i + 1), names[i%len(names)], cccd, note})
	}
	pdf := render(t, func(w *bytes.Buffer) error { return villageList(rows).WritePDF(w) })

	n := pageCount(t, pdf)
	require.GreaterOrEqual(t, n, 3)
	ps := pages(t, pdf, "-layout")
	require.Len(t, ps, n)
	t.Logf("120 rows on %d pages", n)

	for i, p := range ps {
		assert.Contains(t, p, "Họ và tên", "page %d repeats the header", i+1)
		assert.Contains(t, p, "Số CCCD", "page %d repeats the header", i+1)
		assert.Contains(t, p, fmt.Sprintf("Trang %d/%d", i+1, n))
	}
	assert.Contains(t, ps[0], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
	assert.NotContains(t, ps[1], "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "the national header only on page 1")
	assert.Contains(t, ps[n-1], "Người lập biểu")
	assert.Contains(t, ps[n-1], "(Ký, ghi rõ họ tên)", "the signature block is kept whole")

	pageOf := func(tag string) int {
		found := -1
		for i, p := range ps {
			if c := strings.Count(p, tag); c > 0 {
				require.Equal(t, -1, found, "%s on two pages", tag)
				require.Equal(t, 1, c, "%s twice", tag)
				found = i
			}
		}
		require.NotEqual(t, -1, found, "%s not found", tag)
		return found
	}
	last := 0
	for i, r := range rows {
		first := pageOf(fmt.Sprintf("R%03d", i))
		assert.GreaterOrEqual(t, first, last, "rows in order")
		last = first
		assert.Equal(t, first, pageOf(r[2]), "row %d: CCCD on the row's page", i+1)
		if i%4 == 1 {
			assert.Equal(t, first, pageOf(fmt.Sprintf("K%03d", i)), "row %d split across pages", i+1)
		}
	}
}

func TestDoc_EmptyTable(t *testing.T) {
	needPoppler(t)
	pdf := render(t, func(w *bytes.Buffer) error { return villageList(nil).WritePDF(w) })
	assert.Equal(t, 1, pageCount(t, pdf))
	assert.Contains(t, strings.Join(pages(t, pdf), ""), "(Không có dòng nào)")
}

func TestDoc_BadInput(t *testing.T) {
	cases := []struct {
		name string
		doc  paper.Doc
		want string
	}{
		{"row wider than the table", villageList([][]string{{"1", "Nguyễn Văn An", "038085001234", ""}, {"2", "Lê Thị Hoa", "038190004567", "", "thừa"}}),
			"dòng 2 có 5 ô, bảng chỉ có 4 cột"},
		{"rows without columns", paper.Doc{Title: "Danh sách", Rows: [][]string{{"1"}}}, "bảng không có cột nào"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b bytes.Buffer
			err := c.doc.WritePDF(&b)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Zero(t, b.Len(), "nothing half-written")
		})
	}
}

func TestDoc_MissingFonts(t *testing.T) {
	old := paper.FontDir
	paper.FontDir = t.TempDir()
	defer func() { paper.FontDir = old }()

	err := villageList(nil).WritePDF(&bytes.Buffer{})
	require.Error(t, err)
	assert.True(t, errors.Is(err, paper.ErrNoFont))
	assert.Contains(t, err.Error(), "apt-get install -y fonts-dejavu-core")
}

func TestDateLine(t *testing.T) {
	cases := []struct {
		name, place string
		date        time.Time
		want        string
	}{
		{"late in the year", "Quảng Phú", day(2026, time.November, 28), "Quảng Phú, ngày 28 tháng 11 năm 2026"},
		{"day below ten gets a zero", "Quảng Phú", day(2026, time.December, 5), "Quảng Phú, ngày 05 tháng 12 năm 2026"},
		{"January and February get a zero", "Quảng Phú", day(2027, time.February, 14), "Quảng Phú, ngày 14 tháng 02 năm 2027"},
		{"March does not", "Quảng Phú", day(2027, time.March, 1), "Quảng Phú, ngày 01 tháng 3 năm 2027"},
		{"no place", "", day(2026, time.November, 28), "ngày 28 tháng 11 năm 2026"},
		{"no date: blanks", "Quảng Phú", time.Time{}, "Quảng Phú, ngày ….. tháng ….. năm 20….."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, paper.DateLine(c.place, c.date))
		})
	}
}

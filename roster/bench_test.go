package roster_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/kyso-vn/kyso/roster"
)

var (
	surnames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"}
	middles  = []string{"Văn", "Thị", "Hữu", "Đức", "Thu", "Minh", "Quang", "Ngọc", "Xuân", "Thanh"}
	givens   = []string{"An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hương", "Lan", "Long", "Mai", "Nam", "Nga", "Phương", "Sơn", "Thảo", "Trang", "Tuấn", "Yến"}
	villages = []string{"Đông Lão", "Song Nga", "Thôn Sổng", "Thôn PNV", "Cẩm Hoàng", "Cẩm Bình", "Thôn Chiềng"}
	roles    = []string{"Chủ hộ", "Vợ", "Con", "Con", "Mẹ"}
)

// commune writes the residents of a whole commune as one XLSX the way the
// commune police export it: a title, a header, household codes, relation to
// the head, CCCD as text, birth dates as date cells, phones on adults.
func commune(tb testing.TB, n int) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	require.NoError(tb, err)
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	require.NoError(tb, err)
	require.NoError(tb, sw.SetRow("A1", []any{"DANH SÁCH NHÂN KHẨU XÃ CẨM NGỌC"}))
	require.NoError(tb, sw.SetRow("A3", []any{"STT", "Mã hộ", "Họ và tên", "Quan hệ với chủ hộ", "Ngày sinh", "Giới tính", "Số định danh cá nhân", "Số điện thoại", "Thôn", "Đoàn thể"}))
	for i := 0; i < n; i++ {
		hh := i / 5
		role := roles[i%5]
		year := 1950 + (i*7)%60
		female := i%2 == 1
		g, d := "Nam", 0
		if female {
			g, d = "Nữ", 1
		}
		if year >= 2000 {
			d += 2
		}
		cccd := fmt.Sprintf("038%d%02d%06d", d, year%100, i)
		name := surnames[i%len(surnames)] + " " + middles[(i/7)%len(middles)] + " " + givens[(i/3)%len(givens)]
		var phone any
		if year < 2006 {
			phone = fmt.Sprintf("09%08d", i)
		}
		birth := excelize.Cell{StyleID: dateStyle, Value: day(year, 1+i%12, 1+i%28)}
		ax, _ := excelize.CoordinatesToCellName(1, i+4)
		require.NoError(tb, sw.SetRow(ax, []any{i + 1, fmt.Sprintf("CN%05d", hh), name, role, birth, g, cccd, phone,
			villages[hh%len(villages)], "Hội Nông dân"}))
	}
	require.NoError(tb, sw.Flush())
	var buf bytes.Buffer
	require.NoError(tb, f.Write(&buf))
	return buf.Bytes()
}

// A commune of 20,000 residents must import in well under 10 s.
func BenchmarkParse20k(b *testing.B) {
	data := commune(b, 20000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		r, err := roster.Parse(bytes.NewReader(data), "xa.xlsx", roster.Options{ReferenceDate: refDay})
		if err != nil || len(r.People) != 20000 {
			b.Fatal(err, len(r.People))
		}
	}
}

func TestParseCommune(t *testing.T) {
	r := parse(t, commune(t, 2000), "xa.xlsx", roster.Options{})
	require.Len(t, r.People, 2000)
	require.Equal(t, 400, r.Households)
	require.Empty(t, r.Skipped)
	require.Empty(t, r.Invalid)
}

package quota

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

func realFile(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/quotas-cam-ngoc-2024.csv")
	require.NoError(t, err)
	return data
}

func sum(v Villages) (target, before, base int) {
	tot := v.Totals()
	return tot.Target, tot.Before, tot.Base
}

func TestParseVillagesRealFile(t *testing.T) {
	v, err := ParseVillages(bytes.NewReader(realFile(t)), DefaultRateBP)
	require.NoError(t, err)
	require.Len(t, v.Rows, 7)
	target, before, base := sum(v)
	assert.Equal(t, 1701, target)
	assert.Equal(t, 166, before)
	assert.Equal(t, 4141, base)
	assert.Equal(t, Village{Name: "Đông Lão", Households: 188, Persons: 825, Labour: 502, Unable: 11, Base: 491, Target: 202, Before: 43}, v.Rows[0])
	assert.Equal(t, "Thôn Sổng", v.Rows[2].Name)
	assert.Equal(t, "Số LĐ đã cài đặt năm 2023", v.Label(ColBefore))
	assert.Equal(t, "LĐ có khả năng lao động", v.Label(ColBase))
}

// What spreadsheets write: every variant must give the same 7 villages.
func TestParseVillagesSpreadsheetVariants(t *testing.T) {
	orig := string(realFile(t))
	utf16 := func(s string) []byte {
		out, _, err := transform.Bytes(xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder(), []byte(s))
		require.NoError(t, err)
		return out
	}
	cp1258 := func(s string) []byte {
		// Windows-1258 has a few precomposed letters and combining tone
		// marks: split each letter into what the code page can hold.
		enc := charmap.Windows1258.NewEncoder()
		var out []byte
		for _, r := range s {
			if b, err := enc.Bytes([]byte(string(r))); err == nil {
				out = append(out, b...)
				continue
			}
			d := []rune(norm.NFD.String(string(r)))
			ok := false
			for i := 1; i < len(d) && !ok; i++ { // move one mark out as a combining character
				rest := append(append([]rune{}, d[:i]...), d[i+1:]...)
				if b, err := enc.Bytes([]byte(norm.NFC.String(string(rest)) + string(d[i]))); err == nil {
					out, ok = append(out, b...), true
				}
			}
			require.True(t, ok, string(r))
		}
		return out
	}
	cases := []struct {
		name string
		data []byte
		why  string
	}{
		{"bom-crlf", []byte("\uFEFF" + strings.ReplaceAll(orig, "\n", "\r\n")), "Excel 'CSV UTF-8' on Windows"},
		{"lone-cr", []byte(strings.ReplaceAll(orig, "\n", "\r")), "old Mac line ends"},
		{"semicolon", []byte(strings.ReplaceAll(strings.ReplaceAll(orig, ",", ";"), "41.", "41,")), "Excel in a Vietnamese locale"},
		{"tab-utf16", utf16(strings.ReplaceAll(orig, ",", "\t")), "Excel 'Unicode text'"},
		{"cp1258", cp1258(orig), "Excel 'CSV' on a Vietnamese Windows"},
		{"title-and-numbering-rows", []byte("PHỤ LỤC,,,\nChỉ tiêu cài đặt chữ ký số năm 2024,,\n" +
			strings.Replace(orig, "\n", "\n1,2,3,4,5,6,7,8,9,10,11\n", 1) + "\n,Cộng,1815,7057,4225,84,4141,1701,41.1,166,1535\n\nGhi chú: các thôn cần tuyên truyền,,\n"), "the table as pasted from the plan"},
		{"nfd-headers", []byte(decomposed(orig)), "macOS writes decomposed diacritics"},
		{"quoted-thousands", []byte(strings.Replace(orig, "1,Đông Lão,188,825", "1,\"Đông Lão\",\"188\",\"0.825\"", 1)), "quoted cells and a thousands separator"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParseVillages(bytes.NewReader(tc.data), DefaultRateBP)
			require.NoError(t, err, tc.why)
			require.Len(t, v.Rows, 7, tc.why)
			target, before, _ := sum(v)
			assert.Equal(t, 1701, target, tc.why)
			assert.Equal(t, 166, before, tc.why)
			assert.Equal(t, "Đông Lão", v.Rows[0].Name, tc.why)
			assert.Equal(t, "Thôn Sành", v.Rows[6].Name, tc.why)
		})
	}
}

func decomposed(s string) string {
	return strings.NewReplacer("ô", "o\u0302", "ã", "a\u0303", "ả", "a\u0309", "ổ", "o\u0302\u0309").Replace(s)
}

func TestParseVillagesComputesTarget(t *testing.T) {
	cases := []struct {
		name, csv string
		want      []int
		why       string
	}{
		{"default-rate", "Thôn,LĐ có khả năng lao động\nĐông Lão,491\nSong Nga,740\n", []int{202, 304}, "no target column: ceil(41% × base)"},
		{"rate-column", "Thôn,LĐ có khả năng lao động,Tỷ lệ %\nA,491,41\nB,100,40%\n", []int{202, 40}, "rate per row"},
		{"english", "name,base,target,before\nA,491,202,43\n", []int{202}, "plain ASCII headers for scripts"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := ParseVillages(strings.NewReader(tc.csv), DefaultRateBP)
			require.NoError(t, err, tc.why)
			var got []int
			for _, r := range v.Rows {
				got = append(got, r.Target)
			}
			assert.Equal(t, tc.want, got, tc.why)
		})
	}
}

func TestParseVillagesErrors(t *testing.T) {
	cases := []struct {
		name, csv, want, why string
	}{
		{"empty", "", "Tệp trống", "an empty upload"},
		{"no-header", "a,b,c\n1,2,3\n", "Không tìm thấy dòng tiêu đề", "not an appendix at all"},
		{"bad-number", "Thôn,LĐ có khả năng lao động,Số LĐ cần có chữ ký số\nA,491,hai trăm\n", "Dòng 2, cột «Số LĐ cần có chữ ký số»: «hai trăm» không phải là số", "a typo in a number names line and column"},
		{"negative", "Thôn,LĐ có khả năng lao động\nA,-5\n", "Dòng 2", "negative counts are typos"},
		{"duplicate", "Thôn,Số LĐ cần có chữ ký số\nĐông Lão,1\nThôn Đông Lão,2\n", "bị lặp", "the same village twice would split its count"},
		{"no-rows", "Thôn,Số LĐ cần có chữ ký số\nCộng,5\n", "không có thôn nào", "only a total row"},
		{"broken-quote", "Thôn,Số LĐ cần có chữ ký số\n\"A,1\n", "", "an unterminated quote is read lazily, then fails on the number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseVillages(strings.NewReader(tc.csv), 0)
			require.Error(t, err, tc.why)
			var qe *Error
			require.ErrorAs(t, err, &qe)
			assert.Contains(t, err.Error(), tc.want, tc.why)
		})
	}
}

func TestTarget(t *testing.T) {
	cases := []struct {
		name               string
		base, rateBP, want int
	}{
		{"appendix-row-1", 491, 4100, 202},
		{"exact", 100, 4100, 41},
		{"float-trap", 100, 4100, 41}, // 0.41*100 = 41.00000000000001 in float64
		{"zero-base", 0, 4100, 0},
		{"all", 7, 10000, 7},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, Target(tc.base, tc.rateBP), tc.name)
	}
}

func TestParseRateBP(t *testing.T) {
	for in, want := range map[string]int{"41": 4100, "41%": 4100, "41,1": 4110, "41.05": 4105, "0.41": 4100, "100": 10000} {
		got, ok := parseRateBP(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"abc", "101", "1e3"} {
		_, ok := parseRateBP(in)
		assert.False(t, ok, in)
	}
}

func TestKey(t *testing.T) {
	assert.Equal(t, Key("Đông Lão"), Key("  thôn  đông lão "))
	assert.Equal(t, Key("Thôn Sổng"), Key("Sổng"))
	assert.NotEqual(t, Key("Thôn Sổng"), Key("Thôn Song"), "diacritics tell villages apart")
	assert.Equal(t, Key("TDP 3"), Key("3"))
	assert.Equal(t, "thôn", Key("Thôn"), "a bare prefix stays a name")
}

func TestParseAssociations(t *testing.T) {
	a, err := ParseAssociations(strings.NewReader("\uFEFFĐoàn thể,Chỉ tiêu\r\nHội Nông dân,280\r\nHội Phụ nữ,280\r\nHội Cựu chiến binh,280\r\nĐoàn Thanh niên,280\r\n"))
	require.NoError(t, err)
	require.Len(t, a, 4)
	assert.Equal(t, Association{Name: "Hội Phụ nữ", Target: 280}, a[1])

	a, err = ParseAssociations(strings.NewReader("Hội Nông dân;280;12\n"))
	require.NoError(t, err, "headerless, semicolons")
	assert.Equal(t, []Association{{Name: "Hội Nông dân", Target: 280, Before: 12}}, a)

	_, err = ParseAssociations(strings.NewReader("Đoàn thể,Chỉ tiêu\nHội Nông dân,nhiều\n"))
	assert.ErrorContains(t, err, "Dòng 2")
}

func TestParseRounds(t *testing.T) {
	want := []Round{{Name: "Đợt 1", From: "2024-06-05", To: "2024-06-07"}, {Name: "Đợt 2", From: "2024-08-05", To: "2024-08-07"}, {Name: "Đợt 3", From: "2024-09-17", To: "2024-09-19"}}
	cases := []struct{ name, csv, why string }{
		{"from-to", "Đợt,Từ ngày,Đến ngày\nĐợt 1,05/06/2024,07/06/2024\nĐợt 2,5/8/2024,7/8/2024\nĐợt 3,2024-09-17,2024-09-19\n", "explicit columns"},
		{"plan-table", "TT\tNgày\tĐịa điểm\nĐợt 1\t03 ngày (05-07/6/2024)\tNhà văn hóa 7 thôn\nĐợt 2\t03 ngày (05-07/8/2024)\tNhà văn hóa 7 thôn\nĐợt 3\t03 ngày (17-19/9/2024)\tNhà văn hóa 7 thôn\n", "the table as written in the Cẩm Ngọc plan"},
		{"headerless", "Đợt 1,05/06/2024,07/06/2024\nĐợt 2,05/08/2024,07/08/2024\nĐợt 3,17/09/2024,19/09/2024\n", "typed into the settings box"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := ParseRounds(strings.NewReader(tc.csv))
			require.NoError(t, err, tc.why)
			assert.Equal(t, want, r, tc.why)
		})
	}
	_, err := ParseRounds(strings.NewReader("Đợt 1,05/06/2024,07/06/2024\nĐợt 2,06/06/2024,08/06/2024\n"))
	assert.ErrorContains(t, err, "trùng ngày")
	_, err = ParseRounds(strings.NewReader("Đợt 1,07/06/2024,05/06/2024\n"))
	assert.ErrorContains(t, err, "kết thúc trước")
	_, err = ParseRounds(strings.NewReader("Đợt 1,32/13/2024,05/06/2024\n"))
	assert.ErrorContains(t, err, "không phải là ngày")
}

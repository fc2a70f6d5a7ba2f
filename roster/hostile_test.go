package roster_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/charmap"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/kyso-vn/kyso/roster"
)

// requireError checks that a bad file is refused with a code and a
// Vietnamese message, and that nothing is returned with it.
func requireError(t *testing.T, data io.Reader, opts roster.Options, code string) *roster.Error {
	t.Helper()
	opts.ReferenceDate = refDay
	res, err := roster.Parse(data, "f", opts)
	require.Error(t, err)
	assert.Equal(t, roster.Result{}, res, "nothing half-read")
	e, ok := roster.AsError(err)
	require.True(t, ok, "%T %v", err, err)
	assert.Equal(t, code, e.Code, e.Message)
	assert.NotEmpty(t, e.Message)
	return e
}

// A 1×1 PNG: what a phone photo of the book looks like to the upload.
const pngBase64 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="

func TestParseRefusesWhatIsNotASpreadsheet(t *testing.T) {
	png, err := base64.StdEncoding.DecodeString(pngBase64)
	require.NoError(t, err)
	var otherZip bytes.Buffer
	zw := zip.NewWriter(&otherZip)
	w, _ := zw.Create("word/document.xml")
	_, _ = w.Write([]byte("<w:document/>"))
	require.NoError(t, zw.Close())
	cases := []struct {
		name string
		data []byte
		code string
	}{
		{"PNG renamed .xlsx", png, roster.CodeNotSpreadsheet},
		{"a zip that is not a workbook", otherZip.Bytes(), roster.CodeNotSpreadsheet},
		{"old .xls (or a password)", append([]byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"), make([]byte, 600)...), roster.CodeNotSpreadsheet},
		{"PDF", []byte("%PDF-1.4\n%\xE2\xE3\xCF\xD3\n1 0 obj\x00\x00\x01\x02"), roster.CodeNotSpreadsheet},
		{"empty", nil, roster.CodeEmpty},
		{"blank lines", []byte("\uFEFF\r\n \r\n"), roster.CodeEmpty},
		{"truncated xlsx", layoutTitleMerged(t)[:2000], roster.CodeNotSpreadsheet},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := requireError(t, bytes.NewReader(tc.data), roster.Options{}, tc.code)
			if tc.code == roster.CodeNotSpreadsheet {
				assert.Contains(t, e.Message, "Tệp không phải bảng tính")
			}
		})
	}
}

func TestParseFormulasAreNeverRun(t *testing.T) {
	csv := "Họ và tên;Ngày sinh;Số CCCD;Thôn\n" +
		`"=HYPERLINK(""http://x"";""Nguyễn Văn A"")";01/01/1980;038080000001;Đông Lão` + "\n" +
		"Nguyễn Văn Bảy;01/01/1981;=1+2;=cmd|'/c calc'!A0\n" +
		"@SUM(1);01/01/1982;;Đông Lão\n"
	r := parse(t, []byte(csv), "f.csv", roster.Options{})
	require.Len(t, r.People, 1)
	p := r.People[0]
	assert.Equal(t, "Nguyễn Văn Bảy", p.Name)
	assert.Empty(t, p.CCCD)
	assert.Empty(t, p.Village)
	assert.Equal(t, []roster.Skip{{2, "Họ tên không hợp lệ (có số hoặc ký tự lạ)"}, {4, "Họ tên không hợp lệ (có số hoặc ký tự lạ)"}}, r.Skipped)
	assert.Equal(t, []roster.Skip{
		{3, "Số CCCD có chữ hoặc ký tự lạ — đã nhập người này nhưng không kèm số CCCD"},
		{3, "Tên thôn có ký tự lạ, đã bỏ"},
	}, r.Invalid)
}

func TestParseSheetChoice(t *testing.T) {
	data := layoutNumbers(t)
	t.Run("wrong sheet names the sheets", func(t *testing.T) {
		e := requireError(t, bytes.NewReader(data), roster.Options{Sheet: "Thôn Sổng"}, roster.CodeNoSheet)
		assert.Equal(t, []string{"Hướng dẫn", "Danh sách"}, e.Sheets)
		assert.Equal(t, "Không có trang tính «Thôn Sổng». Các trang có trong tệp: «Hướng dẫn», «Danh sách».", e.Message)
	})
	t.Run("named sheet, any case and accents", func(t *testing.T) {
		r := parse(t, data, "f.xlsx", roster.Options{Sheet: "DANH SACH"})
		assert.Equal(t, "Danh sách", r.Sheet)
		assert.Len(t, r.People, 6)
	})
	t.Run("a named sheet without a header", func(t *testing.T) {
		e := requireError(t, bytes.NewReader(data), roster.Options{Sheet: "Hướng dẫn"}, roster.CodeNoColumn)
		assert.Equal(t, roster.FieldName, e.Field)
	})
}

func TestParseMappingStep(t *testing.T) {
	// Headers nobody foresaw: the UI shows them and the official maps them.
	csv := "Danh sách cử tri\n" +
		"TT,Cử tri,Sinh,Mã số,Nơi ở\n" +
		"1,Nguyễn Văn An,1970,038070000001,Đông Lão\n" +
		"2,Trần Thị Bình,1975,038175000002,Đông Lão\n"
	e := requireError(t, strings.NewReader(csv), roster.Options{}, roster.CodeNoColumn)
	assert.Equal(t, roster.FieldName, e.Field)
	assert.Equal(t, []string{"TT", "Cử tri", "Sinh", "Mã số", "Nơi ở"}, e.Headers)
	assert.Equal(t, 2, e.HeaderRow)
	assert.Contains(t, e.Message, "«Họ và tên»")
	assert.Contains(t, e.Message, "«Cử tri»")

	r := parse(t, []byte(csv), "f.csv", roster.Options{Mapping: map[string]string{
		roster.FieldName: "cu tri", roster.FieldBirthDate: "Sinh", roster.FieldCCCD: "4",
	}})
	assert.Equal(t, counts{rows: 2, people: 2, households: 2, eligible: 2}, countsOf(r))
	assert.Equal(t, "038175000002", r.People[1].CCCD)
	assert.Equal(t, "Đông Lão", r.People[1].Village, "a short address is the village's name")
	assert.Equal(t, map[string]string{"name": "Cử tri", "birth_date": "Sinh", "cccd": "Mã số", "address": "Nơi ở"}, r.Columns)

	e = requireError(t, strings.NewReader(csv), roster.Options{Mapping: map[string]string{roster.FieldName: "Họ tên"}}, roster.CodeBadMapping)
	assert.Equal(t, roster.FieldName, e.Field)
	e = requireError(t, strings.NewReader(csv), roster.Options{Mapping: map[string]string{"status": "Sinh"}}, roster.CodeBadMapping)
	assert.Equal(t, "status", e.Field)
}

// rowGen streams a CSV of n rows without holding it.
type rowGen struct {
	n, max int
	buf    []byte
	read   int64
}

func (g *rowGen) Read(p []byte) (int, error) {
	if g.n == 0 && len(g.buf) == 0 {
		g.buf = append(g.buf, "STT;Họ và tên;Ngày sinh;Số CCCD\n"...)
	}
	for len(g.buf) < len(p) && g.n < g.max {
		g.n++
		g.buf = strconv.AppendInt(g.buf, int64(g.n), 10)
		g.buf = append(g.buf, ";Nguyễn Văn An "...)
		for k := g.n; k > 0; k /= 26 { // a distinct name per row, letters only
			g.buf = append(g.buf, byte('a'+k%26))
		}
		g.buf = append(g.buf, ";01/01/1980;\n"...)
	}
	if len(g.buf) == 0 {
		return 0, io.EOF
	}
	k := copy(p, g.buf)
	g.buf = g.buf[k:]
	g.read += int64(k)
	return k, nil
}

func TestParseLimits(t *testing.T) {
	t.Run("a million rows stop at MaxRows", func(t *testing.T) {
		// MaxRows is lowered to keep the test fast; the default (200,000)
		// takes the same path.
		g := &rowGen{max: 1_000_000}
		e := requireError(t, g, roster.Options{MaxRows: 20_000}, roster.CodeTooManyRows)
		assert.Equal(t, "Tệp có quá nhiều dòng (tối đa 20000 dòng). Vui lòng chia nhỏ theo thôn hoặc theo hội.", e.Message)
		assert.Less(t, g.n, 25_000, "streamed: reading stopped near the limit")
		assert.Equal(t, 200_000, roster.DefaultMaxRows)
	})
	t.Run("a lower MaxRows", func(t *testing.T) {
		g := &rowGen{max: 1_000_000}
		requireError(t, g, roster.Options{MaxRows: 1000}, roster.CodeTooManyRows)
		assert.Less(t, g.n, 5000)
		r := parse(t, mustRead(t, &rowGen{max: 1000}), "f.csv", roster.Options{MaxRows: 1000})
		assert.Len(t, r.People, 1000, "exactly MaxRows is fine")
	})
	t.Run("XLSX rows past MaxRows", func(t *testing.T) {
		requireError(t, bytes.NewReader(layoutTitleMerged(t)), roster.Options{MaxRows: 5}, roster.CodeTooManyRows)
	})
	t.Run("CSV over 50 MB", func(t *testing.T) {
		// 52 rows with a 1 MB note each: under the row and line limits.
		parts := []io.Reader{strings.NewReader("Họ và tên;Ghi chú\n")}
		for i := 0; i < 52; i++ {
			parts = append(parts, strings.NewReader("Nguyễn Văn An;"), &zeros{n: 1<<20 - 100, b: 'x'}, strings.NewReader("\n"))
		}
		e := requireError(t, io.MultiReader(parts...), roster.Options{}, roster.CodeTooLarge)
		assert.Equal(t, "Tệp quá lớn (tối đa 50 MB).", e.Message)
	})
	t.Run("a line of many megabytes", func(t *testing.T) {
		big := io.MultiReader(strings.NewReader("Họ và tên;Ghi chú\nNguyễn Văn An;"), &zeros{n: 20 << 20, b: 'x'})
		requireError(t, big, roster.Options{}, roster.CodeUnreadable)
	})
	t.Run("XLSX over 50 MB", func(t *testing.T) {
		big := io.MultiReader(strings.NewReader("PK\x03\x04"), &zeros{n: 51 << 20})
		requireError(t, big, roster.Options{}, roster.CodeTooLarge)
	})
	t.Run("a smaller byte limit", func(t *testing.T) {
		requireError(t, bytes.NewReader(layoutMembersCSV()), roster.Options{MaxBytes: 100}, roster.CodeTooLarge)
	})
}

type zeros struct {
	n int
	b byte
}

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	if len(p) > z.n {
		p = p[:z.n]
	}
	for i := range p {
		p[i] = z.b
	}
	z.n -= len(p)
	return len(p), nil
}

func mustRead(t *testing.T, r io.Reader) []byte {
	b, err := io.ReadAll(r)
	require.NoError(t, err)
	return b
}

// What Excel and other programs write for the same members list.
func TestParseCSVEncodings(t *testing.T) {
	orig := string(layoutMembersCSV())
	plain := strings.TrimPrefix(orig, "\uFEFF")
	enc := func(e transform.Transformer, s string) []byte {
		b, _, err := transform.Bytes(e, []byte(s))
		require.NoError(t, err)
		return b
	}
	cases := []struct {
		name string
		data []byte
	}{
		{"UTF-8 without BOM, LF", []byte(strings.ReplaceAll(plain, "\r\n", "\n"))},
		{"comma separated, quoted", []byte(strings.ReplaceAll(strings.ReplaceAll(plain, `="038196004001"`, `"=""038196004001"""`), ";", ","))},
		{"tab separated UTF-16 (Unicode text)", enc(xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder(), strings.ReplaceAll(plain, ";", "\t"))},
		{"Excel sep= hint", []byte("sep=;\r\n" + plain)},
		{"Windows-1258", cp1258(t, plain)},
		{"decomposed (macOS)", []byte(decompose(plain))},
	}
	want := parse(t, []byte(orig), "f.csv", roster.Options{Kind: roster.Members, Association: "Hội Phụ nữ"})
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := parse(t, tc.data, "f.csv", roster.Options{Kind: roster.Members, Association: "Hội Phụ nữ"})
			assert.Equal(t, keys(want), keys(r))
			assert.Equal(t, want.People, r.People)
			assert.Equal(t, countsOf(want), countsOf(r))
		})
	}
}

// cp1258 encodes s as Windows-1258, which holds some letters precomposed and
// others as a base letter plus a combining tone mark.
func cp1258(t *testing.T, s string) []byte {
	e := charmap.Windows1258.NewEncoder()
	var out []byte
	for _, r := range s {
		if b, err := e.Bytes([]byte(string(r))); err == nil {
			out = append(out, b...)
			continue
		}
		d := []rune(decompose(string(r)))
		ok := false
		for i := 1; i < len(d) && !ok; i++ {
			rest := append(append([]rune{}, d[:i]...), d[i+1:]...)
			if b, err := e.Bytes([]byte(compose(string(rest)) + string(d[i]))); err == nil {
				out, ok = append(out, b...), true
			}
		}
		require.True(t, ok, string(r))
	}
	return out
}

func TestParseInvalidCCCDs(t *testing.T) {
	csv := "Họ và tên,Ngày sinh,Giới tính,CMND/CCCD\n" +
		"Nguyễn Văn Một,01/01/1980,Nam,099080000001\n" + // no province 099
		"Nguyễn Văn Hai,01/01/1980,Nam,99080000001\n" + // a number cell: 0 restored, still no province 099
		"Nguyễn Văn Ba,01/01/1980,Nam,0380800000012\n" + // 13 digits
		"Nguyễn Văn Bốn,01/01/1980,Nam,038 080 000 004\n" + // fine
		"Nguyễn Thị Năm,01/01/1980,Nữ,038080000005\n" // a man's card for a woman's row: the card wins
	r := parse(t, []byte(csv), "f.csv", roster.Options{})
	assert.Equal(t, counts{rows: 5, people: 5, households: 5, eligible: 5, noCCCD: 3, invalid: 4}, countsOf(r))
	assert.Equal(t, []roster.Skip{
		{2, "3 số đầu của số CCCD không phải mã tỉnh — đã nhập người này nhưng không kèm số CCCD"},
		{3, "3 số đầu của số CCCD không phải mã tỉnh — đã nhập người này nhưng không kèm số CCCD"},
		{4, "Số CCCD không đủ 12 chữ số — đã nhập người này nhưng không kèm số CCCD"},
	}, r.Invalid[:3])
	assert.Equal(t, "name:nguyễn văn một|1980-01-01|", r.People[0].Key)
	assert.Equal(t, "038080000004", r.People[3].CCCD)
	assert.Equal(t, "male", r.People[4].Gender)
	assert.Equal(t, roster.Skip{Row: 6, Reason: "Giới tính không khớp với số CCCD, lấy theo CCCD"}, r.Invalid[3])
	for _, s := range append(r.Invalid, r.Skipped...) {
		assert.NotContains(t, s.Reason, "0380", "reasons never quote a CCCD")
	}
}

func TestParseDuplicates(t *testing.T) {
	csv := "Họ và tên;Ngày sinh;Số CCCD;Số điện thoại;Thôn\n" +
		"Nguyễn Văn An;01/02/1970;;;Đông Lão\n" +
		"Nguyễn Văn An;01/02/1970;038070000009;0912000009;Đông Lão\n" + // the same man, now with his card
		"nguyễn  văn an;01/02/1970;;;Thôn Đông Lão\n" + // again, typed differently
		"Nguyễn Văn An;01/02/1971;;;Đông Lão\n" + // another man of the same name
		"Lê Thị Hoa;1965;;;Song Nga\n" +
		"Lê Thị Hoa;1965;;0988000001;Song Nga\n"
	r := parse(t, []byte(csv), "f.csv", roster.Options{})
	assert.Equal(t, counts{rows: 6, people: 3, households: 3, eligible: 3, noCCCD: 2, merged: 3}, countsOf(r))
	an := r.People[0]
	assert.Equal(t, "cccd:038070000009", an.Key, "the card found later keys the person")
	assert.Equal(t, "0912000009", an.Phone)
	assert.Equal(t, "Nguyễn Văn An", an.Name)
	assert.Equal(t, "0988000001", r.People[2].Phone)
	assert.Equal(t, []roster.Skip{{3, "Trùng với người ở dòng 2, đã gộp làm một"}, {4, "Trùng với người ở dòng 2, đã gộp làm một"},
		{7, "Trùng với người ở dòng 6, đã gộp làm một"}}, r.Merged)
	sum := r.Summary()
	assert.Equal(t, 3, sum.People)
	assert.Len(t, sum.Skipped, 3, "the reply lists merged rows too")
}

func TestParseVNPTStatuses(t *testing.T) {
	csv := "BÁO CÁO THUÊ BAO SMARTCA\n\n" +
		"STT,Số CMND/CCCD,Họ tên thuê bao,Số thuê bao,Thời gian kích hoạt,Tình trạng\n" +
		"1,38179000501,HÀ THỊ TRANG,84992619427,21/11/2024 08:15:33,Hoạt động\n" +
		"2,038083000502,VŨ QUANG AN,,2024-11-22,Chưa kích hoạt\n" +
		"3,038099000503,HÀ MINH HÙNG,,45618,Active\n" +
		"4,038099000504,HÀ HỮU LONG,,,Inactive\n" +
		"5,038199000505,HÀ HỒNG HƯƠNG,,22/11/2024,Thành công\n" +
		"6,038199000505,HÀ HỒNG HƯƠNG,,21/11/2024,Đã kích hoạt\n" +
		"7,12345,NGUYỄN VĂN X,,21/11/2024,Đã kích hoạt\n" +
		",Tổng cộng,,,,\n"
	rep, err := roster.ParseVNPT(strings.NewReader(csv), "r.csv", roster.Options{})
	require.NoError(t, err)
	assert.Equal(t, 8, rep.Rows)
	assert.Equal(t, 3, rep.Activated)
	require.Len(t, rep.Activations, 5)
	assert.Equal(t, "038179000501", rep.Activations[0].CCCD)
	assert.Equal(t, "0992619427", rep.Activations[0].Phone)
	assert.Equal(t, "2024-11-21", rep.Activations[0].ActivatedAt)
	assert.Equal(t, "Hà Thị Trang", rep.Activations[0].Name)
	assert.False(t, rep.Activations[1].Activated)
	assert.Equal(t, "2024-11-22", rep.Activations[2].ActivatedAt, "serial 45618")
	assert.False(t, rep.Activations[3].Activated)
	assert.Equal(t, roster.Activation{Row: 8, CCCD: "038199000505", Name: "Hà Hồng Hương", ActivatedAt: "2024-11-21",
		Status: "Đã kích hoạt", Activated: true}, rep.Activations[4], "the earlier activation of a repeated CCCD")
	assert.Equal(t, []roster.Skip{{9, "Số CCCD không đủ 12 chữ số, không đối chiếu được"}, {10, "Dòng tổng cộng"}}, rep.Skipped)
	assert.Equal(t, []roster.Skip{{8, "Trùng số CCCD với dòng 7, đã gộp làm một"}}, rep.Merged)

	_, err = roster.ParseVNPT(strings.NewReader("Họ tên,Số điện thoại\nA,0912000000\n"), "r.csv", roster.Options{})
	e, ok := roster.AsError(err)
	require.True(t, ok)
	assert.Equal(t, roster.CodeNoColumn, e.Code)
	assert.Equal(t, roster.FieldCCCD, e.Field)
}

// XML the fast row reader does not read (a CDATA section) is read again with
// excelize: the result is the same.
func TestParseFallsBackToExcelize(t *testing.T) {
	data := layoutRelation(t)
	want := parse(t, data, "f.xlsx", roster.Options{})
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	patched := false
	for _, zf := range zr.File {
		rc, err := zf.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		if zf.Name == "xl/worksheets/sheet1.xml" {
			s := strings.Replace(string(b), "</row></sheetData>",
				`<c r="Z11" t="inlineStr"><is><t><![CDATA[ghi chú]]></t></is></c></row></sheetData>`, 1)
			patched = s != string(b)
			b = []byte(s)
		}
		w, err := zw.Create(zf.Name)
		require.NoError(t, err)
		_, err = w.Write(b)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	require.True(t, patched)
	got := parse(t, out.Bytes(), "f.xlsx", roster.Options{})
	assert.Equal(t, want, got)
}

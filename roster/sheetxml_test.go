package roster

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// sameRows reads every sheet of a workbook with fastSheet and with excelize
// (raw values) and requires the same rows.
func sameRows(t *testing.T, data []byte) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	require.NoError(t, err)
	defer f.Close()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err)
	paths, sstPart := sheetPaths(data)
	sst, err := readSST(zr, sstPart)
	require.NoError(t, err)
	for _, name := range f.GetSheetList() {
		want, err := f.GetRows(name, excelize.Options{RawCellValue: true})
		require.NoError(t, err)
		fs, err := openFastSheet(zr, paths[name], sst)
		require.NoError(t, err)
		var got [][]string
		for fs.Next() {
			n, cells := fs.Row()
			require.Equal(t, len(got)+1, n)
			got = append(got, append([]string(nil), cells...))
		}
		require.NoError(t, fs.Err())
		// excelize drops trailing empty rows; so may we.
		for len(got) > len(want) && len(got[len(got)-1]) == 0 {
			got = got[:len(got)-1]
		}
		for i := range want {
			if len(want[i]) == 0 {
				want[i] = nil
			}
		}
		for i := range got {
			if len(got[i]) == 0 {
				got[i] = nil
			}
		}
		assert.Equal(t, want, got, name)
	}
}

func TestFastSheetMatchesExcelize(t *testing.T) {
	for _, name := range []string{"so-ho-dong-lao.xlsx", "vnpt-smartca-sample.xlsx"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(t, err)
		t.Run(name, func(t *testing.T) { sameRows(t, data) })
	}
	t.Run("generated", func(t *testing.T) {
		f := excelize.NewFile()
		defer f.Close()
		rows := [][]any{
			{"Họ và tên", "A & B <c> \"d\" 'e'", 38179000501, 3.5, true, nil, "x"},
			{nil, nil, "=not a formula", "  spaced  ", "line\nbreak"},
			{},
			{"Tổng cộng"},
		}
		for r, row := range rows {
			for c, v := range row {
				if v == nil {
					continue
				}
				ax, _ := excelize.CoordinatesToCellName(c+1, r+1)
				require.NoError(t, f.SetCellValue("Sheet1", ax, v))
			}
		}
		require.NoError(t, f.SetCellFormula("Sheet1", "F1", "=1+1"))
		require.NoError(t, f.SetCellRichText("Sheet1", "A6", []excelize.RichTextRun{{Text: "Nguyễn "}, {Text: "Văn A", Font: &excelize.Font{Bold: true}}}))
		var buf bytes.Buffer
		require.NoError(t, f.Write(&buf))
		sameRows(t, buf.Bytes())
	})
}

func TestUnescape(t *testing.T) {
	assert.Equal(t, `a&b<c>"d"'e' é_x`, unescape([]byte(`a&amp;b&lt;c&gt;&quot;d&quot;&apos;e&apos; &#233;_x`)))
	assert.Equal(t, "a\rb", unescape([]byte("a_x000D_b")))
	assert.Equal(t, "&bogus;", unescape([]byte("&bogus;")))
}

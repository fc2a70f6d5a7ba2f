package export

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/tally"
)

func TestCSVDefusesFormulas(t *testing.T) {
	var buf bytes.Buffer
	rows := []Completion{
		{Name: "=HYPERLINK(\"http://x\")", CCCD: "038090000001", Note: "+1"},
		{Name: "Lê Thị Ánh, \"Út\"", CCCD: "001200000004", Note: "-"},
	}
	require.NoError(t, WriteCompletionsCSV(&buf, SliceRows(rows)))
	out := buf.String()
	assert.True(t, strings.HasPrefix(out, BOM))
	assert.Contains(t, out, `"'=HYPERLINK(""http://x"")"`, "a typed formula stays text")
	assert.Contains(t, out, ",'+1\r\n")
	assert.Contains(t, out, `"Lê Thị Ánh, ""Út"""`, "commas and quotes are quoted")
	assert.Contains(t, out, ",001200000004,", "digits are never altered")
}

func TestCompletionsXLSXEmpty(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteCompletionsXLSX(&buf, "Tiêu đề", "Phụ đề", SliceRows(nil)))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	rows, err := f.GetRows(CompletionsSheet)
	require.NoError(t, err)
	require.Len(t, rows, CompletionsHeaderRow, "an empty list still has its header")
	assert.Equal(t, Columns, rows[CompletionsHeaderRow-1])
}

func TestSummaryWithoutAppendixColumns(t *testing.T) {
	v, err := quota.ParseVillages(strings.NewReader("Thôn,Chỉ tiêu\nA,10\n"), 0)
	require.NoError(t, err)
	p := tally.Compute(quota.Plan{Villages: v}, tally.Snapshot{Today: "2024-06-05"}, time.Now())
	var buf bytes.Buffer
	require.NoError(t, WriteSummaryXLSX(&buf, Summary{Title: "T", Updated: time.Now(), Villages: v, Progress: p}))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	rows, err := f.GetRows(SummarySheet)
	require.NoError(t, err)
	assert.Equal(t, "Chỉ tiêu", rows[SummaryHeaderRow-1][7], "the file's own header")
	assert.Equal(t, "Tổng số hộ", rows[SummaryHeaderRow-1][2], "a default header where the file had none")
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{"Thôn Sổng": "thon-song", "Đông Lão": "dong-lao", "TDP 3 / Quảng Châu": "tdp-3-quang-chau", "": ""} {
		assert.Equal(t, want, Slug(in), in)
	}
}

func TestDefuseAfterBlanks(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"plain name stays", "Nguyễn Văn An", "Nguyễn Văn An"},
		{"formula", "=1+1", "'=1+1"},
		{"formula after a space: spreadsheets trim it and evaluate", " =HYPERLINK(\"http://x\")", "' =HYPERLINK(\"http://x\")"},
		{"formula after a newline", "\n=1+1", "'\n=1+1"},
		{"minus after tabs", "\t\t-2+3", "'\t\t-2+3"},
		{"at sign", "@SUM(A1)", "'@SUM(A1)"},
		{"a phone is not a formula", "0912345678", "0912345678"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { assert.Equal(t, c.want, defuse(c.in)) })
	}
}

// TestCompletionsXLSXContinuesPastTheSheetLimit: Excel refuses a sheet past
// 1,048,576 rows; the list goes on on the next sheet, numbering carried on.
func TestCompletionsXLSXContinuesPastTheSheetLimit(t *testing.T) {
	old := MaxSheetRows
	MaxSheetRows = CompletionsHeaderRow + 10
	defer func() { MaxSheetRows = old }()
	var rows []Completion
	for i := 0; i < 25; i++ {
		rows = append(rows, Completion{Name: "Phạm Thị Lan", CCCD: "038175001234", Village: "Đông Lão"})
	}
	var buf bytes.Buffer
	require.NoError(t, WriteCompletionsXLSX(&buf, "Tiêu đề", "Phụ đề", SliceRows(rows)))
	f, err := excelize.OpenReader(&buf)
	require.NoError(t, err)
	assert.Equal(t, []string{"Danh sách", "Danh sách (2)", "Danh sách (3)"}, f.GetSheetList())
	last, err := f.GetRows("Danh sách (3)")
	require.NoError(t, err)
	assert.Equal(t, "25", last[len(last)-1][0])
	assert.Equal(t, Columns, last[CompletionsHeaderRow-1])
}

package ward

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/kyso-vn/kyso/ward/export"
)

// seedExports stores: two citizens of Đông Lão (one helped twice), one of
// Thôn Sổng, one failure in Song Nga.
func seedExports(t *testing.T, h *harness) {
	t.Helper()
	require.Equal(t, 200, h.push("kiosk-a", tokA,
		rec("kiosk-a", 1, cccd(1), "Đông Lão", true),
		rec("kiosk-a", 2, cccd(2), "thôn đông lão", true),
		rec("kiosk-a", 3, cccd(3), "Song Nga", false),
	).status)
	require.Equal(t, 200, h.push("kiosk-b", tokB,
		rec("kiosk-b", 1, cccd(1), "Đông Lão", true),
		rec("kiosk-b", 2, "001200000004", "Thôn Sổng", true),
	).status)
}

func readXLSX(t *testing.T, b []byte, sheet string) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	require.NoError(t, err)
	defer f.Close()
	rows, err := f.GetRows(sheet)
	require.NoError(t, err)
	return rows
}

func TestExportCompletions(t *testing.T) {
	h := start(t, testConfig(t))
	seedExports(t, h)
	auth := map[string]string{"Authorization": "Basic " + basic("admin", adminPW)}

	r := do(t, nil, "GET", h.url+"/export/completions.csv", nil, auth)
	require.Equal(t, 200, r.status, string(r.body))
	assert.True(t, bytes.HasPrefix(r.body, []byte("\xEF\xBB\xBF")), "UTF-8 BOM for Excel")
	assert.Contains(t, r.header.Get("Content-Disposition"), "attachment")
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(r.body), export.BOM)), "\r\n")
	require.Len(t, lines, 4, "header + one line per counted citizen")
	assert.Equal(t, "STT,Họ và tên,Ngày sinh,Giới tính,Số CCCD,Số điện thoại,Thôn/TDP,Đoàn thể,Ngày hỗ trợ,Kết quả,Người hỗ trợ,Ghi chú", lines[0])
	assert.Equal(t, "1,Nguyễn Thị Hằng 1,17/05/1990,Nữ,038100000001,0912345678,Đông Lão,Hội Phụ nữ,05/06/2024,Đã kích hoạt,Đỗ Văn Tình,", lines[1])
	assert.Contains(t, lines[2], ",Đông Lão,", "a spelling variant is filed under the plan's name")
	assert.Contains(t, lines[3], "001200000004,", "the leading zeros of a Hà Nội CCCD are kept")
	assert.Contains(t, lines[3], "Thôn Sổng")

	r = do(t, nil, "GET", h.url+"/export/completions.xlsx", nil, auth)
	require.Equal(t, 200, r.status, string(r.body))
	rows := readXLSX(t, r.body, export.CompletionsSheet)
	require.Len(t, rows, export.CompletionsHeaderRow+3)
	assert.Contains(t, rows[0][0], "DANH SÁCH CÔNG DÂN")
	assert.Equal(t, export.Columns, rows[export.CompletionsHeaderRow-1])
	first := rows[export.CompletionsHeaderRow]
	assert.Equal(t, []string{"1", "Nguyễn Thị Hằng 1", "17/05/1990", "Nữ", "038100000001", "0912345678", "Đông Lão", "Hội Phụ nữ", "05/06/2024", "Đã kích hoạt", "Đỗ Văn Tình"}, first)
	assert.Equal(t, "001200000004", rows[export.CompletionsHeaderRow+2][4])

	// Every attempt: failures with their reason, repeat activations noted.
	r = do(t, nil, "GET", h.url+"/export/completions.xlsx?all=1", nil, auth)
	rows = readXLSX(t, r.body, export.CompletionsSheet)
	require.Len(t, rows, export.CompletionsHeaderRow+5)
	body := strings.Join(flatten(rows), "|")
	assert.Contains(t, body, "Không thành công|Đỗ Văn Tình|Không có email")
	assert.Contains(t, body, "Trùng CCCD")

	// One village's list for its head.
	r = do(t, nil, "GET", h.url+"/export/completions.xlsx?village=Đông%20Lão", nil, auth)
	require.Equal(t, 200, r.status)
	assert.Contains(t, r.header.Get("Content-Disposition"), "danh-sach-dong-lao-")
	rows = readXLSX(t, r.body, export.CompletionsSheet)
	require.Len(t, rows, export.CompletionsHeaderRow+2)
	assert.Contains(t, rows[1][0], "Thôn/TDP: Đông Lão")
	for _, row := range rows[export.CompletionsHeaderRow:] {
		assert.Equal(t, "Đông Lão", row[6])
	}
	r = do(t, nil, "GET", h.url+"/export/completions.csv?village=Thôn%20Sổng", nil, auth)
	assert.Equal(t, 2, strings.Count(strings.TrimSpace(string(r.body)), "\n")+1)
}

func flatten(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

func TestExportSummary(t *testing.T) {
	h := start(t, testConfig(t))
	seedExports(t, h)
	auth := map[string]string{"Authorization": "Basic " + basic("admin", adminPW)}
	r := do(t, nil, "GET", h.url+"/export/summary.xlsx", nil, auth)
	require.Equal(t, 200, r.status, string(r.body))
	rows := readXLSX(t, r.body, export.SummarySheet)
	hdr := rows[export.SummaryHeaderRow-1]
	assert.Equal(t, []string{"TT", "Thôn", "Tổng số hộ", "Tổng số khẩu", "Tổng số lao động", "LĐ không có khả năng LĐ", "LĐ có khả năng lao động",
		"Số LĐ cần có chữ ký số năm 2024 (tối thiểu)", "Tỷ lệ % (8/9*100)", "Số LĐ đã cài đặt năm 2023", "Số LĐ cần cài đặt năm 2024 (tối thiểu)"}, hdr[:11],
		"the appendix's own headers")
	assert.Equal(t, export.SummaryActualColumns, hdr[11:])
	dl := rows[export.SummaryHeaderRow+1] // after the row of column numbers
	assert.Equal(t, []string{"1", "Đông Lão", "188", "825", "502", "11", "491", "202", "41.1", "43", "159", "2", "45", "22.3", "157", "9.2"}, dl)
	total := rows[export.SummaryHeaderRow+1+7]
	assert.Equal(t, "Cộng", total[1])
	assert.Equal(t, "1,701", total[7])
	assert.Equal(t, "166", total[9])
	assert.Equal(t, "3", total[11], "three citizens counted")
	days := readXLSX(t, r.body, "Theo ngày")
	assert.Equal(t, []string{"05/06/2024", "3", "3"}, days[export.SummaryHeaderRow])
}

func TestExportsNeedAdmin(t *testing.T) {
	h := start(t, testConfig(t))
	for _, path := range []string{"/export/completions.csv", "/export/completions.xlsx", "/export/summary.xlsx"} {
		r := do(t, nil, "GET", h.url+path, nil, nil)
		assert.Equal(t, 401, r.status, path)
		assert.Contains(t, r.header.Get("WWW-Authenticate"), "Basic", path)
		r = do(t, nil, "GET", h.url+path, nil, map[string]string{"Authorization": "Basic " + basic("admin", "wrong-password")})
		assert.Equal(t, 401, r.status, path)
	}
	a := h.login()
	r := do(t, a.c, "GET", h.url+"/export/summary.xlsx", nil, nil)
	assert.Equal(t, 200, r.status, "the admin session works too")
}

// collectRows reads a streamed list into memory for assertions.
func collectRows(rows export.Rows, _ int) ([]export.Completion, error) {
	var out []export.Completion
	err := rows(func(c export.Completion) error { out = append(out, c); return nil })
	return out, err
}

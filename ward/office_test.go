package ward

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/kyso-vn/kyso/internal/testenv"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/export"
)

// vcccd is a CCCD that agrees with rec's citizen (Thanh Hóa, a woman born
// in 1990), so that a correction validates it like a join does.
func vcccd(n int) string { return fmt.Sprintf("038190%06d", n) }

// csvLines is an export's lines without the header.
func csvLines(t *testing.T, h *harness, query string) []string {
	t.Helper()
	r := do(t, nil, "GET", h.url+"/export/completions.csv"+query, nil, basicAdmin())
	require.Equal(t, 200, r.status, string(r.body))
	lines := strings.Split(strings.TrimSpace(strings.TrimPrefix(string(r.body), export.BOM)), "\r\n")
	return lines[1:]
}

// vrec is a completion whose citizen passes the join's rules.
func vrec(kiosk string, seq uint64, name, village string) record.Record {
	r := rec(kiosk, seq, vcccd(int(seq)), village, true)
	r.Citizen.Name = name
	return r
}

func basicAdmin() map[string]string {
	return map[string]string{"Authorization": "Basic " + basic("admin", adminPW)}
}

func countLines(lines []string, sub string) int {
	n := 0
	for _, l := range lines {
		if strings.Contains(l, sub) {
			n++
		}
	}
	return n
}

func TestOfficeSearchCorrectVoidResolve(t *testing.T) {
	h := start(t, testConfig(t))
	r1 := vrec("kiosk-a", 1, "Nguyễn Thị Hằng", "Đông Lão")
	r2 := vrec("kiosk-a", 2, "Nguyễn Thị Hồng", "Đông Lão")
	r3 := vrec("kiosk-a", 3, "Lê Văn Tám", "Song Nga")
	r3.Citizen.Gender = "male"
	r3.Citizen.CCCD = "038090000003" // a man born in 1990
	r3.Volunteer = "Trần Thị Mai"
	require.Equal(t, 200, h.push("kiosk-a", tokA, r1, r2, r3).status)
	a := h.login()
	require.Equal(t, 3, h.progress().Total.Done)

	t.Run("search by name without diacritics, by CCCD; CCCD masked, no phone", func(t *testing.T) {
		r := do(t, a.c, "GET", h.url+"/api/v1/search?q=nguyen+thi+h", nil, nil)
		require.Equal(t, 200, r.status, string(r.body))
		var res struct {
			People []Person `json:"people"`
		}
		r.json(t, &res)
		require.Len(t, res.People, 2)
		assert.Equal(t, "********0001", res.People[0].CCCDMasked)
		require.Len(t, res.People[0].Records, 1)
		assert.Equal(t, r1.ID, res.People[0].Records[0].ID)
		assert.NotContains(t, string(r.body), vcccd(1))
		assert.NotContains(t, string(r.body), "0912345678")

		r = do(t, a.c, "GET", h.url+"/api/v1/search?q=0000003", nil, nil)
		r.json(t, &res)
		require.Len(t, res.People, 1)
		assert.Equal(t, "Lê Văn Tám", res.People[0].Name)

		r = do(t, nil, "GET", h.url+"/api/v1/search?q=tam", nil, nil)
		assert.Equal(t, 401, r.status, "admin only")
		r = do(t, a.c, "GET", h.url+"/api/v1/search?q=a", nil, nil)
		assert.Equal(t, "invalid_query", r.errCode(t))
	})

	t.Run("void takes the citizen out once; again is refused", func(t *testing.T) {
		r := a.postJSON(t, h.url+"/api/v1/records/"+r1.ID+"/void", map[string]string{"reason": ""})
		assert.Equal(t, "invalid_reason", r.errCode(t), "a void needs a reason")
		r = a.postJSON(t, h.url+"/api/v1/records/"+r1.ID+"/void", map[string]string{"reason": "Nhập nhầm người"})
		require.Equal(t, 200, r.status, string(r.body))
		p := h.progress()
		assert.Equal(t, 2, p.Total.Done)
		assert.Equal(t, 1, p.village("Đông Lão").Done)
		r = a.postJSON(t, h.url+"/api/v1/records/"+r1.ID+"/void", map[string]string{"reason": "Lần nữa"})
		assert.Equal(t, "record_replaced", r.errCode(t))
		lines := csvLines(t, h, "")
		assert.Len(t, lines, 2)
		assert.Zero(t, countLines(lines, vcccd(1)))
		all := csvLines(t, h, "?all=1")
		assert.Equal(t, 1, countLines(all, "Hủy bởi xã"), "the void is listed once among all attempts")
	})

	t.Run("correct moves the citizen to another village once", func(t *testing.T) {
		r := a.postJSON(t, h.url+"/api/v1/records/"+r2.ID+"/correct", Correction{Citizen: record.Citizen{Village: "Song Nga"}, Why: "Ghi nhầm thôn"})
		require.Equal(t, 200, r.status, string(r.body))
		p := h.progress()
		assert.Equal(t, 2, p.Total.Done)
		assert.Equal(t, 0, p.village("Đông Lão").Done)
		assert.Equal(t, 2, p.village("Song Nga").Done)
		lines := csvLines(t, h, "")
		require.Len(t, lines, 2)
		assert.Equal(t, 1, countLines(lines, vcccd(2)))
		assert.Contains(t, lines[countIndex(lines, vcccd(2))], "Song Nga")

		r = a.postJSON(t, h.url+"/api/v1/records/"+r2.ID+"/correct", Correction{Citizen: record.Citizen{CCCD: "038090000002"}, Why: "Sai số"})
		assert.Equal(t, "record_replaced", r.errCode(t), "only the current record can be corrected")
	})

	t.Run("a quarantined conflict: take the received version, with who and why", func(t *testing.T) {
		other := r3
		other.Citizen.Village = "Đông Lão"
		require.Equal(t, 409, h.push("kiosk-a", tokA, other).status)
		var q struct {
			Items []QuarantineItem `json:"items"`
		}
		do(t, a.c, "GET", h.url+"/api/v1/quarantine", nil, nil).json(t, &q)
		require.Len(t, q.Items, 1)
		r := a.postJSON(t, h.url+"/api/v1/quarantine/kiosk-a/3/resolve", map[string]string{"keep": "received", "reason": "Điểm xác nhận bản sau đúng"})
		require.Equal(t, 200, r.status, string(r.body))
		do(t, a.c, "GET", h.url+"/api/v1/quarantine", nil, nil).json(t, &q)
		assert.Empty(t, q.Items)
		p := h.progress()
		assert.Equal(t, 1, p.village("Đông Lão").Done)
		assert.Equal(t, 1, p.village("Song Nga").Done)
		r = a.postJSON(t, h.url+"/api/v1/quarantine/kiosk-a/3/resolve", map[string]string{"keep": "stored", "reason": "x"})
		assert.Equal(t, "quarantine_not_found", r.errCode(t))

		var fx struct {
			Fixes []Fix `json:"fixes"`
		}
		do(t, a.c, "GET", h.url+"/api/v1/fixes", nil, nil).json(t, &fx)
		require.Len(t, fx.Fixes, 3)
		for _, f := range fx.Fixes {
			assert.Equal(t, "admin", f.Login)
			assert.NotEmpty(t, f.Why)
		}
	})

	t.Run("tallies per volunteer and house, and the summary sheet", func(t *testing.T) {
		var tl Tallies
		do(t, a.c, "GET", h.url+"/api/v1/tallies", nil, nil).json(t, &tl)
		require.Len(t, tl.Helpers, 2)
		assert.Equal(t, HelperRow{Name: "Đỗ Văn Tình", Attempts: 1, Activated: 1, Counted: 1, Reasons: map[string]int{}}, tl.Helpers[1], "the void counts nowhere")
		assert.Equal(t, "Trần Thị Mai", tl.Helpers[0].Name)
		require.Len(t, tl.Houses, 1)
		assert.Equal(t, "kiosk-a", tl.Houses[0].Name, "the ward's corrections are credited to the house")
		assert.Equal(t, 2, tl.Houses[0].Counted)

		r := do(t, nil, "GET", h.url+"/export/summary.xlsx", nil, basicAdmin())
		require.Equal(t, 200, r.status)
		rows := readXLSX(t, r.body, "Người hỗ trợ")
		assert.Contains(t, fmt.Sprint(rows), "Trần Thị Mai")
	})

	t.Run("a reopened ward counts the same", func(t *testing.T) {
		before := h.progress()
		h.restart()
		after := h.progress()
		assert.Equal(t, before.Total, after.Total)
		assert.Equal(t, before.village("Song Nga"), after.village("Song Nga"))
		var k struct {
			Kiosks []KioskHealth `json:"kiosks"`
		}
		do(t, nil, "GET", h.url+"/api/v1/kiosks", nil, nil).json(t, &k)
		for _, x := range k.Kiosks {
			assert.NotEqual(t, wardKioskID, x.KioskID, "the ward's own records are not a kiosk")
		}
	})
}

func countIndex(lines []string, sub string) int {
	for i, l := range lines {
		if strings.Contains(l, sub) {
			return i
		}
	}
	return -1
}

// pdfText is the text of a PDF, page by page.
func pdfText(t *testing.T, pdf []byte) []string {
	t.Helper()
	bin := testenv.Need(t, "pdftotext", "poppler-utils")
	path := filepath.Join(t.TempDir(), "list.pdf")
	require.NoError(t, os.WriteFile(path, pdf, 0o600))
	out, err := exec.Command(bin, "-enc", "UTF-8", path, "-").Output()
	require.NoError(t, err)
	pages := strings.Split(string(out), "\f")
	if len(pages) > 0 && strings.TrimSpace(pages[len(pages)-1]) == "" {
		pages = pages[:len(pages)-1]
	}
	return pages
}

func TestOfficePDFs(t *testing.T) {
	cfg := testConfig(t)
	cfg.Commune = "Cẩm Ngọc"
	h := start(t, cfg)
	require.Equal(t, 200, h.push("kiosk-a", tokA,
		vrec("kiosk-a", 1, "Nguyễn Thị Hằng", "Đông Lão"), vrec("kiosk-a", 2, "Nguyễn Thị Hồng", "Đông Lão"), vrec("kiosk-a", 3, "Lê Thị Tâm", "Song Nga")).status)

	r := do(t, nil, "GET", h.url+"/export/completions.pdf?village=%C4%90%C3%B4ng+L%C3%A3o", nil, nil)
	assert.Equal(t, 401, r.status, "admin only")
	r = do(t, nil, "GET", h.url+"/export/completions.pdf?village=%C4%90%C3%B4ng+L%C3%A3o", nil, basicAdmin())
	require.Equal(t, 200, r.status, string(r.body))
	assert.Equal(t, "application/pdf", r.header.Get("Content-Type"))
	pages := pdfText(t, r.body)
	require.Len(t, pages, 1)
	pages[0] = strings.Join(strings.Fields(pages[0]), " ")
	for _, want := range []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "UBND XÃ CẨM NGỌC", "THÔN ĐÔNG LÃO",
		titleCompletions, "Người lập biểu", "Trưởng thôn", "Xác nhận của UBND xã", "Nguyễn Thị Hồng", vcccd(2), "Trang 1/1"} {
		assert.Contains(t, pages[0], want)
	}
	assert.NotContains(t, pages[0], vcccd(3), "only the village's citizens")

	r = do(t, nil, "GET", h.url+"/export/summary.pdf", nil, basicAdmin())
	require.Equal(t, 200, r.status, string(r.body))
	pages = pdfText(t, r.body)
	require.NotEmpty(t, pages)
	pages[0] = strings.Join(strings.Fields(pages[0]), " ")
	assert.Contains(t, pages[0], titleSummary)
	assert.Contains(t, pages[0], "Cộng")
	assert.Contains(t, pages[0], "Người lập biểu")

	var audit struct {
		Entries []AuditEntry `json:"entries"`
	}
	a := h.login()
	r = do(t, a.c, "GET", h.url+"/api/v1/audit", nil, nil)
	if r.status == 200 {
		_ = json.Unmarshal(r.body, &audit)
		assert.Contains(t, string(r.body), "completions.pdf", "the PDF of personal data is in the export log")
	}
}

func TestOfficeQuotasXLSX(t *testing.T) {
	h := start(t, testConfig(t))
	f := excelize.NewFile()
	rows := [][]any{
		{"TT", "Thôn", "LĐ có khả năng lao động", "Số LĐ cần có chữ ký số", "Số LĐ đã cài đặt năm trước"},
		{1, "Đông Lão", 491, 202, 12},
		{2, "Song Nga", 300, 123, 0},
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, f.SetSheetRow("Sheet1", cell, &r))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	a := h.login()
	r := a.post(t, h.url+"/api/v1/quotas", bytes.NewReader(buf.Bytes()), "application/octet-stream")
	require.Equal(t, 200, r.status, string(r.body))
	p := h.progress()
	require.Len(t, p.Villages, 2)
	assert.Equal(t, 202, p.village("Đông Lão").Target)

	r = a.post(t, h.url+"/api/v1/quotas", strings.NewReader("PK\x03\x04 not a zip"), "application/octet-stream")
	assert.Equal(t, "invalid_xlsx", r.errCode(t))
}

// sseEvents reads events of a stream until n have come or d passed.
func sseEvents(t *testing.T, c *http.Client, url string, n int, d time.Duration, during func()) []string {
	t.Helper()
	if c == nil {
		c = &http.Client{}
	}
	req, err := http.NewRequest("GET", url, nil)
	require.NoError(t, err)
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	require.Contains(t, res.Header.Get("Content-Type"), "text/event-stream")
	got := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if l := sc.Text(); strings.HasPrefix(l, "data: ") {
				got <- strings.TrimPrefix(l, "data: ")
			}
		}
		close(got)
	}()
	var out []string
	timeout := time.After(d)
	for len(out) < n {
		select {
		case s, ok := <-got:
			if !ok {
				return out
			}
			out = append(out, s)
			if len(out) == 1 && during != nil {
				during()
			}
		case <-timeout:
			return out
		}
	}
	return out
}

func TestOfficePublicStream(t *testing.T) {
	h := start(t, testConfig(t))
	hostile := rec("kiosk-a", 1, vcccd(1), "Tống Văn Nhầm 0987654321", true)
	require.Equal(t, 200, h.push("kiosk-a", tokA, hostile).status)
	start := time.Now()
	ev := sseEvents(t, nil, h.url+"/api/v1/progress/events", 2, 5*time.Second, func() {
		require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 2, vcccd(2), "Đông Lão", true)).status)
	})
	require.Len(t, ev, 2, "the first state, then the change")
	assert.Less(t, time.Since(start), 3*time.Second)
	for _, e := range ev {
		assert.NotContains(t, e, "Tống Văn Nhầm")
		assert.NotContains(t, e, "0987654321")
		assert.NotContains(t, e, vcccd(1))
	}
	var p progressDoc
	require.NoError(t, json.Unmarshal([]byte(ev[1]), &p))
	assert.Equal(t, 2, p.Total.Done)

	r := do(t, nil, "GET", h.url+"/api/v1/progress/full/events", nil, nil)
	assert.Equal(t, 401, r.status, "the full stream is the admin's")
}

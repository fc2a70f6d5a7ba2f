package ward

// The commune office in headless Chromium (issue 12, "must show"): the
// honest forecast, A4 printing (Chromium's own print-to-PDF read back with
// pdftotext), the public screen live and free of personal data, a
// correction and a void made from the dashboard's forms, and the dashboard
// on a phone.

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

// openBrowser starts headless Chromium at the given window size, not
// logged in, watching for script errors and CSP violations.
func openBrowser(t *testing.T, w, h int) *dashboard {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(w, h))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelA)
	ctx, cancelC := chromedp.NewContext(actx)
	t.Cleanup(cancelC)
	require.NoError(t, chromedp.Do(ctx))
	d := &dashboard{t: t, ctx: ctx}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			d.mu.Lock()
			d.jsErrors = append(d.jsErrors, e.ExceptionDetails.Text)
			d.mu.Unlock()
		}
	}))
	d.run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
		return err
	}))
	return d
}

func (d *dashboard) logIn(base string) {
	d.t.Helper()
	d.run(chromedp.Navigate(base+"/login"), chromedp.WaitVisible(chromedp.ID("password")))
	d.run(chromedp.SendKeys(chromedp.ID("password"), adminPW), chromedp.Submit(chromedp.ID("password")))
	d.run(chromedp.WaitVisible(chromedp.ID("t-villages")))
}

// printPDF prints the current page as Chromium does (A4, the page's CSS).
func (d *dashboard) printPDF() []byte {
	d.t.Helper()
	c, cancel := context.WithTimeout(d.ctx, 60*time.Second)
	defer cancel()
	pdf, err := chromedp.Run(c, chromedp.PrintToPDF(chromedp.PDFPaper(chromedp.PaperA4), chromedp.PDFPreferCSSPageSize()))
	require.NoError(d.t, err)
	return pdf
}

var dmyRe = regexp.MustCompile(`\b(\d{2})/(\d{2})/(\d{4})\b`)

// at is a record of the given day of the campaign (day 0 = 5 June 2024).
func at(r record.Record, day int) record.Record {
	r.RecordedAt = t0.AddDate(0, 0, day).Add(time.Duration(r.Seq) * time.Minute).UTC()
	r.ConsentAt = r.RecordedAt.Add(-5 * time.Minute)
	return r
}

func TestOfficeForecastInBrowser(t *testing.T) {
	cfg := testConfig(t)
	cfg.Deadline = "30/09/2024"
	h := start(t, cfg)
	deadlineLimit := time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC)

	// Log in at the real time: the browser keeps a cookie only while it
	// has not expired by its own clock.
	d := openBrowser(t, 1280, 900)
	d.logIn(h.url)

	// Day one: an evening's work predicts nothing.
	h.clock.Set(t0.Add(12 * time.Hour))
	var recs []record.Record
	for i := 1; i <= 5; i++ {
		recs = append(recs, at(rec("kiosk-a", uint64(i), vcccd(i), "Đông Lão", true), 0))
	}
	require.Equal(t, 200, h.push("kiosk-a", tokA, recs...).status)
	d.run(chromedp.Navigate(h.url+"/"), chromedp.WaitVisible(chromedp.ID("t-forecast")))
	text := d.text("#dubao")
	assert.Contains(t, text, "chưa đủ để dự báo")
	assert.Contains(t, text, "Đủ dữ liệu từ ngày")
	for _, m := range dmyRe.FindAllStringSubmatch(text, -1) {
		day, err := time.Parse("02/01/2006", m[0])
		require.NoError(t, err)
		assert.False(t, day.After(deadlineLimit), "no date beyond the deadline + 1 year: %s", m[0])
	}

	// A week of work gives a date.
	recs = recs[:0]
	seq := uint64(6)
	for day := 1; day <= 6; day++ {
		for i := 0; i < 8; i++ {
			recs = append(recs, at(rec("kiosk-a", seq, vcccd(int(seq)), "Song Nga", true), day))
			seq++
		}
	}
	require.Equal(t, 200, h.push("kiosk-a", tokA, recs...).status)
	h.clock.Set(t0.AddDate(0, 0, 6).Add(12 * time.Hour))
	d.run(chromedp.Navigate(h.url + "/"))
	d.run(chromedp.WaitVisible(chromedp.ID("t-forecast")))
	note := d.text("#forecast-note")
	assert.NotContains(t, note, "chưa đủ")
	eta := d.text("#t-forecast tfoot th:nth-child(4)")
	m := dmyRe.FindString(eta)
	require.NotEmpty(t, m, "the forecast names a date: %q", eta)
	day, err := time.Parse("02/01/2006", m)
	require.NoError(t, err)
	assert.False(t, day.After(deadlineLimit))
	d.clean()
}

// syllables make every printed name unique and long enough to wrap.
var syllables = []string{"An", "Bình", "Chi", "Dung", "Giang", "Hà", "Khánh", "Lan", "Minh", "Ngân", "Oanh", "Phúc"}

func uniqueWord(n int) string {
	return "Qx" + strings.ToLower(syllables[n%12]) + strings.ToLower(syllables[n/12%12])
}

func TestOfficePrintInBrowser(t *testing.T) {
	cfg := testConfig(t)
	cfg.Commune = "Cẩm Ngọc"
	h := start(t, cfg)
	var recs []record.Record
	for i := 1; i <= 3; i++ {
		recs = append(recs, vrec("kiosk-a", uint64(i), "Nguyễn Thị "+syllables[i], "Đông Lão"))
	}
	const long = 120
	for i := 0; i < long; i++ {
		r := rec("kiosk-b", uint64(i+1), vcccd(1000+i), "Song Nga", true)
		r.Citizen.Name = "Nguyễn Thị Bích Ngọc Phương Thảo Hoàng " + uniqueWord(i)
		recs = append(recs, r)
	}
	require.Equal(t, 200, h.push("kiosk-a", tokA, recs[:3]...).status)
	require.Equal(t, 200, h.push("kiosk-b", tokB, recs[3:]...).status)
	d := openBrowser(t, 1280, 900)
	d.logIn(h.url)

	t.Run("three citizens on one A4 page with the header block, title and signatures", func(t *testing.T) {
		d.run(chromedp.Navigate(h.url+"/print/completions?village=%C4%90%C3%B4ng+L%C3%A3o"), chromedp.WaitVisible(chromedp.CSS(`.paper-table`)))
		pdf := d.printPDF()
		if dir := os.Getenv("KYSO_PRINT_DIR"); dir != "" {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "short.pdf"), pdf, 0o644))
		}
		pages := pdfText(t, pdf)
		require.Len(t, pages, 1, "a short list is one page")
		text := strings.Join(strings.Fields(pages[0]), " ")
		for _, want := range []string{"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "UBND XÃ CẨM NGỌC", "THÔN ĐÔNG LÃO",
			"Cẩm Ngọc, ngày", titleCompletions, "Người lập biểu", "Trưởng thôn", "Xác nhận của UBND xã", "Trang 1/1"} {
			assert.Contains(t, text, want)
		}
		for i := 1; i <= 3; i++ {
			assert.Contains(t, text, vcccd(i))
		}
	})

	t.Run("120 rows: the header on every page, no row split", func(t *testing.T) {
		d.run(chromedp.Navigate(h.url+"/print/completions?village=Song+Nga"), chromedp.WaitVisible(chromedp.CSS(`.paper-table`)))
		pdf := d.printPDF()
		if dir := os.Getenv("KYSO_PRINT_DIR"); dir != "" {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "long.pdf"), pdf, 0o644))
		}
		pages := pdfText(t, pdf)
		require.Greater(t, len(pages), 2)
		pageOf := func(s string) []int {
			var in []int
			for i, p := range pages {
				if strings.Contains(p, s) {
					in = append(in, i)
				}
			}
			return in
		}
		withRows := 0
		for i, p := range pages {
			assert.Contains(t, p, fmt.Sprintf("Trang %d/%d", i+1, len(pages)))
			if !strings.Contains(p, "03819000") {
				continue // the signature block alone
			}
			withRows++
			assert.Contains(t, p, "Họ và tên", "the table header on page %d", i+1)
			assert.Contains(t, p, "Số CCCD", "the table header on page %d", i+1)
		}
		assert.Greater(t, withRows, 2, "the table runs over several pages")
		for i := 0; i < long; i++ {
			// The CCCD sits on the row's first line, the unique word on the
			// last line of its wrapped name: both on one page.
			c, w := pageOf(vcccd(1000+i)), pageOf(uniqueWord(i))
			require.Len(t, c, 1, "row %d printed once", i+1)
			require.Len(t, w, 1, "row %d's name printed once", i+1)
			assert.Equal(t, c, w, "row %d is not split across pages", i+1)
		}
		assert.Contains(t, pages[len(pages)-1], "Người lập biểu")
	})
	d.clean()
}

func TestOfficePublicScreenInBrowser(t *testing.T) {
	h := start(t, testConfig(t))
	// A citizen joins first with a hostile village name.
	hostile := rec("kiosk-a", 1, vcccd(1), "Tống Văn Nhầm 0987654321", true)
	require.Equal(t, 200, h.push("kiosk-a", tokA, hostile, rec("kiosk-a", 2, vcccd(2), "Đông Lão", true)).status)
	d := openBrowser(t, 1920, 1080)
	d.run(chromedp.Navigate(h.url+"/progress"), chromedp.WaitVisible(chromedp.ID("s-total")))
	assert.Equal(t, "2", d.text(`#s-total [data-k="done"]`))
	assert.Contains(t, d.text("#s-villages"), "Đông Lão")
	// Let the stream open before the change.
	d.poll(`document.getElementById('s-live') !== null`, "page ready")
	time.Sleep(300 * time.Millisecond)

	pushed := time.Now()
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 3, vcccd(3), "Đông Lão", true)).status)
	c, cancel := context.WithTimeout(d.ctx, 2*time.Second)
	_, err := chromedp.Run(c, chromedp.Poll[bool](`document.querySelector('#s-total [data-k="done"]').textContent === '3'`))
	cancel()
	require.NoError(t, err, "the screen updates within 2 s of a completion")
	t.Logf("public screen updated %v after the push", time.Since(pushed).Round(10*time.Millisecond))

	html, err := chromedp.Run(d.ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`))
	require.NoError(t, err)
	for _, secret := range []string{"Tống Văn Nhầm", "0987654321", vcccd(1), vcccd(2), vcccd(3), "0912345678", "Nguyễn Thị Hằng"} {
		assert.NotContains(t, html, secret)
	}
	assert.Contains(t, html, "Khác (chờ xã đối chiếu)", "the typed name is one folded row")
	d.screenshot("progress.png")
	d.clean()
}

func TestOfficeFixInBrowser(t *testing.T) {
	h := start(t, testConfig(t))
	voided := vrec("kiosk-a", 1, "Phạm Thị Lụa", "Đông Lão")
	fixed := vrec("kiosk-a", 2, "Hoàng Văn Nam", "Đông Lão")
	fixed.Citizen.Gender, fixed.Citizen.CCCD = "male", "038090000002"
	require.Equal(t, 200, h.push("kiosk-a", tokA, voided, fixed, vrec("kiosk-a", 3, "Lê Thị Hoa", "Song Nga")).status)
	require.Equal(t, 3, h.progress().Total.Done)
	d := openBrowser(t, 1280, 900)
	d.logIn(h.url)

	// Void: dashboard → search → the record → the void form.
	d.run(chromedp.SendKeys(chromedp.ID("q"), "pham thi lua"), chromedp.Submit(chromedp.ID("q")))
	d.run(chromedp.WaitVisible(chromedp.CSS(`a.open-record`)))
	assert.Contains(t, d.text(".person h3"), "********0001", "the CCCD is masked in the results")
	d.run(chromedp.Click(chromedp.CSS(`a.open-record`)), chromedp.WaitVisible(chromedp.ID("void-form")))
	d.run(chromedp.SendKeys(chromedp.ID("v-why"), "Nhập trùng người"), chromedp.Submit(chromedp.ID("v-why")))
	d.run(chromedp.WaitVisible(chromedp.ID("back")))
	assert.Contains(t, d.text("main"), "Đã hủy bản ghi")

	// Correct: the village was wrong.
	d.run(chromedp.Navigate(h.url+"/search?q=038090000002"), chromedp.WaitVisible(chromedp.CSS(`a.open-record`)))
	d.run(chromedp.Click(chromedp.CSS(`a.open-record`)), chromedp.WaitVisible(chromedp.ID("correct-form")))
	d.run(chromedp.SetValue(chromedp.ID("c-village"), "Song Nga"), chromedp.SendKeys(chromedp.ID("c-why"), "Ghi nhầm thôn"), chromedp.Submit(chromedp.ID("c-why")))
	d.run(chromedp.WaitVisible(chromedp.ID("back")))
	assert.Contains(t, d.text("main"), "Đã sửa bản ghi")

	p := h.progress()
	assert.Equal(t, 2, p.Total.Done, "the void took one citizen out, once")
	assert.Equal(t, 0, p.village("Đông Lão").Done)
	assert.Equal(t, 2, p.village("Song Nga").Done, "the correction moved one citizen, once")
	lines := csvLines(t, h, "")
	require.Len(t, lines, 2)
	assert.Zero(t, countLines(lines, vcccd(1)))
	assert.Equal(t, 1, countLines(lines, "038090000002"))
	assert.Contains(t, lines[countIndex(lines, "038090000002")], "Song Nga")
	assert.Len(t, csvLines(t, h, "?village=Song+Nga"), 2)

	// The history is on the search page, with who and why.
	d.run(chromedp.Navigate(h.url+"/search"), chromedp.WaitVisible(chromedp.ID("t-fixes")))
	hist := d.text("#t-fixes")
	assert.Contains(t, hist, "Nhập trùng người")
	assert.Contains(t, hist, "Ghi nhầm thôn")
	assert.Contains(t, hist, "admin")
	d.clean()
}

func TestOfficeDashboardOnAPhone(t *testing.T) {
	h := start(t, testConfig(t))
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 1, vcccd(1), "Đông Lão", true), rec("kiosk-a", 2, vcccd(2), "Tống Văn Nhầm 0987654321", false)).status)
	d := openBrowser(t, 1280, 900)
	d.logIn(h.url)
	for _, w := range []int64{390, 360} {
		d.run(chromedp.EmulateViewport(w, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile))
		d.run(chromedp.Navigate(h.url+"/"), chromedp.WaitVisible(chromedp.ID("t-villages")))
		sizes, err := chromedp.Run(d.ctx, chromedp.Evaluate[[]int](`[document.documentElement.scrollWidth, window.innerWidth]`))
		require.NoError(t, err)
		assert.LessOrEqual(t, sizes[0], sizes[1], "no horizontal scroll at %d px (document %d px)", w, sizes[0])
		// The live stream still draws the numbers.
		d.poll(`document.getElementById('live-status').textContent === 'số liệu trực tiếp'`, "the event stream is up")
		d.screenshot(fmt.Sprintf("dashboard-%d.png", w))
	}
	d.clean()
}

// screenshot keeps the page as an image when KYSO_SCREENSHOT_DIR is set.
func (d *dashboard) screenshot(name string) {
	d.t.Helper()
	dir := os.Getenv("KYSO_SCREENSHOT_DIR")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(d.ctx, chromedp.FullScreenshot(100))
	require.NoError(d.t, err)
	require.NoError(d.t, os.WriteFile(filepath.Join(dir, name), png, 0o644))
}

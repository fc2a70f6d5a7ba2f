package ward

// A browser test of the dashboard in headless Chromium under the ward's
// CSP: the login form works, the server-rendered tables are there, ward.js
// runs without CSP violations or errors and refreshes the numbers live.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
)

// cspProbe records CSP violations; DevTools injects it outside the CSP.
const cspProbe = `window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`

func chromium(t *testing.T) string {
	testenv.Slow(t, "a real browser")
	for _, p := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	testenv.Missing(t, "no Chromium (apt-get install -y chromium-headless-shell)")
	return ""
}

// dashboard is an official's browser logged in to a ward's dashboard,
// watching for script errors and CSP violations.
type dashboard struct {
	t        *testing.T
	ctx      context.Context
	mu       sync.Mutex
	jsErrors []string
}

// openDashboard starts headless Chromium, logs in with the admin password
// and waits until wait is visible.
func openDashboard(t *testing.T, h *harness, wait string) *dashboard {
	t.Helper()
	d := openBrowser(t, 1280, 900)
	d.run(chromedp.Navigate(h.url+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	d.run(chromedp.SendKeys(chromedp.ID("password"), adminPW), chromedp.Submit(chromedp.ID("password")))
	d.run(chromedp.WaitVisible(chromedp.ID(wait)))
	return d
}

func (d *dashboard) run(steps ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	c, cancel := context.WithTimeout(d.ctx, 20*time.Second)
	defer cancel()
	require.NoError(d.t, chromedp.Do(c, steps...))
}

// text is the visible text of the first element matching sel, once there
// is one. It is read by one script call: ward.js redraws its tables every
// few seconds, and a node DevTools found in one call can be gone by the
// next ("No node with given id found", a CI flake).
func (d *dashboard) text(sel string) string {
	d.t.Helper()
	c, cancel := context.WithTimeout(d.ctx, 20*time.Second)
	defer cancel()
	type found struct {
		Text string `json:"t"`
	}
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return e ? {t: e.innerText} : null; })()`, sel)
	f, err := chromedp.Run(c, chromedp.Poll[found](js))
	require.NoError(d.t, err, sel)
	return f.Text
}

func (d *dashboard) eval(expr string) bool {
	d.t.Helper()
	c, cancel := context.WithTimeout(d.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(c, chromedp.Evaluate[bool](expr))
	require.NoError(d.t, err, expr)
	return v
}

// poll waits until expr is true in the page.
func (d *dashboard) poll(expr, why string) {
	d.t.Helper()
	c, cancel := context.WithTimeout(d.ctx, 20*time.Second)
	defer cancel()
	_, err := chromedp.Run(c, chromedp.Poll[bool](expr))
	require.NoError(d.t, err, why)
}

// clean asserts the page ran without CSP violations or uncaught errors.
func (d *dashboard) clean() {
	d.t.Helper()
	csp, err := chromedp.Run(d.ctx, chromedp.Evaluate[[]string](`window.__csp || []`))
	require.NoError(d.t, err)
	assert.Empty(d.t, csp, "CSP violations")
	d.mu.Lock()
	assert.Empty(d.t, d.jsErrors, "uncaught script errors")
	d.mu.Unlock()
}

func TestDashboardInBrowser(t *testing.T) {
	h := start(t, testConfig(t))
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 1, cccd(1), "Đông Lão", true)).status)
	d := openDashboard(t, h, "t-villages")
	assert.Contains(t, d.text("#t-villages tbody tr"), "Đông Lão")
	assert.Equal(t, "1", d.text(`#t-total [data-k="done"]`))
	assert.Equal(t, "1.701", d.text(`#t-total [data-k="target"]`))

	// A new activation shows up without a reload.
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 2, cccd(2), "Song Nga", true)).status)
	d.poll(`document.querySelector('#t-total [data-k="done"]').textContent === '2'`, "ward.js refreshes the numbers")
	assert.Contains(t, d.text("#t-kiosks tbody"), "kiosk-a")
	assert.Contains(t, d.text("#t-villages tfoot"), "Cộng")

	if path := os.Getenv("KYSO_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(d.ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, png, 0o644))
	}
	d.clean()
}

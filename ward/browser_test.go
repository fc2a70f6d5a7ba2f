package ward

// A browser test of the dashboard in headless Chromium under the ward's
// CSP: the login form works, the server-rendered tables are there, ward.js
// runs without CSP violations or errors and refreshes the numbers live.

import (
	"context"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
)

// cspProbe records CSP violations; DevTools injects it outside the CSP.
const cspProbe = `window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));`

func chromium(t *testing.T) string {
	for _, p := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	testenv.Missing(t, "no Chromium (apt-get install -y chromium-headless-shell)")
	return ""
}

func TestDashboardInBrowser(t *testing.T) {
	exe := chromium(t)
	h := start(t, testConfig(t))
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 1, cccd(1), "Đông Lão", true)).status)

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(1280, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx))
	var mu sync.Mutex
	var jsErrors []string
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			mu.Lock()
			jsErrors = append(jsErrors, e.ExceptionDetails.Text)
			mu.Unlock()
		}
	}))
	run := func(steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		require.NoError(t, chromedp.Do(c, steps...))
	}
	text := func(sel string) string {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		s, err := chromedp.Run(c, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err)
		return s
	}
	run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
		return err
	}))

	run(chromedp.Navigate(h.url+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	run(chromedp.SendKeys(chromedp.ID("password"), adminPW), chromedp.Submit(chromedp.ID("password")))
	run(chromedp.WaitVisible(chromedp.ID("t-villages")))
	assert.Contains(t, text("#t-villages tbody tr"), "Đông Lão")
	assert.Equal(t, "1", text(`#t-total [data-k="done"]`))
	assert.Equal(t, "1.701", text(`#t-total [data-k="target"]`))

	// A new activation shows up without a reload.
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 2, cccd(2), "Song Nga", true)).status)
	c, cancelPoll := context.WithTimeout(ctx, 20*time.Second)
	defer cancelPoll()
	_, err := chromedp.Run(c, chromedp.Poll[bool](`document.querySelector('#t-total [data-k="done"]').textContent === '2'`))
	require.NoError(t, err, "ward.js refreshes the numbers")
	assert.Contains(t, text("#t-kiosks tbody"), "kiosk-a")
	assert.Contains(t, text("#t-villages tfoot"), "Cộng")

	if path := os.Getenv("KYSO_SCREENSHOT"); path != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, png, 0o644))
	}
	csp, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp || []`))
	require.NoError(t, err)
	assert.Empty(t, csp, "CSP violations")
	mu.Lock()
	assert.Empty(t, jsErrors, "uncaught script errors")
	mu.Unlock()
}

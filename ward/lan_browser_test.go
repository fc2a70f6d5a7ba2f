package ward

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The "Đăng ký" button of a kiosk seen on the LAN but not registered, in
// headless Chromium: ward.js redraws the kiosk table every 5 s, so the
// button it draws (with the page's CSRF token) is the one an official
// actually clicks; clicking it shows the new token once and registers the
// kiosk.
func TestRegisterButtonInBrowser(t *testing.T) {
	exe := chromium(t)
	h := start(t, testConfig(t))
	h.svc.Sighted(Sighting{KioskID: "kiosk-z", Instance: "Nhà văn hóa thôn Song Nga (kiosk-z)", Addrs: []string{"10.0.0.5"}, Seq: 4, LastSeen: time.Now()})

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
	eval := func(expr string) bool {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		v, err := chromedp.Run(c, chromedp.Evaluate[bool](expr))
		require.NoError(t, err, expr)
		return v
	}
	run(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe})
		return err
	}))
	run(chromedp.Navigate(h.url+"/"), chromedp.WaitVisible(chromedp.ID("password")))
	run(chromedp.SendKeys(chromedp.ID("password"), adminPW), chromedp.Submit(chromedp.ID("password")))
	run(chromedp.WaitVisible(chromedp.ID("t-kiosks")))
	assert.True(t, eval(`document.querySelectorAll('#t-kiosks form.register').length === 1`), "the server-rendered button")

	// Wait for ward.js to redraw the table, then use its button.
	require.True(t, eval(`document.querySelectorAll('#t-kiosks tbody tr').forEach(r => r.dataset.old = '1'), true`))
	c, cancelPoll := context.WithTimeout(ctx, 20*time.Second)
	defer cancelPoll()
	_, err := chromedp.Run(c, chromedp.Poll[bool](`!document.querySelector('#t-kiosks tbody tr[data-old]')`))
	require.NoError(t, err, "ward.js redraws the kiosk table")
	assert.True(t, eval(`(() => {
		const f = document.querySelectorAll('#t-kiosks form.register');
		if (f.length !== 1) return false;
		const row = f[0].closest('tr');
		const tok = f[0].querySelector('input[name=csrf_token]').value;
		return f[0].querySelector('input[name=id]').value === 'kiosk-z' &&
			tok !== '' && tok === document.querySelector('form[action="/logout"] input[name=csrf_token]').value &&
			row.className === 'st-unregistered' && row.textContent.includes('Đang thấy trên mạng: 10.0.0.5, số cuối 4');
	})()`), "the redrawn row: one button, for kiosk-z, with the page's CSRF token")

	run(chromedp.Click(chromedp.CSS(`#t-kiosks form.register button`)), chromedp.WaitVisible(chromedp.ID("token")))
	c2, cancel2 := context.WithTimeout(ctx, 20*time.Second)
	defer cancel2()
	shown, err := chromedp.Run(c2, chromedp.Text(chromedp.ID("token")))
	require.NoError(t, err)
	tok, ok := h.svc.tokenFor("kiosk-z")
	require.True(t, ok, "registered")
	assert.Equal(t, tok, shown, "the token is shown once")

	csp, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp || []`))
	require.NoError(t, err)
	assert.Empty(t, csp, "CSP violations")
	mu.Lock()
	assert.Empty(t, jsErrors, "uncaught script errors")
	mu.Unlock()
}

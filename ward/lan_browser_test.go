package ward

import (
	"testing"
	"time"

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
	h := start(t, testConfig(t))
	h.svc.Sighted(Sighting{KioskID: "kiosk-z", Instance: "Nhà văn hóa thôn Song Nga (kiosk-z)", Addrs: []string{"10.0.0.5"}, Seq: 4, LastSeen: time.Now()})
	d := openDashboard(t, h, "t-kiosks")
	assert.True(t, d.eval(`document.querySelectorAll('#t-kiosks form.register').length === 1`), "the server-rendered button")

	// Wait for ward.js to redraw the table, then use its button.
	require.True(t, d.eval(`document.querySelectorAll('#t-kiosks tbody tr').forEach(r => r.dataset.old = '1'), true`))
	d.poll(`!document.querySelector('#t-kiosks tbody tr[data-old]')`, "ward.js redraws the kiosk table")
	assert.True(t, d.eval(`(() => {
		const f = document.querySelectorAll('#t-kiosks form.register');
		if (f.length !== 1) return false;
		const row = f[0].closest('tr');
		const tok = f[0].querySelector('input[name=csrf_token]').value;
		return f[0].querySelector('input[name=id]').value === 'kiosk-z' &&
			tok !== '' && tok === document.querySelector('form[action="/logout"] input[name=csrf_token]').value &&
			row.className === 'st-unregistered' && row.textContent.includes('Đang thấy trên mạng: 10.0.0.5, số cuối 4');
	})()`), "the redrawn row: one button, for kiosk-z, with the page's CSRF token")

	d.run(chromedp.Click(chromedp.CSS(`#t-kiosks form.register button`)), chromedp.WaitVisible(chromedp.ID("token")))
	shown := d.text("#token")
	tok, ok := h.svc.reg.tokenFor("kiosk-z")
	require.True(t, ok, "registered")
	assert.Equal(t, tok, shown, "the token is shown once")

	d.clean()
}

package web

import (
	"os"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
)

func shot(t *testing.T, tb *tab, name string, full bool) {
	var b []byte
	var err error
	if full {
		b, err = chromedp.Run(tb.ctx, chromedp.FullScreenshot(80))
	} else {
		b, err = chromedp.Run(tb.ctx, chromedp.CaptureScreenshot())
	}
	require.NoError(t, err)
	ext := ".png"
	if full {
		ext = ".jpg"
	}
	require.NoError(t, os.WriteFile("/tmp/shots/"+name+ext, b, 0o644))
}

func TestTmpShots(t *testing.T) {
	os.MkdirAll("/tmp/shots", 0o755)
	f, srv := newFake(t)
	for range 9 {
		f.add(map[string]any{"name": "A", "cccd": "038170001234", "village": "Song Nga", "birth_date": "1970-01-02", "gender": "male"})
	}
	f.next(1)
	f.next(2)
	tb := newTab(t)
	tb.do(chromedp.EmulateViewport(1920, 1080), chromedp.Navigate(srv.URL+"/"))
	tb.until(`document.querySelector('.desk[data-desk="2"] .desk-number').textContent === '2'`)
	tb.until(`[...document.images].every(i => i.complete && i.naturalWidth > 0)`)
	shot(t, tb, "board", false)
	f.next(3)
	tb.until(visible("#board-flash"))
	shot(t, tb, "board-call", false)

	tb.do(chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2)), chromedp.Navigate(srv.URL+"/join"))
	tb.until(`!document.querySelector('#btn-join').disabled`)
	shot(t, tb, "join-top", false)
	tb.click("#btn-join")
	tb.until(visible(`#join-form [data-err-for="name"]`))
	shot(t, tb, "join-full-errors", true)
	tb.set(`#join-form [name=name]`, "Nguyễn Thị Hoa")
	tb.set(`#join-form [name=cccd]`, "038170001234")
	tb.set(`#join-form [name=birth_day]`, "5")
	tb.set(`#join-form [name=birth_month]`, "3")
	tb.set(`#join-form [name=phone]`, "0912 345 678")
	tb.click(`#join-form [name=consent]`)
	tb.click("#btn-join")
	tb.until(visible("#ticket"))
	tb.until(`document.querySelector('#ticket-status').dataset.status === 'waiting'`)
	shot(t, tb, "join-ticket", false)
	f.mu.Lock()
	for _, x := range f.tickets {
		if x.Status == "waiting" && x.Number < 10 {
			x.Status = "activated"
		}
	}
	f.mu.Unlock()
	f.next(3)
	tb.until(visible("#called-banner"))
	shot(t, tb, "join-called", false)

	tb.do(chromedp.EmulateViewport(360, 740, chromedp.EmulateScale(2)), chromedp.Navigate(srv.URL+"/app"))
	shot(t, tb, "app", true)

	tb.do(chromedp.EmulateViewport(800, 1280), chromedp.Navigate(srv.URL+"/volunteer"))
	tb.until(visible("#login-form"))
	shot(t, tb, "vol-login", false)
	tb.set(`#login-form [name=volunteer]`, "Lan")
	tb.set(`#login-form [name=pin]`, "2468")
	tb.click(`#login-form button[type=submit]`)
	tb.until(visible("#vol-main"))
	f.add(map[string]any{"name": "Trần Văn Bình", "cccd": "038075009876", "birth_date": "1975-06-01", "gender": "male", "phone": "0912345789", "village": "Song Nga", "association": "Hội Nông dân"})
	tb.click("#btn-next")
	tb.until(visible("#current"))
	tb.click("#btn-failed")
	shot(t, tb, "vol-full", true)
}

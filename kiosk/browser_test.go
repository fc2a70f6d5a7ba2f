package kiosk

// Browser tests: the pages of package web in headless Chromium against the
// real kiosk (Fiber routes, Badger queue, CSP headers, the SSE broker) on
// 127.0.0.1. Each device — the TV, a citizen's phone, a volunteer's tablet —
// is its own browser context, so cookies and localStorage are as separate as
// on real devices. They check what only a browser shows: the scripts run
// under the kiosk's CSP, forms send what the server accepts, the server's
// field errors land next to their field, and every screen follows the queue
// live, without a reload.

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/web"
)

const (
	// browserLimit bounds one test's browser: when it passes, Chromium is
	// stopped and every step fails at once.
	// Generous: nine browsers share two loaded cores in `make test`.
	browserLimit = 90 * time.Second
	// stepLimit bounds one step: a wait for the page, a click, a navigation.
	stepLimit = 15 * time.Second
)

// initScript runs in every document before the page's own scripts (DevTools
// injects it, outside the CSP; it survives reloads). It replaces speech
// synthesis with a recorder whose utterances take 300 ms and offers a
// Vietnamese voice, and it records CSP violations.
const initScript = `
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.__spoken = [];
window.SpeechSynthesisUtterance = class { constructor(t) { this.text = t; } };
Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
  getVoices: () => [{lang: 'vi-VN', name: 'Tiếng Việt'}],
  addEventListener() {}, cancel() {},
  speak(u) {
    const rec = {text: u.text, lang: u.lang, start: Date.now(), end: 0};
    window.__spoken.push(rec);
    setTimeout(() => { rec.end = Date.now(); u.onend && u.onend(); }, 300);
  }
}});
`

// chromium finds Debian's Chromium (CI installs the chromium package).
func chromium(t *testing.T) string {
	t.Helper()
	testenv.Slow(t, "a real browser")
	for _, p := range []string{"chromium", "chromium-browser", "chromium-headless-shell", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	testenv.Missing(t, "no Chromium (apt-get install -y chromium)")
	return ""
}

// browser is one Chromium; each device is a browser context of it.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	stop    func()
	once    sync.Once
	mu      sync.Mutex
	devices []*tab
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := chromium(t)
	dir := t.TempDir() // made before Chromium starts, so removed after it exits
	ctx, cancel := context.WithTimeout(context.Background(), browserLimit)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.UserDataDir(dir),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), // as deploy/kyso-tv.sh starts the TV
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	root, rcancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: root, base: base, stop: func() { rcancel(); acancel(); cancel() }}
	t.Cleanup(b.close)
	require.NoError(t, chromedp.Do(root), "start Chromium")
	return b
}

// close fails the test on any device's script error or CSP violation, then
// stops Chromium. Cleanup calls it; a test that stops the kiosk before its
// end calls it first, so that the pages do not see the kiosk go away.
func (b *browser) close() {
	b.once.Do(func() {
		b.mu.Lock()
		devices := b.devices
		b.mu.Unlock()
		for _, tb := range devices {
			tb.check()
		}
		b.stop()
	})
}

// tab is one device's page.
type tab struct {
	t    *testing.T
	name string
	base string
	ctx  context.Context
	down atomic.Bool // the kiosk is being restarted: failed requests to it are expected

	mu       sync.Mutex
	problems []string // script errors, console errors, CSP violations, unexpected failed requests
	notes    []string // warnings and expected API refusals, shown with -v
}

// newDevice opens a new device: its own cookies and storage, a viewport of
// w×h CSS pixels, the init script, and listeners for everything the page
// reports.
func (b *browser) newDevice(name string, w, h int64) *tab {
	b.t.Helper()
	return b.deviceWith(name, w, h, initScript)
}

// expected reports whether a failed request is an answer the pages are
// built to show: 401 while nobody is signed in or for a wrong PIN, 422 for
// what the server refused, 409 for a desk another tablet holds.
func (tb *tab) expected(url, text string) bool {
	path, ok := strings.CutPrefix(url, tb.base)
	switch {
	case !ok:
		return false
	case tb.down.Load() && strings.HasPrefix(path, "/api/v1/"):
		return true // a restarted kiosk: refused connections, and sessions that ended with the old process
	case strings.Contains(text, "status of 401"):
		return path == "/api/v1/session" || path == "/api/v1/login"
	case strings.Contains(text, "status of 422"):
		return strings.HasPrefix(path, "/api/v1/")
	case strings.Contains(text, "status of 409"):
		return strings.HasPrefix(path, "/api/v1/desks/") // another tablet holds the desk: the page offers a free one
	default:
		return tb.down.Load() && strings.HasPrefix(path, "/api/v1/")
	}
}

// event runs on chromedp's reader goroutine: it must only record.
func (tb *tab) event(ev any) {
	var problem, note string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		problem = "uncaught " + d.Text
		if d.Exception != nil {
			problem += " " + d.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		var args []string
		for _, a := range e.Args {
			if a.Description != "" {
				args = append(args, a.Description)
			} else {
				args = append(args, string(a.Value))
			}
		}
		msg := fmt.Sprintf("console.%s: %s", e.Type, strings.Join(args, " "))
		switch e.Type {
		case runtime.ConsoleAPICalledTypeError, runtime.ConsoleAPICalledTypeAssert, runtime.ConsoleAPICalledTypeWarning:
			problem = msg
		default:
			note = msg
		}
	case *cdplog.EventEntryAdded:
		en := e.Entry
		msg := fmt.Sprintf("%s %s: %s %s", en.Source, en.Level, en.Text, en.URL)
		switch {
		case en.Source == cdplog.EntrySourceSecurity || strings.Contains(en.Text, "Content Security Policy"):
			problem = msg
		case en.Level != cdplog.EntryLevelError:
			note = msg
		case en.Source == cdplog.EntrySourceNetwork && tb.expected(en.URL, en.Text):
			note = msg
		default:
			problem = msg
		}
	default:
		return
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if problem != "" {
		tb.problems = append(tb.problems, problem)
	}
	if note != "" {
		tb.notes = append(tb.notes, note)
	}
}

// check fails the test on anything wrong the page reported.
func (tb *tab) check() {
	ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
	csp, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`window.__csp || []`))
	cancel()
	tb.mu.Lock()
	defer tb.mu.Unlock()
	if err == nil {
		assert.Empty(tb.t, csp, "%s: CSP violations", tb.name)
	}
	assert.Empty(tb.t, tb.problems, "%s: script errors, console errors or failed requests", tb.name)
	for _, n := range tb.notes {
		tb.t.Logf("%s: %s", tb.name, n)
	}
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepLimit)
	defer cancel()
	require.NoError(tb.t, chromedp.Do(ctx, steps...), tb.name)
}

func (tb *tab) open(path string) { tb.t.Helper(); tb.do(chromedp.Navigate(tb.base + path)) }
func (tb *tab) reload()          { tb.t.Helper(); tb.do(chromedp.Reload()) }

// until waits for a JavaScript condition; on failure it shows what the page
// says, which is usually why.
func (tb *tab) until(cond string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepLimit+time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(stepLimit)))
	if err != nil {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		defer cancel()
		body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 600) : ''`))
		require.NoError(tb.t, err, "%s: waiting for %s; the page shows:\n%s", tb.name, cond, body)
	}
}

func js[T any](tb *tab, expr string, opts ...chromedp.EvaluateOption) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, stepLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	require.NoError(tb.t, err, "%s: %s", tb.name, expr)
	return v
}

// q quotes s as a JavaScript string.
func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return js[string](tb, `(e => e ? e.textContent.trim() : '<missing>')(document.querySelector(`+q(sel)+`))`)
}

// click clicks the first match of sel. Lists re-render from the live
// stream: a node found a moment ago may be gone when the click lands, so a
// click on a replaced node is tried again on the new one.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	var err error
	for range 3 {
		ctx, cancel := context.WithTimeout(tb.ctx, stepLimit)
		err = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil || !strings.Contains(err.Error(), "Could not find node") {
			break
		}
	}
	require.NoError(tb.t, err, tb.name)
}

// typeIn types into a field key by key, as a person does.
func (tb *tab) typeIn(sel, v string) { tb.t.Helper(); tb.do(chromedp.SendKeys(chromedp.CSS(sel), v)) }

// set gives a field (a select, or a text box being corrected) a value and
// fires the events a person's change would.
func (tb *tab) set(sel, v string) {
	tb.t.Helper()
	js[bool](tb, `(e => { e.value = `+q(v)+`; e.dispatchEvent(new Event('input', {bubbles: true}));
		e.dispatchEvent(new Event('change', {bubbles: true})); return true; })(document.querySelector(`+q(sel)+`))`)
}

// mark flags the current document; kept tells whether it is still the same
// one, i.e. whatever changed since came live, not by a reload.
func (tb *tab) mark() { tb.t.Helper(); js[bool](tb, `window.__kept = true`) }
func (tb *tab) kept() bool {
	tb.t.Helper()
	return js[bool](tb, `window.__kept === true`)
}

func visible(sel string) string {
	return `(e => !!e && !e.hidden && e.getClientRects().length > 0)(document.querySelector(` + q(sel) + `))`
}

func hidden(sel string) string { return "!" + visible(sel) }

func textIs(sel, want string) string {
	return `(e => !!e && e.textContent.trim() === ` + q(want) + `)(document.querySelector(` + q(sel) + `))`
}

// fillCitizen types a citizen into a citizen form (join, walk-in) key by
// key. The CCCD presets gender and birth year, so those are checked, not typed.
func (tb *tab) fillCitizen(form string, p person, cccd, phone string) {
	tb.t.Helper()
	var y, m, d int
	_, err := fmt.Sscanf(p.Birth, "%d-%d-%d", &y, &m, &d)
	require.NoError(tb.t, err)
	tb.typeIn(form+" [name=name]", p.Name)
	tb.typeIn(form+" [name=cccd]", cccd)
	tb.until(`document.querySelector(` + q(form+` [name=gender][value=`+p.Gender+`]`) + `).checked`)
	assert.Equal(tb.t, fmt.Sprint(y), js[string](tb, `document.querySelector(`+q(form+" [name=birth_year]")+`).value`), "birth year preset from the CCCD")
	tb.typeIn(form+" [name=birth_day]", fmt.Sprint(d))
	tb.typeIn(form+" [name=birth_month]", fmt.Sprint(m))
	tb.typeIn(form+" [name=phone]", phone)
}

// restartOn starts a new kiosk on the data and address of h, which must be
// stopped. It binds the address at once but accepts no connection until
// gate closes: pages trying to reconnect wait, as they would while a slow
// box opens its store.
func restartOn(t *testing.T, h *harness, gate <-chan struct{}) *harness {
	t.Helper()
	addr := strings.TrimPrefix(h.url, "http://")
	var ln net.Listener
	var err error
	for range 50 { // the old listener's port is free once its Close returns; allow for a slow kernel
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, err)
	return startOn(t, h.cfg, &gatedListener{Listener: ln, gate: gate, closed: make(chan struct{})})
}

type gatedListener struct {
	net.Listener
	gate   <-chan struct{}
	closed chan struct{}
	once   sync.Once
}

func (g *gatedListener) Accept() (net.Conn, error) {
	select {
	case <-g.gate:
		return g.Listener.Accept()
	case <-g.closed:
		return nil, net.ErrClosed
	}
}

func (g *gatedListener) Close() error {
	g.once.Do(func() { close(g.closed) })
	return g.Listener.Close()
}

func records(t *testing.T, h *harness) []record.Record {
	t.Helper()
	r := h.client().do("GET", "/api/v1/records?after=0", nil, "Authorization", "Bearer "+h.cfg.Token)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var pg link.Page
	require.NoError(t, json.Unmarshal(r.Body, &pg))
	return pg.Records
}

func ticket(t *testing.T, h *harness, number int) queue.Ticket {
	t.Helper()
	for _, tk := range h.q.Tickets(false) {
		if tk.Number == number {
			return tk
		}
	}
	require.Failf(t, "no ticket", "number %d", number)
	return queue.Ticket{}
}

type utterance struct {
	Text  string  `json:"text"`
	Lang  string  `json:"lang"`
	Start float64 `json:"start"`
	End   float64 `json:"end"`
}

// ---- the tests ----

// TestBrowserLiveEvening is the evening as people live it, three screens at
// once: a citizen joins on /join, a volunteer logs in, calls and completes
// on /volunteer, and the TV board and the citizen's phone follow live.
func TestBrowserLiveEvening(t *testing.T) {
	testenv.Slow(t, "a real browser")
	t.Parallel() // own kiosk and Chromium; the tests mostly wait on page timers, so they overlap well
	began := time.Now()
	h := start(t, testConfig(t))
	b := newBrowser(t, h.url)
	tv := b.newDevice("tv", 1280, 720)
	phone := b.newDevice("phone", 412, 860)
	tablet := b.newDevice("tablet", 800, 1100)

	tv.open("/")
	tv.until(`document.querySelector('#board-next li') !== null`) // the script drew the first board
	phone.open("/join")
	phone.until(`!document.querySelector('#btn-join').disabled`)
	tablet.open("/volunteer")
	tablet.until(visible("#login-form"))
	for _, d := range []*tab{tv, phone, tablet} {
		d.mark()
	}

	// The citizen joins; the number shows, and the board lists it.
	p := people[0]
	phone.fillCitizen("#join-form", p, p.CCCD, "0912 345 678")
	phone.click(`#join-form [name=consent]`)
	phone.click("#btn-join")
	phone.until(visible("#ticket"))
	assert.Equal(t, "1", phone.text("#ticket-number"))
	assert.Equal(t, "1", phone.text("#ticket-position"))
	assert.Equal(t, "waiting", js[string](phone, `document.querySelector('#ticket-status').dataset.status`))
	tv.until(textIs("#board-waiting", "1") + ` && ` + textIs("#board-next li", "1"))
	tv.until(textIs(`#board-tonight [data-k="joined"]`, "1"))

	// The volunteer logs in and sees the queue, CCCD masked.
	tablet.typeIn(`#login-form [name=volunteer]`, "Trần Thị Lan")
	tablet.typeIn(`#login-form [name=pin]`, h.cfg.PIN)
	tablet.click(`#login-form button[type=submit]`)
	tablet.until(visible("#vol-main"))
	tablet.until(`document.querySelectorAll('#queue-list tr').length === 1`)
	assert.Contains(t, tablet.text("#queue-list"), "********2345")
	assert.NotContains(t, tablet.text("#queue-list"), p.CCCD)
	assert.Contains(t, tablet.text("#vol-who"), "Trần Thị Lan")

	// Desk 2 calls: the tablet shows the citizen in full, the board shows
	// and speaks the number, the phone shows the banner.
	tablet.set("#desk-select", "2")
	tablet.click("#btn-next")
	tablet.until(textIs("#current-number", "1"))
	assert.Equal(t, p.CCCD, tablet.text("#cur-cccd"))
	assert.Equal(t, p.Name, tablet.text("#cur-name"))
	assert.Equal(t, "01/05/1990", tablet.text("#cur-birth"))
	assert.Equal(t, "0912345678", tablet.text("#cur-phone"))
	tv.until(textIs(`.desk[data-desk="2"] .desk-number`, "1"))
	tv.until(visible("#board-flash"))
	assert.Equal(t, "1", tv.text("#flash-number"))
	assert.Equal(t, "2", tv.text("#flash-desk"))
	phone.until(visible("#called-banner"))
	assert.Equal(t, "2", phone.text("#called-desk"))
	assert.Equal(t, "called", js[string](phone, `document.querySelector('#ticket-status').dataset.status`))
	tv.until(`window.__spoken.length > 0 && window.__spoken[0].end > 0`)
	said := js[[]utterance](tv, `window.__spoken`)
	require.Len(t, said, 1)
	assert.Equal(t, "Mời số một đến bàn hai", said[0].Text)
	assert.Equal(t, "vi-VN", said[0].Lang)
	assert.True(t, tv.kept(), "the board changed without a reload")
	assert.True(t, phone.kept(), "the phone changed without a reload")

	// Activated: the board's counters move, the phone thanks.
	tablet.click("#btn-activated")
	tablet.until(hidden("#current"))
	assert.Equal(t, "Đã ghi: số 1 kích hoạt thành công.", tablet.text("#vol-msg"))
	tv.until(textIs(`#board-tonight [data-k="activated"]`, "1"))
	assert.Equal(t, "0", tv.text("#board-waiting"))
	tv.until(textIs(`.desk[data-desk="2"] .desk-number`, "–")) // nobody at desk 2 any more
	phone.until(`document.querySelector('#ticket-status').dataset.status === 'activated'`)
	phone.until(visible("#btn-new"))
	assert.False(t, js[bool](phone, visible("#called-banner")))
	tablet.until(textIs(`#vol-tonight [data-k="activated"]`, "1"))
	for _, d := range []*tab{tv, phone, tablet} {
		assert.True(t, d.kept(), "%s changed without a reload", d.name)
	}

	// The record is there, as the ward will pull it.
	recs := records(t, h)
	require.Len(t, recs, 1)
	rec := recs[0]
	assert.Equal(t, "activated", rec.Outcome)
	assert.Equal(t, record.Citizen{Name: p.Name, CCCD: p.CCCD, BirthDate: p.Birth, Gender: p.Gender, Phone: p.Phone, Village: "Đông Lão"}, rec.Citizen)
	assert.Equal(t, "Trần Thị Lan", rec.Volunteer)
	assert.Equal(t, 2, rec.Desk)
	assert.Equal(t, 1, rec.Ticket)
	assert.Equal(t, "citizen", rec.ConsentBy)
	assert.Equal(t, web.ConsentVersion, rec.ConsentVersion)
	assert.NotNil(t, rec.DeviceTime, "the tablet sent its clock")
	assert.Len(t, js[[]utterance](tv, `window.__spoken`), 1, "the call is spoken once")
	t.Logf("the evening took %s", time.Since(began).Round(time.Millisecond))
}

// TestBrowserJoin is the citizen's phone: errors where the citizen looks,
// a ticket that survives a reload, a call that arrives live, a fresh start,
// another village, and leaving the queue.
func TestBrowserJoin(t *testing.T) {
	testenv.Slow(t, "a real browser")
	t.Parallel() // own kiosk and Chromium; the tests mostly wait on page timers, so they overlap well
	h := start(t, testConfig(t))
	b := newBrowser(t, h.url)
	phone := b.newDevice("phone", 412, 860)
	vol := h.client()
	vol.login()
	phone.open("/join")
	phone.until(`!document.querySelector('#btn-join').disabled`)
	phone.mark()

	// An empty form is stopped in the page, each message next to its field.
	phone.click("#btn-join")
	phone.until(visible(`#join-form [data-err-for="name"]`))
	for _, f := range []string{"cccd", "birth_date", "phone", "consent"} {
		assert.True(t, js[bool](phone, visible(`#join-form [data-err-for="`+f+`"]`)), f)
	}
	assert.Empty(t, h.q.Tickets(false), "nothing sent while the form is incomplete")

	// The server's checks come back next to their fields, one at a time:
	// a province code that does not exist, then a phone number too short.
	p := people[0]
	phone.fillCitizen("#join-form", p, "999090012345", "0912")
	phone.click(`#join-form [name=consent]`)
	phone.click("#btn-join")
	phone.until(visible(`#join-form [data-err-for="cccd"]`))
	assert.Equal(t, "3 số đầu của số CCCD chưa đúng. Vui lòng xem lại thẻ.", phone.text(`#join-form [data-err-for="cccd"]`))
	assert.Equal(t, "true", js[string](phone, `document.querySelector('#join-form [name=cccd]').getAttribute('aria-invalid')`))
	assert.Equal(t, "cccd", js[string](phone, `document.activeElement.name`), "the wrong field has the focus")
	phone.set(`#join-form [name=cccd]`, p.CCCD)
	phone.until(hidden(`#join-form [data-err-for="cccd"]`)) // typing clears the message
	phone.click("#btn-join")
	phone.until(visible(`#join-form [data-err-for="phone"]`))
	assert.Equal(t, "Số điện thoại chưa đúng. Cần 10 chữ số, ví dụ 0912345678.", phone.text(`#join-form [data-err-for="phone"]`))
	assert.Empty(t, h.q.Tickets(false), "the server refused both")

	// Fixed: the ticket shows, and the server holds what was typed.
	phone.set(`#join-form [name=phone]`, "0912 345 678")
	phone.click("#btn-join")
	phone.until(visible("#ticket"))
	assert.Equal(t, "1", phone.text("#ticket-number"))
	assert.Equal(t, "1", phone.text("#ticket-position"))
	assert.Equal(t, "Bạn là người tiếp theo.", phone.text("#ticket-ahead"))
	tk := ticket(t, h, 1)
	assert.Equal(t, record.Citizen{Name: p.Name, CCCD: p.CCCD, BirthDate: p.Birth, Gender: p.Gender, Phone: p.Phone, Village: "Đông Lão"}, tk.Citizen)
	assert.Equal(t, "citizen", tk.ConsentBy)
	stored := js[string](phone, `localStorage.getItem('kyso.ticket')`)
	assert.Contains(t, stored, `"id":"`+tk.ID+`"`)
	assert.NotContains(t, stored, p.CCCD, "no personal data in the phone's storage")
	assert.True(t, phone.kept(), "the form was sent by the script, not by the browser")

	// A reload keeps the place in line.
	phone.reload()
	phone.until(`document.querySelector('#ticket-status').dataset.status === 'waiting'`)
	assert.Equal(t, "1", phone.text("#ticket-number"))
	assert.False(t, js[bool](phone, visible("#join-form")))

	// Called at desk 3: the banner comes live; a reload keeps it.
	phone.mark()
	require.Equal(t, 200, vol.do("POST", "/api/v1/desks/3/next", nil).Status)
	phone.until(visible("#called-banner"))
	assert.Equal(t, "3", phone.text("#called-desk"))
	assert.True(t, phone.kept(), "the call reached the phone without a reload")
	phone.reload()
	phone.until(visible("#called-banner"))
	assert.Equal(t, "3", phone.text("#called-desk"))

	// Done: the page offers a new number, which starts from a clean form.
	phone.mark()
	require.Equal(t, 201, vol.do("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]any{"outcome": "activated"}).Status)
	phone.until(`document.querySelector('#ticket-status').dataset.status === 'activated'`)
	phone.until(visible("#btn-new") + " && " + hidden("#called-banner"))
	assert.True(t, phone.kept())
	phone.click("#btn-new")
	phone.until(visible("#join-form"))
	assert.Equal(t, "", js[string](phone, `localStorage.getItem('kyso.ticket') || ''`))
	assert.Equal(t, "", js[string](phone, `document.querySelector('#join-form [name=name]').value`))

	// Another citizen on the same phone: a village not in the list, an
	// association; then leaving the queue.
	p = people[2]
	phone.fillCitizen("#join-form", p, p.CCCD, p.Phone)
	phone.set(`#join-form [name=village]`, "__other")
	phone.until(visible(`#join-form [name=village_other]`))
	phone.typeIn(`#join-form [name=village_other]`, "Xóm Mới")
	phone.set(`#join-form [name=association]`, "Hội Nông dân")
	phone.click(`#join-form [name=consent]`)
	phone.click("#btn-join")
	phone.until(textIs("#ticket-number", "2"))
	tk = ticket(t, h, 2)
	assert.Equal(t, "Xóm Mới", tk.Citizen.Village)
	assert.Equal(t, "Hội Nông dân", tk.Citizen.Association)
	assert.Equal(t, p.Birth, tk.Citizen.BirthDate)
	phone.click("#btn-leave")
	phone.until(visible("#btn-leave-yes"))
	phone.click("#btn-leave-yes")
	phone.until(`document.querySelector('#ticket-status').dataset.status === 'cancelled'`)
	phone.until(visible("#btn-new"))
	assert.Equal(t, queue.Cancelled, ticket(t, h, 2).Status)
}

// TestBrowserVolunteer is the tablet at a desk: PIN, call, correct, fail
// with a reason, walk-in, recall, requeue, activate, the USB file, a reload,
// and signing out.
func TestBrowserVolunteer(t *testing.T) {
	testenv.Slow(t, "a real browser")
	t.Parallel() // own kiosk and Chromium; the tests mostly wait on page timers, so they overlap well
	h := start(t, testConfig(t))
	p := people[1]
	h.client().join(p)
	b := newBrowser(t, h.url)
	tablet := b.newDevice("tablet", 800, 1100)
	tablet.open("/volunteer")
	tablet.until(visible("#login-form"))

	// A wrong PIN is said next to the PIN.
	tablet.typeIn(`#login-form [name=volunteer]`, "Trần Thị Lan")
	tablet.typeIn(`#login-form [name=pin]`, "000000")
	tablet.click(`#login-form button[type=submit]`)
	tablet.until(visible(`#login-form [data-err-for="pin"]`))
	assert.Equal(t, "Mã PIN không đúng.", tablet.text(`#login-form [data-err-for="pin"]`))
	tablet.set(`#login-form [name=pin]`, h.cfg.PIN)
	tablet.click(`#login-form button[type=submit]`)
	tablet.until(visible("#vol-main"))
	tablet.until(`document.querySelectorAll('#queue-list tr').length === 1`)
	list := tablet.text("#queue-list")
	assert.Contains(t, list, "********1122")
	assert.NotContains(t, list, p.CCCD)
	assert.NotContains(t, list, p.Phone)
	tablet.mark()

	// Desk 3 calls: the card shows the full fields, the desk is remembered.
	tablet.set("#desk-select", "3")
	tablet.click("#btn-next")
	tablet.until(visible("#current"))
	assert.Equal(t, "1", tablet.text("#current-number"))
	assert.Equal(t, p.CCCD, tablet.text("#cur-cccd"))
	assert.Equal(t, "03/02/1985", tablet.text("#cur-birth"))
	assert.Equal(t, "Nữ", tablet.text("#cur-gender"))
	assert.Equal(t, "3", js[string](tablet, `localStorage.getItem('kyso.desk')`))
	assert.Empty(t, js[string](tablet, `JSON.stringify(localStorage).includes(`+q(p.CCCD)+`) ? 'CCCD stored' : ''`))

	// A correction the server refuses is shown on its field; a good one is saved.
	tablet.click("#btn-edit")
	tablet.until(visible("#edit-form"))
	assert.Equal(t, p.Name, js[string](tablet, `document.querySelector('#edit-form [name=name]').value`))
	tablet.set(`#edit-form [name=phone]`, "12")
	tablet.click(`#edit-form button[type=submit]`)
	tablet.until(visible(`#edit-form [data-err-for="phone"]`))
	tablet.set(`#edit-form [name=phone]`, "")
	tablet.set(`#edit-form [name=name]`, "Lê Thị Bính")
	tablet.click(`#edit-form button[type=submit]`)
	tablet.until(textIs("#cur-name", "Lê Thị Bính"))
	assert.Equal(t, "Lê Thị Bính", ticket(t, h, 1).Citizen.Name)
	assert.Equal(t, p.Phone, ticket(t, h, 1).Citizen.Phone)

	// Failed, with a reason.
	tablet.click("#btn-failed")
	tablet.until(visible(`.reason[data-reason="no_email"]`))
	tablet.click(`.reason[data-reason="no_email"]`)
	tablet.until(hidden("#current"))
	recs := records(t, h)
	require.Len(t, recs, 1)
	assert.Equal(t, "failed", recs[0].Outcome)
	assert.Equal(t, "no_email", recs[0].Reason)
	assert.Equal(t, "Lê Thị Bính", recs[0].Citizen.Name)
	assert.Equal(t, 3, recs[0].Desk)

	// Nobody left.
	tablet.click("#btn-next")
	tablet.until(textIs("#vol-msg", "Không còn ai đang chờ."))

	// A walk-in: consent read aloud, the CSRF header sent.
	w := people[3]
	tablet.click("#walkin summary")
	tablet.until(visible("#walkin-form"))
	tablet.fillCitizen("#walkin-form", w, w.CCCD, w.Phone)
	tablet.click(`#walkin-form [name=consent]`)
	tablet.click(`#walkin-form button[type=submit]`)
	tablet.until(visible("#walkin-result"))
	assert.Equal(t, "Đã cấp số 2 cho Hoàng Thị Dung.", tablet.text("#walkin-result"))
	tablet.until(`document.querySelectorAll('#queue-list tr').length === 1`)
	assert.Equal(t, "Trần Thị Lan", ticket(t, h, 2).ConsentBy)

	// Call, recall, requeue, call again, activated.
	tablet.click("#btn-next")
	tablet.until(textIs("#current-number", "2"))
	tablet.click("#btn-recall")
	tablet.until(textIs("#vol-msg", "Đã gọi lại số 2."))
	tablet.click("#btn-requeue")
	tablet.until(textIs("#vol-msg", "Đã xếp số 2 lại vào hàng."))
	assert.Equal(t, queue.Waiting, ticket(t, h, 2).Status)
	tablet.until(hidden("#current"))
	tablet.click("#btn-next")
	tablet.until(textIs("#current-number", "2"))
	tablet.click("#btn-activated")
	tablet.until(hidden("#current"))
	tablet.until(textIs(`#vol-tonight [data-k="activated"]`, "1") + " && " + textIs(`#vol-tonight [data-k="failed"]`, "1"))
	assert.True(t, tablet.kept(), "the tablet never reloaded")

	// The USB file downloads with the session (what the link does).
	batch := js[string](tablet, `fetch('/api/v1/batch?after=0').then(r => r.ok ? r.text() : 'HTTP ' + r.status)`, chromedp.EvalAwaitPromise)
	var bt record.Batch
	require.NoError(t, json.Unmarshal([]byte(batch), &bt), batch)
	assert.Len(t, bt.Records, 2)

	// A reload resumes the session from the cookie; signing out ends it.
	tablet.reload()
	tablet.until(visible("#vol-main"))
	tablet.until(`document.querySelector('#vol-sync').textContent.startsWith('Chưa gửi về xã: 2 bản ghi.')`)
	assert.Contains(t, tablet.text("#vol-sync"), "hãy chép tệp bằng USB")
	assert.Equal(t, "3", js[string](tablet, `document.querySelector('#desk-select').value`), "the desk is remembered")
	tablet.click("#btn-logout")
	tablet.until(visible("#login-form"))
	tablet.reload()
	tablet.until(visible("#login-form"))
	assert.Equal(t, "Trần Thị Lan", js[string](tablet, `document.querySelector('#login-form [name=volunteer]').value`), "the name is remembered, not the PIN")
}

// TestBrowserBoard is the TV: what it shows, what it says and in which
// order, and that it comes back by itself when the kiosk restarts — with the
// phones still holding their place.
func TestBrowserBoard(t *testing.T) {
	testenv.Slow(t, "a real browser")
	t.Parallel() // own kiosk and Chromium; the tests mostly wait on page timers, so they overlap well
	cfg := testConfig(t)
	cfg.WifiSSID = "NVH Đông Lão"
	cfg.WifiPassword = "camngoc2024"
	info := `{"villages":["Đông Lão","Song Nga"],"associations":["Hội Phụ nữ"],
		"progress":[{"name":"Đông Lão","target":202,"before":43,"have":123,"percent":60.9}]}`
	require.NoError(t, os.WriteFile(filepath.Join(cfg.Data, "ward-info.json"), []byte(info), 0o600))
	h := start(t, cfg)
	phones := h.client()
	var ids []string
	for _, p := range people[:3] {
		ids = append(ids, phones.join(p).ID)
	}
	vol := h.client()
	vol.login()
	for _, d := range []string{"1", "2"} { // calls made before the board opened: never spoken
		require.Equal(t, 200, vol.do("POST", "/api/v1/desks/"+d+"/next", nil).Status)
	}

	b := newBrowser(t, h.url)
	tv := b.newDevice("tv", 1280, 720)
	tv.open("/")
	tv.until(textIs(`.desk[data-desk="2"] .desk-number`, "2"))
	assert.Equal(t, "1", tv.text(`.desk[data-desk="1"] .desk-number`))
	assert.Equal(t, "–", tv.text(`.desk[data-desk="3"] .desk-number`))
	assert.Equal(t, "3", tv.text("#board-next"))
	assert.Equal(t, "1", tv.text("#board-waiting"))
	tv.until(visible("#board-progress"))
	assert.Equal(t, "Đông Lão: 123 / 202 người có chữ ký số", tv.text("#progress-label"))
	assert.Equal(t, "60,9% · còn 79 người", tv.text("#progress-pct"), "rounded to one decimal, as the ward rounds")
	tv.until(`document.images.length === 3 && [...document.images].every(i => i.complete && i.naturalWidth > 0)`)
	html := js[string](tv, `document.documentElement.outerHTML`)
	for _, p := range people {
		assert.NotContains(t, html, p.Name, "no names on the TV")
		assert.NotContains(t, html, p.CCCD)
	}
	tv.mark()

	// Two calls in a row: both spoken, in order, the second after the first
	// ended; then a recall, spoken again. Nothing else is ever said — not
	// the calls from before the board opened, not a call twice.
	phones.join(people[3])
	require.Equal(t, 201, vol.do("POST", "/api/v1/tickets/"+ids[0]+"/complete", map[string]any{"outcome": "activated"}).Status)
	require.Equal(t, 200, vol.do("POST", "/api/v1/desks/3/next", nil).Status)
	r := vol.do("POST", "/api/v1/desks/1/next", nil)
	require.Equal(t, 200, r.Status)
	fourth := r.JSON(t)["id"].(string)
	tv.until(`window.__spoken.length === 2 && window.__spoken[1].end > 0`)
	require.Equal(t, 200, vol.do("POST", "/api/v1/tickets/"+fourth+"/recall", nil).Status)
	tv.until(`window.__spoken.length === 3 && window.__spoken[2].end > 0`)
	said := js[[]utterance](tv, `window.__spoken`)
	var texts []string
	for _, u := range said {
		texts = append(texts, u.Text)
	}
	assert.Equal(t, []string{"Mời số ba đến bàn ba", "Mời số bốn đến bàn một", "Mời số bốn đến bàn một"}, texts)
	assert.GreaterOrEqual(t, said[1].Start, said[0].End, "a call never cuts off the one before")
	assert.Equal(t, "4", tv.text(`.desk[data-desk="1"] .desk-number`))
	assert.Equal(t, "1", tv.text(`#board-tonight [data-k="activated"]`))

	// A phone waiting in line.
	phone := b.newDevice("phone", 412, 860)
	phone.open("/join")
	phone.until(`!document.querySelector('#btn-join').disabled`)
	e := person{"Đỗ Văn Em", "0398765432", "038088007788", "1988-04-04", "male", "Đông Lão"}
	phone.fillCitizen("#join-form", e, e.CCCD, e.Phone)
	phone.click(`#join-form [name=consent]`)
	phone.click("#btn-join")
	phone.until(textIs("#ticket-number", "5"))
	phone.mark()

	// The kiosk restarts (a crash, an upgrade): the TV says it is offline
	// and comes back by itself, with the queue as it was, and the phone keeps
	// its place — all without a reload. The new kiosk is busy before the TV
	// gets through (corrections, here), so its rev has passed the TV's while
	// its call ids start again at 1: the TV must still speak its next call.
	seen := h.q.Snapshot().Rev // what the TV last had
	tv.down.Store(true)
	phone.down.Store(true)
	h.stop()
	tv.until(visible("#board-offline"))
	gate := make(chan struct{})
	h2 := restartOn(t, h, gate)
	waiting := ticket(t, h2, 5)
	for range 20 {
		_, err := h2.q.Correct(waiting.ID, waiting.Citizen)
		require.NoError(t, err)
	}
	require.Greater(t, h2.q.Snapshot().Rev, seen, "the case under test: a restarted kiosk ahead of the TV's rev")
	close(gate)
	tv.until(hidden("#board-offline"))
	tv.down.Store(false) // refused connections ended when the new kiosk bound the address
	phone.down.Store(false)
	assert.Equal(t, "4", tv.text(`.desk[data-desk="1"] .desk-number`))
	assert.Equal(t, "2", tv.text(`.desk[data-desk="2"] .desk-number`))
	assert.Equal(t, "3", tv.text(`.desk[data-desk="3"] .desk-number`))
	vol2 := h2.client() // sessions live in memory: the volunteer signs in again
	vol2.login()
	require.Equal(t, 201, vol2.do("POST", "/api/v1/tickets/"+ids[1]+"/complete", map[string]any{"outcome": "failed", "reason": "no_network"}).Status)
	require.Equal(t, 200, vol2.do("POST", "/api/v1/desks/2/next", nil).Status)
	tv.until(textIs(`.desk[data-desk="2"] .desk-number`, "5"))
	tv.until(`window.__spoken.length === 4`)
	assert.Equal(t, "Mời số năm đến bàn hai", js[string](tv, `window.__spoken[3].text`))
	phone.until(visible("#called-banner"))
	assert.Equal(t, "2", phone.text("#called-desk"))
	assert.True(t, tv.kept(), "the TV came back without a reload")
	assert.True(t, phone.kept(), "the phone came back without a reload")
	b.close() // before h2 stops: the pages must not see the kiosk go again
}

// TestBrowserPairing is a kiosk not yet paired with its ward: the TV shows
// the setup screen (never the PIN), and the pairing card appears on the
// tablet as soon as the volunteer signs in.
func TestBrowserPairing(t *testing.T) {
	testenv.Slow(t, "a real browser")
	t.Parallel() // own kiosk and Chromium; the tests mostly wait on page timers, so they overlap well
	cfg := testConfig(t)
	cfg.Token = ""
	h := start(t, cfg)
	b := newBrowser(t, h.url)
	tv := b.newDevice("tv", 1280, 720)
	tv.open("/")
	tv.until(visible("#qr-volunteer") + ` && document.querySelector('#qr-volunteer').naturalWidth > 0`)
	assert.Contains(t, tv.text("body"), "Máy chưa được ghép với xã.")
	assert.NotContains(t, js[string](tv, `document.documentElement.outerHTML`), cfg.PIN)

	tablet := b.newDevice("tablet", 800, 1100)
	tablet.open("/volunteer")
	tablet.until(visible("#login-form"))
	assert.False(t, js[bool](tablet, visible("#pair-card")), "nothing to pair before signing in")
	tablet.typeIn(`#login-form [name=volunteer]`, "Trần Thị Lan")
	tablet.typeIn(`#login-form [name=pin]`, cfg.PIN)
	tablet.click(`#login-form button[type=submit]`)
	tablet.until(visible("#vol-main"))
	tablet.until(visible("#pair-card"))
	tablet.typeIn("#pair-code", "7KQ-42M")
	tablet.typeIn("#pair-ward", "ftp://xa")
	tablet.click(`#pair-form button[type=submit]`)
	tablet.until(visible("#pair-form .form-error"))
	assert.Equal(t, errPairURL.Message, tablet.text("#pair-form .form-error"))
}

// TestBrowserWatcherHearsProblems makes sure the watcher the other tests
// rely on does report a CSP violation and an uncaught error: a deaf watcher
// would pass every page.
func TestBrowserWatcherHearsProblems(t *testing.T) {
	testenv.Slow(t, "a real browser")
	t.Parallel() // own kiosk and Chromium; the tests mostly wait on page timers, so they overlap well
	h := start(t, testConfig(t))
	b := newBrowser(t, h.url)
	phone := b.newDevice("phone", 412, 860)
	phone.open("/join")
	phone.until(`!document.querySelector('#btn-join').disabled`)
	js[bool](phone, `(() => {
		const s = document.createElement('script');
		s.textContent = 'window.__ran = true';
		document.head.append(s);
		setTimeout(() => { throw new Error('boom'); });
		return true;
	})()`)
	var got []string
	require.Eventually(t, func() bool {
		phone.mu.Lock()
		defer phone.mu.Unlock()
		got = append([]string(nil), phone.problems...)
		return len(got) >= 2
	}, stepLimit, 20*time.Millisecond)
	all := strings.Join(got, "\n")
	assert.Contains(t, all, "Content Security Policy")
	assert.Contains(t, all, "boom")
	assert.False(t, js[bool](phone, `window.__ran === true`), "the CSP blocked the inline script")
	assert.NotEmpty(t, js[[]string](phone, `window.__csp`), "the page saw the violation too")
	// Heard: now forget it, or the browser's close would fail this test.
	phone.mu.Lock()
	phone.problems = nil
	phone.mu.Unlock()
	js[bool](phone, `(window.__csp = [], true)`)
}

package web

// Browser tests of the pages' scripts against a hand-written fake of the
// kiosk API (docs/kiosk-api.md) on 127.0.0.1, in headless Chromium, under the
// kiosk's CSP. They check what only a browser can: the scripts run, the
// forms post the API's JSON, field errors land next to their field, the
// ticket follows the queue live and survives a reload, the board speaks each
// new call once and in order, the tablet drives a desk.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strconv"
	"strings"
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

const kioskCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"

// ---- the fake kiosk ----

type fakeTicket struct {
	ID, Token, Status, CalledAt string
	Number, Desk                int
	Citizen                     map[string]any
}

type fakeCall struct {
	ID     int    `json:"id"`
	Number int    `json:"number"`
	Desk   int    `json:"desk"`
	At     string `json:"at"`
}

type fakeKiosk struct {
	t    *testing.T
	quit chan struct{}

	mu        sync.Mutex
	rev       int
	tickets   []*fakeTicket
	calls     []fakeCall
	desks     map[int]int
	subs      map[chan []byte]bool
	joins     []map[string]any // bodies of POST /api/v1/tickets
	patches   []map[string]any
	completes []map[string]any
}

func newFake(t *testing.T) (*fakeKiosk, *httptest.Server) {
	tpl, err := Templates()
	require.NoError(t, err)
	f := &fakeKiosk{t: t, quit: make(chan struct{}), desks: map[int]int{}, subs: map[chan []byte]bool{}}
	pageFn := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			if err := Render(w, tpl, name, sample()); err != nil {
				t.Error(err)
			}
		}
	}
	var pngBuf bytes.Buffer
	require.NoError(t, png.Encode(&pngBuf, image.NewGray(image.Rect(0, 0, 29, 29))))

	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", pageFn("board"))
	mux.HandleFunc("GET /join", pageFn("join"))
	mux.HandleFunc("GET /volunteer", pageFn("volunteer"))
	mux.HandleFunc("GET /app", pageFn("app"))
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(Static())))
	mux.HandleFunc("GET /qr/{name}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(pngBuf.Bytes())
	})
	mux.HandleFunc("GET /api/v1/board", func(w http.ResponseWriter, r *http.Request) { writeRaw(w, 200, f.board()) })
	mux.HandleFunc("GET /api/v1/events", f.events)
	mux.HandleFunc("POST /api/v1/tickets", f.join)
	mux.HandleFunc("GET /api/v1/tickets/{id}", f.citizen(func(w http.ResponseWriter, tk *fakeTicket) {
		pos := f.position(tk)
		writeJSON(w, 200, map[string]any{"id": tk.ID, "number": tk.Number, "status": tk.Status, "position": pos,
			"desk": tk.Desk, "eta_minutes": pos * 4, "called_at": tk.CalledAt})
	}))
	mux.HandleFunc("DELETE /api/v1/tickets/{id}", f.citizen(func(w http.ResponseWriter, tk *fakeTicket) {
		tk.Status = "cancelled"
		f.changed()
		writeJSON(w, 200, map[string]any{"status": "cancelled"})
	}))
	mux.HandleFunc("POST /api/v1/login", f.login)
	mux.HandleFunc("POST /api/v1/logout", f.volunteer(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	mux.HandleFunc("GET /api/v1/session", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("kyso_session"); err != nil || c.Value != "s1" {
			writeErr(w, 401, "unauthorized", "", "Chưa đăng nhập.")
			return
		}
		writeJSON(w, 200, map[string]any{"volunteer": "Lan", "csrf_token": "csrf-1"})
	})
	mux.HandleFunc("GET /api/v1/queue", f.volunteer(f.queue))
	mux.HandleFunc("POST /api/v1/desks/{desk}/next", f.volunteer(func(w http.ResponseWriter, r *http.Request) {
		desk, _ := strconv.Atoi(r.PathValue("desk"))
		tk := f.next(desk)
		if tk == nil {
			w.WriteHeader(204)
			return
		}
		writeJSON(w, 200, map[string]any{"id": tk.ID, "number": tk.Number, "status": tk.Status, "desk": tk.Desk,
			"called_at": tk.CalledAt, "citizen": tk.Citizen})
	}))
	mux.HandleFunc("POST /api/v1/tickets/{id}/{verb}", f.volunteer(f.action))
	mux.HandleFunc("PATCH /api/v1/tickets/{id}", f.volunteer(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&body))
		f.mu.Lock()
		defer f.mu.Unlock()
		f.patches = append(f.patches, body)
		tk := f.find(r.PathValue("id"))
		for k, v := range body["citizen"].(map[string]any) {
			tk.Citizen[k] = v
		}
		writeJSON(w, 200, map[string]any{"id": tk.ID, "number": tk.Number, "status": tk.Status, "desk": tk.Desk, "citizen": tk.Citizen})
	}))

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", kioskCSP)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		close(f.quit) // end the event streams, or Close waits for them
		srv.Close()
	})
	return f, srv
}

func writeRaw(w http.ResponseWriter, code int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	writeRaw(w, code, b)
}

func writeErr(w http.ResponseWriter, code int, c, field, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]string{"code": c, "field": field, "message": msg}})
}

func (f *fakeKiosk) find(id string) *fakeTicket {
	for _, tk := range f.tickets {
		if tk.ID == id {
			return tk
		}
	}
	return nil
}

func (f *fakeKiosk) position(tk *fakeTicket) int {
	if tk.Status != "waiting" {
		return 0
	}
	n := 0
	for _, x := range f.tickets {
		if x.Status == "waiting" {
			n++
		}
		if x == tk {
			return n
		}
	}
	return 0
}

func (f *fakeKiosk) board() []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.boardLocked()
}

func (f *fakeKiosk) boardLocked() []byte {
	desks := []map[string]int{}
	for d := 1; d <= 3; d++ {
		desks = append(desks, map[string]int{"desk": d, "number": f.desks[d]})
	}
	next, waiting := []int{}, 0
	for _, tk := range f.tickets {
		if tk.Status == "waiting" {
			waiting++
			next = append(next, tk.Number)
		}
	}
	calls := f.calls
	if len(calls) > 10 {
		calls = calls[len(calls)-10:]
	}
	b, _ := json.Marshal(map[string]any{
		"kiosk_id": "dong-lao", "name": "Nhà văn hóa thôn Đông Lão", "village": "Đông Lão", "rev": f.rev,
		"desks": desks, "next": next, "waiting": waiting,
		"tonight":             map[string]int{"joined": len(f.tickets), "served": 0, "activated": 18, "failed": 2, "no_show": 1},
		"avg_service_seconds": 240, "active_desks": 2, "calls": calls,
		"progress": map[string]any{"village": "Đông Lão", "activated": 80, "target": 202, "before": 43, "have": 123, "percent": 60.9},
		"has_wifi": true, "time": time.Now().UTC().Format(time.RFC3339),
	})
	return b
}

// changed bumps the revision and pushes the board to every stream. Callers
// hold f.mu.
func (f *fakeKiosk) changed() {
	f.rev++
	b := f.boardLocked()
	for ch := range f.subs {
		select {
		case ch <- b:
		default:
		}
	}
}

func (f *fakeKiosk) events(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	ch := make(chan []byte, 16)
	f.mu.Lock()
	f.subs[ch] = true
	first := f.boardLocked()
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
	}()
	send := func(b []byte) {
		_, _ = fmt.Fprintf(w, "event: board\ndata: %s\n\n", b)
		w.(http.Flusher).Flush()
	}
	send(first)
	for {
		select {
		case b := <-ch:
			if b == nil {
				return // dropped: see drop
			}
			send(b)
		case <-r.Context().Done():
			return
		case <-f.quit:
			return
		}
	}
}

// drop ends every open event stream, as a restart or a Wi-Fi hiccup would.
func (f *fakeKiosk) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs {
		ch <- nil
		delete(f.subs, ch)
	}
}

// add puts a ticket in the queue directly (as if it joined) and returns it.
func (f *fakeKiosk) add(c map[string]any) *fakeTicket {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.tickets) + 1
	tk := &fakeTicket{ID: fmt.Sprintf("t%d", n), Token: fmt.Sprintf("tok%d", n), Status: "waiting", Number: n, Citizen: c}
	f.tickets = append(f.tickets, tk)
	f.changed()
	return tk
}

func (f *fakeKiosk) next(desk int) *fakeTicket {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, tk := range f.tickets {
		if tk.Status == "waiting" {
			tk.Status, tk.Desk, tk.CalledAt = "called", desk, time.Now().UTC().Format(time.RFC3339Nano)
			f.desks[desk] = tk.Number
			f.calls = append(f.calls, fakeCall{ID: len(f.calls) + 1, Number: tk.Number, Desk: desk, At: tk.CalledAt})
			f.changed()
			return tk
		}
	}
	return nil
}

func (f *fakeKiosk) finish(tk *fakeTicket, status string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	tk.Status = status
	if f.desks[tk.Desk] == tk.Number {
		f.desks[tk.Desk] = 0
	}
	f.changed()
}

func (f *fakeKiosk) join(w http.ResponseWriter, r *http.Request) {
	if _, err := r.Cookie("kyso_session"); err == nil && r.Header.Get("X-CSRF-Token") != "csrf-1" {
		writeErr(w, 403, "csrf", "", "Thiếu mã chống giả mạo.")
		return
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeErr(w, 400, "bad_json", "", "Dữ liệu không đúng.")
		return
	}
	f.mu.Lock()
	f.joins = append(f.joins, body)
	f.mu.Unlock()
	if cccd, _ := body["cccd"].(string); strings.HasPrefix(cccd, "999") {
		writeErr(w, 422, "invalid_cccd", "cccd", "Mã tỉnh trong số CCCD không đúng.")
		return
	}
	c := map[string]any{}
	for _, k := range []string{"name", "cccd", "birth_date", "gender", "phone", "village", "association"} {
		c[k] = body[k]
	}
	tk := f.add(c)
	f.mu.Lock()
	defer f.mu.Unlock()
	writeJSON(w, 201, map[string]any{"id": tk.ID, "number": tk.Number, "token": tk.Token, "position": f.position(tk), "eta_minutes": 4})
}

func (f *fakeKiosk) citizen(h func(http.ResponseWriter, *fakeTicket)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		tk := f.find(r.PathValue("id"))
		if tk == nil {
			writeErr(w, 404, "not_found", "", "Không tìm thấy số.")
			return
		}
		if r.Header.Get("Authorization") != "Bearer "+tk.Token {
			writeErr(w, 401, "unauthorized", "", "Sai mã.")
			return
		}
		h(w, tk)
	}
}

func (f *fakeKiosk) login(w http.ResponseWriter, r *http.Request) {
	var body struct{ Pin, Volunteer string }
	_ = json.NewDecoder(r.Body).Decode(&body)
	if body.Pin != "2468" {
		writeErr(w, 401, "bad_pin", "pin", "Mã PIN không đúng.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: "kyso_session", Value: "s1", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, 200, map[string]any{"csrf_token": "csrf-1", "volunteer": body.Volunteer})
}

// volunteer guards a volunteer route: session cookie, and the CSRF header on
// anything that changes state.
func (f *fakeKiosk) volunteer(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("kyso_session"); err != nil || c.Value != "s1" {
			writeErr(w, 401, "unauthorized", "", "Chưa đăng nhập.")
			return
		}
		if r.Method != http.MethodGet && r.Header.Get("X-CSRF-Token") != "csrf-1" {
			writeErr(w, 403, "csrf", "", "Thiếu mã chống giả mạo.")
			return
		}
		h(w, r)
	}
}

func (f *fakeKiosk) queue(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	list := []map[string]any{}
	for _, tk := range f.tickets {
		if tk.Status != "waiting" && tk.Status != "called" {
			continue
		}
		c := tk.Citizen
		cccd, _ := c["cccd"].(string)
		list = append(list, map[string]any{"id": tk.ID, "number": tk.Number, "status": tk.Status, "desk": tk.Desk,
			"name": c["name"], "cccd_masked": "********" + cccd[max(len(cccd)-4, 0):], "phone_masked": "*******789",
			"birth_date": c["birth_date"], "gender": c["gender"], "village": c["village"], "association": c["association"],
			"called_at": tk.CalledAt})
	}
	writeJSON(w, 200, map[string]any{"tickets": list,
		"tonight": map[string]int{"joined": len(f.tickets), "activated": 18, "failed": 2, "no_show": 1},
		"sync":    map[string]any{"head_seq": 20, "acked_seq": 17, "unsent": 3, "last_sync": time.Now().UTC().Format(time.RFC3339), "last_error": "", "ward_url": "http://ward"}})
}

func (f *fakeKiosk) action(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	tk := f.find(r.PathValue("id"))
	f.mu.Unlock()
	if tk == nil {
		writeErr(w, 404, "not_found", "", "Không tìm thấy số.")
		return
	}
	switch r.PathValue("verb") {
	case "complete":
		var body map[string]any
		require.NoError(f.t, json.NewDecoder(r.Body).Decode(&body))
		f.mu.Lock()
		f.completes = append(f.completes, body)
		f.mu.Unlock()
		f.finish(tk, body["outcome"].(string))
		writeJSON(w, 201, map[string]any{"record": map[string]any{"id": "r1", "seq": 1}})
	case "no-show":
		f.finish(tk, "no_show")
		writeJSON(w, 200, map[string]any{"id": tk.ID})
	case "requeue":
		f.finish(tk, "waiting")
		writeJSON(w, 200, map[string]any{"id": tk.ID})
	case "recall":
		writeJSON(w, 200, map[string]any{"id": tk.ID})
	default:
		writeErr(w, 404, "not_found", "", "Không có.")
	}
}

// ---- the browser ----

// speechStub replaces speech synthesis with a recorder that takes 300 ms per
// utterance, and records CSP violations; DevTools injects it before the
// page's own scripts, outside the CSP.
const speechStub = `
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

func chromePath(t *testing.T) string {
	for _, p := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	testenv.Missing(t, "no Chromium (apt-get install -y chromium-headless-shell)")
	return ""
}

type tab struct {
	t      *testing.T
	ctx    context.Context
	mu     sync.Mutex
	errors []string
}

func newTab(t *testing.T) *tab {
	exe := chromePath(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox,
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), chromedp.WindowSize(412, 900))
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(ctx)) // start the browser with no deadline
	tb := &tab{t: t, ctx: ctx}
	require.NoError(t, chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			d := e.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			tb.mu.Lock()
			tb.errors = append(tb.errors, msg)
			tb.mu.Unlock()
		}
	}))
	tb.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: speechStub})
		return err
	}))
	t.Cleanup(tb.clean)
	return tb
}

// clean fails the test on any uncaught script error or CSP violation.
func (tb *tab) clean() {
	csp, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`window.__csp || []`))
	if err == nil {
		assert.Empty(tb.t, csp, "CSP violations")
	}
	tb.mu.Lock()
	defer tb.mu.Unlock()
	assert.Empty(tb.t, tb.errors, "uncaught script errors")
}

func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	require.NoError(tb.t, chromedp.Do(ctx, steps...))
}

// until waits for a JavaScript condition.
func (tb *tab) until(expr string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, 20*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(15*time.Second)))
	require.NoError(tb.t, err, "waiting for %s", expr)
}

func evalJS[T any](tb *tab, expr string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
	require.NoError(tb.t, err, expr)
	return v
}

func (tb *tab) text(sel string) string {
	return evalJS[string](tb, `document.querySelector(`+strconv.Quote(sel)+`).textContent.trim()`)
}

// set gives a field a value and fires the events a person typing would.
func (tb *tab) set(sel, v string) {
	tb.t.Helper()
	_ = evalJS[bool](tb, fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.value = %q;
		e.dispatchEvent(new Event('input', {bubbles: true})); e.dispatchEvent(new Event('change', {bubbles: true})); return true; })()`, sel, v))
}

func (tb *tab) click(sel string) { tb.t.Helper(); tb.do(chromedp.Click(chromedp.CSS(sel))) }

func visible(sel string) string {
	return fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && !e.hidden && e.getClientRects().length > 0; })()`, sel)
}

func hidden(sel string) string { return "!" + visible(sel) }

// ---- the tests ----

func TestBrowserJoin(t *testing.T) {
	f, srv := newFake(t)
	tb := newTab(t)
	tb.do(chromedp.Navigate(srv.URL + "/join"))
	tb.until(`!document.querySelector('#btn-join').disabled`)

	// An empty form is stopped in the page, each message next to its field.
	tb.click("#btn-join")
	tb.until(visible(`#join-form [data-err-for="name"]`))
	tb.until(visible(`#join-form [data-err-for="consent"]`))
	assert.Empty(t, f.joins, "nothing sent while the form is incomplete")

	// The API's field error lands next to the field.
	tb.set(`#join-form [name=name]`, "Nguyễn Thị Hoa")
	tb.set(`#join-form [name=cccd]`, "999170001234")
	tb.set(`#join-form [name=birth_day]`, "5")
	tb.set(`#join-form [name=birth_month]`, "3")
	tb.set(`#join-form [name=birth_year]`, "1970")
	tb.click(`#join-form [name=gender][value=female]`)
	tb.set(`#join-form [name=phone]`, "0912 345 678")
	tb.click(`#join-form [name=consent]`)
	tb.click("#btn-join")
	tb.until(visible(`#join-form [data-err-for="cccd"]`))
	assert.Equal(t, "Mã tỉnh trong số CCCD không đúng.", tb.text(`#join-form [data-err-for="cccd"]`))
	assert.Equal(t, "true", evalJS[string](tb, `document.querySelector('#join-form [name=cccd]').getAttribute('aria-invalid')`))

	// Fixed: the ticket shows, with the JSON the API expects.
	tb.set(`#join-form [name=cccd]`, "038170001234")
	tb.click("#btn-join")
	tb.until(visible("#ticket"))
	assert.Equal(t, "1", tb.text("#ticket-number"))
	assert.Equal(t, "1", tb.text("#ticket-position"))
	assert.Equal(t, "waiting", evalJS[string](tb, `document.querySelector('#ticket-status').dataset.status`))
	f.mu.Lock()
	last := f.joins[len(f.joins)-1]
	f.mu.Unlock()
	assert.Equal(t, map[string]any{"name": "Nguyễn Thị Hoa", "cccd": "038170001234", "birth_date": "1970-03-05",
		"gender": "female", "phone": "0912 345 678", "village": "Đông Lão", "association": "", "consent": true}, last)
	assert.Contains(t, evalJS[string](tb, `localStorage.getItem('kyso.ticket')`), `"token":"tok1"`)

	// Called: the banner names the desk, live from the board stream.
	f.mu.Lock()
	tk := f.find("t1")
	f.mu.Unlock()
	require.NotNil(t, f.next(2))
	tb.until(visible("#called-banner"))
	assert.Equal(t, "2", tb.text("#called-desk"))
	assert.Equal(t, "called", evalJS[string](tb, `document.querySelector('#ticket-status').dataset.status`))

	// A reload keeps the ticket.
	tb.do(chromedp.Reload())
	tb.until(`document.querySelector('#ticket-status').dataset.status === 'called'`)
	tb.until(visible("#called-banner"))

	// Done: the page offers a new ticket, which starts from a clean form.
	f.finish(tk, "activated")
	tb.until(`document.querySelector('#ticket-status').dataset.status === 'activated'`)
	tb.until(visible("#btn-new"))
	tb.until(hidden("#called-banner"))
	tb.click("#btn-new")
	tb.until(visible("#join-form"))
	assert.Equal(t, "", evalJS[string](tb, `localStorage.getItem('kyso.ticket') || ''`))

	// "Thôn khác" sends the typed village; leaving cancels the ticket.
	tb.set(`#join-form [name=name]`, "Lê Văn Nam")
	tb.set(`#join-form [name=cccd]`, "038080001111") // digit 4 = 0: a man born in 19xx
	tb.until(`document.querySelector('#join-form [name=gender][value=male]').checked`)
	assert.Equal(t, "1980", evalJS[string](tb, `document.querySelector('#join-form [name=birth_year]').value`), "year preset from the CCCD")
	tb.set(`#join-form [name=birth_day]`, "12")
	tb.set(`#join-form [name=birth_month]`, "11")
	tb.set(`#join-form [name=phone]`, "0987654321")
	tb.set(`#join-form [name=village]`, "__other")
	tb.until(visible(`#join-form [name=village_other]`))
	tb.set(`#join-form [name=village_other]`, "Xóm Mới")
	tb.set(`#join-form [name=association]`, "Hội Nông dân")
	tb.click(`#join-form [name=consent]`)
	tb.click("#btn-join")
	tb.until(`document.querySelector('#ticket-number').textContent === '2'`)
	f.mu.Lock()
	last = f.joins[len(f.joins)-1]
	f.mu.Unlock()
	assert.Equal(t, "Xóm Mới", last["village"])
	assert.Equal(t, "Hội Nông dân", last["association"])
	assert.Equal(t, "1980-11-12", last["birth_date"])
	tb.click("#btn-leave")
	tb.until(visible("#btn-leave-yes"))
	tb.click("#btn-leave-yes")
	tb.until(`document.querySelector('#ticket-status').dataset.status === 'cancelled'`)
	f.mu.Lock()
	assert.Equal(t, "cancelled", f.find("t2").Status)
	f.mu.Unlock()
}

func TestBrowserBoard(t *testing.T) {
	f, srv := newFake(t)
	for range 3 {
		f.add(map[string]any{"name": "A", "cccd": "038170001234"})
	}
	f.next(1) // calls made before the board opened: never spoken
	f.next(2)
	tb := newTab(t)
	tb.do(chromedp.Navigate(srv.URL + "/"))
	tb.until(`document.querySelector('.desk[data-desk="2"] .desk-number').textContent === '2'`)
	assert.Equal(t, "1", tb.text(`.desk[data-desk="1"] .desk-number`))
	assert.Equal(t, "–", tb.text(`.desk[data-desk="3"] .desk-number`))
	assert.Equal(t, "3", tb.text("#board-next"))
	assert.Equal(t, "1", tb.text("#board-waiting"))
	tb.until(visible("#board-progress"))
	tb.until(`[...document.images].every(i => i.complete && i.naturalWidth > 0)`)
	time.Sleep(time.Second)
	assert.Zero(t, evalJS[int](tb, `window.__spoken.length`), "old calls are not spoken on load")

	// Two calls in a row: both spoken, in order, the second after the first ended.
	f.add(map[string]any{"name": "B", "cccd": "038170001234"})
	f.next(3)
	f.next(1)
	tb.until(`window.__spoken.length === 2 && window.__spoken[1].end > 0`)
	type utter struct {
		Text  string  `json:"text"`
		Lang  string  `json:"lang"`
		Start float64 `json:"start"`
		End   float64 `json:"end"`
	}
	got := evalJS[[]utter](tb, `window.__spoken`)
	assert.Equal(t, "Mời số 3 đến bàn 3", got[0].Text)
	assert.Equal(t, "Mời số 4 đến bàn 1", got[1].Text)
	assert.Equal(t, "vi-VN", got[0].Lang)
	assert.GreaterOrEqual(t, got[1].Start, got[0].End, "a call never cuts off the one before")
	assert.Equal(t, "4", tb.text(`.desk[data-desk="1"] .desk-number`))
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, 2, evalJS[int](tb, `window.__spoken.length`), "each call is spoken once")

	// The stream drops and a call happens meanwhile: the board reconnects by
	// itself, catches up, and still speaks the (recent) call once.
	f.drop()
	f.add(map[string]any{"name": "C", "cccd": "038170001234"})
	f.next(2)
	tb.until(`document.querySelector('.desk[data-desk="2"] .desk-number').textContent === '5'`)
	tb.until(`window.__spoken.length === 3`)
	assert.Equal(t, "Mời số 5 đến bàn 2", evalJS[string](tb, `window.__spoken[2].text`))
	tb.until(hidden("#board-offline"))
}

func TestBrowserVolunteer(t *testing.T) {
	f, srv := newFake(t)
	f.add(map[string]any{"name": "Trần Văn Bình", "cccd": "038075009876", "birth_date": "1975-06-01", "gender": "male",
		"phone": "0912345789", "village": "Song Nga", "association": ""})
	tb := newTab(t)
	tb.do(chromedp.Navigate(srv.URL + "/volunteer"))
	tb.until(visible("#login-form"))

	tb.set(`#login-form [name=volunteer]`, "Lan")
	tb.set(`#login-form [name=pin]`, "0000")
	tb.click(`#login-form button[type=submit]`)
	tb.until(visible(`#login-form [data-err-for="pin"]`))
	assert.Equal(t, "Mã PIN không đúng.", tb.text(`#login-form [data-err-for="pin"]`))
	tb.set(`#login-form [name=pin]`, "2468")
	tb.click(`#login-form button[type=submit]`)
	tb.until(visible("#vol-main"))
	tb.until(`document.querySelectorAll('#queue-list tr').length === 1`)
	assert.Contains(t, tb.text("#queue-list"), "********9876")
	assert.NotContains(t, tb.text("#queue-list"), "038075009876")

	// Desk 2, call: the card shows the full fields from the next response.
	tb.set("#desk-select", "2")
	tb.click("#btn-next")
	tb.until(visible("#current"))
	assert.Equal(t, "1", tb.text("#current-number"))
	assert.Equal(t, "038075009876", tb.text("#cur-cccd"))
	assert.Equal(t, "01/06/1975", tb.text("#cur-birth"))
	assert.Equal(t, "2", evalJS[string](tb, `localStorage.getItem('kyso.desk')`))

	// A correction sends only what changed.
	tb.click("#btn-edit")
	tb.until(visible("#edit-form"))
	assert.Equal(t, "Trần Văn Bình", evalJS[string](tb, `document.querySelector('#edit-form [name=name]').value`))
	tb.set(`#edit-form [name=name]`, "Trần Văn Bính")
	tb.click(`#edit-form button[type=submit]`)
	tb.until(`document.querySelector('#cur-name').textContent === 'Trần Văn Bính'`)
	f.mu.Lock()
	require.Len(t, f.patches, 1)
	assert.Equal(t, map[string]any{"citizen": map[string]any{"name": "Trần Văn Bính"}}, f.patches[0])
	f.mu.Unlock()

	// Failed, with a reason.
	tb.click("#btn-failed")
	tb.until(visible(`.reason[data-reason="no_email"]`))
	tb.click(`.reason[data-reason="no_email"]`)
	tb.until(hidden("#current"))
	f.mu.Lock()
	require.Len(t, f.completes, 1)
	c := f.completes[0]
	f.mu.Unlock()
	assert.Equal(t, "failed", c["outcome"])
	assert.Equal(t, "no_email", c["reason"])
	_, err := time.Parse(time.RFC3339, c["device_time"].(string))
	assert.NoError(t, err)

	// Nobody left.
	tb.click("#btn-next")
	tb.until(`document.querySelector('#vol-msg').textContent === 'Không còn ai đang chờ.'`)

	// A walk-in, with the CSRF header (the fake refuses it otherwise).
	tb.click("#walkin summary")
	tb.until(visible("#walkin-form"))
	tb.set(`#walkin-form [name=name]`, "Phạm Thị Cúc")
	tb.set(`#walkin-form [name=cccd]`, "038155001111")
	tb.set(`#walkin-form [name=birth_day]`, "2")
	tb.set(`#walkin-form [name=birth_month]`, "9")
	tb.set(`#walkin-form [name=phone]`, "0388123456")
	tb.click(`#walkin-form [name=consent]`)
	tb.click(`#walkin-form button[type=submit]`)
	tb.until(visible("#walkin-result"))
	assert.Equal(t, "Đã cấp số 2 cho Phạm Thị Cúc.", tb.text("#walkin-result"))
	tb.until(`document.querySelectorAll('#queue-list tr').length === 1`)

	// Then activated, from a fresh call.
	tb.click("#btn-next")
	tb.until(`document.querySelector('#current-number').textContent === '2'`)
	tb.click("#btn-activated")
	tb.until(hidden("#current"))
	f.mu.Lock()
	assert.Equal(t, "activated", f.completes[1]["outcome"])
	f.mu.Unlock()

	// A reload resumes the session from the cookie.
	tb.do(chromedp.Reload())
	tb.until(visible("#vol-main"))
	tb.until(`document.querySelector('#vol-sync').textContent.startsWith('Chưa gửi về xã: 3 bản ghi.')`)
}

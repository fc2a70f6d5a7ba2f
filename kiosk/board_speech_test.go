package kiosk

// The TV board's calls and the citizen's phone, in Chromium against a real
// kiosk. TestBoardSpeaksVietnamese is the TV as deploy/kyso-tv.sh starts it:
// a real (not headless) Chromium on an X display (Xvfb here) with
// --enable-speech-dispatcher, speaking through speech-dispatcher and
// espeak-ng; the page's own speechSynthesis is only watched, never replaced.
// The other tests replace speech with the recorder of browser_test.go, to
// check order and timing quickly.

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
)

// watchScript runs before the board's scripts in the real-speech test. It
// records every utterance handed to the real speechSynthesis (text, lang,
// chosen voice) and then lets it through; and every 100 ms it checks that
// the join QR is on screen, whole, and not covered by anything (the element
// at its centre and near its corners is the QR image itself).
const watchScript = `
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.__spoken = [];
window.__voicesChanged = 0;
if (window.speechSynthesis) {
  speechSynthesis.addEventListener('voiceschanged', () => window.__voicesChanged++);
  const speak = speechSynthesis.speak.bind(speechSynthesis);
  speechSynthesis.speak = u => {
    const rec = {text: u.text, lang: u.lang, voice: u.voice ? u.voice.lang : '', name: u.voice ? u.voice.name : '', start: Date.now(), end: 0, error: ''};
    window.__spoken.push(rec);
    u.addEventListener('end', () => { rec.end = Date.now(); });
    u.addEventListener('error', e => { rec.error = e.error; });
    speak(u);
  };
}
` + qrWatch

// qrWatch is shared by both board tests: window.__qrBad collects every
// moment the join QR was not fully visible, window.__qrChecks counts checks.
const qrWatch = `
window.__qrBad = []; window.__qrChecks = 0;
window.__qrClear = () => {
  const img = document.querySelector('.qr-join img');
  if (!img) return 'no join QR';
  const r = img.getBoundingClientRect();
  if (r.width < 50 || r.height < 50) return 'join QR too small: ' + r.width + 'x' + r.height;
  if (r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) return 'join QR off screen';
  for (const [x, y] of [[.5, .5], [.08, .08], [.92, .08], [.08, .92], [.92, .92]]) {
    const e = document.elementFromPoint(r.left + r.width * x, r.top + r.height * y);
    if (e !== img) return 'join QR covered at ' + x + ',' + y + ' by ' + (e ? e.tagName + '#' + e.id + '.' + e.className : 'nothing');
  }
  return '';
};
document.addEventListener('DOMContentLoaded', () => setInterval(() => {
  window.__qrChecks++;
  const bad = window.__qrClear();
  if (bad && window.__qrBad.length < 20) window.__qrBad.push(bad);
}, 100));
`

// layoutProblems lists what overlaps on the board: the call banner, the
// offline bar, the sound button and the no-voice note are forced visible,
// and none may meet the QR cards or the title, nor leave the screen.
const layoutProblems = `(() => {
  const show = ['#board-flash', '#board-offline', '#btn-sound', '#board-speech'];
  const was = show.map(s => document.querySelector(s).hidden);
  show.forEach(s => { document.querySelector(s).hidden = false; });
  const box = s => document.querySelector(s).getBoundingClientRect();
  const meet = (a, b) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
  const out = [];
  const fixed = ['.board-head h1'].concat([...document.querySelectorAll('.qr')].map((e, i) => { e.dataset.qi = i; return '.qr[data-qi="' + i + '"]'; }));
  for (const s of show) for (const f of fixed) if (meet(box(s), box(f))) out.push(s + ' overlaps ' + f);
  for (const s of show.concat(fixed)) {
    const r = box(s);
    if (r.left < 0 || r.top < 0 || r.right > innerWidth + 1 || r.bottom > innerHeight + 1) out.push(s + ' leaves the screen');
  }
  const clear = window.__qrClear();
  if (clear) out.push(clear);
  show.forEach((s, i) => { document.querySelector(s).hidden = was[i]; });
  return out;
})()`

// xvfb starts an X server on a free display and returns its name (":N").
func xvfb(t testing.TB) string {
	t.Helper()
	exe := testenv.Need(t, "Xvfb", "xvfb")
	r, w, err := os.Pipe()
	require.NoError(t, err)
	cmd := exec.Command(exe, "-displayfd", "3", "-screen", "0", "1920x1080x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	require.NoError(t, cmd.Start())
	w.Close()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(r).ReadString('\n')
		r.Close()
		line <- strings.TrimSpace(s)
	}()
	select {
	case n := <-line:
		_, err := strconv.Atoi(n)
		require.NoError(t, err, "Xvfb -displayfd answered %q", n)
		return ":" + n
	case <-time.After(20 * time.Second):
		require.FailNow(t, "Xvfb did not start within 20 s")
		return ""
	}
}

// needSpeech skips (fails in CI) without speech-dispatcher and its espeak-ng module.
func needSpeech(t testing.TB) {
	t.Helper()
	testenv.Need(t, "speech-dispatcher", "speech-dispatcher")
	mods, _ := filepath.Glob("/usr/lib/*speech-dispatcher-modules/sd_espeak-ng")
	mods2, _ := filepath.Glob("/usr/lib/*/speech-dispatcher-modules/sd_espeak-ng")
	if len(mods)+len(mods2) == 0 {
		testenv.Missing(t, "no espeak-ng module for speech-dispatcher (apt-get install -y speech-dispatcher-espeak-ng)")
	}
}

// stopSpeechd kills the speech-dispatcher that Chromium spawned for this
// test (it daemonizes, so it outlives Chromium) and its output modules: the
// one whose socket lies under dir, found by its command line.
func stopSpeechd(dir string) {
	procs, _ := filepath.Glob("/proc/[0-9]*")
	var daemons []int
	parent := map[int]int{}
	for _, p := range procs {
		pid, err := strconv.Atoi(filepath.Base(p))
		if err != nil {
			continue
		}
		if cmd, err := os.ReadFile(p + "/cmdline"); err == nil && strings.Contains(string(cmd), dir) && strings.Contains(string(cmd), "speech-dispatcher") {
			daemons = append(daemons, pid)
		}
		if st, err := os.ReadFile(p + "/stat"); err == nil {
			if i := strings.LastIndexByte(string(st), ')'); i > 0 {
				if f := strings.Fields(string(st)[i+1:]); len(f) > 1 {
					pp, _ := strconv.Atoi(f[1])
					parent[pid] = pp
				}
			}
		}
	}
	for _, d := range daemons {
		for pid, pp := range parent {
			if pp == d {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		_ = syscall.Kill(d, syscall.SIGKILL)
	}
}

// speechdConfig makes a speech-dispatcher configuration (a copy of the
// system's in dir, returned as an XDG_CONFIG_HOME) whose sound goes to
// ALSA's null device: a test machine has no sound card, and without one an
// utterance never ends. With it, utterances are synthesised by espeak-ng and
// end as on a TV with speakers.
func speechdConfig(tb testing.TB, dir string) string {
	tb.Helper()
	cfg := filepath.Join(dir, "config")
	dst := filepath.Join(cfg, "speech-dispatcher")
	err := filepath.WalkDir("/etc/speech-dispatcher", func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("/etc/speech-dispatcher", p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	require.NoError(tb, err, "copy /etc/speech-dispatcher")
	f, err := os.OpenFile(filepath.Join(dst, "speechd.conf"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(tb, err)
	_, err = f.WriteString("\n# kyso tests: no sound card\nAudioOutputMethod \"alsa\"\nAudioALSADevice \"null\"\n")
	require.NoError(tb, err)
	require.NoError(tb, f.Close())
	return cfg
}

// tvAllocator starts Chromium as deploy/kyso-tv.sh does, on an X display:
// not headless, sound on, speech through speech-dispatcher, no tap needed.
// Its speech-dispatcher is its own (XDG_RUNTIME_DIR in a temp dir), stopped
// at cleanup.
func tvAllocator(tb testing.TB, exe, display string, limit time.Duration) (ctx context.Context, stop func(), runDir string) {
	tb.Helper()
	dir := tb.TempDir()
	run := filepath.Join(dir, "run")
	require.NoError(tb, os.Mkdir(run, 0o700))
	tb.Cleanup(func() { stopSpeechd(run) })
	cfg := speechdConfig(tb, dir)
	tctx, cancel := context.WithTimeout(context.Background(), limit)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.UserDataDir(filepath.Join(dir, "profile")), chromedp.NoSandbox,
		chromedp.Flag("headless", false), chromedp.Flag("mute-audio", false), chromedp.Flag("hide-scrollbars", false),
		chromedp.Flag("enable-speech-dispatcher", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.WindowSize(1280, 720),
		chromedp.Env("DISPLAY="+display, "XDG_RUNTIME_DIR="+run, "XDG_CONFIG_HOME="+cfg),
	)
	actx, acancel := chromedp.NewExecAllocator(tctx, opts...)
	root, rcancel := chromedp.NewContext(actx)
	return root, func() { rcancel(); acancel(); cancel() }, run
}

// tvBrowser is the TV's Chromium (tvAllocator) as a browser of browser_test.go.
func tvBrowser(t *testing.T, base, display string, limit time.Duration) *browser {
	t.Helper()
	root, stop, _ := tvAllocator(t, chromium(t), display, limit)
	b := &browser{t: t, ctx: root, base: base, stop: stop}
	t.Cleanup(b.close)
	require.NoError(t, chromedp.Do(root), "start Chromium on %s", display)
	return b
}

// slowBrowser is newBrowser with a longer limit: these tests wait on the
// board's and the phone's own timers (banner, rings) for a while.
func slowBrowser(t *testing.T, base string, limit time.Duration) *browser {
	t.Helper()
	exe := chromium(t)
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe), chromedp.UserDataDir(dir),
		chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"), // as deploy/kyso-tv.sh starts the TV
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	root, rcancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: root, base: base, stop: func() { rcancel(); acancel(); cancel() }}
	t.Cleanup(b.close)
	require.NoError(t, chromedp.Do(root), "start Chromium")
	return b
}

// deviceWith is newDevice with another init script.
func (b *browser) deviceWith(name string, w, h int64, script string) *tab {
	b.t.Helper()
	ctx, _ := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext()) // ends with the browser
	tb := &tab{t: b.t, name: name, base: b.base, ctx: ctx}
	require.NoError(b.t, chromedp.Listen(ctx, tb.event))
	tb.do(chromedp.EmulateViewport(w, h), chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script})
		return err
	}))
	b.mu.Lock()
	b.devices = append(b.devices, tb)
	b.mu.Unlock()
	return tb
}

// waitFor polls a JavaScript condition for up to d (longer than until's
// step limit: speech-dispatcher takes seconds to list its voices).
func (tb *tab) waitFor(cond string, d time.Duration) bool {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, d+time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](cond,
		chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(d)))
	return err == nil
}

// crowd is n citizens of Đông Lão and Song Nga with CCCDs that pass the
// structure rules (038 Thanh Hóa, born 1960–1990).
func crowd(n int) []person {
	family := []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi", "Đặng", "Ngô", "Dương", "Lý"}
	given := []string{"Văn Hùng", "Thị Hoa", "Văn Minh", "Thị Lan", "Đức Thắng", "Thị Hương", "Văn Tuấn", "Thị Mai", "Quang Huy", "Thị Ngọc", "Văn Sơn", "Thị Thảo"}
	out := make([]person, n)
	for i := range out {
		sex, g := "male", 0
		if i%2 == 1 {
			sex, g = "female", 1
		}
		year := 1960 + i%30
		village := "Đông Lão"
		if i%3 == 2 {
			village = "Song Nga"
		}
		out[i] = person{
			Name:    family[i%len(family)] + " " + given[i%len(given)],
			Phone:   fmt.Sprintf("09%08d", 12345000+i),
			CCCD:    fmt.Sprintf("038%d%02d%06d", g, year%100, 410000+i),
			Birth:   fmt.Sprintf("%d-%02d-%02d", year, 1+i%12, 1+i%28),
			Gender:  sex,
			Village: village,
		}
	}
	return out
}

// TestBoardSpeaksVietnamese: the TV as it runs in the cultural house. Its
// Chromium lists speech-dispatcher's Vietnamese voices; a call is spoken as
// words ("Mời số mười hai đến bàn hai") with a vi* voice and never another;
// the join QR stays whole and uncovered before, during and after the call.
func TestBoardSpeaksVietnamese(t *testing.T) {
	t.Parallel()
	needSpeech(t)
	display := xvfb(t)
	cfg := testConfig(t)
	cfg.WifiSSID = "NVH Đông Lão"
	cfg.WifiPassword = "camngoc2024"
	h := start(t, cfg)

	// Twelve citizens join; eleven leave again: the next call is number 12.
	phones := h.client()
	var tickets []joined
	for _, p := range crowd(12) {
		tickets = append(tickets, phones.join(p))
	}
	for _, tk := range tickets[:11] {
		r := phones.do("DELETE", "/api/v1/tickets/"+tk.ID, nil, "Authorization", "Bearer "+tk.Token)
		require.Contains(t, []int{200, 204}, r.Status, "%s", r.Body)
	}

	b := tvBrowser(t, h.url, display, 90*time.Second)
	tv := b.deviceWith("tv", 1280, 720, watchScript)
	tv.open("/")
	tv.until(`document.querySelector('#board-next li') !== null`)
	tv.mark()

	// The voices first: without a Vietnamese one there is nothing to test.
	if !tv.waitFor(`window.kysoSpeech && window.kysoSpeech.available`, 45*time.Second) {
		langs := js[[]string](tv, `[...new Set(speechSynthesis.getVoices().map(v => v.lang))]`)
		testenv.Missing(t, fmt.Sprintf("Chromium with --enable-speech-dispatcher lists no Vietnamese voice (langs: %v): "+
			"apt-get install -y speech-dispatcher speech-dispatcher-espeak-ng", langs))
	}
	vi := js[[]string](tv, `[...new Set(speechSynthesis.getVoices().map(v => v.lang).filter(l => /^vi/i.test(l)))]`)
	require.NotEmpty(t, vi)
	t.Logf("Vietnamese voices: %v; the board chose %s", vi, js[string](tv, `kysoSpeech.voice + ' (' + kysoSpeech.lang + ')'`))
	assert.Regexp(t, `^vi`, js[string](tv, `kysoSpeech.lang`))
	assert.False(t, js[bool](tv, visible("#board-speech")), "no 'no voice' note when a voice exists")
	assert.Empty(t, js[[]string](tv, layoutProblems), "layout at 1280×720")

	vol := h.client()
	vol.login()
	require.Equal(t, 200, vol.do("POST", "/api/v1/desks/2/next", nil).Status)
	tv.until(visible("#board-flash"))
	assert.Equal(t, "12", tv.text("#flash-number"))
	assert.Equal(t, "2", tv.text("#flash-desk"))
	assert.Empty(t, js[string](tv, `window.__qrClear()`), "the join QR while the call shows")
	tv.until(`window.__spoken.length === 1`)
	// espeak-ng synthesises it and the utterance ends (sound goes to ALSA's
	// null device here: speechdConfig).
	tv.waitFor(`window.__spoken[0].end > 0 || window.__spoken[0].error !== ''`, 15*time.Second)
	said := js[[]struct {
		Text  string  `json:"text"`
		Lang  string  `json:"lang"`
		Voice string  `json:"voice"`
		Name  string  `json:"name"`
		Start float64 `json:"start"`
		End   float64 `json:"end"`
		Error string  `json:"error"`
	}](tv, `window.__spoken`)
	require.Len(t, said, 1)
	assert.Empty(t, said[0].Error, "speech-dispatcher refused the utterance")
	assert.Positive(t, said[0].End, "the utterance ended: espeak-ng spoke it")
	assert.Equal(t, "Mời số mười hai đến bàn hai", said[0].Text)
	assert.Regexp(t, `^vi`, said[0].Voice, "spoken with a Vietnamese voice (%s), never the default", said[0].Name)
	assert.Regexp(t, `^vi`, said[0].Lang)
	t.Logf("spoken %q with %s (%s) in %.1f s", said[0].Text, said[0].Name, said[0].Voice, (said[0].End-said[0].Start)/1000)

	// The banner goes; the QR was whole and uncovered all along.
	tv.waitFor(`document.querySelector('#board-flash').hidden`, 10*time.Second)
	assert.Empty(t, js[[]string](tv, `window.__qrBad`), "the join QR was hidden at some moment")
	assert.Greater(t, js[int](tv, `window.__qrChecks`), 20, "the watch ran")
	assert.Len(t, js[[]any](tv, `window.__spoken`), 1, "the call is spoken once")
	t.Logf("voiceschanged fired %d times; %d voices", js[int](tv, `window.__voicesChanged`), js[int](tv, `speechSynthesis.getVoices().length`))
	assert.True(t, tv.kept())
}

// noViScript is a browser whose only voices are Afrikaans (the default of
// espeak-ng) and English: the board must not speak with either.
const noViScript = `
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));
window.__spoken = [];
window.SpeechSynthesisUtterance = class { constructor(t) { this.text = t; } };
Object.defineProperty(window, 'speechSynthesis', {configurable: true, value: {
  getVoices: () => [{lang: 'af', name: 'Afrikaans espeak-ng', default: true, localService: true}, {lang: 'en-US', name: 'English (America)', localService: true}],
  addEventListener() {}, cancel() {},
  speak(u) { window.__spoken.push({text: u.text, lang: u.lang, start: Date.now(), end: Date.now()}); setTimeout(() => u.onend && u.onend(), 300); }
}});
` + qrWatch

// TestBoardCalls: what the TV shows and says when calls come fast, where it
// puts everything (nothing over the QR cards or the title, at 1280×720 and
// 1920×1080), how it spells numbers, and a TV without a Vietnamese voice.
// Speech is the recorder of browser_test.go (300 ms an utterance).
func TestBoardCalls(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Desks = 6
	cfg.WifiSSID = "NVH Đông Lão"
	cfg.WifiPassword = "camngoc2024"
	h := start(t, cfg)
	b := slowBrowser(t, h.url, 2*time.Minute)
	tv := b.deviceWith("tv", 1280, 720, initScript+qrWatch)
	big := b.deviceWith("tv-1080", 1920, 1080, initScript+qrWatch)
	mute := b.deviceWith("tv-no-voice", 1280, 720, noViScript)
	for _, d := range []*tab{tv, big, mute} {
		d.open("/")
		d.until(`document.querySelector('#board-next li') !== null && window.kysoSpeech && window.kysoSpeech.settled`)
		assert.Empty(t, js[[]string](d, layoutProblems), "%s: layout", d.name)
	}

	t.Run("numbers in words", func(t *testing.T) {
		for _, c := range []struct {
			n    any
			want string
		}{
			{0, "không"}, {1, "một"}, {4, "bốn"}, {5, "năm"}, {10, "mười"}, {11, "mười một"}, {14, "mười bốn"},
			{15, "mười lăm"}, {20, "hai mươi"}, {21, "hai mươi mốt"}, {24, "hai mươi tư"}, {25, "hai mươi lăm"},
			{55, "năm mươi lăm"}, {99, "chín mươi chín"}, {100, "một trăm"}, {101, "một trăm linh một"},
			{104, "một trăm linh bốn"}, {105, "một trăm linh năm"}, {110, "một trăm mười"}, {111, "một trăm mười một"},
			{115, "một trăm mười lăm"}, {121, "một trăm hai mươi mốt"}, {205, "hai trăm linh năm"},
			{999, "chín trăm chín mươi chín"}, {1000, "một nghìn"}, {1001, "một nghìn không trăm linh một"},
			{1010, "một nghìn không trăm mười"}, {1015, "một nghìn không trăm mười lăm"}, {1100, "một nghìn một trăm"},
			{1234, "một nghìn hai trăm ba mươi tư"}, {2021, "hai nghìn không trăm hai mươi mốt"},
			{9999, "chín nghìn chín trăm chín mươi chín"}, {10000, "10000"}, {-1, "-1"}, {1.5, "1.5"}, {"12", "mười hai"},
		} {
			t.Run(fmt.Sprint(c.n), func(t *testing.T) {
				assert.Equal(t, c.want, js[string](tv, fmt.Sprintf(`kysoBoard.words(%s)`, q(fmt.Sprint(c.n)))))
			})
		}
		assert.Equal(t, "Mời số mười hai đến bàn hai", js[string](tv, `kysoBoard.sentence({number: 12, desk: 2})`))
	})

	t.Run("rapid calls: the latest shows at once, speech does not pile up", func(t *testing.T) {
		phones := h.client()
		for _, p := range crowd(6) {
			phones.join(p)
		}
		began := time.Now()
		for d := 1; d <= 6; d++ { // six desks, six tablets, six calls within a moment
			vol := h.client()
			vol.login()
			require.Equal(t, 200, vol.do("POST", fmt.Sprintf("/api/v1/desks/%d/next", d), nil).Status)
		}
		burst := time.Since(began)
		tv.until(textIs("#flash-number", "6") + " && " + textIs("#flash-desk", "6"))
		t.Logf("six calls posted in %s; the banner showed the last %s after the first", burst.Round(time.Millisecond), time.Since(began).Round(time.Millisecond))
		assert.Len(t, js[[]string](tv, `[...document.querySelectorAll('.desk.calling')].map(e => e.dataset.desk)`), 6, "every called desk lit")
		tv.until(`window.__spoken.length > 0 && window.__spoken[window.__spoken.length - 1].text === 'Mời số sáu đến bàn sáu' && window.__spoken[window.__spoken.length - 1].end > 0`)
		said := js[[]utterance](tv, `window.__spoken`)
		var texts []string
		for i, u := range said {
			texts = append(texts, u.Text)
			if i > 0 {
				assert.GreaterOrEqual(t, u.Start, said[i-1].End, "a call never cuts off the one before")
			}
		}
		t.Logf("said: %q", texts)
		// Said in call order, each once, ending with the latest; at most the
		// first (if it began before the others came) and the three latest.
		order := []string{"một", "hai", "ba", "bốn", "năm", "sáu"}
		at := -1
		for _, s := range texts {
			i := slices.IndexFunc(order, func(w string) bool { return s == "Mời số "+w+" đến bàn "+w })
			require.Greater(t, i, at, "%q out of order or twice in %q", s, texts)
			at = i
		}
		assert.Equal(t, "Mời số sáu đến bàn sáu", texts[len(texts)-1])
		assert.LessOrEqual(t, len(texts), 4, "at most the first and the three latest calls")
		last := said[len(said)-1]
		assert.Less(t, last.End-said[0].Start, 6000.0, "the whole burst is said within seconds")
		assert.Empty(t, js[string](tv, `window.__qrClear()`))
		big.until(textIs("#flash-number", "6"))
		assert.Empty(t, js[[]string](big, layoutProblems), "1920×1080 during a call")

		// Without a Vietnamese voice: the banner and the chime, no speech in
		// another language, and the TV says why.
		mute.until(textIs("#flash-number", "6"))
		assert.True(t, js[bool](mute, visible("#board-speech")), "the TV says it has no Vietnamese voice")
		assert.Equal(t, "TV chưa có giọng đọc tiếng Việt: chỉ báo bằng chuông", mute.text("#board-speech"))
		assert.Equal(t, map[string]any{"available": false, "settled": true, "voice": "", "lang": ""}, js[map[string]any](mute, `window.kysoSpeech`))
		assert.Empty(t, js[[]any](mute, `window.__spoken`), "never spoken with a non-Vietnamese voice")

		// The banner and the lights go after a few seconds; the QR was never covered.
		tv.waitFor(`document.querySelector('#board-flash').hidden && !document.querySelector('.desk.calling')`, 10*time.Second)
		assert.True(t, js[bool](tv, hidden("#board-flash")))
		for _, d := range []*tab{tv, big, mute} {
			assert.Empty(t, js[[]string](d, `window.__qrBad`), "%s: the join QR was hidden at some moment", d.name)
		}
	})
}

// vibScript records navigator.vibrate (headless Chromium has no vibrator).
const vibScript = `
window.__vib = [];
Object.defineProperty(navigator, 'vibrate', {configurable: true, value: p => { window.__vib.push(p); return true; }});
`

// TestJoinKeepsPhoneAwake: at the kiosk's plain-http address there is no
// Wake Lock, so the phone plays a silent looping video from the join tap on
// (Chrome keeps the screen on for it), says to keep the page open, and when
// called rings and vibrates again and again until "Tôi đã thấy".
func TestJoinKeepsPhoneAwake(t *testing.T) {
	testenv.Slow(t, "a real browser") // before the kiosk starts: a kiosk stopped as it starts may not stop in time
	t.Parallel()
	h := start(t, testConfig(t))
	b := slowBrowser(t, h.url, 2*time.Minute)
	phone := b.deviceWith("phone", 412, 860, initScript+vibScript)
	phone.open("/join")
	phone.until(`!document.querySelector('#btn-join').disabled`)
	assert.False(t, js[bool](phone, `window.isSecureContext && !!navigator.wakeLock && location.hostname !== '127.0.0.1'`))
	p := people[1]
	phone.fillCitizen("#join-form", p, p.CCCD, p.Phone)
	phone.click(`#join-form [name=consent]`)
	phone.click("#btn-join")
	phone.until(visible("#ticket"))
	assert.True(t, js[bool](phone, visible("#keep-open")))
	assert.Contains(t, phone.text("#keep-open"), "Giữ trang này mở")

	// The video plays, unmuted (its sound track is silent), with sound and
	// picture decoded, and loops past its 1.5 s.
	const v = `document.querySelector('video.awake')`
	phone.until(`(v => !!v && !v.paused && v.currentTime > 0)(` + v + `)`)
	assert.True(t, js[bool](phone, `(v => !v.muted && v.volume > 0 && v.loop)(`+v+`)`))
	phone.until(`(v => v.webkitAudioDecodedByteCount > 0 && v.webkitVideoDecodedByteCount > 0)(` + v + `)`)
	time.Sleep(2 * time.Second)
	assert.True(t, js[bool](phone, `(v => !v.paused && !v.ended)(`+v+`)`), "still playing after its length: it loops")

	// Called: the banner, and the alarm again and again until "Tôi đã thấy".
	vol := h.client()
	vol.login()
	require.Equal(t, 200, vol.do("POST", "/api/v1/desks/1/next", nil).Status)
	phone.until(visible("#called-banner") + " && " + visible("#btn-seen"))
	phone.until(`window.__vib.filter(p => p !== 0).length >= 2`) // two rounds, 4 s apart
	phone.click("#btn-seen")
	phone.until(hidden("#btn-seen"))
	n := js[int](phone, `window.__vib.length`)
	assert.Equal(t, 0.0, js[any](phone, `window.__vib[window.__vib.length - 1]`), "the vibration is stopped")
	time.Sleep(4500 * time.Millisecond)
	assert.Equal(t, n, js[int](phone, `window.__vib.length`), "no more rings once seen")
	assert.True(t, js[bool](phone, visible("#called-banner")), "the banner stays: the citizen still has to go to the desk")

	// Done: the video stops with the wait.
	tk := ticket(t, h, 1)
	require.Equal(t, 201, vol.do("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]any{"outcome": "activated"}).Status)
	phone.until(`document.querySelector('#ticket-status').dataset.status === 'activated'`)
	phone.until(`(` + v + `).paused`)
}

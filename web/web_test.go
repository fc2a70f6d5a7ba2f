package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/html"
)

const (
	playURL  = "https://play.google.com/store/apps/details?id=com.vnpt.smartca"
	iosURL   = "https://apps.apple.com/vn/app/vnpt-smartca/id1234567890"
	genericU = "https://smartca.vnpt.vn/tai-ung-dung"
)

// sample is a realistic kiosk: the Cẩm Ngọc villages, five associations, Wi-Fi.
func sample() PageData {
	return PageData{
		KioskID:      "dong-lao",
		KioskName:    "Nhà văn hóa thôn Đông Lão",
		Village:      "Đông Lão",
		Villages:     []string{"Đông Lão", "Song Nga", "Thôn Sổng", "Thôn PNV", "Thôn Kim", "Thôn Song", "Thôn Sành"},
		Associations: []string{"Hội Phụ nữ", "Hội Nông dân", "Hội Cựu chiến binh", "Đoàn Thanh niên", "Hội Người cao tuổi"},
		Desks:        3,
		AppURL:       genericU, AppURLAndroid: playURL, AppURLIOS: iosURL,
		Store:       "android",
		HasWifi:     true,
		WifiSSID:    "NVH-DongLao",
		Version:     "v1.2.3",
		ConsentText: ConsentText,
		PairCode:    "7KQ-42M",
	}
}

func render(t *testing.T, name string, d PageData) string {
	t.Helper()
	tpl, err := Templates()
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, Render(&b, tpl, name, d))
	return b.String()
}

// pageIDs are the ids each page must carry: scripts and browser tests use them.
func pageIDs() map[string][]string {
	return map[string][]string{
		"board": {"board-desks", "board-next", "board-waiting", "board-tonight", "board-progress", "board-flash", "btn-sound"},
		"join": {"join-form", "ticket", "ticket-number", "ticket-position", "ticket-status", "called-banner",
			"btn-leave", "btn-leave-yes", "btn-new"},
		"volunteer": {"login-form", "desk-select", "btn-next", "current", "current-number", "btn-recall", "btn-noshow",
			"btn-requeue", "btn-edit", "btn-activated", "btn-failed", "fail-reasons", "edit-form", "walkin-form",
			"queue-list", "vol-tonight", "vol-sync", "batch-link"},
		"app":   {},
		"setup": {"qr-volunteer"},
		"error": {},
	}
}

func TestTemplatesParse(t *testing.T) {
	tpl, err := Templates()
	require.NoError(t, err)
	for _, name := range pageNames() {
		assert.NotNil(t, tpl.Lookup(name), name)
	}
}

func TestRenderEveryPage(t *testing.T) {
	for name, ids := range pageIDs() {
		t.Run(name, func(t *testing.T) {
			out := render(t, name, sample())
			assert.Contains(t, out, `<html lang="vi">`)
			assert.Contains(t, out, `<meta name="viewport" content="width=device-width, initial-scale=1">`)
			assert.Contains(t, out, `href="/static/css/app.css?v=`)
			assert.Contains(t, out, "<title>"+defaultTitle(name)+"</title>")
			for _, id := range ids {
				assert.Contains(t, out, `id="`+id+`"`)
			}
		})
	}
}

func TestRenderDetails(t *testing.T) {
	noWifi := sample()
	noWifi.HasWifi = false
	otherVillage := sample()
	otherVillage.Village = "Xóm Mới"
	oneDesk := sample()
	oneDesk.Desks = 0
	ios := sample()
	ios.Store = "ios"
	unknown := sample()
	unknown.Store = ""
	noApps := sample()
	noApps.AppURL, noApps.AppURLAndroid, noApps.AppURLIOS = "", "", ""
	titled := sample()
	titled.Title = "Bảng số – Đông Lão"
	noConsent := sample()
	noConsent.ConsentText = ""

	cases := []struct {
		name, page string
		d          PageData
		want, not  []string
	}{
		{"board shows the three QR codes and captions", "board", sample(),
			[]string{`src="/qr/join.png"`, `src="/qr/app.png"`, `src="/qr/wifi.png"`, "Quét để lấy số thứ tự",
				"Quét để cài VNPT SmartCA", `Quét để vào <span class="nw">Wi-Fi</span>`, "NVH-DongLao"}, nil},
		{"board has no Wi-Fi QR without Wi-Fi (the PNG would 404)", "board", noWifi,
			[]string{`src="/qr/join.png"`}, []string{"wifi.png", "Wi-Fi"}},
		{"board renders one element per desk for the script to fill", "board", sample(),
			[]string{`data-desk="1"`, `data-desk="3"`, `class="desk-number"`}, []string{`data-desk="4"`}},
		{"a zero desk count still gives one desk", "volunteer", oneDesk,
			[]string{`<option value="1">Bàn 1</option>`}, []string{`value="2"`}},
		{"join: inputs are named as the API's JSON fields", "join", sample(),
			[]string{`name="name"`, `name="cccd"`, `name="birth_date"`, `name="phone"`, `name="gender" value="male"`,
				`name="gender" value="female"`, `name="village"`, `name="association"`, `name="consent"`,
				`inputmode="numeric"`, `inputmode="tel"`}, nil},
		{"join preselects the house's village and offers another", "join", sample(),
			[]string{`<option value="Đông Lão" selected>`, `<option value="__other">`, `name="village_other"`}, nil},
		{"a house village missing from the list is still offered, selected", "join", otherVillage,
			[]string{`<option value="Xóm Mới" selected>`, `<option value="Song Nga">`}, nil},
		{"join shows the consent text and its version", "join", sample(),
			[]string{"Không lưu mật khẩu, mã PIN", `data-consent-version="` + ConsentVersion + `"`}, nil},
		{"join lists what to prepare and links the install page", "join", sample(),
			[]string{"Trong lúc chờ", "Thẻ CCCD gắn chip", `href="/app"`}, nil},
		{"join's submit waits for the script, so no form posts PII in a URL", "join", sample(),
			[]string{`method="post"`, `type="submit" disabled`}, nil},
		{"volunteer has every failure reason of the API", "volunteer", sample(),
			[]string{`data-reason="no_smartphone"`, `data-reason="phone_unsupported"`, `data-reason="no_email"`,
				`data-reason="ekyc_failed"`, `data-reason="no_network"`, `data-reason="left"`, `data-reason="other"`,
				`href="/api/v1/batch?after=0" download`, `name="pin"`, `name="volunteer"`}, nil},
		{"android phone: Google Play first", "app", sample(),
			[]string{`<a class="btn block primary big" href="` + playURL + `"`}, nil},
		{"iPhone: App Store first", "app", ios,
			[]string{`<a class="btn block primary big" href="` + iosURL + `"`}, nil},
		{"unknown device: the generic page first", "app", unknown,
			[]string{`<a class="btn block primary big" href="` + genericU + `"`, playURL, iosURL}, nil},
		{"no app link configured: send to a volunteer", "app", noApps,
			[]string{"Hãy hỏi tình nguyện viên"}, []string{"https://"}},
		{"setup tells how to pair from a tablet and never shows the PIN itself", "setup", sample(),
			[]string{"/qr/volunteer.png", "mã ghép", `http-equiv="refresh"`}, []string{"246810"}},
		{"an unset consent text falls back to ConsentText, never an empty box", "join", noConsent,
			[]string{"Không lưu mật khẩu, mã PIN"}, nil},
		{"a given title wins over the default", "board", titled,
			[]string{"<title>Bảng số – Đông Lão</title>"}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := render(t, c.page, c.d)
			for _, s := range c.want {
				assert.Contains(t, out, s)
			}
			for _, s := range c.not {
				assert.NotContains(t, out, s)
			}
		})
	}
}

func TestRenderUnknownPage(t *testing.T) {
	tpl, err := Templates()
	require.NoError(t, err)
	var b bytes.Buffer
	require.Error(t, Render(&b, tpl, "nope", sample()))
	require.Error(t, Render(&b, nil, "join", sample()))
	assert.Zero(t, b.Len(), "nothing written on error")
}

// pageRefs walks a page and reports what the kiosk's CSP forbids, and every
// URL the page references.
type pageRefs struct {
	urls     []string // src, href, action, …: loads and navigations
	links    []string // <a href> only
	problems []string
}

func scan(t *testing.T, page string) pageRefs {
	t.Helper()
	var r pageRefs
	z := html.NewTokenizer(strings.NewReader(page))
	inScript, inStyle := false, false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return r
		case html.TextToken:
			if inScript && strings.TrimSpace(string(z.Text())) != "" {
				r.problems = append(r.problems, "inline script body")
			}
			if inStyle {
				r.problems = append(r.problems, "inline <style>")
			}
		case html.EndTagToken:
			inScript, inStyle = false, false
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			hasSrc := false
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				switch {
				case k == "style":
					r.problems = append(r.problems, "style= on <"+tok.Data+">")
				case strings.HasPrefix(k, "on"):
					r.problems = append(r.problems, k+"= on <"+tok.Data+">")
				case k == "src" || k == "href" || k == "action" || k == "formaction" || k == "poster" || k == "srcset":
					r.urls = append(r.urls, a.Val)
					hasSrc = hasSrc || k == "src"
					if tok.Data == "a" {
						r.links = append(r.links, a.Val)
					}
				case k == "content" && strings.Contains(strings.ToLower(a.Val), "url="):
					r.urls = append(r.urls, a.Val)
				}
			}
			if tok.Data == "script" && !hasSrc {
				r.problems = append(r.problems, "<script> without src")
			}
			inScript = tok.Data == "script"
			inStyle = tok.Data == "style"
		}
	}
}

func sameOrigin(u string) bool {
	if strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "#") {
		return true
	}
	p, err := url.Parse(u)
	return err == nil && p.Scheme == "" && p.Host == "" && strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//")
}

// The CSP has no 'unsafe-inline' and the box works with no internet: pages
// load nothing from elsewhere and carry no inline code or style. The only
// outside URLs are the app-store links on /app, which are navigations.
func TestPagesSameOriginNoInline(t *testing.T) {
	for _, name := range pageNames() {
		t.Run(name, func(t *testing.T) {
			out := render(t, name, sample())
			r := scan(t, out)
			assert.Empty(t, r.problems)
			stores := map[string]bool{playURL: true, iosURL: true, genericU: true}
			for _, u := range r.urls {
				if name == "app" && stores[u] && slices.Contains(r.links, u) {
					continue
				}
				assert.True(t, sameOrigin(u), "not same-origin: %q", u)
			}
			scrubbed := out
			if name == "app" {
				for u := range stores {
					scrubbed = strings.ReplaceAll(scrubbed, u, "")
				}
			}
			assert.NotContains(t, scrubbed, "http://")
			assert.NotContains(t, scrubbed, "https://")
		})
	}
}

// Scripts and the stylesheet must not reach out either (no CDN, no fonts).
func TestStaticFilesStayLocal(t *testing.T) {
	err := fs.WalkDir(Static(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Static(), p)
		require.NoError(t, err)
		s := string(b)
		for _, bad := range []string{"http://", "https://", "@import", "@font-face", "innerHTML", "eval(", "new Function"} {
			assert.NotContains(t, s, bad, p)
		}
		return nil
	})
	require.NoError(t, err)
}

// Every /static/ URL resolves, and its ?v= is the file's content hash so a
// long browser cache never serves an old script after an upgrade.
func TestAssetURLsResolve(t *testing.T) {
	for _, name := range pageNames() {
		for _, u := range scan(t, render(t, name, sample())).urls {
			if !strings.HasPrefix(u, "/static/") {
				continue
			}
			p, err := url.Parse(u)
			require.NoError(t, err)
			b, err := fs.ReadFile(Static(), strings.TrimPrefix(p.Path, "/static/"))
			require.NoError(t, err, u)
			sum := sha256.Sum256(b)
			assert.Equal(t, hex.EncodeToString(sum[:6]), p.Query().Get("v"), u)
		}
	}
}

// Design budget: /join ≤ 40 KB transferred with everything it loads. Counted
// uncompressed, so it holds even if nothing compresses.
func TestJoinPageBudget(t *testing.T) {
	page := render(t, "join", sample())
	total, gz := len(page), gzipLen(t, []byte(page))
	var assets []string
	for _, u := range scan(t, page).urls {
		if !strings.HasPrefix(u, "/static/") {
			continue
		}
		p, err := url.Parse(u)
		require.NoError(t, err)
		b, err := fs.ReadFile(Static(), strings.TrimPrefix(p.Path, "/static/"))
		require.NoError(t, err)
		total += len(b)
		gz += gzipLen(t, b)
		assets = append(assets, p.Path)
	}
	assert.ElementsMatch(t, []string{"/static/css/app.css", "/static/js/common.js", "/static/js/join.js"}, assets)
	t.Logf("/join: %d bytes with %v (%d gzipped)", total, assets, gz)
	assert.LessOrEqual(t, total, 40*1024)
}

func gzipLen(t *testing.T, b []byte) int {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, err := w.Write(b)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	return buf.Len()
}

// Names and SSIDs come from flags and the ward's quota list: they must never
// turn into markup.
func TestPageDataIsEscaped(t *testing.T) {
	const evil = `<script>alert("x")</script><img src=x onerror=alert(1)>'&`
	d := sample()
	d.Title, d.KioskID, d.KioskName, d.Village, d.WifiSSID, d.Version, d.PairCode = evil, evil, evil, evil, evil, evil, evil
	d.Villages = []string{evil, "Song Nga"}
	d.Associations = []string{evil}
	d.ConsentText = evil
	d.AppURLAndroid = `javascript:alert(1)`
	for _, name := range pageNames() {
		t.Run(name, func(t *testing.T) {
			out := render(t, name, d)
			assert.NotContains(t, out, "<script>alert")
			assert.NotContains(t, out, "<img src=x")
			assert.NotContains(t, out, "javascript:")
			assert.Empty(t, scan(t, out).problems)
		})
	}
	assert.Contains(t, render(t, "board", d), "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;")
}

func TestConsentText(t *testing.T) {
	// What the consent must say (DESIGN: record consent; never keep passwords, PINs, faces).
	for _, s := range []string{"Mục đích", "SmartCA", "xã", "họ và tên", "CCCD", "ngày sinh", "giới tính",
		"số điện thoại", "thôn", "tình nguyện viên", "Thời gian lưu", "mật khẩu", "mã PIN", "khuôn mặt"} {
		assert.Contains(t, ConsentText, s)
	}
	assert.NotEmpty(t, ConsentVersion)
}

func TestStoreLinks(t *testing.T) {
	cases := []struct {
		name  string
		store string
		want  []string
	}{
		{"android phone gets Google Play first", "android", []string{playURL, genericU, iosURL}},
		{"iPhone gets the App Store first", "ios", []string{iosURL, genericU, playURL}},
		{"unknown device gets the generic page first", "", []string{genericU, playURL, iosURL}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := sample()
			d.Store = c.store
			var got []string
			for _, l := range storeLinks(d) {
				got = append(got, l.URL)
			}
			assert.Equal(t, c.want, got)
		})
	}
	d := sample()
	d.AppURLAndroid = ""
	assert.Equal(t, genericU, storeLinks(d)[0].URL, "an unset store link falls back to the next one")
}

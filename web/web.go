package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"strings"
)

// ConsentVersion names the consent text below; the kiosk records it with
// each consent. Bump it whenever ConsentText changes.
const ConsentVersion = "2026-11-v1"

// ConsentText is what a citizen agrees to before joining the queue (and what
// a volunteer reads aloud for a walk-in). Plain words: it is read on a phone
// by people who rarely read legal text. Shown with line breaks kept.
const ConsentText = `Mục đích: ghi tên bạn vào hàng chờ để tình nguyện viên hỗ trợ cài đặt và kích hoạt chữ ký số VNPT SmartCA, và báo cáo số người đã kích hoạt cho Ủy ban nhân dân xã (phường) theo kế hoạch chuyển đổi số.
Thông tin được lưu: họ và tên, số CCCD, ngày sinh, giới tính, số điện thoại, thôn (và hội, đoàn thể nếu bạn chọn).
Người được xem: tình nguyện viên tại nhà văn hóa và cán bộ Ủy ban nhân dân xã (phường).
Thời gian lưu: đến khi đợt vận động kết thúc và đã báo cáo xong kết quả.
Không lưu mật khẩu, mã PIN, mã kích hoạt hay ảnh khuôn mặt của bạn. Bạn tự nhập mật khẩu và mã PIN, không đọc cho ai biết.`

// PageData is everything a page template needs. None of it is personal data:
// pages are public shells, the API carries the rest.
type PageData struct {
	Title                            string
	KioskID, KioskName, Village      string
	Villages                         []string // villages offered in the join form (select + "Khác" free text)
	Associations                     []string // optional association select (Hội Phụ nữ, Đoàn Thanh niên, …)
	Desks                            int
	AppURL, AppURLAndroid, AppURLIOS string
	Store                            string // "android", "ios" or "": picked by the server from the User-Agent for /app
	HasWifi                          bool
	WifiSSID                         string
	Version                          string
	ConsentText                      string // normally ConsentText; Render fills it in when empty
	PairCode                         string // "setup" page: the short code that pairs this kiosk with the ward
}

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// maxDesks bounds the desk loops of the templates: a typo in --desks must
// not render a page with a million buttons.
const maxDesks = 50

// pageNames lists the pages the kiosk renders.
func pageNames() []string { return []string{"board", "join", "volunteer", "app", "setup", "error"} }

// defaultTitle is the <title> used when PageData.Title is empty.
func defaultTitle(name string) string {
	switch name {
	case "board":
		return "Bảng số thứ tự"
	case "join":
		return "Lấy số thứ tự"
	case "volunteer":
		return "Tình nguyện viên"
	case "app":
		return "Cài VNPT SmartCA"
	case "setup":
		return "Ghép máy với xã"
	default:
		return "Không tìm thấy trang"
	}
}

// Templates parses every page from the embedded files. Call it once at start;
// the result is safe for concurrent use.
//
// Page names: "board" (GET /), "join" (GET /join), "volunteer" (GET /volunteer),
// "app" (GET /app), "setup" (the TV before pairing) and "error" (not found).
//
// Ids kept stable for browser tests: #join-form (inputs name, cccd,
// birth_date — hidden, composed from birth_day/birth_month/birth_year —,
// phone, gender, village, association, consent), #ticket-number,
// #ticket-position, #ticket-status (data-status = API status),
// #called-banner, #btn-leave, #btn-leave-yes, #btn-new, #login-form (pin,
// volunteer), #desk-select, #btn-next, #current-number, #btn-recall,
// #btn-noshow, #btn-requeue, #btn-edit, #btn-activated, #btn-failed (then
// .reason buttons with data-reason), #walkin-form, #queue-list, #board-desks
// (.desk[data-desk=N] .desk-number), #board-next, #board-waiting.
func Templates() (*template.Template, error) {
	assets, err := assetVersions()
	if err != nil {
		return nil, err
	}
	funcs := template.FuncMap{
		// asset gives a static file's URL with a content hash, so browsers may
		// cache it for long and still see a new file after an upgrade.
		"asset": func(name string) (string, error) {
			v, ok := assets[name]
			if !ok {
				return "", fmt.Errorf("web: no static file %q", name)
			}
			return "/static/" + name + "?v=" + v, nil
		},
		"desks":          deskNumbers,
		"citizen":        newCitizenForm,
		"stores":         storeLinks,
		"consentVersion": func() string { return ConsentVersion },
	}
	t, err := template.New("").Funcs(funcs).ParseFS(templateFiles, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: parse templates: %w", err)
	}
	for _, name := range pageNames() {
		if t.Lookup(name) == nil {
			return nil, fmt.Errorf("web: template %q missing", name)
		}
	}
	return t, nil
}

// Render executes the page name into w. The page is built in memory first so
// that a template error never sends half a page.
func Render(w io.Writer, t *template.Template, name string, d PageData) error {
	if t == nil || t.Lookup(name) == nil {
		return fmt.Errorf("web: no page %q", name)
	}
	if d.Title == "" {
		d.Title = defaultTitle(name)
	}
	if d.ConsentText == "" {
		d.ConsentText = ConsentText // a join form must never show an empty consent
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, d); err != nil {
		return fmt.Errorf("web: render %s: %w", name, err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Static returns the embedded assets rooted so that "css/app.css" and
// "js/join.js" resolve; the kiosk serves it under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time; cannot be missing
	}
	return sub
}

// assetVersions hashes every static file (12 hex digits of SHA-256).
func assetVersions() (map[string]string, error) {
	out := map[string]string{}
	err := fs.WalkDir(Static(), ".", func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := fs.ReadFile(Static(), p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		out[p] = hex.EncodeToString(sum[:6])
		return nil
	})
	return out, err
}

func deskNumbers(n int) []int {
	n = min(max(n, 1), maxDesks)
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

// citizenForm feeds the shared "citizen-fields" template: the join form, the
// volunteer's walk-in form and the correction form use the same fields, with
// an id prefix so that two forms can share a page.
type citizenForm struct {
	P            string // id prefix
	Villages     []string
	Village      string // preselected
	Associations []string
}

func newCitizenForm(prefix string, d PageData) citizenForm {
	vs := make([]string, 0, len(d.Villages)+1)
	seen := false
	for _, v := range d.Villages {
		if strings.TrimSpace(v) == "" {
			continue
		}
		seen = seen || v == d.Village
		vs = append(vs, v)
	}
	if !seen && d.Village != "" {
		vs = append([]string{d.Village}, vs...)
	}
	return citizenForm{P: prefix, Villages: vs, Village: d.Village, Associations: d.Associations}
}

type storeLink struct {
	URL, Label string
}

// storeLinks orders the app links for /app: the one for this phone first.
// An unknown device gets the generic page first.
func storeLinks(d PageData) []storeLink {
	android := storeLink{d.AppURLAndroid, "Tải trên Google Play (Android)"}
	ios := storeLink{d.AppURLIOS, "Tải trên App Store (iPhone)"}
	generic := storeLink{d.AppURL, "Trang tải VNPT SmartCA"}
	var order []storeLink
	switch d.Store {
	case "android":
		order = []storeLink{android, generic, ios}
	case "ios":
		order = []storeLink{ios, generic, android}
	default:
		order = []storeLink{generic, android, ios}
	}
	out := order[:0:0]
	for _, l := range order {
		if l.URL != "" {
			out = append(out, l)
		}
	}
	return out
}

package ward

import (
	"bytes"
	"fmt"
	"html/template"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/tally"
	"github.com/kyso-vn/kyso/web/wardweb"
)

// pages is the HTTP layer's HTML side: the login form, the dashboard and
// the results of its forms. Like api, it translates and holds no state.
type pages struct {
	cfg   Config
	log   *slog.Logger
	tmpl  *template.Template
	led   *ledger
	reg   *registry
	fleet *fleet
	camp  *campaign
	gate  *gate
	// tallies are the office's per-volunteer and per-house counts (set by
	// officeRoutes).
	tallies func() Tallies
}

// result is what a form post reports back.
type result struct {
	OK       bool
	Heading  string
	Message  string
	Details  []string
	Token    string // a new kiosk token, shown once
	PairCode string // a one-time code a kiosk's tablet exchanges for id + token
	KioskID  string
	Back     string // section of the dashboard to return to
}

// pageData feeds every template; each page uses its part.
type pageData struct {
	Title   string
	Version string
	CSRF    string
	Now     time.Time

	Progress   tally.Progress
	Kiosks     []KioskHealth
	Quarantine []QuarantineItem
	Plan       quota.Plan
	AssocText  string
	RoundsText string
	Deadline   string
	Tallies    Tallies // per volunteer and house (office_tallies.go)

	Error string
	result
}

func (p *pages) render(c *fiber.Ctx, status int, name string, d pageData) error {
	d.Version, d.Now = p.cfg.Version, p.cfg.Now()
	if d.CSRF == "" {
		d.CSRF, _ = c.Locals("csrf").(string)
	}
	var buf bytes.Buffer
	if err := p.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		return err
	}
	c.Type("html", "utf-8")
	return c.Status(status).Send(buf.Bytes())
}

func (p *pages) renderResult(c *fiber.Ctx, status int, r result) error {
	if r.Heading == "" {
		r.Heading = "Kết quả"
	}
	return p.render(c, status, "result", pageData{Title: r.Heading, result: r})
}

func (p *pages) loginPage(c *fiber.Ctx) error {
	if _, ok := p.gate.auth.session(c.Cookies(sessionCookie)); ok {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return p.render(c, 200, "login", pageData{Title: "Đăng nhập"})
}

func (p *pages) loginForm(c *fiber.Ctx) error {
	sess, err := p.gate.login(c, c.FormValue("login"), c.FormValue("password"))
	if err != nil {
		ae := toAPIError(err)
		return p.render(c, ae.Status, "login", pageData{Title: "Đăng nhập", Error: ae.Message})
	}
	if who, _ := p.gate.principalOf(sess.Who); !who.Admin() {
		return c.Redirect("/outreach", fiber.StatusSeeOther)
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (p *pages) logoutForm(c *fiber.Ctx) error {
	p.gate.logout(c)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (p *pages) dashboard(c *fiber.Ctx) error {
	q, err := p.led.QuarantineList()
	if err != nil {
		return err
	}
	plan := p.camp.Plan()
	d := pageData{
		Title: "Tiến độ", Progress: p.camp.Progress(), Kiosks: p.fleet.KioskHealth(), Quarantine: q, Plan: plan,
		AssocText: associationsText(plan.Associations), RoundsText: roundsText(plan.Rounds), Deadline: wardweb.Date(plan.Deadline),
		Tallies: p.tallies(),
	}
	return p.render(c, 200, "dashboard", d)
}

func associationsText(a []quota.Association) string {
	var b strings.Builder
	for _, x := range a {
		fmt.Fprintf(&b, "%s, %d", x.Name, x.Target)
		if x.Before > 0 {
			fmt.Fprintf(&b, ", %d", x.Before)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func roundsText(r []quota.Round) string {
	var b strings.Builder
	for _, x := range r {
		fmt.Fprintf(&b, "%s, %s, %s", x.Name, wardweb.Date(x.From), wardweb.Date(x.To))
		if x.Target > 0 {
			fmt.Fprintf(&b, ", %d", x.Target)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// failed renders a refused form post.
func (p *pages) failed(c *fiber.Ctx, back string, err error) error {
	ae := toAPIError(err)
	if ae.Status >= 500 {
		p.log.Error("form failed", "path", c.Path(), "err", err)
	}
	return p.renderResult(c, ae.Status, result{Heading: "Không thực hiện được", Message: ae.Message, Back: back})
}

func (p *pages) uiImport(c *fiber.Ctx) error {
	f, err := uploadFile(c)
	if err != nil {
		return p.failed(c, "nhap", err)
	}
	defer f.Close()
	res, err := p.led.ImportBatch(f)
	if err != nil {
		return p.failed(c, "nhap", err)
	}
	r := result{OK: true, Heading: "Đã nhập tệp", Back: "nhap",
		Message: fmt.Sprintf("Tệp của điểm «%s»: %d bản ghi, %d bản ghi mới, %d bản ghi đã có từ trước.", res.KioskID, res.Records, res.New, res.Duplicates)}
	if len(res.Conflicts) > 0 {
		r.Details = append(r.Details, fmt.Sprintf("%d bản ghi khác nội dung với bản đã lưu cùng số thứ tự: đã giữ riêng ở mục «Bản ghi xung đột», không tính.", len(res.Conflicts)))
	}
	r.Details = append(r.Details, fmt.Sprintf("Máy chủ xã đã có liên tục đến bản ghi số %d của điểm này.", res.AckedSeq))
	return p.renderResult(c, 200, r)
}

func (p *pages) uiQuotas(c *fiber.Ctx) error {
	data, err := upload(c, maxCSV)
	if err != nil {
		return p.failed(c, "caidat", err)
	}
	v, err := p.camp.SetVillages(data)
	if err != nil {
		return p.failed(c, "caidat", err)
	}
	t := v.Totals()
	r := result{OK: true, Heading: "Đã nhập chỉ tiêu thôn", Back: "thon",
		Message: fmt.Sprintf("%d thôn, tổng chỉ tiêu %s, đã có trước %s.", len(v.Rows), wardweb.Num(t.Target), wardweb.Num(t.Before))}
	for _, x := range v.Rows {
		r.Details = append(r.Details, fmt.Sprintf("%s: chỉ tiêu %s (LĐ có khả năng LĐ %s), đã có trước %s", x.Name, wardweb.Num(x.Target), wardweb.Num(x.Base), wardweb.Num(x.Before)))
	}
	return p.renderResult(c, 200, r)
}

func (p *pages) uiAssociations(c *fiber.Ctx) error {
	a, err := p.camp.SetAssociations([]byte(c.FormValue("text")))
	if err != nil {
		return p.failed(c, "caidat", err)
	}
	return p.renderResult(c, 200, result{OK: true, Heading: "Đã lưu chỉ tiêu đoàn thể", Back: "doanthe", Message: fmt.Sprintf("%d đoàn thể.", len(a))})
}

func (p *pages) uiRounds(c *fiber.Ctx) error {
	r, err := p.camp.SetRounds([]byte(c.FormValue("text")))
	if err != nil {
		return p.failed(c, "caidat", err)
	}
	return p.renderResult(c, 200, result{OK: true, Heading: "Đã lưu các đợt", Back: "dot", Message: fmt.Sprintf("%d đợt.", len(r))})
}

func (p *pages) uiDeadline(c *fiber.Ctx) error {
	d, err := p.camp.SetDeadline(c.FormValue("deadline"))
	if err != nil {
		return p.failed(c, "caidat", err)
	}
	msg := "Đã bỏ hạn hoàn thành."
	if d != "" {
		msg = "Hạn hoàn thành: " + wardweb.Date(d) + "."
	}
	return p.renderResult(c, 200, result{OK: true, Heading: "Đã lưu hạn hoàn thành", Back: "dubao", Message: msg})
}

func (p *pages) uiKiosk(c *fiber.Ctx) error {
	id := strings.TrimSpace(c.FormValue("id"))
	tok, err := p.reg.AddKiosk(id, SourceUI)
	if err != nil {
		return p.failed(c, "caidat", err)
	}
	return p.renderResult(c, 201, result{OK: true, Heading: "Đã tạo mã truy cập", Back: "diem", Token: tok, KioskID: id,
		Message: "Điểm «" + id + "» đã được đăng ký."})
}

func (p *pages) uiPull(c *fiber.Ctx) error {
	t, err := p.fleet.AddUIPull(c.FormValue("kiosk_id"), c.FormValue("url"))
	if err != nil {
		return p.failed(c, "caidat", err)
	}
	return p.renderResult(c, 201, result{OK: true, Heading: "Đã thêm điểm để kéo dữ liệu", Back: "diem",
		Message: fmt.Sprintf("Máy chủ xã sẽ kéo dữ liệu của điểm «%s» từ %s.", t.KioskID, t.URL)})
}

// page guards HTML pages: no session sends the browser to the login form.
func (p *pages) page(changes bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := p.gate.authenticate(c, changes)
		switch {
		case err == nil:
			return c.Next()
		case err == errUnauth && c.Method() == fiber.MethodGet && c.Get(fiber.HeaderAuthorization) == "":
			return c.Redirect("/login", fiber.StatusSeeOther)
		case err == errAdminOnly && c.Method() == fiber.MethodGet:
			return c.Redirect("/outreach", fiber.StatusSeeOther) // a unit head's page
		}
		ae := toAPIError(err)
		return p.renderResult(c, ae.Status, result{Heading: "Không thực hiện được", Message: ae.Message})
	}
}

// uiPairing is the dashboard form: register the kiosk and show its code.
func (p *pages) uiPairing(c *fiber.Ctx) error {
	id := strings.TrimSpace(c.FormValue("id"))
	code, exp, err := p.reg.NewPairing(id, c.FormValue("name"), c.FormValue("village"))
	if err != nil {
		return p.failed(c, "caidat", err)
	}
	return p.renderResult(c, 201, result{OK: true, Heading: "Mã ghép điểm «" + id + "»", Back: "diem", KioskID: id,
		PairCode: FormatPairCode(code),
		Message: "Trên máy tính bảng của điểm, mở trang tình nguyện viên, đăng nhập và nhập mã ghép này. Mã dùng được một lần, đến " +
			exp.In(clock.Vietnam).Format("15:04") + "."})
}

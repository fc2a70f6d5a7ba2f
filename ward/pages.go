package ward

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/tally"
	"github.com/kyso-vn/kyso/web/wardweb"
)

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

	Error string
	result
}

func (s *Service) render(c *fiber.Ctx, status int, name string, d pageData) error {
	d.Version, d.Now = s.cfg.Version, s.cfg.Now()
	if d.CSRF == "" {
		d.CSRF, _ = c.Locals("csrf").(string)
	}
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		return err
	}
	c.Type("html", "utf-8")
	return c.Status(status).Send(buf.Bytes())
}

func (s *Service) renderResult(c *fiber.Ctx, status int, r result) error {
	if r.Heading == "" {
		r.Heading = "Kết quả"
	}
	return s.render(c, status, "result", pageData{Title: r.Heading, result: r})
}

func (s *Service) loginPage(c *fiber.Ctx) error {
	if _, ok := s.auth.session(c.Cookies(sessionCookie)); ok {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	return s.render(c, 200, "login", pageData{Title: "Đăng nhập"})
}

func (s *Service) loginForm(c *fiber.Ctx) error {
	if _, err := s.login(c, c.FormValue("login"), c.FormValue("password")); err != nil {
		ae := toAPIError(err)
		return s.render(c, ae.Status, "login", pageData{Title: "Đăng nhập", Error: ae.Message})
	}
	return c.Redirect("/", fiber.StatusSeeOther)
}

func (s *Service) logoutForm(c *fiber.Ctx) error {
	s.logout(c)
	return c.Redirect("/login", fiber.StatusSeeOther)
}

func (s *Service) dashboard(c *fiber.Ctx) error {
	q, err := s.QuarantineList()
	if err != nil {
		return err
	}
	plan := s.Plan()
	d := pageData{
		Title: "Tiến độ", Progress: s.Progress(), Kiosks: s.KioskHealth(), Quarantine: q, Plan: plan,
		AssocText: associationsText(plan.Associations), RoundsText: roundsText(plan.Rounds), Deadline: wardweb.Date(plan.Deadline),
	}
	return s.render(c, 200, "dashboard", d)
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
func (s *Service) failed(c *fiber.Ctx, back string, err error) error {
	ae := toAPIError(err)
	if ae.Status >= 500 {
		s.log.Error("form failed", "path", c.Path(), "err", err)
	}
	return s.renderResult(c, ae.Status, result{Heading: "Không thực hiện được", Message: ae.Message, Back: back})
}

func (s *Service) uiImport(c *fiber.Ctx) error {
	f, err := uploadFile(c)
	if err != nil {
		return s.failed(c, "nhap", err)
	}
	defer f.Close()
	res, err := s.ImportBatch(f)
	if err != nil {
		return s.failed(c, "nhap", err)
	}
	r := result{OK: true, Heading: "Đã nhập tệp", Back: "nhap",
		Message: fmt.Sprintf("Tệp của điểm «%s»: %d bản ghi, %d bản ghi mới, %d bản ghi đã có từ trước.", res.KioskID, res.Records, res.New, res.Duplicates)}
	if len(res.Conflicts) > 0 {
		r.Details = append(r.Details, fmt.Sprintf("%d bản ghi khác nội dung với bản đã lưu cùng số thứ tự: đã giữ riêng ở mục «Bản ghi xung đột», không tính.", len(res.Conflicts)))
	}
	r.Details = append(r.Details, fmt.Sprintf("Máy chủ xã đã có liên tục đến bản ghi số %d của điểm này.", res.AckedSeq))
	return s.renderResult(c, 200, r)
}

func (s *Service) uiQuotas(c *fiber.Ctx) error {
	data, err := upload(c, maxCSV)
	if err != nil {
		return s.failed(c, "caidat", err)
	}
	v, err := s.SetVillages(data)
	if err != nil {
		return s.failed(c, "caidat", err)
	}
	t := v.Totals()
	r := result{OK: true, Heading: "Đã nhập chỉ tiêu thôn", Back: "thon",
		Message: fmt.Sprintf("%d thôn, tổng chỉ tiêu %s, đã có trước %s.", len(v.Rows), wardweb.Num(t.Target), wardweb.Num(t.Before))}
	for _, x := range v.Rows {
		r.Details = append(r.Details, fmt.Sprintf("%s: chỉ tiêu %s (LĐ có khả năng LĐ %s), đã có trước %s", x.Name, wardweb.Num(x.Target), wardweb.Num(x.Base), wardweb.Num(x.Before)))
	}
	return s.renderResult(c, 200, r)
}

func (s *Service) uiAssociations(c *fiber.Ctx) error {
	a, err := s.SetAssociations([]byte(c.FormValue("text")))
	if err != nil {
		return s.failed(c, "caidat", err)
	}
	return s.renderResult(c, 200, result{OK: true, Heading: "Đã lưu chỉ tiêu đoàn thể", Back: "doanthe", Message: fmt.Sprintf("%d đoàn thể.", len(a))})
}

func (s *Service) uiRounds(c *fiber.Ctx) error {
	r, err := s.SetRounds([]byte(c.FormValue("text")))
	if err != nil {
		return s.failed(c, "caidat", err)
	}
	return s.renderResult(c, 200, result{OK: true, Heading: "Đã lưu các đợt", Back: "dot", Message: fmt.Sprintf("%d đợt.", len(r))})
}

func (s *Service) uiDeadline(c *fiber.Ctx) error {
	d, err := s.SetDeadline(c.FormValue("deadline"))
	if err != nil {
		return s.failed(c, "caidat", err)
	}
	msg := "Đã bỏ hạn hoàn thành."
	if d != "" {
		msg = "Hạn hoàn thành: " + wardweb.Date(d) + "."
	}
	return s.renderResult(c, 200, result{OK: true, Heading: "Đã lưu hạn hoàn thành", Back: "dubao", Message: msg})
}

func (s *Service) uiKiosk(c *fiber.Ctx) error {
	id := strings.TrimSpace(c.FormValue("id"))
	tok, err := s.AddKiosk(id, SourceUI)
	if err != nil {
		return s.failed(c, "caidat", err)
	}
	return s.renderResult(c, 201, result{OK: true, Heading: "Đã tạo mã truy cập", Back: "diem", Token: tok, KioskID: id,
		Message: "Điểm «" + id + "» đã được đăng ký."})
}

func (s *Service) uiPull(c *fiber.Ctx) error {
	t, err := s.AddUIPull(c.FormValue("kiosk_id"), c.FormValue("url"))
	if err != nil {
		return s.failed(c, "caidat", err)
	}
	return s.renderResult(c, 201, result{OK: true, Heading: "Đã thêm điểm để kéo dữ liệu", Back: "diem",
		Message: fmt.Sprintf("Máy chủ xã sẽ kéo dữ liệu của điểm «%s» từ %s.", t.KioskID, t.URL)})
}

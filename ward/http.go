package ward

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/web/wardweb"
)

// Limits of one request body (after decoding: none is decoded).
const (
	maxBody   = 64 << 20 // a push: up to MaxRecordsPerDelivery records
	maxUpload = 64 << 20 // a USB batch of tens of thousands of records
	maxCSV    = 4 << 20  // quotas, associations, rounds: a few hundred rows
	maxForm   = 64 << 10 // everything else: logins, forms, small JSON
)

// csp forbids everything but the ward's own files: no inline code at all.
const csp = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"

// limits: every body is at most maxForm and read before routing, except
// these, which their handlers read after authenticating the sender.
var limits = httpx.Limits{Default: maxForm, Large: map[string]int64{
	"POST /api/v1/records":      maxBody,
	"POST /api/v1/import":       maxUpload,
	"POST /ui/import":           maxUpload,
	"POST /api/v1/quotas":       maxCSV,
	"POST /ui/quotas":           maxCSV,
	"POST /api/v1/associations": maxCSV,
	"POST /ui/associations":     maxCSV,
	"POST /api/v1/rounds":       maxCSV,
	"POST /api/v1/roster":       maxRosterBytes + 1<<20,
	"POST /api/v1/vnpt-report":  maxRosterBytes + 1<<20,
	"POST /ui/rounds":           maxCSV,
}}

func (s *Service) routes() *fiber.App {
	app := httpx.New(httpx.Config{
		Name:        "kyso-ward",
		Limits:      limits,
		Headers:     httpx.Headers{CSP: csp, NoStorePrefix: "/"},
		Errors:      wardErrors(s.log),
		ReadTimeout: 2 * time.Minute,
		// A large export on a slow office network.
		WriteTimeout: 10 * time.Minute,
		IdleTimeout:  2 * time.Minute,
	})
	// Signed pushes are read before their signature can be checked (it
	// covers the body): all such reads together hold at most one full push.
	unverified := httpx.NewBudget(maxBody)
	app.Get("/healthz", s.healthz)
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.met.reg, promhttp.HandlerOpts{})))
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(wardweb.Static()), MaxAge: 3600}))
	app.Get("/favicon.ico", func(c *fiber.Ctx) error { return c.Redirect("/static/icon.svg", fiber.StatusMovedPermanently) })

	api := app.Group("/api/v1")
	api.Get("/progress", s.getProgress)
	api.Get("/progress/full", s.admin(false), func(c *fiber.Ctx) error { return c.JSON(s.Progress()) })
	api.Get("/kiosks", s.getKiosks)
	api.Get("/villages", s.getVillages)
	api.Post("/records", func(c *fiber.Ctx) error { return s.postRecords(c, unverified) })
	api.Post("/pair", s.postPair)
	api.Get("/prove", s.getProve)
	api.Post("/pairings", s.admin(true), s.postPairing)
	api.Post("/login", s.apiLogin)
	api.Post("/logout", s.unit(true, func(c *fiber.Ctx, _ principal) error { return s.apiLogout(c) }))
	api.Get("/session", s.unit(false, s.apiSession))
	api.Get("/quarantine", s.admin(false), s.getQuarantine)
	api.Post("/import", s.admin(true), s.postImport)
	api.Post("/quotas", s.admin(true), s.postQuotas)
	api.Post("/associations", s.admin(true), s.postAssociations)
	api.Post("/rounds", s.admin(true), s.postRounds)
	api.Post("/deadline", s.admin(true), s.postDeadline)
	api.Post("/kiosks", s.admin(true), s.postKiosk)
	api.Post("/pulls", s.admin(true), s.postPull)
	api.Delete("/pulls/:id", s.admin(true), s.deletePull)

	// Exports: the admin's, and the unit heads' working lists (outreach).
	exp := app.Group("/export")
	exp.Get("/completions.csv", s.admin(false), s.exportCompletionsCSV)
	exp.Get("/completions.xlsx", s.admin(false), s.exportCompletionsXLSX)
	exp.Get("/summary.xlsx", s.admin(false), s.exportSummaryXLSX)

	s.outreachRoutes(api, exp)

	app.Get("/login", s.loginPage)
	app.Post("/login", s.loginForm)
	app.Post("/logout", s.page(true), s.logoutForm)
	app.Get("/", s.page(false), s.dashboard)
	ui := app.Group("/ui", s.page(true))
	ui.Post("/import", s.uiImport)
	ui.Post("/quotas", s.uiQuotas)
	ui.Post("/associations", s.uiAssociations)
	ui.Post("/rounds", s.uiRounds)
	ui.Post("/deadline", s.uiDeadline)
	ui.Post("/kiosks", s.uiKiosk)
	ui.Post("/pairings", s.uiPairing)
	ui.Post("/pulls", s.uiPull)

	app.Use(func(c *fiber.Ctx) error { return errNotFound })
	return app
}

// ---- public ----

func (s *Service) healthz(c *fiber.Ctx) error {
	s.mu.RLock()
	kiosks, q := len(s.kiosks), len(s.quarantine)
	s.mu.RUnlock()
	return c.JSON(fiber.Map{"status": "ok", "version": s.cfg.Version, "records": s.tally.Len(), "kiosks": kiosks, "quarantined": q})
}

func (s *Service) getProgress(c *fiber.Ctx) error { return s.sendProgress(c) } // pairing.go: signed for a kiosk

func (s *Service) getKiosks(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"kiosks": s.KioskHealth(), "ward_time": s.cfg.Now().UTC()})
}

// getVillages lists the plan's names for kiosks' join forms.
func (s *Service) getVillages(c *fiber.Ctx) error {
	p := s.Plan()
	v := make([]string, 0, len(p.Villages.Rows))
	for _, r := range p.Villages.Rows {
		v = append(v, r.Name)
	}
	a := make([]string, 0, len(p.Associations))
	for _, r := range p.Associations {
		a = append(a, r.Name)
	}
	rounds := p.Rounds
	if rounds == nil {
		rounds = []quota.Round{}
	}
	return c.JSON(fiber.Map{"villages": v, "associations": a, "rounds": rounds, "deadline": p.Deadline})
}

// ---- kiosk push ----

func bearer(c *fiber.Ctx) string {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// kioskByToken finds the kiosk a token belongs to, comparing with every
// registered token in constant time.
func (s *Service) kioskByToken(tok string) (string, bool) {
	if tok == "" {
		return "", false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	found := ""
	for id, k := range s.kiosks {
		if link.SameSecret(tok, k.Token) {
			found = id
		}
	}
	return found, found != ""
}

func (s *Service) postRecords(c *fiber.Ctx, unverified *httpx.Budget) error {
	req, auth, err := s.openPush(c, unverified) // see ingest.go: authenticated before the body is read
	if err != nil {
		return err
	}
	res, err := s.ingest(auth.kioskID, req.Records, contact{via: store.ViaPush, headSeq: req.HeadSeq, version: req.Version, kioskTime: req.Now})
	if err != nil {
		return err
	}
	return s.replyPush(c, auth, res)
}

// ---- admin authentication ----

func basicAuth(c *fiber.Ctx) (user, pw string, ok bool) {
	h := c.Get(fiber.HeaderAuthorization)
	if len(h) < 6 || !strings.EqualFold(h[:6], "basic ") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(h[6:]))
	if err != nil {
		return "", "", false
	}
	user, pw, ok = strings.Cut(string(raw), ":")
	return user, pw, ok
}

// crossSite reports a request a browser made for another site. HTTP Basic
// credentials are sent by browsers automatically, so a state change under
// Basic must not come from a foreign page.
func crossSite(c *fiber.Ctx) bool {
	switch c.Get("Sec-Fetch-Site") {
	case "cross-site", "same-site":
		return true
	}
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		u, err := url.Parse(o)
		return err != nil || u.Host != string(c.Request().Host())
	}
	return false
}

// who finds the principal of a request: a session (with its CSRF token
// when the request changes state) or HTTP Basic login:password, for the
// admin ("admin") or a unit head.
func (s *Service) who(c *fiber.Ctx, changes bool) (principal, error) {
	if sess, ok := s.auth.session(c.Cookies(sessionCookie)); ok {
		p, known := s.principalOf(sess.Who)
		if !known {
			return principal{}, errUnauth
		}
		if changes {
			tok := c.Get("X-CSRF-Token")
			if tok == "" {
				// A form: its body is read now, after the session
				// (SameSite=Strict: never sent by a foreign page) was found.
				tok = c.FormValue("csrf_token")
			}
			if !link.SameSecret(tok, sess.CSRF) {
				return principal{}, errCSRF
			}
		}
		c.Locals("csrf", sess.CSRF)
		return p, nil
	}
	if user, pw, ok := basicAuth(c); ok {
		user = strings.ToLower(user)
		ok, err := s.auth.check(c.IP(), user, pw, s.userSecret)
		if err != nil {
			return principal{}, err
		}
		if !ok {
			return principal{}, errUnauth
		}
		if changes && crossSite(c) {
			return principal{}, errCrossSite
		}
		p, _ := s.principalOf(user)
		return p, nil
	}
	return principal{}, errUnauth
}

// principalOf names a logged-in login's rights.
func (s *Service) principalOf(login string) (principal, bool) {
	if login == adminLogin || login == "" {
		return principal{Login: adminLogin}, true
	}
	u, ok := s.users.get(login)
	if !ok {
		return principal{}, false
	}
	return u.principal(), true
}

func (s *Service) userSecret(login string) (adminSecret, bool) {
	u, ok := s.users.get(login)
	return u.Secret, ok
}

// authenticate accepts the admin only.
func (s *Service) authenticate(c *fiber.Ctx, changes bool) error {
	p, err := s.who(c, changes)
	if err != nil {
		return err
	}
	if !p.Admin() {
		return errAdminOnly
	}
	return nil
}

// admin guards JSON endpoints and downloads.
func (s *Service) admin(changes bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := s.authenticate(c, changes); err != nil {
			return err
		}
		return c.Next()
	}
}

// unit guards what unit heads may do as well as the admin: h gets the
// principal and narrows what it shows to the principal's unit.
func (s *Service) unit(changes bool, h func(*fiber.Ctx, principal) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := s.who(c, changes)
		if err != nil {
			return err
		}
		return h(c, p)
	}
}

// page guards HTML pages: no session sends the browser to the login form.
func (s *Service) page(changes bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		err := s.authenticate(c, changes)
		switch {
		case err == nil:
			return c.Next()
		case err == errUnauth && c.Method() == fiber.MethodGet && c.Get(fiber.HeaderAuthorization) == "":
			return c.Redirect("/login", fiber.StatusSeeOther)
		}
		ae := toAPIError(err)
		return s.renderResult(c, ae.Status, result{Heading: "Không thực hiện được", Message: ae.Message})
	}
}

func (s *Service) login(c *fiber.Ctx, login, password string) (httpx.Session, error) {
	ip := c.IP()
	login = strings.ToLower(strings.TrimSpace(login))
	if login == "" {
		login = adminLogin
	}
	ok, err := s.auth.check(ip, login, password, s.userSecret)
	if err != nil {
		return httpx.Session{}, err
	}
	if !ok {
		s.log.Warn("login failed", "addr", ip)
		return httpx.Session{}, errBadPassword
	}
	id, sess := s.auth.sessions.Create(login, s.cfg.Now())
	s.auth.sessions.SetCookie(c, id, sess)
	return sess, nil
}

func (s *Service) logout(c *fiber.Ctx) { s.auth.sessions.End(c) }

func (s *Service) apiLogin(c *fiber.Ctx) error {
	var body struct {
		Login    string `json:"login"`
		Password string `json:"password"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	sess, err := s.login(c, body.Login, body.Password)
	if err != nil {
		return err
	}
	p, _ := s.principalOf(sess.Who)
	return c.JSON(fiber.Map{"csrf_token": sess.CSRF, "login": p.Login, "village": p.Village, "association": p.Association})
}

func (s *Service) apiLogout(c *fiber.Ctx) error {
	s.logout(c)
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Service) apiSession(c *fiber.Ctx, p principal) error {
	csrf, _ := c.Locals("csrf").(string)
	return c.JSON(fiber.Map{"csrf_token": csrf, "login": p.Login, "village": p.Village, "association": p.Association})
}

// ---- admin JSON ----

func (s *Service) getQuarantine(c *fiber.Ctx) error {
	items, err := s.QuarantineList()
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"items": items})
}

// uploadFile opens a request's file: the multipart field "file", or the
// body itself, as a stream within the route's limit. Multipart parts over
// a few KB wait in a temporary file, not in memory.
func uploadFile(c *fiber.Ctx) (io.ReadCloser, error) {
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		fh, err := c.FormFile("file")
		if err != nil {
			return nil, errNoFile
		}
		f, err := fh.Open()
		if err != nil {
			return nil, errNoFile
		}
		return f, nil
	}
	if c.Request().Header.ContentLength() == 0 {
		return nil, errNoFile
	}
	return io.NopCloser(httpx.Reader(c)), nil
}

// upload reads a request's file (see uploadFile), at most limit bytes.
func upload(c *fiber.Ctx, limit int64) ([]byte, error) {
	f, err := uploadFile(c)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	var he *httpx.Error
	switch {
	case errors.As(err, &he):
		return nil, he
	case err != nil:
		return nil, errNoFile
	case int64(len(b)) > limit:
		return nil, errTooLarge
	case len(b) == 0:
		return nil, errNoFile
	}
	return b, nil
}

// postImport streams the batch file into ImportBatch: a file of millions
// of empty records is refused at the first one, not after it was all held.
func (s *Service) postImport(c *fiber.Ctx) error {
	f, err := uploadFile(c)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := s.ImportBatch(f)
	if err != nil {
		return err
	}
	return c.JSON(res)
}

func (s *Service) postQuotas(c *fiber.Ctx) error {
	data, err := upload(c, maxCSV)
	if err != nil {
		return err
	}
	v, err := s.SetVillages(data)
	if err != nil {
		return err
	}
	t := v.Totals()
	return c.JSON(fiber.Map{"villages": len(v.Rows), "base": t.Base, "target": t.Target, "before": t.Before})
}

// textBody is a CSV sent as the body or as the multipart field "file"; an
// empty body is allowed (it clears the list).
func textBody(c *fiber.Ctx) ([]byte, error) {
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		return upload(c, maxCSV)
	}
	return httpx.Body(c)
}

func (s *Service) postAssociations(c *fiber.Ctx) error {
	body, err := textBody(c)
	if err != nil {
		return err
	}
	a, err := s.SetAssociations(body)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"associations": a})
}

func (s *Service) postRounds(c *fiber.Ctx) error {
	body, err := textBody(c)
	if err != nil {
		return err
	}
	r, err := s.SetRounds(body)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"rounds": r})
}

func (s *Service) postDeadline(c *fiber.Ctx) error {
	var body struct {
		Deadline string `json:"deadline"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	d, err := s.SetDeadline(body.Deadline)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deadline": d})
}

func (s *Service) postKiosk(c *fiber.Ctx) error {
	var body struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	tok, err := s.AddKiosk(strings.TrimSpace(body.ID), SourceUI)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": body.ID, "token": tok})
}

func (s *Service) postPull(c *fiber.Ctx) error {
	var body PullTarget
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	t, err := s.AddUIPull(body.KioskID, body.URL)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(t)
}

func (s *Service) deletePull(c *fiber.Ctx) error {
	if err := s.RemoveUIPull(c.Params("id")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"status": "ok"})
}

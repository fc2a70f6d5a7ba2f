package ward

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/filesystem"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kyso-vn/kyso/internal/httpx"
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

// routes is every route of the ward, in one place: the handlers (api,
// pages, and the outreach API) translate between HTTP and the domain; the
// gate guards them.
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
	a, p, g := s.api, s.pages, s.gate
	app.Get("/healthz", a.healthz)
	app.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.met.reg, promhttp.HandlerOpts{})))
	app.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(wardweb.Static()), MaxAge: 3600}))
	app.Get("/favicon.ico", func(c *fiber.Ctx) error { return c.Redirect("/static/icon.svg", fiber.StatusMovedPermanently) })

	api := app.Group("/api/v1")
	api.Get("/progress", a.getProgress)
	api.Get("/progress/full", g.admin(false), func(c *fiber.Ctx) error { return c.JSON(s.camp.Progress()) })
	api.Get("/kiosks", a.getKiosks)
	api.Get("/villages", a.getVillages)
	api.Post("/records", a.postRecords)
	api.Post("/pair", a.postPair)
	api.Get("/prove", a.getProve)
	api.Post("/pairings", g.admin(true), a.postPairing)
	api.Post("/login", a.apiLogin)
	api.Post("/logout", g.unit(true, a.apiLogout))
	api.Get("/session", g.unit(false, a.apiSession))
	api.Get("/quarantine", g.admin(false), a.getQuarantine)
	api.Post("/import", g.admin(true), a.postImport)
	api.Post("/quotas", g.admin(true), a.postQuotas)
	api.Post("/associations", g.admin(true), a.postAssociations)
	api.Post("/rounds", g.admin(true), a.postRounds)
	api.Post("/deadline", g.admin(true), a.postDeadline)
	api.Post("/kiosks", g.admin(true), a.postKiosk)
	api.Post("/pulls", g.admin(true), a.postPull)
	api.Delete("/pulls/:id", g.admin(true), a.deletePull)

	// Exports: the admin's, and the unit heads' working lists (outreach).
	exp := app.Group("/export")
	exp.Get("/completions.csv", g.admin(false), a.exportCompletionsCSV)
	exp.Get("/completions.xlsx", g.admin(false), a.exportCompletionsXLSX)
	exp.Get("/summary.xlsx", g.admin(false), a.exportSummaryXLSX)

	s.outreachRoutes(api, exp)
	app.Get("/outreach", s.getOutreachPage)
	s.officeRoutes(app, api, exp)

	app.Get("/login", p.loginPage)
	app.Post("/login", p.loginForm)
	app.Post("/logout", p.page(true), p.logoutForm)
	app.Get("/", p.page(false), p.dashboard)
	ui := app.Group("/ui", p.page(true))
	ui.Post("/import", p.uiImport)
	ui.Post("/quotas", p.uiQuotas)
	ui.Post("/associations", p.uiAssociations)
	ui.Post("/rounds", p.uiRounds)
	ui.Post("/deadline", p.uiDeadline)
	ui.Post("/kiosks", p.uiKiosk)
	ui.Post("/pairings", p.uiPairing)
	ui.Post("/pulls", p.uiPull)

	app.Use(func(c *fiber.Ctx) error { return errNotFound })
	return app
}

// outreachRoutes adds the outreach endpoints: unit heads and the admin.
func (s *Service) outreachRoutes(api, exp fiber.Router) {
	o := s.out
	// Kiosks: sealed and signed with the kiosk's token (link.PathTonight, link.PathArrivals).
	api.Post("/tonight", s.postTonight)
	api.Post("/arrivals", s.postArrivals)
	api.Post("/recover", s.postRecover)
	api.Post("/users", s.admin(true), s.postUser)
	api.Get("/users", s.admin(false), func(c *fiber.Ctx) error { return c.JSON(fiber.Map{"users": s.users.list()}) })
	api.Post("/roster", s.unit(true, o.postRoster))
	api.Get("/outreach", s.unit(false, o.getOutreach))
	api.Post("/outreach/:key/mark", s.unit(true, o.postMark))
	api.Get("/units", s.unit(false, o.getUnits))
	api.Post("/vnpt-report", s.unit(true, o.postVNPT))
	api.Get("/reconciliation", s.unit(false, o.getReconciliation))
	api.Post("/sessions", s.unit(true, o.postSessions))
	api.Get("/sessions", s.unit(false, o.getSessions))
	api.Post("/sessions/generate", s.unit(true, o.postGenerate))
	api.Get("/sessions/:id", s.unit(false, o.getSession))
	api.Get("/rate", s.unit(false, o.getRate))
	api.Post("/schedule", s.unit(true, o.postSchedule))
	api.Post("/invitations/move", s.unit(true, o.postMove))
	api.Get("/exports-log", s.unit(false, o.getAudit))

	exp.Get("/outreach.xlsx", s.unit(false, o.exportOutreach))
	exp.Get("/reconciliation.xlsx", s.unit(false, o.exportReconciliation))
	exp.Get("/sessions/:id/announcement.txt", s.unit(false, o.exportAnnouncementText))
	exp.Get("/sessions/:id/announcement.wav", s.unit(false, o.exportAnnouncementWAV))
	exp.Get("/sessions/:id/invitations.pdf", s.unit(false, o.exportInvitations))
	exp.Get("/sessions/:id/list.pdf", s.unit(false, o.exportSessionList))
}

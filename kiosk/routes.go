package kiosk

import (
	"html/template"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes declares every route of the kiosk, in one place. Recovery from
// panics, body limits and security headers come first (httpx.New). The
// handlers are grouped by audience, each group a small type holding its
// dependencies: pages (public: board, join, QR), citizens (ticket bearer),
// auth and desk (volunteer session), wardAPI (kiosk token), pairer.
func routes(a *fiber.App, d *deps, tmpl *template.Template) {
	pub := &pages{d: d, tmpl: tmpl, qr: newQRCache()}
	cit := &citizens{d: d, joins: newJoinLimiter(d.cfg.JoinLimit)}
	au := &auth{d: d, pins: newPINThrottle(), logins: newLimiter(20)}
	dk := &desk{d: d}
	wd := &wardAPI{d: d, nonces: newNonces()}
	pr := &pairer{d: d}
	ton := &tonightAPI{v: d.inv}
	vol := au.volunteer

	// Public: no personal data, ever. Pages and assets are gzipped for cheap
	// phones on a crowded Wi-Fi; the live stream is not (it must not buffer).
	gz := compress.New(compress.Config{Level: compress.LevelBestSpeed})
	a.Get("/", gz, pub.boardOrSetup)
	a.Get("/join", gz, pub.page("join"))
	a.Get("/app", gz, pub.page("app"))
	a.Get("/volunteer", gz, pub.page("volunteer"))
	a.Use("/static", gz, pub.static())
	a.Get("/qr/join.png", pub.qrJoin)
	a.Get("/qr/app.png", pub.qrApp)
	a.Get("/qr/wifi.png", pub.qrWifi)
	a.Get("/qr/volunteer.png", pub.qrVolunteer)
	a.Get("/healthz", pub.healthz)
	a.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(d.metrics.reg, promhttp.HandlerOpts{})))
	a.Get("/api/v1/board", pub.getBoard)
	a.Get("/api/v1/events", pub.events)
	a.Get("/api/v1/villages", pub.villages)
	a.Post("/api/v1/board/speech", pub.postSpeech)

	// Citizen (ticket bearer token) — and walk-ins by a volunteer session.
	a.Post("/api/v1/tickets", cit.createTicket)
	a.Get("/api/v1/tickets/:id", cit.getTicket)
	a.Delete("/api/v1/tickets/:id", cit.leaveTicket)

	// Volunteer (session cookie + X-CSRF-Token).
	a.Post("/api/v1/login", au.login)
	a.Post("/api/v1/logout", vol, au.logout)
	a.Get("/api/v1/session", vol, au.getSession)
	a.Get("/api/v1/queue", vol, dk.getQueue)
	a.Get("/api/v1/queue/events", vol, dk.queueEvents)
	a.Get("/api/v1/desk/current", vol, dk.atDesk)
	a.Get("/api/v1/set-aside", vol, dk.setAside)
	a.Post("/api/v1/desks/:desk/claim", vol, dk.claimDesk)
	a.Post("/api/v1/desks/:desk/next", vol, dk.callNext)
	a.Patch("/api/v1/tickets/:id", vol, dk.correctTicket)
	a.Post("/api/v1/tickets/:id/recall", vol, dk.recall)
	a.Post("/api/v1/tickets/:id/no-show", vol, dk.noShow)
	a.Post("/api/v1/tickets/:id/requeue", vol, dk.requeue)
	a.Post("/api/v1/tickets/:id/restore", vol, dk.restore)
	a.Post("/api/v1/tickets/:id/complete", vol, dk.complete)
	a.Get("/api/v1/completions", vol, dk.completions)
	a.Get("/api/v1/completions/recent", vol, dk.recent)
	a.Post("/api/v1/records/:id/correct", vol, dk.correctRecord)
	a.Get("/api/v1/batch", vol, dk.batch)
	a.Post("/api/v1/setup/pair", vol, pr.pair)
	a.Get("/api/v1/tonight", vol, ton.get)
	a.Post("/api/v1/tonight/:key/arrived", vol, ton.arrived)

	// Ward (Bearer kiosk token).
	a.Get("/api/v1/challenge", wd.challenge)
	a.Get("/api/v1/records", wd.wardAuth, wd.records)

	a.Use(pub.notFound)
}

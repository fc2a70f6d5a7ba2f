package kiosk

import (
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/compress"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// routes declares every route of the kiosk, in one place. Recovery from
// panics, body limits and security headers come first (httpx.New).
func (s *Server) routes() {
	a := s.app

	// Public: no personal data, ever. Pages and assets are gzipped for cheap
	// phones on a crowded Wi-Fi; the live stream is not (it must not buffer).
	gz := compress.New(compress.Config{Level: compress.LevelBestSpeed})
	a.Get("/", gz, s.boardOrSetup)
	a.Get("/join", gz, s.page("join"))
	a.Get("/app", gz, s.page("app"))
	a.Get("/volunteer", gz, s.page("volunteer"))
	a.Use("/static", gz, s.static())
	a.Get("/qr/join.png", s.qrJoin)
	a.Get("/qr/app.png", s.qrApp)
	a.Get("/qr/wifi.png", s.qrWifi)
	a.Get("/qr/volunteer.png", s.qrVolunteer)
	a.Get("/healthz", s.healthz)
	a.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})))
	a.Get("/api/v1/board", s.getBoard)
	a.Get("/api/v1/events", s.events)
	a.Get("/api/v1/villages", s.villages)

	// Citizen (ticket bearer token) — and walk-ins by a volunteer session.
	a.Post("/api/v1/tickets", s.createTicket)
	a.Get("/api/v1/tickets/:id", s.getTicket)
	a.Delete("/api/v1/tickets/:id", s.leaveTicket)

	// Volunteer (session cookie + X-CSRF-Token).
	a.Post("/api/v1/login", s.login)
	a.Post("/api/v1/logout", s.volunteer, s.logout)
	a.Get("/api/v1/session", s.volunteer, s.getSession)
	a.Get("/api/v1/queue", s.volunteer, s.getQueue)
	a.Post("/api/v1/desks/:desk/next", s.volunteer, s.callNext)
	a.Patch("/api/v1/tickets/:id", s.volunteer, s.correctTicket)
	a.Post("/api/v1/tickets/:id/recall", s.volunteer, s.recall)
	a.Post("/api/v1/tickets/:id/no-show", s.volunteer, s.noShow)
	a.Post("/api/v1/tickets/:id/requeue", s.volunteer, s.requeue)
	a.Post("/api/v1/tickets/:id/complete", s.volunteer, s.complete)
	a.Get("/api/v1/completions", s.volunteer, s.completions)
	a.Post("/api/v1/records/:id/correct", s.volunteer, s.correctRecord)
	a.Get("/api/v1/batch", s.volunteer, s.batch)
	a.Post("/api/v1/setup/pair", s.volunteer, s.pair)

	// Ward (Bearer kiosk token).
	a.Get("/api/v1/challenge", s.challenge)
	a.Get("/api/v1/records", s.wardAuth, s.records)

	a.Use(s.notFound)
}

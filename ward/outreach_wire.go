package ward

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/announce"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/outreach"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
)

// openOutreach loads the outreach book, the unit logins and the export log
// from the store, and builds the outreach API on them.
func (s *Service) openOutreach() error {
	book, err := outreach.Open(s.store)
	if err != nil {
		return fmt.Errorf("outreach: %w", err)
	}
	s.book = book
	each := func(prefix string, fn func([]byte) error) error {
		return s.store.Each(prefix, func(_ string, v []byte) error { return fn(v) })
	}
	if s.users, err = loadUsers(each, s.store.PutJSON, s.cfg.passwordIterations); err != nil {
		return fmt.Errorf("users: %w", err)
	}
	audit := &auditLog{put: s.store.PutJSON, now: s.cfg.Now, log: s.log,
		each: func(prefix string, fn func(AuditEntry) error) error {
			return s.store.Each(prefix, func(_ string, v []byte) error {
				var e AuditEntry
				if err := json.Unmarshal(v, &e); err != nil {
					return err
				}
				return fn(e)
			})
		}}
	s.out = &outreachAPI{
		book: book, tally: s.led.tally, plan: s.camp.Plan, progress: s.camp.Progress, pseudo: s.led.pseudo.Key,
		audit: audit, now: s.cfg.Now, log: s.log, commune: cleanCommune(s.cfg.Commune),
		joinURL: s.fleet.joinURL, rate: func(string) outreach.Rate { return outreach.Rate{} }, speak: announce.WAV,
	}
	return nil
}

// noteOutcome tells the book of a failed kyso outcome, for its status.
func (s *Service) noteOutcome(r *record.Record, st *store.Stored) {
	if r.Outcome != record.OutcomeFailed || r.Citizen.CCCD == "" || (st != nil && st.Purged) {
		return
	}
	reason := r.Reason
	if t, ok := reasonText[reason]; ok {
		reason = t
	}
	s.book.NoteOutcome(r.Citizen.CCCD, false, reason, r.RecordedAt)
}

// joinURL is the /join page of the house serving a village, for the QR
// code on invitation slips: the address the kiosk announces on the LAN
// (mDNS), else the address the ward pulls it at. "" when unknown: the slip
// then has no QR code.
func (f *fleet) joinURL(village string) string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, h := range f.health {
		if h == nil || h.lan == nil || quota.Key(h.lan.Village) != quota.Key(village) {
			continue
		}
		base := h.lan.URL
		if base == "" {
			base = h.pullURL
		}
		if u, err := url.Parse(base); err == nil && u.Host != "" {
			u.Path = "/join"
			return u.String()
		}
	}
	return ""
}

// outreachRoutes adds the outreach endpoints: unit heads and the admin.
func (s *Service) outreachRoutes(api, exp fiber.Router) {
	o := s.out
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

func (s *Service) postUser(c *fiber.Ctx) error {
	var req UserRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return errBadJSON
	}
	u, err := s.users.add(req, s.camp.Plan(), adminLogin, s.cfg.Now())
	if err != nil {
		return err
	}
	s.log.Info("unit login created", "login", u.Login, "village", u.Village, "association", u.Association)
	return c.Status(fiber.StatusCreated).JSON(u)
}

// cleanCommune is the commune's name for papers: "Cẩm Ngọc".
func cleanCommune(s string) string {
	s = quota.Clean(s)
	for _, p := range []string{"UBND xã ", "Xã ", "xã ", "UBND phường ", "Phường ", "phường "} {
		s = strings.TrimPrefix(s, p)
	}
	return s
}

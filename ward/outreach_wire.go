package ward

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/announce"
	"github.com/kyso-vn/kyso/link"
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
	meter := outreach.NewRateMeter()
	meter.House = s.fleet.lanVillage
	s.out = &outreachAPI{
		book: book, tally: s.led.tally, plan: s.camp.Plan, progress: s.camp.Progress, pseudo: s.led.pseudo.Key,
		audit: audit, now: s.cfg.Now, log: s.log, commune: cleanCommune(s.cfg.Commune),
		joinURL: s.fleet.joinURL, rate: meter.Rate, meter: meter, speak: announce.WAV,
	}
	return nil
}

// noteOutcome hears of every record held (at start-up and on ingest): the
// book notes a failed kyso outcome, for its status; the rate meter notes
// the service, for the house's capacity.
func (s *Service) noteOutcome(r *record.Record, st *store.Stored) {
	if r.Type == record.TypeCompletion && r.Clock != record.ClockUnsure {
		s.out.meter.Note(outreach.Service{Kiosk: r.KioskID, Desk: r.Desk, Village: r.Citizen.Village, Joined: r.ConsentAt, Finished: r.RecordedAt})
	}
	if r.Outcome != record.OutcomeFailed || r.Citizen.CCCD == "" || (st != nil && st.Purged) {
		return
	}
	reason := r.Reason
	if t, ok := reasonText[reason]; ok {
		reason = t
	}
	s.book.NoteOutcome(r.Citizen.CCCD, false, reason, r.RecordedAt)
}

// lanVillage is the village a kiosk announces on the LAN (mDNS): where it
// stands. "" when never seen there.
func (f *fleet) lanVillage(id string) string {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if h := f.health[id]; h != nil && h.lan != nil {
		return h.lan.Village
	}
	return ""
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

// openSealed authenticates a sealed kiosk request (signed like a push) and
// returns its plain body with what the signed reply needs.
func (s *Service) openSealed(c *fiber.Ctx) (kioskID, token, nonce string, plain []byte, err error) {
	id, nonce, sig, signed := link.ParsePushAuthorization(c.Get(fiber.HeaderAuthorization))
	if !signed {
		return "", "", "", nil, errBadToken
	}
	tok, known := s.reg.tokenFor(id)
	body := c.Body()
	if !known || !link.VerifyPush(tok, id, nonce, sig, body) {
		return "", "", "", nil, errBadToken
	}
	plain, err = link.OpenPayload(tok, nonce, body)
	if err != nil {
		return "", "", "", nil, errBadJSON
	}
	return id, tok, nonce, plain, nil
}

// sendSealed answers a sealed request: the reply sealed (it may carry
// names) and signed for the kiosk.
func sendSealed(c *fiber.Ctx, v any, token, kind, kioskID, nonce string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sealed, err := link.SealPayload(token, nonce, b)
	if err != nil {
		return err
	}
	c.Set(link.ReplyHeader, link.SignReply(token, kind, kioskID, nonce, fiber.StatusOK, sealed))
	c.Set(fiber.HeaderContentType, link.SealedType)
	return c.Status(fiber.StatusOK).Send(sealed)
}

// postTonight gives a paired kiosk its village's sessions of the day and
// their invited households: names and masked CCCDs, and a keyed match of
// each CCCD so the kiosk can recognise an invited citizen who joins.
func (s *Service) postTonight(c *fiber.Ctx) error {
	id, tok, nonce, plain, err := s.openSealed(c)
	if err != nil {
		return err
	}
	var req link.TonightRequest
	if err := json.Unmarshal(plain, &req); err != nil || req.KioskID != id {
		return errBadJSON
	}
	village := quota.Clean(req.Village)
	if l, ok := s.out.villageLabel(village); ok {
		village = l
	}
	now := s.cfg.Now()
	out := link.Tonight{Village: village, Date: now.In(quota.Location).Format("2006-01-02"), Sessions: []link.TonightSession{}}
	for _, ss := range s.book.Today(village, now) {
		ts := link.TonightSession{ID: ss.ID, Place: ss.Place, Start: ss.Start, End: ss.End, Households: []link.TonightHousehold{}}
		for _, h := range s.book.Invited(ss.ID) {
			th := link.TonightHousehold{Key: h.Key, Head: h.Head}
			for _, m := range h.Members {
				p := link.TonightPerson{Key: m.Key, Name: m.Name, CCCDMasked: m.CCCDMasked, Arrived: m.Arrived}
				if m.CCCD != "" {
					p.Match = link.CCCDMatch(tok, m.CCCD)
				}
				th.Members = append(th.Members, p)
			}
			ts.Households = append(ts.Households, th)
		}
		out.Sessions = append(out.Sessions, ts)
	}
	return sendSealed(c, out, tok, link.ReplyTonight, id, nonce)
}

// postArrivals records who came to a session, as the kiosk saw it.
func (s *Service) postArrivals(c *fiber.Ctx) error {
	id, tok, nonce, plain, err := s.openSealed(c)
	if err != nil {
		return err
	}
	var req link.Arrivals
	if err := json.Unmarshal(plain, &req); err != nil || req.KioskID != id || len(req.Arrivals) > 1000 {
		return errBadJSON
	}
	n := 0
	for _, a := range req.Arrivals {
		how := "join"
		if a.How == "hand" {
			how = "hand"
		}
		sid, err := s.book.Arrive("", a.Person, how)
		if err != nil {
			return err
		}
		if sid != "" {
			n++
		}
	}
	s.log.Info("arrivals", "kiosk", id, "reported", len(req.Arrivals), "matched", n)
	return sendSealed(c, fiber.Map{"matched": n}, tok, link.ReplyArrivals, id, nonce)
}

// outreachPage is the data of the outreach page.
type outreachPage struct {
	Who, CSRF, Version     string
	Admin                  bool
	Village, Association   string
	Villages, Associations []string
}

// getOutreachPage serves the unit heads' (and the admin's) outreach page.
func (s *Service) getOutreachPage(c *fiber.Ctx) error {
	p, err := s.gate.who(c, false)
	if err != nil {
		if err == errUnauth && c.Get(fiber.HeaderAuthorization) == "" {
			return c.Redirect("/login", fiber.StatusSeeOther)
		}
		return err
	}
	d := outreachPage{Admin: p.Admin(), Village: p.Village, Association: p.Association, Version: s.cfg.Version}
	d.CSRF, _ = c.Locals("csrf").(string)
	switch {
	case p.Admin():
		d.Who = "Quản trị xã"
	case p.Village != "":
		d.Who = "Tài khoản " + p.Login + " · thôn " + p.Village
	default:
		d.Who = "Tài khoản " + p.Login + " · " + p.Association
	}
	plan := s.camp.Plan()
	for _, v := range plan.Villages.Rows {
		d.Villages = append(d.Villages, v.Name)
	}
	for _, a := range plan.Associations {
		d.Associations = append(d.Associations, a.Name)
	}
	var buf bytes.Buffer
	if err := s.pages.tmpl.ExecuteTemplate(&buf, "outreach", d); err != nil {
		return err
	}
	c.Type("html", "utf-8")
	return c.Send(buf.Bytes())
}

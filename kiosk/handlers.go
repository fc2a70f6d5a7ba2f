package kiosk

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/web"
)

// csp forbids inline code and every other origin: the pages work offline and
// a stored name cannot become a script.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; media-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (s *Server) notFound(c *fiber.Ctx) error {
	if strings.HasPrefix(c.Path(), "/api/") {
		return errNotFound
	}
	c.Status(http.StatusNotFound)
	return s.render(c, "error")
}

func (s *Server) pageData(c *fiber.Ctx) web.PageData {
	villages, assocs := s.knownVillages()
	d := web.PageData{
		KioskID: s.cfg.ID, KioskName: s.cfg.Name, Village: s.cfg.Village, Villages: villages, Associations: assocs,
		Desks: s.cfg.Desks, AppURL: s.cfg.AppURL, AppURLAndroid: s.cfg.AppURLAndroid, AppURLIOS: s.cfg.AppURLIOS,
		HasWifi: s.cfg.WifiSSID != "", WifiSSID: s.cfg.WifiSSID, Version: s.cfg.Version, ConsentText: web.ConsentText,
	}
	ua := strings.ToLower(c.Get("User-Agent"))
	switch {
	case strings.Contains(ua, "android"):
		d.Store = "android"
	case strings.Contains(ua, "iphone"), strings.Contains(ua, "ipad"), strings.Contains(ua, "ios"):
		d.Store = "ios"
	}
	return d
}

func (s *Server) render(c *fiber.Ctx, name string) error {
	var buf bytes.Buffer
	if err := web.Render(&buf, s.tmpl, name, s.pageData(c)); err != nil {
		return err
	}
	c.Set("Content-Type", "text/html; charset=utf-8")
	c.Set("Cache-Control", "no-cache")
	return c.Send(buf.Bytes())
}

// boardOrSetup shows the setup screen on the TV until the kiosk is paired
// with a ward; the volunteer PIN is never on it.
func (s *Server) boardOrSetup(c *fiber.Ctx) error {
	if !s.Paired() && c.Query("board") == "" {
		return s.render(c, "setup")
	}
	return s.render(c, "board")
}

func (s *Server) page(name string) fiber.Handler {
	return func(c *fiber.Ctx) error { return s.render(c, name) }
}

func (s *Server) static() fiber.Handler {
	return filesystem.New(filesystem.Config{Root: http.FS(web.Static()), PathPrefix: "", MaxAge: 3600})
}

func (s *Server) sendPNG(c *fiber.Ctx, content string) error {
	b, err := s.qr.png(content)
	if err != nil {
		return err
	}
	c.Set("Content-Type", "image/png")
	c.Set("Cache-Control", "public, max-age=300")
	return c.Send(b)
}

// publicURL is the base URL in QR codes. When derived from the LAN address
// it is re-read: a box may start before its Wi-Fi has an address.
func (s *Server) publicURL() string {
	if s.cfg.PublicURLAuto {
		return DefaultPublicURL(s.cfg.Listen)
	}
	return s.cfg.PublicURL
}

func (s *Server) qrJoin(c *fiber.Ctx) error      { return s.sendPNG(c, s.publicURL()+"/join") }
func (s *Server) qrApp(c *fiber.Ctx) error       { return s.sendPNG(c, s.publicURL()+"/app") }
func (s *Server) qrVolunteer(c *fiber.Ctx) error { return s.sendPNG(c, s.publicURL()+"/volunteer") }
func (s *Server) qrWifi(c *fiber.Ctx) error {
	if s.cfg.WifiSSID == "" {
		return errNotFound
	}
	return s.sendPNG(c, wifiPayload(s.cfg.WifiSSID, s.cfg.WifiPassword))
}

func (s *Server) healthz(c *fiber.Ctx) error {
	head, acked := s.q.HeadSeq(), s.q.AckedSeq()
	out := fiber.Map{"status": "ok", "version": s.cfg.Version, "kiosk_id": s.cfg.ID, "head_seq": head, "acked_seq": acked, "unsent": head - acked}
	if s.fwd != nil {
		st := s.fwd.Status()
		out["last_sync"] = st.LastSync
		out["ward"] = st.WardURL != ""
	}
	if cs, ok := s.clock.(interface{ Status() clock.Status }); ok {
		out["clock"] = cs.Status()
	}
	return c.JSON(out)
}

func (s *Server) getBoard(c *fiber.Ctx) error {
	c.Set("Content-Type", "application/json")
	return c.Send(s.boardJSON())
}

func (s *Server) villages(c *fiber.Ctx) error {
	v, a := s.knownVillages()
	return c.JSON(fiber.Map{"villages": v, "associations": a})
}

// events streams the board over SSE. The stream writer runs after this
// handler returns, so everything it needs is captured first.
func (s *Server) events(c *fiber.Ctx) error {
	ch, ok := s.broker.subscribe()
	if !ok {
		return errUnavailable
	}
	first := s.boardJSON()
	c.Set("Content-Type", "text/event-stream")
	c.Set("Cache-Control", "no-cache")
	c.Set("X-Accel-Buffering", "no")
	ctx := c.UserContext()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		s.broker.stream(ctx, w, ch, first, 15*time.Second)
	})
	return nil
}

// decode reads a JSON body into v: 415 for another type, 400 for broken JSON.
func decode(c *fiber.Ctx, v any) error {
	ct := strings.ToLower(c.Get("Content-Type"))
	if !strings.HasPrefix(ct, "application/json") {
		return errContentType
	}
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	if err := dec.Decode(v); err != nil {
		var ute *json.UnmarshalTypeError
		if errors.As(err, &ute) {
			return newErr(400, "invalid_field", ute.Field, "Một trường dữ liệu có kiểu không đúng.")
		}
		return errBadJSON
	}
	if dec.More() {
		return errBadJSON
	}
	return nil
}

func (s *Server) createTicket(c *fiber.Ctx) error {
	now, _ := s.stamp()
	sess, volunteer := s.sessionOf(c)
	if volunteer && !equalSecret(c.Get("X-CSRF-Token"), sess.CSRF) {
		volunteer = false // a stale tablet cookie on a phone: treat as a citizen
	}
	if !volunteer && !s.joins.allow(c.IP(), now) {
		s.metrics.rejected.WithLabelValues("rate_limited").Inc()
		return errRateLimited
	}
	var in citizen.Input // the join body is exactly the citizen's form
	if err := decode(c, &in); err != nil {
		return err
	}
	cit, err := citizen.Normalize(in, now)
	if err != nil {
		s.reject(err)
		return err
	}
	by := "citizen"
	if volunteer {
		by = sess.Volunteer
	}
	token := randomHex(24)
	t, err := s.q.Join(queue.Join{Citizen: cit, ConsentVersion: web.ConsentVersion, ConsentBy: by, Token: token})
	if err != nil {
		s.reject(err)
		return err
	}
	s.metrics.joins.Inc()
	s.log.Debug("joined", "ticket", t.Number, "walk_in", volunteer) // the board shows joins; the journal keeps completions
	pos := s.q.Position(t.ID)
	return c.Status(http.StatusCreated).JSON(fiber.Map{
		"id": t.ID, "number": t.Number, "token": token, "position": pos, "eta_minutes": s.q.ETAMinutes(pos),
	})
}

func (s *Server) reject(err error) {
	if ae := domainErr(err); ae != nil {
		s.metrics.rejected.WithLabelValues(ae.Code).Inc()
	}
}

func bearer(c *fiber.Ctx) string {
	h := c.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// citizenView is all a citizen's phone learns about its ticket.
func (s *Server) citizenView(t queue.Ticket) fiber.Map {
	pos := 0
	if t.Status == queue.Waiting {
		pos = s.q.Position(t.ID)
	}
	m := fiber.Map{"id": t.ID, "number": t.Number, "status": t.Status, "position": pos, "desk": t.Desk, "eta_minutes": s.q.ETAMinutes(pos)}
	if !t.CalledAt.IsZero() {
		m["called_at"] = t.CalledAt
	}
	return m
}

func (s *Server) getTicket(c *fiber.Ctx) error {
	t, err := s.q.Authorize(c.Params("id"), bearer(c))
	if err != nil {
		return err
	}
	return c.JSON(s.citizenView(t))
}

func (s *Server) leaveTicket(c *fiber.Ctx) error {
	t, err := s.q.Authorize(c.Params("id"), bearer(c))
	if err != nil {
		return err
	}
	if t, err = s.q.Cancel(t.ID); err != nil {
		return err
	}
	s.log.Info("left queue", "ticket", t.Number)
	return c.JSON(s.citizenView(t))
}

// --- volunteer ---

func (s *Server) getSession(c *fiber.Ctx) error {
	sess, _ := s.sessionOf(c)
	found := ""
	if s.findWard != nil && !s.Paired() {
		found = s.findWard()
	}
	return c.JSON(fiber.Map{"volunteer": sess.Volunteer, "csrf_token": sess.CSRF, "desks": s.cfg.Desks, "paired": s.Paired(), "ward_found": found})
}

// ticketView is a ticket in a volunteer's list: CCCD and phone masked.
type ticketView struct {
	ID          string          `json:"id"`
	Number      int             `json:"number"`
	Status      queue.Status    `json:"status"`
	Desk        int             `json:"desk,omitempty"`
	Name        string          `json:"name"`
	CCCDMasked  string          `json:"cccd_masked"`
	PhoneMasked string          `json:"phone_masked"`
	BirthDate   string          `json:"birth_date"`
	Gender      string          `json:"gender"`
	Village     string          `json:"village"`
	Association string          `json:"association,omitempty"`
	JoinedAt    time.Time       `json:"joined_at"`
	CalledAt    time.Time       `json:"called_at,omitzero"`
	Volunteer   string          `json:"volunteer,omitempty"`
	Citizen     *record.Citizen `json:"citizen,omitempty"` // full fields, only for the citizen at the desk
}

func viewOf(t queue.Ticket, full bool) ticketView {
	v := ticketView{
		ID: t.ID, Number: t.Number, Status: t.Status, Desk: t.Desk, Name: t.Citizen.Name,
		CCCDMasked: citizen.MaskCCCD(t.Citizen.CCCD), PhoneMasked: citizen.MaskPhone(t.Citizen.Phone),
		BirthDate: t.Citizen.BirthDate, Gender: t.Citizen.Gender, Village: t.Citizen.Village,
		Association: t.Citizen.Association, JoinedAt: t.JoinedAt, CalledAt: t.CalledAt, Volunteer: t.Volunteer,
	}
	if full {
		cit := t.Citizen
		v.Citizen = &cit
	}
	return v
}

func (s *Server) getQueue(c *fiber.Ctx) error {
	ts := s.q.Tickets(true)
	views := make([]ticketView, 0, len(ts))
	for _, t := range ts {
		views = append(views, viewOf(t, false))
	}
	out := fiber.Map{"tickets": views, "tonight": s.q.Snapshot().Tonight, "sync": s.syncStatus()}
	if cs, ok := s.clock.(interface{ Status() clock.Status }); ok {
		out["clock"] = cs.Status()
	}
	return c.JSON(out)
}

func (s *Server) syncStatus() SyncStatus {
	if s.fwd != nil {
		return s.fwd.Status()
	}
	head, acked := s.q.HeadSeq(), s.q.AckedSeq()
	return SyncStatus{HeadSeq: head, AckedSeq: acked, Unsent: head - acked}
}

func (s *Server) callNext(c *fiber.Ctx) error {
	desk, err := c.ParamsInt("desk")
	if err != nil {
		return errBadDesk
	}
	t, ok, err := s.q.CallNext(desk, volunteerName(c))
	if err != nil {
		return err
	}
	if !ok {
		return c.SendStatus(http.StatusNoContent)
	}
	s.log.Info("called", "ticket", t.Number, "desk", desk)
	return c.JSON(viewOf(t, true))
}

func (s *Server) ticketAction(fn func(id string) (queue.Ticket, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := fn(c.Params("id"))
		if err != nil {
			return err
		}
		return c.JSON(viewOf(t, t.Status == queue.Called))
	}
}

func (s *Server) recall(c *fiber.Ctx) error  { return s.ticketAction(s.q.Recall)(c) }
func (s *Server) noShow(c *fiber.Ctx) error  { return s.ticketAction(s.q.NoShow)(c) }
func (s *Server) requeue(c *fiber.Ctx) error { return s.ticketAction(s.q.Requeue)(c) }

// corrected applies a volunteer's corrections over the ticket's citizen.
func (s *Server) corrected(id string, corr *record.Citizen) (*record.Citizen, error) {
	if corr == nil || *corr == (record.Citizen{}) {
		return nil, nil
	}
	t, err := s.q.Get(id)
	if err != nil {
		return nil, err
	}
	now, _ := s.clock.Now()
	c, err := citizen.Patch(t.Citizen, *corr, now)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func (s *Server) correctTicket(c *fiber.Ctx) error {
	var b struct {
		Citizen *record.Citizen `json:"citizen"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	id := c.Params("id")
	fixed, err := s.corrected(id, b.Citizen)
	if err != nil {
		return err
	}
	if fixed == nil {
		t, err := s.q.Get(id)
		if err != nil {
			return err
		}
		return c.JSON(viewOf(t, true))
	}
	t, err := s.q.Correct(id, *fixed)
	if err != nil {
		return err
	}
	return c.JSON(viewOf(t, true))
}

type completeBody struct {
	Outcome    string          `json:"outcome"`
	Reason     string          `json:"reason"`
	Note       string          `json:"note"`
	Citizen    *record.Citizen `json:"citizen"`
	DeviceTime string          `json:"device_time"`
}

func (s *Server) complete(c *fiber.Ctx) error {
	var b completeBody
	if err := decode(c, &b); err != nil {
		return err
	}
	if utf8.RuneCountInString(b.Note) > 200 {
		return newErr(422, "invalid_note", "note", "Ghi chú quá dài (tối đa 200 ký tự).")
	}
	var device *time.Time
	if b.DeviceTime != "" {
		t, err := time.Parse(time.RFC3339Nano, b.DeviceTime)
		if err != nil {
			return errBadDevice
		}
		t = t.UTC()
		device = &t
		s.clock.ObserveTablet(t)
	}
	id := c.Params("id")
	fixed, err := s.corrected(id, b.Citizen)
	if err != nil {
		return err
	}
	rec, err := s.q.Complete(id, queue.Completion{
		Outcome: b.Outcome, Reason: b.Reason, Note: strings.TrimSpace(b.Note), Corrected: fixed,
		Volunteer: volunteerName(c), DeviceTime: device,
	})
	if err != nil {
		return err
	}
	s.metrics.completions.WithLabelValues(rec.Outcome).Inc()
	s.log.Info("completed", "ticket", rec.Ticket, "seq", rec.Seq, "outcome", rec.Outcome)
	return c.Status(http.StatusCreated).JSON(fiber.Map{"record": fiber.Map{"id": rec.ID, "seq": rec.Seq}})
}

// completions lists tonight's records for the volunteer page, masked.
func (s *Server) completions(c *fiber.Ctx) error {
	after, err := atoiDefault(c.Query("after"), 0)
	if err != nil || after < 0 {
		return errBadParam
	}
	recs, head, err := s.q.Records(uint64(after), 500)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(recs))
	for _, r := range recs {
		out = append(out, fiber.Map{
			"id": r.ID, "seq": r.Seq, "type": r.Type, "corrects": r.Corrects, "ticket": r.Ticket, "desk": r.Desk,
			"name": r.Citizen.Name, "cccd_masked": citizen.MaskCCCD(r.Citizen.CCCD), "village": r.Citizen.Village,
			"outcome": r.Outcome, "reason": r.Reason, "volunteer": r.Volunteer, "recorded_at": r.RecordedAt,
		})
	}
	return c.JSON(fiber.Map{"head_seq": head, "records": out})
}

// correctRecord appends a correction of an earlier completion.
func (s *Server) correctRecord(c *fiber.Ctx) error {
	var b struct {
		Citizen *record.Citizen `json:"citizen"`
		Outcome string          `json:"outcome"`
		Reason  string          `json:"reason"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	orig, err := s.q.Record(c.Params("id"))
	if err != nil {
		return err
	}
	fixed := orig.Citizen
	if b.Citizen != nil {
		now, _ := s.clock.Now()
		if fixed, err = citizen.Patch(orig.Citizen, *b.Citizen, now); err != nil {
			return err
		}
	}
	rec, err := s.q.CorrectRecord(orig.ID, fixed, b.Outcome, b.Reason, volunteerName(c))
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"record": fiber.Map{"id": rec.ID, "seq": rec.Seq}})
}

// batch is the USB path: records after a seq, signed with the kiosk token.
func (s *Server) batch(c *fiber.Ctx) error {
	if s.cfg.Token == "" {
		return errNoToken
	}
	after, err := atoiDefault(c.Query("after"), 0)
	if err != nil || after < 0 {
		return errBadParam
	}
	var all []record.Record
	cur := uint64(after)
	var head uint64
	for {
		recs, h, err := s.q.Records(cur, 5000)
		if err != nil {
			return err
		}
		head = h
		all = append(all, recs...)
		if len(recs) == 0 || recs[len(recs)-1].Seq >= h {
			break
		}
		cur = recs[len(recs)-1].Seq
	}
	now, _ := s.clock.Now()
	body, err := record.SealBatch(record.Batch{KioskID: s.cfg.ID, After: uint64(after), HeadSeq: head, CreatedAt: now.UTC(), Records: all}, s.cfg.Token)
	if err != nil {
		return err
	}
	name := "kyso-" + s.cfg.ID + "-" + now.Format("20060102-1504") + ".json"
	c.Set("Content-Type", "application/json")
	c.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return c.Send(body)
}

// --- ward ---

func (s *Server) records(c *fiber.Ctx) error {
	after, err1 := atoiDefault(c.Query("after"), 0)
	limit, err2 := atoiDefault(c.Query("limit"), 1000)
	if err1 != nil || err2 != nil || after < 0 || limit < 1 {
		return errBadParam
	}
	recs, head, err := s.q.Records(uint64(after), min(limit, 5000))
	if err != nil {
		return err
	}
	return s.sendWard(c, link.Page{KioskID: s.cfg.ID, HeadSeq: head, Records: recs})
}

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

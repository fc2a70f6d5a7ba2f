package kiosk

import (
	"bufio"
	"cmp"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
)

// desk answers the volunteer's tablet at a desk (session cookie + CSRF):
// the queue, calls, outcomes, corrections and the USB file.
type desk struct {
	d *deps
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

// queue list bounds: a flood of joins must not make every tablet download
// megabytes (issue 11).
const (
	queueLimitDefault = 100
	queueLimitMax     = 500
)

// getQueue is the tablet's starting point: every called ticket and the
// first `limit` waiting in line order (masked, like every list), the counts,
// the ids this session called (its card follows them: full fields come from
// atDesk), and the delta seq to stream from.
func (h *desk) getQueue(c *fiber.Ctx) error {
	limit, err := atoiDefault(c.Query("limit"), queueLimitDefault)
	if err != nil || limit < 0 {
		return errBadParam
	}
	limit = min(limit, queueLimitMax)
	after := h.d.deltas.head() // before the read: later changes arrive as deltas
	key := sessionOfReq(c)
	ts := h.d.q.Tickets(true)
	sort.SliceStable(ts, func(i, j int) bool {
		ci, cj := ts[i].Status == queue.Called, ts[j].Status == queue.Called
		if ci != cj {
			return ci
		}
		if ci {
			return ts[i].Number < ts[j].Number
		}
		return ts[i].Order < ts[j].Order
	})
	views := make([]ticketView, 0, min(len(ts), limit+h.d.cfg.Desks))
	mine := []string{}
	waiting, called, shown := 0, 0, 0
	for _, t := range ts {
		if t.Status == queue.Called {
			called++
			if h.d.claims.mine(t.ID, key) {
				mine = append(mine, t.ID)
			}
			views = append(views, viewOf(t, false))
			continue
		}
		waiting++
		if shown < limit {
			views = append(views, viewOf(t, false))
			shown++
		}
	}
	out := fiber.Map{
		"tickets": views, "counts": fiber.Map{"waiting": waiting, "called": called, "shown_waiting": shown},
		"truncated": shown < waiting, "mine": mine, "events_after": after,
		"tonight": h.d.q.Snapshot().Tonight, "sync": h.d.sync(),
		"desk": h.d.claims.deskOf(key, h.d.now()),
	}
	if cs, ok := h.d.clock.(interface{ Status() clock.Status }); ok {
		out["clock"] = cs.Status()
	}
	return c.JSON(out)
}

// atDesk gives this session the full fields of the citizens it called and
// is serving: a reloaded tablet resumes its card. Nobody else's.
func (h *desk) atDesk(c *fiber.Ctx) error {
	key := sessionOfReq(c)
	out := []ticketView{}
	for _, t := range h.d.q.Tickets(true) {
		if t.Status == queue.Called && h.d.claims.mine(t.ID, key) {
			out = append(out, viewOf(t, true))
		}
	}
	return c.JSON(fiber.Map{"tickets": out})
}

// queueEvents streams ticket changes (masked) to a signed-in tablet.
func (h *desk) queueEvents(c *fiber.Ctx) error {
	after, err := strconv.ParseUint(c.Query("after", "0"), 10, 64)
	if err != nil {
		return errBadParam
	}
	if id := c.Get("Last-Event-ID"); id != "" {
		if n, err := strconv.ParseUint(id, 10, 64); err == nil {
			after = n
		}
	}
	cookie, d := c.Cookies(sessionCookie), h.d
	alive := func() bool { _, ok := d.sessions.Get(cookie, d.now()); return ok }
	c.Set("Content-Type", "text/event-stream")
	c.Set("Cache-Control", "no-cache")
	c.Set("X-Accel-Buffering", "no")
	ctx := c.UserContext()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		d.deltas.stream(ctx, w, after, alive, 15*time.Second)
	})
	return nil
}

// setAside lists today's no-shows and citizens who left the line, newest
// first: the tablet offers to put them back in their place.
func (h *desk) setAside(c *fiber.Ctx) error {
	var out []ticketView
	for _, t := range h.d.q.Tickets(false) {
		if t.Status == queue.NoShow || t.Status == queue.Cancelled {
			out = append(out, viewOf(t, false))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number > out[j].Number })
	if len(out) > 100 {
		out = out[:100]
	}
	if out == nil {
		out = []ticketView{}
	}
	return c.JSON(fiber.Map{"tickets": out})
}

// deskParam is the desk in the path: 422 unless it exists.
func (h *desk) deskParam(c *fiber.Ctx) (int, error) {
	n, err := c.ParamsInt("desk")
	if err != nil || n < 1 || n > h.d.cfg.Desks {
		return 0, errBadDesk
	}
	return n, nil
}

// claimDesk gives this tablet a desk, unless another live tablet holds it.
func (h *desk) claimDesk(c *fiber.Ctx) error {
	n, err := h.deskParam(c)
	if err != nil {
		return err
	}
	if ok, holder, free := h.d.claims.claim(n, sessionOfReq(c), h.d.now()); !ok {
		return deskTaken(n, holder, free)
	}
	return c.JSON(fiber.Map{"desk": n})
}

func (h *desk) callNext(c *fiber.Ctx) error {
	n, err := h.deskParam(c)
	if err != nil {
		return err
	}
	key := sessionOfReq(c)
	if ok, holder, free := h.d.claims.claim(n, key, h.d.now()); !ok {
		return deskTaken(n, holder, free)
	}
	t, ok, err := h.d.q.CallNext(n, volunteerName(c))
	if err != nil {
		return err
	}
	if !ok {
		return c.SendStatus(http.StatusNoContent)
	}
	h.d.claims.called(t.ID, key)
	h.d.deltas.upsert(t)
	h.d.log.Info("called", "ticket", t.Number, "desk", n)
	return c.JSON(viewOf(t, true))
}

// own refuses to act on a citizen another live tablet called.
func (h *desk) own(c *fiber.Ctx, id string) error {
	ok, who := h.d.claims.mayAct(id, sessionOfReq(c), h.d.now())
	if ok {
		return nil
	}
	t, err := h.d.q.Get(id)
	if err != nil {
		return err
	}
	return notYours(t.Number, who)
}

// act runs a volunteer action on a ticket this tablet may touch, then tells
// the tablets; done forgets the ticket's caller (it left the desk).
func (h *desk) act(fn func(id string) (queue.Ticket, error), done bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := c.Params("id")
		if err := h.own(c, id); err != nil {
			return err
		}
		t, err := fn(id)
		if err != nil {
			return err
		}
		if done {
			h.d.claims.finished(id)
		}
		h.d.deltas.upsert(t)
		return c.JSON(viewOf(t, t.Status == queue.Called))
	}
}

func (h *desk) recall(c *fiber.Ctx) error  { return h.act(h.d.q.Recall, false)(c) }
func (h *desk) noShow(c *fiber.Ctx) error  { return h.act(h.d.q.NoShow, true)(c) }
func (h *desk) requeue(c *fiber.Ctx) error { return h.act(h.d.q.Requeue, true)(c) }
func (h *desk) restore(c *fiber.Ctx) error { return h.act(h.d.q.Restore, true)(c) }

// corrected applies a volunteer's corrections over the ticket's citizen.
func (h *desk) corrected(id string, corr *record.Citizen) (*record.Citizen, error) {
	if corr == nil || *corr == (record.Citizen{}) {
		return nil, nil
	}
	t, err := h.d.q.Get(id)
	if err != nil {
		return nil, err
	}
	c, err := citizen.Patch(t.Citizen, *corr, h.d.now())
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func (h *desk) correctTicket(c *fiber.Ctx) error {
	var b struct {
		Citizen *record.Citizen `json:"citizen"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	id := c.Params("id")
	if err := h.own(c, id); err != nil {
		return err
	}
	fixed, err := h.corrected(id, b.Citizen)
	if err != nil {
		return err
	}
	if fixed == nil {
		t, err := h.d.q.Get(id)
		if err != nil {
			return err
		}
		return c.JSON(viewOf(t, true))
	}
	t, err := h.d.q.Correct(id, *fixed)
	if err != nil {
		return err
	}
	h.d.deltas.upsert(t)
	return c.JSON(viewOf(t, true))
}

// Free text on the tablet (issue 11): NFC, no control, format or invisible
// characters, bounded.
const noteMaxRunes = 200

var (
	errNote   = newErr(422, "invalid_note", "note", "Ghi chú có ký tự không hợp lệ hoặc quá dài (tối đa 200 chữ).")
	errReason = newErr(422, "invalid_reason", "reason", "Lý do sửa có ký tự không hợp lệ hoặc quá dài (tối đa 200 chữ).")
)

type completeBody struct {
	Outcome    string          `json:"outcome"`
	Reason     string          `json:"reason"`
	Note       string          `json:"note"`
	Citizen    *record.Citizen `json:"citizen"`
	DeviceTime string          `json:"device_time"`
}

func (h *desk) complete(c *fiber.Ctx) error {
	var b completeBody
	if err := decode(c, &b); err != nil {
		return err
	}
	note, err := citizen.NormalizeFreeText(b.Note, noteMaxRunes)
	if err != nil {
		return errNote
	}
	var device *time.Time
	if b.DeviceTime != "" {
		t, err := time.Parse(time.RFC3339Nano, b.DeviceTime)
		if err != nil {
			return errBadDevice
		}
		t = t.UTC()
		device = &t
		h.d.clock.ObserveTablet(t)
	}
	id := c.Params("id")
	if err := h.own(c, id); err != nil {
		return err
	}
	fixed, err := h.corrected(id, b.Citizen)
	if err != nil {
		return err
	}
	rec, err := h.d.q.Complete(id, queue.Completion{
		Outcome: b.Outcome, Reason: b.Reason, Note: note, Corrected: fixed,
		Volunteer: volunteerName(c), DeviceTime: device,
	})
	if err != nil {
		return err
	}
	h.d.claims.finished(id)
	h.d.claims.completed(sessionOfReq(c), rec.ID)
	h.d.deltas.remove(id)
	h.d.metrics.completions.WithLabelValues(rec.Outcome).Inc()
	h.d.log.Info("completed", "ticket", rec.Ticket, "seq", rec.Seq, "outcome", rec.Outcome)
	return c.Status(http.StatusCreated).JSON(fiber.Map{"record": fiber.Map{"id": rec.ID, "seq": rec.Seq}})
}

// completions lists tonight's records for the volunteer page, masked.
func (h *desk) completions(c *fiber.Ctx) error {
	after, err := atoiDefault(c.Query("after"), 0)
	if err != nil || after < 0 {
		return errBadParam
	}
	recs, head, err := h.d.q.Log().Records(uint64(after), 500)
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

// recentView is one completion as it stands now (its latest correction
// applied), for the tablet's "Sửa" list: CCCD and phone masked.
type recentView struct {
	ID          string    `json:"id"`          // the record to correct: the latest version
	Original    string    `json:"original_id"` // the completion it started as
	Ticket      int       `json:"ticket"`
	Desk        int       `json:"desk"`
	Name        string    `json:"name"`
	CCCDMasked  string    `json:"cccd_masked"`
	PhoneMasked string    `json:"phone_masked"`
	BirthDate   string    `json:"birth_date"`
	Gender      string    `json:"gender"`
	Village     string    `json:"village"`
	Association string    `json:"association,omitempty"`
	Outcome     string    `json:"outcome"`
	Reason      string    `json:"reason,omitempty"`
	Volunteer   string    `json:"volunteer"`
	RecordedAt  time.Time `json:"recorded_at"`
	Corrected   bool      `json:"corrected"`
	Mine        bool      `json:"mine"`
}

// recentWindow is how far back in the log the "Sửa" list looks.
const recentWindow = 200

// recent lists the latest completions, newest first: this tablet's own
// (?mine=1), or the kiosk's last 20.
func (h *desk) recent(c *fiber.Ctx) error {
	head := h.d.q.Log().HeadSeq()
	recs, _, err := h.d.q.Log().Records(head-min(head, recentWindow), recentWindow)
	if err != nil {
		return err
	}
	mine := map[string]bool{}
	for _, id := range h.d.claims.recentOf(sessionOfReq(c)) {
		mine[id] = true
	}
	latest := map[string]record.Record{} // original id → its latest version
	origOf := map[string]string{}        // record id → the completion it started as
	var order []string
	for _, r := range recs {
		if r.Type != record.TypeCorrection || r.Corrects == "" {
			origOf[r.ID], latest[r.ID] = r.ID, r
			order = append(order, r.ID)
			continue
		}
		o := r.Corrects
		if oo, ok := origOf[o]; ok {
			o = oo // a correction of a correction: the same completion
		}
		origOf[r.ID] = o
		if _, ok := latest[o]; ok { // the completion is in the window
			latest[o] = r
		}
	}
	onlyMine := c.Query("mine") == "1"
	out := []recentView{}
	for i := len(order) - 1; i >= 0 && len(out) < 20; i-- {
		id := order[i]
		if onlyMine && !mine[id] {
			continue
		}
		r := latest[id]
		out = append(out, recentView{
			ID: r.ID, Original: id, Ticket: r.Ticket, Desk: r.Desk, Name: r.Citizen.Name,
			CCCDMasked: citizen.MaskCCCD(r.Citizen.CCCD), PhoneMasked: citizen.MaskPhone(r.Citizen.Phone),
			BirthDate: r.Citizen.BirthDate, Gender: r.Citizen.Gender, Village: r.Citizen.Village, Association: r.Citizen.Association,
			Outcome: r.Outcome, Reason: r.Reason, Volunteer: r.Volunteer, RecordedAt: r.RecordedAt,
			Corrected: r.ID != id, Mine: mine[id],
		})
	}
	return c.JSON(fiber.Map{"records": out})
}

// correctRecord appends a correction of an earlier completion; the ward
// counts it in place of the original. Given a correction, it corrects the
// same original again (the latest correction wins), patching over the
// values the given correction holds.
func (h *desk) correctRecord(c *fiber.Ctx) error {
	var b struct {
		Citizen *record.Citizen `json:"citizen"`
		Outcome string          `json:"outcome"`
		Reason  string          `json:"reason"` // a failure reason code, or free text (why it was corrected)
		Note    string          `json:"note"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	note := b.Note
	code := b.Reason
	if !slices.Contains(queue.Reasons, code) {
		code, note = "", strings.TrimSpace(b.Reason+" "+b.Note)
	}
	note, err := citizen.NormalizeFreeText(note, noteMaxRunes)
	if err != nil {
		return errReason
	}
	base, err := h.d.q.Log().Record(c.Params("id"))
	if err != nil {
		return err
	}
	target := base.ID
	if base.Type == record.TypeCorrection && base.Corrects != "" {
		target = base.Corrects
	}
	fixed := base.Citizen
	if b.Citizen != nil {
		if fixed, err = citizen.Patch(base.Citizen, *b.Citizen, h.d.now()); err != nil {
			return err
		}
	}
	outcome := cmp.Or(b.Outcome, base.Outcome)
	if code == "" && outcome == record.OutcomeFailed && base.Outcome == record.OutcomeFailed {
		code, _, _ = strings.Cut(base.Reason, ":") // still failed, for the reason it had
	}
	if outcome == record.OutcomeFailed && !slices.Contains(queue.Reasons, code) {
		return errOutcome
	}
	reason := code
	switch {
	case code != "" && note != "":
		reason = code + ": " + note
	case note != "":
		reason = note
	}
	rec, err := h.d.q.CorrectRecord(target, fixed, outcome, reason, volunteerName(c))
	if err != nil {
		return err
	}
	h.d.log.Info("corrected", "record", target, "seq", rec.Seq, "outcome", rec.Outcome)
	return c.Status(http.StatusCreated).JSON(fiber.Map{"record": fiber.Map{"id": rec.ID, "seq": rec.Seq, "corrects": target}})
}

// batch is the USB path: records after a seq, signed with the kiosk token.
func (h *desk) batch(c *fiber.Ctx) error {
	cfg := h.d.cfg
	if cfg.Token == "" {
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
		recs, hd, err := h.d.q.Log().Records(cur, 5000)
		if err != nil {
			return err
		}
		head = hd
		all = append(all, recs...)
		if len(recs) == 0 || recs[len(recs)-1].Seq >= hd {
			break
		}
		cur = recs[len(recs)-1].Seq
	}
	now := h.d.now()
	body, err := record.SealBatch(record.Batch{KioskID: cfg.ID, After: uint64(after), HeadSeq: head, CreatedAt: now.UTC(), Records: all}, cfg.Token)
	if err != nil {
		return err
	}
	name := "kyso-" + cfg.ID + "-" + now.Format("20060102-1504") + ".json"
	c.Set("Content-Type", "application/json")
	c.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	return c.Send(body)
}

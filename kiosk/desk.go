package kiosk

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

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

func (h *desk) getQueue(c *fiber.Ctx) error {
	ts := h.d.q.Tickets(true)
	views := make([]ticketView, 0, len(ts))
	for _, t := range ts {
		views = append(views, viewOf(t, false))
	}
	out := fiber.Map{"tickets": views, "tonight": h.d.q.Snapshot().Tonight, "sync": h.d.sync()}
	if cs, ok := h.d.clock.(interface{ Status() clock.Status }); ok {
		out["clock"] = cs.Status()
	}
	return c.JSON(out)
}

func (h *desk) callNext(c *fiber.Ctx) error {
	n, err := c.ParamsInt("desk")
	if err != nil {
		return errBadDesk
	}
	t, ok, err := h.d.q.CallNext(n, volunteerName(c))
	if err != nil {
		return err
	}
	if !ok {
		return c.SendStatus(http.StatusNoContent)
	}
	h.d.log.Info("called", "ticket", t.Number, "desk", n)
	return c.JSON(viewOf(t, true))
}

func ticketAction(fn func(id string) (queue.Ticket, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := fn(c.Params("id"))
		if err != nil {
			return err
		}
		return c.JSON(viewOf(t, t.Status == queue.Called))
	}
}

func (h *desk) recall(c *fiber.Ctx) error  { return ticketAction(h.d.q.Recall)(c) }
func (h *desk) noShow(c *fiber.Ctx) error  { return ticketAction(h.d.q.NoShow)(c) }
func (h *desk) requeue(c *fiber.Ctx) error { return ticketAction(h.d.q.Requeue)(c) }

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
	return c.JSON(viewOf(t, true))
}

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
		h.d.clock.ObserveTablet(t)
	}
	id := c.Params("id")
	fixed, err := h.corrected(id, b.Citizen)
	if err != nil {
		return err
	}
	rec, err := h.d.q.Complete(id, queue.Completion{
		Outcome: b.Outcome, Reason: b.Reason, Note: strings.TrimSpace(b.Note), Corrected: fixed,
		Volunteer: volunteerName(c), DeviceTime: device,
	})
	if err != nil {
		return err
	}
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
	recs, head, err := h.d.q.Records(uint64(after), 500)
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
func (h *desk) correctRecord(c *fiber.Ctx) error {
	var b struct {
		Citizen *record.Citizen `json:"citizen"`
		Outcome string          `json:"outcome"`
		Reason  string          `json:"reason"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	orig, err := h.d.q.Record(c.Params("id"))
	if err != nil {
		return err
	}
	fixed := orig.Citizen
	if b.Citizen != nil {
		if fixed, err = citizen.Patch(orig.Citizen, *b.Citizen, h.d.now()); err != nil {
			return err
		}
	}
	rec, err := h.d.q.CorrectRecord(orig.ID, fixed, b.Outcome, b.Reason, volunteerName(c))
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(fiber.Map{"record": fiber.Map{"id": rec.ID, "seq": rec.Seq}})
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
		recs, hd, err := h.d.q.Records(cur, 5000)
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

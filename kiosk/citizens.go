package kiosk

import (
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/web"
)

// citizens answers a citizen's phone (its ticket's bearer token) and the
// walk-in a volunteer registers for someone without a phone.
type citizens struct {
	d     *deps
	joins *joinLimiter
}

func (h *citizens) createTicket(c *fiber.Ctx) error {
	d := h.d
	now, _ := d.stamp()
	sess, volunteer := d.sessionOf(c)
	if volunteer && !equalSecret(c.Get("X-CSRF-Token"), sess.CSRF) {
		volunteer = false // a stale tablet cookie on a phone: treat as a citizen
	}
	if volunteer {
		t, err := h.join(c, now, sess.Volunteer)
		if err == nil {
			h.d.deltas.upsert(t)
		}
		return err
	}
	settle, ok := h.joins.begin(c.IP(), now)
	if !ok {
		d.metrics.rejected.WithLabelValues("rate_limited").Inc()
		return errRateLimited
	}
	t, err := h.join(c, now, "")
	settle(err == nil)
	if err == nil {
		h.d.deltas.upsert(t)
	}
	return err
}

// join validates the form and adds the citizen; by is the volunteer who
// registered a walk-in ("" for the citizen's own phone).
func (h *citizens) join(c *fiber.Ctx, now time.Time, by string) (queue.Ticket, error) {
	d := h.d
	var in citizen.Input // the join body is exactly the citizen's form
	if err := decode(c, &in); err != nil {
		return queue.Ticket{}, err
	}
	cit, err := citizen.Normalize(in, now)
	if err != nil {
		d.reject(err)
		return queue.Ticket{}, err
	}
	consentBy := "citizen"
	if by != "" {
		consentBy = by
	}
	token := randomHex(24)
	t, err := d.q.Join(queue.Join{Citizen: cit, ConsentVersion: web.ConsentVersion, ConsentBy: consentBy, Token: token})
	if err != nil {
		d.reject(err)
		return queue.Ticket{}, err
	}
	d.metrics.joins.Inc()
	d.inv.joined(cit.CCCD)                                         // an invited citizen has come: the ward hears of it
	d.log.Debug("joined", "ticket", t.Number, "walk_in", by != "") // the board shows joins; the journal keeps completions
	pos := d.q.Position(t.ID)
	return t, c.Status(http.StatusCreated).JSON(fiber.Map{
		"id": t.ID, "number": t.Number, "token": token, "position": pos, "eta_minutes": d.q.ETAMinutes(pos),
	})
}

// citizenView is all a citizen's phone learns about its ticket.
func (h *citizens) citizenView(t queue.Ticket) fiber.Map {
	pos := 0
	if t.Status == queue.Waiting {
		pos = h.d.q.Position(t.ID)
	}
	m := fiber.Map{"id": t.ID, "number": t.Number, "status": t.Status, "position": pos, "desk": t.Desk, "eta_minutes": h.d.q.ETAMinutes(pos)}
	if !t.CalledAt.IsZero() {
		m["called_at"] = t.CalledAt
	}
	return m
}

func (h *citizens) getTicket(c *fiber.Ctx) error {
	t, err := h.d.q.Authorize(c.Params("id"), bearer(c))
	if err != nil {
		return err
	}
	return c.JSON(h.citizenView(t))
}

func (h *citizens) leaveTicket(c *fiber.Ctx) error {
	t, err := h.d.q.Authorize(c.Params("id"), bearer(c))
	if err != nil {
		return err
	}
	if t, err = h.d.q.Cancel(t.ID); err != nil {
		return err
	}
	h.d.log.Info("left queue", "ticket", t.Number)
	h.d.claims.finished(t.ID)
	h.d.deltas.upsert(t)
	return c.JSON(h.citizenView(t))
}

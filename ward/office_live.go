package ward

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/ward/tally"
)

// Live streams (server-sent events): the public progress for the meeting
// room's screen and the full dashboard for the admin. The hub computes the
// documents itself every livePeriod while anyone watches and sends them
// only when they changed, so the ingest path needs no hook; a slow client
// misses intermediate states but always gets the latest (one pending
// message each, as the kiosk's board broker).
const (
	livePeriod    = 400 * time.Millisecond
	liveHeartbeat = 15 * time.Second
	liveRefresh   = 30 * time.Second // the dashboard's "… phút trước" texts
	liveTallyAge  = 5 * time.Second  // tallies read records: at most this often
)

type liveSub struct {
	admin bool
	ch    chan []byte
}

type liveHub struct {
	o       *office
	mu      sync.Mutex
	subs    map[*liveSub]struct{}
	running bool
}

func newLiveHub(o *office) *liveHub { return &liveHub{o: o, subs: map[*liveSub]struct{}{}} }

// frame is one SSE message.
func frame(event string, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(len(b) + 32)
	buf.WriteString("event: ")
	buf.WriteString(event)
	buf.WriteString("\ndata: ")
	buf.Write(b)
	buf.WriteString("\n\n")
	return buf.Bytes()
}

// publicDoc is what anyone may see: aggregates, the plan's names.
func (o *office) publicDoc() tally.Progress { return o.progress().Public() }

// dashboardDoc is the admin's live document.
type dashboardDoc struct {
	Progress   tally.Progress   `json:"progress"`
	Kiosks     []KioskHealth    `json:"kiosks"`
	Quarantine []QuarantineItem `json:"quarantine"`
	Tallies    *Tallies         `json:"tallies,omitempty"`
	WardTime   time.Time        `json:"ward_time,omitzero"`
}

func (o *office) dashboardDoc(withTallies bool) dashboardDoc {
	d := dashboardDoc{Progress: o.progress(), Kiosks: o.kiosks()}
	d.Quarantine, _ = o.qlist()
	if d.Quarantine == nil {
		d.Quarantine = []QuarantineItem{}
	}
	if withTallies {
		t := o.talliesWithin(liveTallyAge)
		d.Tallies = &t
	}
	return d
}

func (h *liveHub) subscribe(admin bool) *liveSub {
	sub := &liveSub{admin: admin, ch: make(chan []byte, 1)}
	h.mu.Lock()
	h.subs[sub] = struct{}{}
	start := !h.running
	h.running = true
	h.mu.Unlock()
	if start {
		go h.loop(h.o.runCtx())
	}
	return sub
}

func (h *liveHub) unsubscribe(sub *liveSub) {
	h.mu.Lock()
	delete(h.subs, sub)
	h.mu.Unlock()
}

// offer replaces sub's pending message with msg.
func offer(sub *liveSub, msg []byte) {
	select {
	case sub.ch <- msg:
		return
	default:
	}
	select {
	case <-sub.ch:
	default:
	}
	select {
	case sub.ch <- msg:
	default:
	}
}

// loop publishes changed documents while anyone watches.
func (h *liveHub) loop(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			h.o.log.Error("live progress stopped", "panic", r)
			h.mu.Lock()
			h.running = false
			h.mu.Unlock()
		}
	}()
	var lastPublic, lastAdmin []byte
	var adminAt time.Time
	tick := time.NewTicker(livePeriod)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			h.mu.Lock()
			h.running = false
			h.mu.Unlock()
			return
		case <-tick.C:
		}
		h.mu.Lock()
		var pub, adm []*liveSub
		for s := range h.subs {
			if s.admin {
				adm = append(adm, s)
			} else {
				pub = append(pub, s)
			}
		}
		if len(pub)+len(adm) == 0 {
			h.running = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		if len(pub) > 0 {
			if msg := frame("progress", h.o.publicDoc()); !bytes.Equal(msg, lastPublic) {
				lastPublic = msg
				for _, s := range pub {
					offer(s, msg)
				}
			}
		} else {
			lastPublic = nil
		}
		if len(adm) > 0 {
			d := h.o.dashboardDoc(true)
			key := frame("dashboard", d)
			if !bytes.Equal(key, lastAdmin) || time.Since(adminAt) >= liveRefresh {
				lastAdmin, adminAt = key, time.Now()
				d.WardTime = h.o.now().UTC()
				msg := frame("dashboard", d)
				for _, s := range adm {
					offer(s, msg)
				}
			}
		} else {
			lastAdmin = nil
		}
	}
}

// stream writes sub's messages as SSE until the ward stops, the client
// goes or alive says the reader may no longer read.
func (h *liveHub) stream(ctx context.Context, w *bufio.Writer, sub *liveSub, first []byte, alive func() bool) {
	defer h.unsubscribe(sub)
	defer func() { _ = recover() }() // a dead connection must not take the ward down
	w.WriteString("retry: 2000\n\n")
	w.Write(first)
	if w.Flush() != nil {
		return
	}
	hb := time.NewTicker(liveHeartbeat)
	defer hb.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case msg := <-sub.ch:
			w.Write(msg)
			if w.Flush() != nil {
				return
			}
		case <-hb.C:
			if !alive() {
				return
			}
			w.WriteString(": ping\n\n")
			if w.Flush() != nil {
				return
			}
		}
	}
}

func sseHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache, no-store")
	c.Set("X-Accel-Buffering", "no")
}

// publicEvents streams the public progress (event "progress").
func (o *office) publicEvents(c *fiber.Ctx) error {
	sub := o.live.subscribe(false)
	first := frame("progress", o.publicDoc())
	ctx := o.runCtx()
	sseHeaders(c)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		o.live.stream(ctx, w, sub, first, func() bool { return true })
	})
	return nil
}

// adminEvents streams the dashboard (event "dashboard"): full progress,
// kiosks, quarantine and tallies. A session that ends (logout, expiry)
// ends its stream at the next heartbeat.
func (o *office) adminEvents(c *fiber.Ctx) error {
	cookie := c.Cookies(sessionCookie)
	alive := func() bool { return true }
	if cookie != "" {
		cookie = string(append([]byte(nil), cookie...)) // fiber reuses its buffers
		alive = func() bool { return o.sessionOK(cookie) }
	}
	sub := o.live.subscribe(true)
	d := o.dashboardDoc(true)
	d.WardTime = o.now().UTC()
	first := frame("dashboard", d)
	ctx := o.runCtx()
	sseHeaders(c)
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		o.live.stream(ctx, w, sub, first, alive)
	})
	return nil
}

// progressPage is the screen for the meeting room and the commune's TV:
// public, aggregates only, large type, live.
func (o *office) progressPage(c *fiber.Ctx) error {
	return o.render(c, 200, "progress", officePage{Title: "Tiến độ toàn xã", Progress: o.publicDoc(), Commune: o.commune})
}

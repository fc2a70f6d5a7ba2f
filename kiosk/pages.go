package kiosk

import (
	"bufio"
	"bytes"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/web"
)

// pages answers the public: the TV board, the join and install pages, QR
// codes, health, the board JSON and its live stream. Nothing it sends holds
// personal data.
type pages struct {
	d    *deps
	tmpl *template.Template
	qr   *qrCache
}

func (p *pages) notFound(c *fiber.Ctx) error {
	if strings.HasPrefix(c.Path(), "/api/") {
		return errNotFound
	}
	c.Status(http.StatusNotFound)
	return p.render(c, "error")
}

func (p *pages) pageData(c *fiber.Ctx) web.PageData {
	cfg := p.d.cfg
	villages, assocs := p.d.board.villages()
	d := web.PageData{
		KioskID: cfg.ID, KioskName: cfg.Name, Village: cfg.Village, Villages: villages, Associations: assocs,
		Desks: cfg.Desks, AppURL: cfg.AppURL, AppURLAndroid: cfg.AppURLAndroid, AppURLIOS: cfg.AppURLIOS,
		HasWifi: cfg.WifiSSID != "", WifiSSID: cfg.WifiSSID, Version: cfg.Version, ConsentText: web.ConsentText,
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

func (p *pages) render(c *fiber.Ctx, name string) error {
	var buf bytes.Buffer
	if err := web.Render(&buf, p.tmpl, name, p.pageData(c)); err != nil {
		return err
	}
	c.Set("Content-Type", "text/html; charset=utf-8")
	c.Set("Cache-Control", "no-cache")
	return c.Send(buf.Bytes())
}

// boardOrSetup shows the setup screen on the TV until the kiosk is paired
// with a ward; the volunteer PIN is never on it.
func (p *pages) boardOrSetup(c *fiber.Ctx) error {
	if !p.d.isPaired() && c.Query("board") == "" {
		return p.render(c, "setup")
	}
	return p.render(c, "board")
}

func (p *pages) page(name string) fiber.Handler {
	return func(c *fiber.Ctx) error { return p.render(c, name) }
}

func (p *pages) static() fiber.Handler {
	return filesystem.New(filesystem.Config{Root: http.FS(web.Static()), PathPrefix: "", MaxAge: 3600})
}

func (p *pages) sendPNG(c *fiber.Ctx, content string) error {
	b, err := p.qr.png(content)
	if err != nil {
		return err
	}
	c.Set("Content-Type", "image/png")
	c.Set("Cache-Control", "public, max-age=300")
	return c.Send(b)
}

// publicURL is the base URL in QR codes. When derived from the LAN address
// it is re-read: a box may start before its Wi-Fi has an address.
func (p *pages) publicURL() string {
	if p.d.cfg.PublicURLAuto {
		return DefaultPublicURL(p.d.cfg.Listen)
	}
	return p.d.cfg.PublicURL
}

func (p *pages) qrJoin(c *fiber.Ctx) error      { return p.sendPNG(c, p.publicURL()+"/join") }
func (p *pages) qrApp(c *fiber.Ctx) error       { return p.sendPNG(c, p.publicURL()+"/app") }
func (p *pages) qrVolunteer(c *fiber.Ctx) error { return p.sendPNG(c, p.publicURL()+"/volunteer") }
func (p *pages) qrWifi(c *fiber.Ctx) error {
	if p.d.cfg.WifiSSID == "" {
		return errNotFound
	}
	return p.sendPNG(c, wifiPayload(p.d.cfg.WifiSSID, p.d.cfg.WifiPassword))
}

func (p *pages) healthz(c *fiber.Ctx) error {
	st := p.d.sync()
	out := fiber.Map{"status": "ok", "version": p.d.cfg.Version, "kiosk_id": p.d.cfg.ID, "head_seq": st.HeadSeq, "acked_seq": st.AckedSeq, "unsent": st.Unsent}
	if p.d.isPaired() {
		out["last_sync"] = st.LastSync
		out["ward"] = st.WardURL != ""
	}
	if cs, ok := p.d.clock.(interface{ Status() clock.Status }); ok {
		out["clock"] = cs.Status()
	}
	return c.JSON(out)
}

func (p *pages) getBoard(c *fiber.Ctx) error {
	c.Set("Content-Type", "application/json")
	return c.Send(p.d.board.json())
}

func (p *pages) villages(c *fiber.Ctx) error {
	v, a := p.d.board.villages()
	return c.JSON(fiber.Map{"villages": v, "associations": a})
}

// events streams the board over SSE. The stream writer runs after this
// handler returns, so everything it needs is captured first.
func (p *pages) events(c *fiber.Ctx) error {
	b := p.d.board.broker
	ch, ok := b.subscribe()
	if !ok {
		return errUnavailable
	}
	first := p.d.board.json()
	c.Set("Content-Type", "text/event-stream")
	c.Set("Cache-Control", "no-cache")
	c.Set("X-Accel-Buffering", "no")
	ctx := c.UserContext()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		b.stream(ctx, w, ch, first, 15*time.Second)
	})
	return nil
}

// postSpeech is the TV saying whether it has a Vietnamese voice. Public (the
// TV has no login) and harmless: one word on the volunteer page.
func (p *pages) postSpeech(c *fiber.Ctx) error {
	var body struct {
		Available bool `json:"available"`
	}
	if err := decode(c, &body); err != nil {
		return err
	}
	p.d.board.setSpeech(body.Available)
	return c.JSON(fiber.Map{"tv_speech": body.Available})
}

package ward

// The commune office's tools (issue 12), kept on one small type so that
// they depend on the Service only through the functions newOffice hands
// them: the public progress screen and the live streams (office_live.go),
// printable lists and their PDFs (office_print.go), search, corrections,
// voids and quarantine resolutions (office_fix.go), per-volunteer and
// per-house tallies (office_tallies.go) and XLSX quotas (office_quotas.go).
//
// Invariants:
//   - The ward changes a count only by a record of its own: a correction
//     (record.TypeCorrection naming the record it replaces) stored under
//     the pseudo-kiosk wardKioskID through the same ingest as the kiosks',
//     so counts and exports change exactly once and a reopened ward
//     rebuilds the same counts. wardKioskID is not a valid kiosk id: no
//     kiosk can be registered under it, push into it or collide with it.
//   - A void is a correction with outcome "failed" and reason "voided"
//     (Hủy bởi xã): a failure never counts, so the citizen leaves the count
//     unless another activation holds them; the record stays in the "all
//     attempts" export, marked.
//   - Who and why: every correction, void and resolution is written to the
//     office log (store prefix pFix) BEFORE its record is ingested, so no
//     change of a count is ever without its author and reason.
//   - Only the record that currently counts (the effective one) can be
//     corrected or voided: correcting an already replaced record would make
//     two records effective.
//   - The public screen and its stream carry Progress.Public() only:
//     aggregates and the plan's own names, never a name a citizen typed.

import (
	"bytes"
	"context"
	"html/template"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/export"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/ward/tally"
)

// wardKioskID is the pseudo-kiosk the ward's own records are stored under.
// The leading '_' is outside the kiosk-id rule (link.ValidKioskID).
const wardKioskID = "_ward"

// reasonVoided is the failure reason of a void.
const reasonVoided = "voided"

func init() {
	// The exports and the outreach book spell reasons through reasonText.
	reasonText[reasonVoided] = "Hủy bởi xã"
}

// office holds what the office tools need of the Service.
type office struct {
	log     *slog.Logger
	now     func() time.Time
	commune string // "Cẩm Ngọc"
	version string
	tmpl    *template.Template

	progress   func() tally.Progress
	plan       func() quota.Plan
	rows       func(village string, all bool) (export.Rows, int)
	refs       func(villageKey string, onlyCounted bool) []tally.Ref
	getRecs    func(refs []store.Ref, fn func(store.Stored) error) error
	getRec     func(kiosk string, seq uint64) (store.Stored, error)
	eachRec    func(fn func(store.Stored) error) error
	lookup     func(kiosk string, seq uint64) (uint64, bool)
	maxSeq     func(kiosk string) uint64
	ingest     func(recs []record.Record) (IngestResult, error)
	quarantine func() ([]store.Quarantined, error)
	qlist      func() ([]QuarantineItem, error)
	kiosks     func() []KioskHealth
	records    func() int // records held: any change of the counts changes it
	put        func(key string, v any) error
	each       func(prefix string, fn func(key string, val []byte) error) error
	del        func(key string) error
	audit      func(login, what, filter string, rows int)
	runCtx     func() context.Context
	who        func(c *fiber.Ctx, changes bool) (principal, error)
	sessionOK  func(id string) bool

	fixMu sync.Mutex // serialises the ward's own records: one seq each
	mu    sync.RWMutex
	fixes []Fix // the office log, oldest first

	live *liveHub

	tallyMu    sync.Mutex
	tallyAt    int // records() when tallyCache was computed; -1 never
	tallyCache Tallies
	tallyWhen  time.Time
	infos      map[store.Ref]recInfo // what the tallies need of each record
}

// newOffice wires the office to the Service: the one place that knows
// both. It always returns a usable office; an error says the log is short.
func newOffice(s *Service) (*office, error) {
	led, camp := s.led, s.camp
	o := &office{
		log: s.log, now: s.cfg.Now, commune: cleanCommune(s.cfg.Commune), version: s.cfg.Version, tmpl: s.pages.tmpl,
		progress: camp.Progress, plan: camp.Plan,
		rows: func(village string, all bool) (export.Rows, int) {
			return led.CompletionRows(camp.Plan(), village, all)
		},
		refs:    led.tally.Refs,
		getRecs: s.store.GetRecords, getRec: s.store.GetRecord, eachRec: s.store.EachRecord,
		lookup: led.tally.Lookup, maxSeq: func(k string) uint64 { return led.tally.Kiosk(k).MaxSeq },
		ingest: func(recs []record.Record) (IngestResult, error) {
			return led.ingest(wardKioskID, recs, contact{via: store.ViaFile})
		},
		quarantine: s.store.Quarantine, qlist: led.QuarantineList, kiosks: s.fleet.KioskHealth, records: led.tally.Len,
		put: s.store.PutJSON, each: s.store.Each,
		del: func(key string) error { return s.store.PutBatch(nil, []string{key}) },
		runCtx: func() context.Context {
			s.fleet.mu.RLock()
			defer s.fleet.mu.RUnlock()
			if s.fleet.runCtx == nil {
				return context.Background()
			}
			return s.fleet.runCtx
		},
		who:       s.gate.who,
		sessionOK: func(id string) bool { _, ok := s.auth.session(id); return ok },
	}
	if s.out != nil && s.out.audit != nil {
		o.audit = s.out.audit.note
	} else {
		o.audit = func(string, string, string, int) {}
	}
	o.live = newLiveHub(o)
	o.tallyAt, o.infos = -1, map[store.Ref]recInfo{}
	return o, o.loadFixes()
}

// officeRoutes builds the office and registers its routes.
func (s *Service) officeRoutes(app *fiber.App, api, exp fiber.Router) {
	o, err := newOffice(s)
	if err != nil {
		// The store answered the rest of New: serve, without the old log
		// entries, rather than not at all.
		s.log.Error("office log not read", "err", err)
	}
	s.off = o
	pr := &printer{o}
	s.led.resolved = o.resolved
	s.pages.tallies, s.api.tallies = o.summaryTallies, o.summaryTallies
	// Public: the screen for the meeting room and its stream.
	app.Get("/progress", o.progressPage)
	api.Get("/progress/events", o.publicEvents)

	// Admin.
	api.Get("/progress/full/events", s.admin(false), o.adminEvents)
	api.Get("/tallies", s.admin(false), o.getTallies)
	api.Get("/search", s.admin(false), o.apiSearch)
	api.Get("/fixes", s.admin(false), o.apiFixes)
	api.Post("/records/:id/void", s.admin(true), o.apiVoid)
	api.Post("/records/:id/correct", s.admin(true), o.apiCorrect)
	api.Post("/quarantine/:kiosk/:seq/resolve", s.admin(true), o.apiResolve)

	exp.Get("/completions.pdf", s.admin(false), pr.completionsPDF)
	exp.Get("/summary.pdf", s.admin(false), pr.summaryPDF)

	app.Get("/print/completions", s.pages.page(false), pr.printCompletions)
	app.Get("/print/summary", s.pages.page(false), pr.printSummary)
	app.Get("/search", s.pages.page(false), o.searchPage)
	app.Get("/records/:kiosk/:seq", s.pages.page(false), o.recordPage)
	app.Post("/ui/records/:kiosk/:seq/void", s.pages.page(true), o.uiVoid)
	app.Post("/ui/records/:kiosk/:seq/correct", s.pages.page(true), o.uiCorrect)
	app.Post("/ui/quarantine/:kiosk/:seq/resolve", s.pages.page(true), o.uiResolve)
}

// login names who made a request (already authenticated by the route).
func (o *office) login(c *fiber.Ctx) string {
	p, err := o.who(c, false)
	if err != nil {
		return adminLogin
	}
	return p.Login
}

// officePage feeds the office's templates ("progress", "print", "search",
// "record"); the shared "head" and "foot" read Title, CSRF and Version.
type officePage struct {
	Title   string
	Version string
	CSRF    string
	Now     time.Time
	Commune string

	Progress tally.Progress // the public progress screen
	Paper    *paperView     // a list to print

	Query   string // search
	People  []Person
	Record  *recordView
	Fixes   []Fix
	Message string
	Error   string
}

func (o *office) render(c *fiber.Ctx, status int, name string, d officePage) error {
	d.Version, d.Now = o.version, o.now()
	if d.CSRF == "" {
		d.CSRF, _ = c.Locals("csrf").(string)
	}
	var buf bytes.Buffer
	if err := o.tmpl.ExecuteTemplate(&buf, name, d); err != nil {
		return err
	}
	c.Type("html", "utf-8")
	return c.Status(status).Send(buf.Bytes())
}

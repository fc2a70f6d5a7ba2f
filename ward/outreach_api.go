package ward

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/announce"
	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/paper"
	"github.com/kyso-vn/kyso/roster"
	"github.com/kyso-vn/kyso/ward/export"
	"github.com/kyso-vn/kyso/ward/outreach"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/tally"
)

// maxRosterBytes bounds an uploaded roster or VNPT report.
const maxRosterBytes = 50 << 20

// outreachAPI translates HTTP to the outreach book and back. It holds no
// state of its own beyond its dependencies.
type outreachAPI struct {
	book     *outreach.Book
	tally    *tally.Tally
	plan     func() quota.Plan
	progress func() tally.Progress
	pseudo   func(cccd string) string
	audit    *auditLog
	now      func() time.Time
	log      *slog.Logger
	commune  string                             // "Cẩm Ngọc", for papers
	joinURL  func(village string) string        // the house's /join, for invitation QR codes
	rate     func(village string) outreach.Rate // the house's learned per-desk rate
	meter    *outreach.RateMeter
	speak    func(ctx context.Context, text string) ([]byte, error)
}

// kyso adapts the tally to outreach.Kyso (through the purge pseudonyms).
type kysoView struct {
	t      *tally.Tally
	pseudo func(string) string
}

func (k kysoView) Activated(cccd string) bool { return k.t.Activated(k.pseudo(cccd)) }

func (o *outreachAPI) kyso() outreach.Kyso { return kysoView{o.tally, o.pseudo} }

var (
	errForbiddenUnit = newErr(403, "forbidden", "", "Tài khoản này chỉ xem được danh sách của đơn vị mình.")
	errAdminOnly     = newErr(403, "forbidden", "", "Chỉ quản trị xã được làm việc này.")
	errBadStatus     = newErr(422, "invalid_status", "status", "Tình trạng không hợp lệ.")
)

// scope narrows a filter to what the caller may see: a village head sees
// only the village, an association head only the association; asking for
// another unit is refused.
func scope(p principal, f *outreach.Filter) error {
	switch {
	case p.Admin():
		return nil
	case p.Village != "":
		if f.Village != "" && quota.Key(f.Village) != quota.Key(p.Village) {
			return errForbiddenUnit
		}
		if f.Association != "" {
			return errForbiddenUnit
		}
		f.Village = p.Village
	case p.Association != "":
		if f.Association != "" && quota.Key(f.Association) != quota.Key(p.Association) {
			return errForbiddenUnit
		}
		if f.Village != "" {
			return errForbiddenUnit
		}
		f.Association = p.Association
	default:
		return errForbiddenUnit
	}
	return nil
}

func filterOf(c *fiber.Ctx) (outreach.Filter, error) {
	f := outreach.Filter{
		Village: quota.Clean(c.Query("village")), Association: quota.Clean(c.Query("association")),
		Status: c.Query("status"), Query: quota.Clean(c.Query("q")),
	}
	switch f.Status {
	case "", outreach.StatusActivated, outreach.StatusFailed, outreach.StatusInvited, outreach.StatusUnreachable, outreach.StatusNotYet:
	default:
		return f, errBadStatus
	}
	if len(f.Village) > 120 || len(f.Association) > 120 || len(f.Query) > 120 {
		return f, newErr(400, "bad_request", "", "Yêu cầu không hợp lệ.")
	}
	return f, nil
}

// ---- rosters ----

// RosterReply is the answer to POST /api/v1/roster.
type RosterReply struct {
	roster.Summary
	Added     int           `json:"added"`
	Updated   int           `json:"updated"`
	Unchanged int           `json:"unchanged"`
	Matched   int           `json:"matched"`
	Invalid   []roster.Skip `json:"invalid"`
	Merged    []roster.Skip `json:"merged"`
}

// rosterUpload reads the multipart file field within the roster limit, with
// the file's name (the parser sniffs the content; the name is for messages).
func rosterUpload(c *fiber.Ctx) (name string, data []byte, err error) {
	data, err = upload(c, maxRosterBytes)
	if err != nil {
		return "", nil, err
	}
	if fh, err := c.FormFile("file"); err == nil {
		name = fh.Filename
	}
	return name, data, nil
}

// rosterErr turns a refused file into the usual error: its message says
// what was wrong and, for a column it could not find, the headers it saw.
func rosterErr(err error) error {
	e, ok := roster.AsError(err)
	if !ok {
		return err
	}
	status := 422
	switch e.Code {
	case roster.CodeTooLarge, roster.CodeTooManyRows:
		status = 413
	}
	return newErr(status, e.Code, e.Field, e.Message)
}

func (o *outreachAPI) postRoster(c *fiber.Ctx, p principal) error {
	name, data, err := rosterUpload(c)
	if err != nil {
		return err
	}
	kind := roster.Kind(c.FormValue("kind", string(roster.Residents)))
	if kind != roster.Residents && kind != roster.Members {
		return newErr(422, "invalid_kind", "kind", "Loại danh sách phải là nhân khẩu (residents) hoặc hội viên (members).")
	}
	opts := roster.Options{
		Kind: kind, Village: quota.Clean(c.FormValue("village")), Association: quota.Clean(c.FormValue("association")),
		ReferenceDate: o.now(), Sheet: c.FormValue("sheet"),
	}
	if m := c.FormValue("mapping"); m != "" {
		if err := json.Unmarshal([]byte(m), &opts.Mapping); err != nil {
			return newErr(400, "invalid_mapping", "mapping", "Cách ghép cột không đúng định dạng.")
		}
	}
	// A unit head imports for their own unit only.
	switch {
	case p.Admin():
	case p.Village != "":
		if kind != roster.Residents || (opts.Village != "" && quota.Key(opts.Village) != quota.Key(p.Village)) {
			return errForbiddenUnit
		}
		opts.Village = p.Village
	case p.Association != "":
		if kind != roster.Members || (opts.Association != "" && quota.Key(opts.Association) != quota.Key(p.Association)) {
			return errForbiddenUnit
		}
		opts.Association = p.Association
	}
	res, err := roster.Parse(bytes.NewReader(data), name, opts)
	if err != nil {
		return rosterErr(err)
	}
	in := make([]outreach.Input, 0, len(res.People))
	for _, x := range res.People {
		v := x.Village
		if p.Village != "" {
			v = p.Village // a village head's file is that village's, whatever a column says
		}
		if label, ok := o.villageLabel(v); ok {
			v = label
		}
		a := x.Association
		if p.Association != "" {
			a = p.Association
		}
		in = append(in, outreach.Input{
			Name: x.Name, CCCD: x.CCCD, BirthDate: x.BirthDate, Gender: x.Gender, Phone: x.Phone,
			Household: x.Household, Head: x.HeadName, IsHead: x.Head, Village: v, Association: a, Eligible: x.Eligible,
		})
	}
	ir, err := o.book.Import(string(kind), in)
	if err != nil {
		return err
	}
	o.log.Info("roster imported", "by", p.Login, "kind", kind, "rows", res.Rows, "people", len(res.People),
		"added", ir.Added, "updated", ir.Updated)
	return c.JSON(RosterReply{Summary: res.Summary(), Added: ir.Added, Updated: ir.Updated, Unchanged: ir.Unchanged,
		Matched: ir.Matched, Invalid: nonNil(res.Invalid), Merged: nonNil(res.Merged)})
}

func nonNil(s []roster.Skip) []roster.Skip {
	if s == nil {
		return []roster.Skip{}
	}
	return s
}

// villageLabel maps a village name to the plan's spelling.
func (o *outreachAPI) villageLabel(v string) (string, bool) {
	k := quota.Key(v)
	for _, row := range o.plan().Villages.Rows {
		if quota.Key(row.Name) == k {
			return row.Name, true
		}
	}
	return v, false
}

// ---- who has not come ----

func (o *outreachAPI) getOutreach(c *fiber.Ctx, p principal) error {
	f, err := filterOf(c)
	if err != nil {
		return err
	}
	if err := scope(p, &f); err != nil {
		return err
	}
	return c.JSON(o.book.List(f, o.kyso(), o.now()))
}

// MarkRequest is the body of POST /api/v1/outreach/{key}/mark.
type MarkRequest struct {
	Reason string `json:"reason"` // one of outreach.Reasons, or "" to clear
	Note   string `json:"note"`
}

func (o *outreachAPI) postMark(c *fiber.Ctx, p principal) error {
	key := c.Params("key")
	person, ok := o.book.Person(key)
	if !ok {
		return errNotFound
	}
	f := outreach.Filter{}
	if err := scope(p, &f); err != nil {
		return err
	}
	if !p.Admin() && ((f.Village != "" && quota.Key(person.Village) != quota.Key(f.Village)) ||
		(f.Association != "" && quota.Key(person.Association) != quota.Key(f.Association))) {
		return errForbiddenUnit
	}
	var req MarkRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return errBadJSON
	}
	note, err := citizen.NormalizeFreeText(req.Note, 200)
	if err != nil {
		return newErr(422, "invalid_note", "note", "Ghi chú có ký tự không hợp lệ hoặc quá dài (tối đa 200 ký tự).")
	}
	if err := o.book.SetMark(key, req.Reason, note, p.Login, o.now()); err != nil {
		return outreachErr(err)
	}
	st := o.book.List(outreach.Filter{Village: person.Village}, o.kyso(), o.now())
	for _, r := range st.People {
		if r.Key == key {
			return c.JSON(r)
		}
	}
	return c.JSON(fiber.Map{"key": key})
}

func outreachErr(err error) error {
	var e *outreach.Error
	if errors.As(err, &e) {
		return newErr(422, e.Code, e.Field, e.Message)
	}
	if errors.Is(err, outreach.ErrNotFound) {
		return errNotFound
	}
	return err
}

func (o *outreachAPI) paper(title, unit string) export.Paper {
	return export.Paper{
		Commune: "UBND XÃ " + strings.ToUpper(o.commune), Unit: unit, Place: o.commune, Title: title, Date: o.now(),
		Signers: []string{"Người lập biểu", "Trưởng thôn / Trưởng đoàn thể", "Xác nhận của UBND xã"},
	}
}

func (o *outreachAPI) exportOutreach(c *fiber.Ctx, p principal) error {
	f, err := filterOf(c)
	if err != nil {
		return err
	}
	if err := scope(p, &f); err != nil {
		return err
	}
	rows := o.book.Work(f, o.kyso(), o.now())
	unit := "Toàn xã"
	switch {
	case f.Village != "":
		unit = "Thôn " + f.Village
	case f.Association != "":
		unit = f.Association
	}
	title := "DANH SÁCH NGƯỜI DÂN CẦN VẬN ĐỘNG CÀI ĐẶT CHỮ KÝ SỐ"
	pp := o.paper(title, unit)
	pp.Subtitle = fmt.Sprintf("%s · %d người", statusPhrase(f.Status), len(rows))
	var buf bytes.Buffer
	if err := export.WriteOutreachXLSX(&buf, pp, rows, o.sessionLabel); err != nil {
		return err
	}
	o.audit.note(p.Login, "outreach.xlsx", describe(f), len(rows))
	attachment(c, "van-dong-"+export.Slug(unit)+"-"+o.now().In(clock.Vietnam).Format("20060102"), ".xlsx")
	c.Set(fiber.HeaderContentType, xlsxType)
	return c.Send(buf.Bytes())
}

func statusPhrase(s string) string {
	if s == "" {
		return "Mọi tình trạng"
	}
	return "Tình trạng: " + export.StatusWords[s]
}

func describe(f outreach.Filter) string {
	var parts []string
	for _, kv := range [][2]string{{"village", f.Village}, {"association", f.Association}, {"status", f.Status}} {
		if kv[1] != "" {
			parts = append(parts, kv[0]+"="+kv[1])
		}
	}
	if len(parts) == 0 {
		return "toàn xã"
	}
	return strings.Join(parts, " ")
}

func (o *outreachAPI) sessionLabel(id string) string {
	s, ok := o.book.Session(id)
	if !ok {
		return ""
	}
	return "Mời " + announce.When(toAnnounce(s)) + " tại " + s.Place
}

// ---- accountability ----

func (o *outreachAPI) units() outreach.Units {
	p := o.progress()
	eligV, eligA, unV, unA := o.book.Eligible()
	onlyV, onlyA := o.book.VNPTOnly(o.kyso().Activated)
	last := map[string]string{}
	lastA := map[string]string{}
	s := o.tally.Snapshot(o.now(), 7)
	for _, g := range s.Villages {
		last[g.Key] = g.Last
	}
	for _, g := range s.Associations {
		lastA[g.Key] = g.Last
	}
	window := max(1, min(p.Forecast.DataDays, p.Forecast.WindowDays))
	recent := map[string]float64{}
	for _, g := range s.Villages {
		recent[g.Key] = float64(g.Recent) / float64(window)
	}
	recentA := map[string]float64{}
	for _, g := range s.Associations {
		recentA[g.Key] = float64(g.Recent) / float64(window)
	}
	var vs, as []outreach.UnitInput
	for _, r := range p.Villages {
		k := quota.Key(r.Name)
		vs = append(vs, outreach.UnitInput{Name: r.Name, Target: r.Target, Have: r.Have + onlyV[k], RecentPerDay: recent[k], Last: last[k]})
	}
	for _, r := range p.Associations {
		k := quota.Key(r.Name)
		as = append(as, outreach.UnitInput{Name: r.Name, Target: r.Target, Have: r.Have + onlyA[k], RecentPerDay: recentA[k], Last: lastA[k]})
	}
	days := 0
	for _, n := range s.Days {
		if n > 0 {
			days++
		}
	}
	left := p.Forecast.SessionDaysLeft
	return outreach.BuildUnits(vs, as, eligV, eligA, unV, unA, outreach.Pace{Today: s.Today, DaysLeft: left, Underway: days >= 2})
}

func (o *outreachAPI) getUnits(c *fiber.Ctx, _ principal) error { return c.JSON(o.units()) }

// ---- VNPT ----

// VNPTReply is the answer to POST /api/v1/vnpt-report.
type VNPTReply struct {
	Rows          int               `json:"rows"`
	Activated     int               `json:"activated"`
	MatchedRoster int               `json:"matched_roster"`
	MatchedKyso   int               `json:"matched_kyso"`
	Skipped       []roster.Skip     `json:"skipped"`
	Columns       map[string]string `json:"columns"`
}

func (o *outreachAPI) postVNPT(c *fiber.Ctx, p principal) error {
	if !p.Admin() {
		return errAdminOnly
	}
	name, data, err := rosterUpload(c)
	if err != nil {
		return err
	}
	rep, err := roster.ParseVNPT(bytes.NewReader(data), name, roster.Options{ReferenceDate: o.now(), Sheet: c.FormValue("sheet")})
	if err != nil {
		return rosterErr(err)
	}
	var rows []outreach.Confirmation
	reply := VNPTReply{Rows: rep.Rows, Skipped: nonNil(rep.Skipped), Columns: rep.Columns}
	k := o.kyso()
	for _, a := range rep.Activations {
		if !a.Activated {
			continue
		}
		reply.Activated++
		rows = append(rows, outreach.Confirmation{CCCD: a.CCCD, Name: a.Name, Phone: a.Phone, Date: a.ActivatedAt})
		if o.book.InRoster(a.CCCD) {
			reply.MatchedRoster++
		}
		if k.Activated(a.CCCD) {
			reply.MatchedKyso++
		}
	}
	if err := o.book.SetVNPT(rows); err != nil {
		return err
	}
	o.log.Info("vnpt report imported", "by", p.Login, "rows", rep.Rows, "activated", reply.Activated)
	return c.JSON(reply)
}

func (o *outreachAPI) reconcile() (outreach.Reconciliation, []outreach.ReconPerson) {
	var acts []outreach.Activation
	o.tally.Counted(func(cccd, village, _, day string) {
		acts = append(acts, outreach.Activation{CCCD: cccd, Village: village, Date: day})
	})
	plan := o.plan()
	var order []string
	for _, v := range plan.Villages.Rows {
		order = append(order, v.Name)
	}
	label := func(v string) string {
		if l, ok := o.villageLabel(v); ok {
			return l
		}
		if v == "" {
			return outreach.UnknownVillage
		}
		return quota.Clean(v)
	}
	return o.book.Reconcile(acts, label, order)
}

func (o *outreachAPI) getReconciliation(c *fiber.Ctx, p principal) error {
	if !p.Admin() {
		return errAdminOnly
	}
	r, _ := o.reconcile()
	return c.JSON(r)
}

func (o *outreachAPI) exportReconciliation(c *fiber.Ctx, p principal) error {
	if !p.Admin() {
		return errAdminOnly
	}
	r, people := o.reconcile()
	var buf bytes.Buffer
	if err := export.WriteReconciliationXLSX(&buf, o.paper("ĐỐI CHIẾU KẾT QUẢ KÍCH HOẠT CHỮ KÝ SỐ VỚI BÁO CÁO CỦA VNPT", "Toàn xã"), r, people); err != nil {
		return err
	}
	o.audit.note(p.Login, "reconciliation.xlsx", "toàn xã", len(people))
	attachment(c, "doi-chieu-vnpt-"+o.now().In(clock.Vietnam).Format("20060102"), ".xlsx")
	c.Set(fiber.HeaderContentType, xlsxType)
	return c.Send(buf.Bytes())
}

// ---- sessions ----

// SessionsRequest is the body of POST /api/v1/sessions.
type SessionsRequest struct {
	Sessions []outreach.SessionInput `json:"sessions"`
}

// SessionReply is one session in the replies of /api/v1/sessions.
type SessionReply struct {
	ID         string  `json:"id"`
	Village    string  `json:"village"`
	Place      string  `json:"place"`
	Date       string  `json:"date"`
	Start      string  `json:"start"`
	End        string  `json:"end"`
	Desks      int     `json:"desks"`
	Capacity   int     `json:"capacity"`
	Rate       float64 `json:"rate"`
	RateSource string  `json:"rate_source"`
	Invited    int     `json:"invited"`
	Households int     `json:"households"`
	Arrived    int     `json:"arrived"`
	Activated  int     `json:"activated"`
	Failed     int     `json:"failed"`
	Ended      bool    `json:"ended"`
}

func replyOf(v outreach.SessionView) SessionReply {
	return SessionReply{ID: v.ID, Village: v.Village, Place: v.Place, Date: v.Date, Start: v.Start, End: v.End, Desks: v.Desks,
		Capacity: v.Capacity, Rate: v.Rate, RateSource: v.RateSource, Invited: v.Invited, Households: v.Households,
		Arrived: v.Arrived, Activated: v.Activated, Failed: v.Failed, Ended: v.Ended}
}

func (o *outreachAPI) postSessions(c *fiber.Ctx, p principal) error {
	var req SessionsRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return errBadJSON
	}
	for i, s := range req.Sessions {
		if !p.Admin() && (p.Village == "" || quota.Key(s.Village) != quota.Key(p.Village)) {
			return errForbiddenUnit
		}
		if l, ok := o.villageLabel(s.Village); ok {
			req.Sessions[i].Village = l
		}
	}
	ss, err := o.book.AddSessions(req.Sessions, o.rate, o.now())
	if err != nil {
		return outreachErr(err)
	}
	out := make([]SessionReply, 0, len(ss))
	for _, s := range ss {
		out = append(out, replyOf(outreach.SessionView{Session: s}))
	}
	o.log.Info("sessions added", "by", p.Login, "count", len(ss))
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"sessions": out})
}

// postGenerate adds the sessions of the rounds or of every evening to the
// deadline; the reply is that of POST /api/v1/sessions with how many were
// skipped (past, or already planned).
func (o *outreachAPI) postGenerate(c *fiber.Ctx, p principal) error {
	var req outreach.GenerateRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return errBadJSON
	}
	req.Village, req.Place = quota.Clean(req.Village), quota.Clean(req.Place)
	plan := o.plan()
	var villages []string
	switch {
	case !p.Admin() && p.Village == "":
		return errForbiddenUnit
	case !p.Admin():
		if req.Village != "" && quota.Key(req.Village) != quota.Key(p.Village) {
			return errForbiddenUnit
		}
		villages = []string{p.Village}
	case req.Village != "":
		villages = []string{req.Village}
	case req.From == "rounds":
		for _, v := range plan.Villages.Rows {
			villages = append(villages, v.Name)
		}
	}
	for i, v := range villages {
		if l, ok := o.villageLabel(v); ok {
			villages[i] = l
		}
	}
	if len(villages) > 1 {
		req.Place = "" // each village at its own house
	}
	in, err := outreach.Expand(req, villages, plan.Rounds, plan.Deadline, o.now())
	if err != nil {
		return outreachErr(err)
	}
	g, err := o.book.AddGenerated(in, o.rate, o.now())
	if err != nil {
		return outreachErr(err)
	}
	out := make([]SessionReply, 0, len(g.Added))
	for _, s := range g.Added {
		out = append(out, replyOf(outreach.SessionView{Session: s}))
	}
	o.log.Info("sessions generated", "by", p.Login, "from", req.From, "added", len(g.Added), "skipped", g.Skipped)
	status := fiber.StatusOK
	if len(out) > 0 {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(fiber.Map{"sessions": out, "skipped": g.Skipped})
}

// getRate tells the capacity a new session of a village would get: the
// house's per-desk rate and where it came from.
func (o *outreachAPI) getRate(c *fiber.Ctx, p principal) error {
	f := outreach.Filter{Village: quota.Clean(c.Query("village"))}
	if err := scope(p, &f); err != nil {
		return err
	}
	if f.Village == "" {
		return newErr(422, "invalid_village", "village", "Chưa chọn thôn.")
	}
	if l, ok := o.villageLabel(f.Village); ok {
		f.Village = l
	}
	r := o.rate(f.Village)
	return c.JSON(fiber.Map{"village": f.Village, "rate": r.PerDeskHour, "rate_source": r.Source})
}

// SessionHouseholds is the reply of GET /api/v1/sessions/{id}: the session
// and its invited households (names and masked CCCDs), for the schedule's
// per-session view and moving a household by hand.
type SessionHouseholds struct {
	Session    SessionReply                `json:"session"`
	Households []outreach.InvitedHousehold `json:"households"`
}

func (o *outreachAPI) getSession(c *fiber.Ctx, p principal) error {
	s, err := o.session(c, p)
	if err != nil {
		return err
	}
	out := SessionHouseholds{Households: o.book.Invited(s.ID)}
	for _, v := range o.book.Sessions(s.Village, o.kyso(), o.now()) {
		if v.ID == s.ID {
			out.Session = replyOf(v)
		}
	}
	if out.Households == nil {
		out.Households = []outreach.InvitedHousehold{}
	}
	return c.JSON(out)
}

func (o *outreachAPI) getSessions(c *fiber.Ctx, p principal) error {
	f := outreach.Filter{Village: quota.Clean(c.Query("village"))}
	if err := scope(p, &f); err != nil {
		return err
	}
	out := []SessionReply{}
	for _, v := range o.book.Sessions(f.Village, o.kyso(), o.now()) {
		out = append(out, replyOf(v))
	}
	return c.JSON(fiber.Map{"sessions": out})
}

// ScheduleRequest is the body of POST /api/v1/schedule.
type ScheduleRequest struct {
	Village string `json:"village"`
}

func (o *outreachAPI) postSchedule(c *fiber.Ctx, p principal) error {
	var req ScheduleRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return errBadJSON
	}
	f := outreach.Filter{Village: quota.Clean(req.Village)}
	if f.Village == "" && p.Village == "" {
		return newErr(422, "invalid_village", "village", "Chưa chọn thôn.")
	}
	if err := scope(p, &f); err != nil {
		return err
	}
	if l, ok := o.villageLabel(f.Village); ok {
		f.Village = l
	}
	res, err := o.book.Schedule(f.Village, o.kyso(), o.now())
	if err != nil {
		return outreachErr(err)
	}
	o.log.Info("schedule", "by", p.Login, "village", f.Village, "left", res.Left)
	return c.JSON(res)
}

// MoveRequest moves a person's household to another session ("" withdraws it).
type MoveRequest struct {
	Person  string `json:"person"`
	Session string `json:"session"`
}

func (o *outreachAPI) postMove(c *fiber.Ctx, p principal) error {
	var req MoveRequest
	if err := json.Unmarshal(c.Body(), &req); err != nil {
		return errBadJSON
	}
	person, ok := o.book.Person(req.Person)
	if !ok {
		return errNotFound
	}
	f := outreach.Filter{Village: person.Village}
	if err := scope(p, &f); err != nil {
		return err
	}
	if req.Session != "" {
		to, ok := o.book.Session(req.Session)
		if !ok {
			return errNotFound
		}
		if quota.Key(to.Village) != quota.Key(person.Village) && !p.Admin() {
			return errForbiddenUnit // a village head plans their own village's evenings
		}
	}
	if err := o.book.MoveHousehold(req.Person, req.Session, p.Login, o.kyso(), o.now()); err != nil {
		return outreachErr(err)
	}
	return c.JSON(fiber.Map{"ok": true})
}

// session finds a session the caller may see.
func (o *outreachAPI) session(c *fiber.Ctx, p principal) (outreach.Session, error) {
	s, ok := o.book.Session(c.Params("id"))
	if !ok {
		return s, errNotFound
	}
	f := outreach.Filter{Village: s.Village}
	if err := scope(p, &f); err != nil {
		return s, err
	}
	return s, nil
}

func toAnnounce(s outreach.Session) announce.Session {
	d, _ := time.ParseInLocation("2006-01-02", s.Date, clock.Vietnam)
	return announce.Session{Place: s.Place, Village: s.Village, Date: d, Start: s.Start, End: s.End}
}

func (o *outreachAPI) announcement(s outreach.Session) string {
	var hh []announce.Household
	for _, h := range o.book.Invited(s.ID) {
		x := announce.Household{Head: h.Head, HeadGender: h.Gender}
		for _, m := range h.Members {
			x.Members = append(x.Members, m.Name)
		}
		hh = append(hh, x)
	}
	return announce.Text(toAnnounce(s), hh)
}

func (o *outreachAPI) exportAnnouncementText(c *fiber.Ctx, p principal) error {
	s, err := o.session(c, p)
	if err != nil {
		return err
	}
	o.audit.note(p.Login, "announcement.txt", "session="+s.ID, len(o.book.Invited(s.ID)))
	attachment(c, "thong-bao-"+export.Slug(s.Village)+"-"+s.Date, ".txt")
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	return c.SendString(o.announcement(s))
}

func (o *outreachAPI) exportAnnouncementWAV(c *fiber.Ctx, p principal) error {
	s, err := o.session(c, p)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Minute)
	defer cancel()
	wav, err := o.speak(ctx, o.announcement(s))
	if errors.Is(err, announce.ErrNoSpeech) {
		return newErr(503, "no_speech", "", err.Error())
	}
	if err != nil {
		return err
	}
	o.audit.note(p.Login, "announcement.wav", "session="+s.ID, len(o.book.Invited(s.ID)))
	attachment(c, "thong-bao-"+export.Slug(s.Village)+"-"+s.Date, ".wav")
	c.Set(fiber.HeaderContentType, "audio/wav")
	return c.Send(wav)
}

func (o *outreachAPI) exportInvitations(c *fiber.Ctx, p principal) error {
	s, err := o.session(c, p)
	if err != nil {
		return err
	}
	inv := o.book.Invited(s.ID)
	set := paper.InvitationSet{
		Unit: "UBND XÃ " + strings.ToUpper(o.commune) + "\nTHÔN " + strings.ToUpper(s.Village), Session: toAnnounce(s),
		JoinURL: o.joinURL(s.Village), Signer: "Trưởng thôn",
	}
	for _, h := range inv {
		ph := announce.Household{Head: h.Head, HeadGender: h.Gender}
		for _, m := range h.Members {
			if m.Name != h.Head {
				ph.Members = append(ph.Members, m.Name)
			}
		}
		set.Households = append(set.Households, ph)
	}
	var buf bytes.Buffer
	if err := paper.Invitations(&buf, set); err != nil {
		return paperErr(err)
	}
	o.audit.note(p.Login, "invitations.pdf", "session="+s.ID, len(inv))
	attachment(c, "giay-moi-"+export.Slug(s.Village)+"-"+s.Date, ".pdf")
	c.Set(fiber.HeaderContentType, "application/pdf")
	return c.Send(buf.Bytes())
}

func paperErr(err error) error {
	if errors.Is(err, paper.ErrNoFont) {
		return newErr(503, "no_font", "", err.Error())
	}
	return err
}

func (o *outreachAPI) exportSessionList(c *fiber.Ctx, p principal) error {
	s, err := o.session(c, p)
	if err != nil {
		return err
	}
	inv := o.book.Invited(s.ID)
	sheet := paper.SessionSheet{
		Unit: "UBND XÃ " + strings.ToUpper(o.commune) + "\nTHÔN " + strings.ToUpper(s.Village), Place: o.commune, Date: o.now(), Session: toAnnounce(s),
		Signers: []string{"Người lập biểu", "Trưởng thôn"},
	}
	for _, h := range inv {
		lh := paper.ListedHousehold{Head: h.Head}
		for _, m := range h.Members {
			lh.People = append(lh.People, paper.Person{Name: m.Name, CCCD: m.CCCDMasked})
		}
		sheet.Households = append(sheet.Households, lh)
	}
	var buf bytes.Buffer
	if err := paper.SessionList(&buf, sheet); err != nil {
		return paperErr(err)
	}
	o.audit.note(p.Login, "list.pdf", "session="+s.ID, len(inv))
	attachment(c, "danh-sach-moi-"+export.Slug(s.Village)+"-"+s.Date, ".pdf")
	c.Set(fiber.HeaderContentType, "application/pdf")
	return c.Send(buf.Bytes())
}

// ---- export log ----

// AuditEntry is one export of personal data: who, what, when.
type AuditEntry struct {
	At     time.Time `json:"at"`
	Login  string    `json:"login"`
	Export string    `json:"export"`
	Filter string    `json:"filter"`
	Rows   int       `json:"rows"`
}

// auditLog keeps the export log in the store; it is append-only.
type auditLog struct {
	put  func(key string, v any) error
	each func(prefix string, fn func(AuditEntry) error) error
	now  func() time.Time
	log  *slog.Logger
}

const pAudit = "audit/"

func (a *auditLog) note(login, what, filter string, rows int) {
	e := AuditEntry{At: a.now().UTC(), Login: login, Export: what, Filter: filter, Rows: rows}
	key := fmt.Sprintf("%s%020d-%s", pAudit, e.At.UnixNano(), url.PathEscape(login))
	if err := a.put(key, e); err != nil {
		a.log.Error("export log not written", "err", err)
	}
	a.log.Info("personal data exported", "by", login, "export", what, "filter", filter, "rows", rows)
}

func (a *auditLog) list() ([]AuditEntry, error) {
	var out []AuditEntry
	err := a.each(pAudit, func(e AuditEntry) error { out = append(out, e); return nil })
	sort.Slice(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	if out == nil {
		out = []AuditEntry{}
	}
	return out, err
}

func (o *outreachAPI) getAudit(c *fiber.Ctx, p principal) error {
	if !p.Admin() {
		return errAdminOnly
	}
	l, err := o.audit.list()
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"exports": l})
}

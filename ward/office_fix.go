package ward

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
)

// Search, correct, void, resolve: the office's fixes. Each is logged in
// the office log (who, why, what) before the ward's record that carries
// it is ingested; see office.go for the invariants.

// Fix actions.
const (
	FixCorrect      = "correct"
	FixVoid         = "void"
	FixKeepStored   = "keep_stored"
	FixKeepReceived = "keep_received"
)

var fixText = map[string]string{
	FixCorrect: "Sửa thông tin", FixVoid: "Hủy bản ghi",
	FixKeepStored: "Xung đột: giữ bản đã lưu", FixKeepReceived: "Xung đột: lấy bản nhận sau",
}

// Fix is one entry of the office log.
type Fix struct {
	At       time.Time `json:"at"`
	Login    string    `json:"login"`
	Action   string    `json:"action"`
	Why      string    `json:"why"`
	KioskID  string    `json:"kiosk_id"` // the record acted on (or the quarantined key)
	Seq      uint64    `json:"seq"`
	RecordID string    `json:"record_id,omitempty"`
	// Made is the ward's record that carries the fix (none for keep_stored).
	Made    string `json:"made,omitempty"`
	MadeSeq uint64 `json:"made_seq,omitempty"`
	// House is the kiosk where the corrected chain began: the ward's
	// records are credited to it in the per-house tally.
	House string `json:"house,omitempty"`
	// Hashes are the quarantined deliveries a resolution closed.
	Hashes []uint64 `json:"hashes,omitempty"`
}

// ActionText says the action in Vietnamese.
func (f Fix) ActionText() string { return fixText[f.Action] }

const pFix = "office/fix/"

var (
	errRecordNotFound = newErr(404, "record_not_found", "id", "Không tìm thấy bản ghi.")
	errReplaced       = newErr(409, "record_replaced", "id", "Bản ghi này đã được sửa hoặc hủy trước đó: hãy thao tác trên bản mới nhất (tìm lại công dân).")
	errAlreadyVoid    = newErr(409, "already_voided", "id", "Bản ghi đã bị hủy.")
	errNeedWhy        = newErr(422, "invalid_reason", "reason", "Hãy ghi lý do (tối đa 300 ký tự, không có ký tự đặc biệt).")
	errBadOutcome     = newErr(422, "invalid_outcome", "outcome", "Kết quả phải là «activated» (đã kích hoạt) hoặc «failed» (không thành công).")
	errBadKeep        = newErr(422, "invalid_keep", "keep", "Chọn giữ «stored» (bản đã lưu) hoặc «received» (bản nhận sau).")
	errNoQuarantine   = newErr(404, "quarantine_not_found", "seq", "Không có bản ghi xung đột nào chờ xử lý ở điểm và số thứ tự này.")
	errQuery          = newErr(422, "invalid_query", "q", "Nhập ít nhất 2 ký tự của họ tên, hoặc 4 chữ số của CCCD hay số điện thoại.")
)

func (o *office) loadFixes() error {
	return o.each(pFix, func(_ string, v []byte) error {
		var f Fix
		if err := json.Unmarshal(v, &f); err != nil {
			return err
		}
		o.fixes = append(o.fixes, f)
		return nil
	})
}

// logFix writes f durably and keeps it; the key orders by time.
func (o *office) logFix(f Fix) (string, error) {
	key := fmt.Sprintf("%s%020d-%s-%d", pFix, f.At.UnixNano(), f.KioskID, f.Seq)
	if err := o.put(key, f); err != nil {
		return "", fmt.Errorf("%w: %v", errStore, err)
	}
	o.mu.Lock()
	o.fixes = append(o.fixes, f)
	o.mu.Unlock()
	// Who and why; never the citizen.
	o.log.Info("record fixed by the office", "by", f.Login, "action", f.Action, "kiosk", f.KioskID, "seq", f.Seq, "made_seq", f.MadeSeq)
	return key, nil
}

// unlogFix takes back an entry whose record could not be stored.
func (o *office) unlogFix(key string, f Fix) {
	if err := o.del(key); err != nil {
		o.log.Error("office log entry of a failed fix not removed", "err", err)
	}
	o.mu.Lock()
	for i := len(o.fixes) - 1; i >= 0; i-- {
		if o.fixes[i].At.Equal(f.At) && o.fixes[i].KioskID == f.KioskID && o.fixes[i].Seq == f.Seq {
			o.fixes = append(o.fixes[:i], o.fixes[i+1:]...)
			break
		}
	}
	o.mu.Unlock()
}

// resolved reports whether a quarantined delivery was dealt with.
func (o *office) resolved(kiosk string, seq, hash uint64) bool {
	if o == nil {
		return false
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	for _, f := range o.fixes {
		if f.KioskID == kiosk && f.Seq == seq {
			for _, h := range f.Hashes {
				if h == hash {
					return true
				}
			}
		}
	}
	return false
}

// fixesOf lists the log entries about a record (acted on or made).
func (o *office) fixesOf(kiosk string, seq uint64) []Fix {
	o.mu.RLock()
	defer o.mu.RUnlock()
	var out []Fix
	for _, f := range o.fixes {
		if (f.KioskID == kiosk && f.Seq == seq) || (kiosk == wardKioskID && f.MadeSeq == seq) {
			out = append(out, f)
		}
	}
	return out
}

// houseOf is the kiosk a record's chain began at.
func (o *office) houseOf(r *record.Record) string {
	if r.KioskID != wardKioskID {
		return r.KioskID
	}
	o.mu.RLock()
	defer o.mu.RUnlock()
	for _, f := range o.fixes {
		if f.MadeSeq == r.Seq && f.Made == r.ID {
			return f.House
		}
	}
	return wardKioskID
}

// ---- finding records ----

var errFound = errors.New("found")

// byID finds a record by its id (a scan: a rare admin action).
func (o *office) byID(id string) (store.Stored, error) {
	var got store.Stored
	err := o.eachRec(func(st store.Stored) error {
		if st.Record.ID == id {
			got = st
			return errFound
		}
		return nil
	})
	switch {
	case errors.Is(err, errFound):
		return got, nil
	case err != nil:
		return got, err
	}
	return got, errRecordNotFound
}

func (o *office) byKey(kiosk, seqText string) (store.Stored, error) {
	seq, err := strconv.ParseUint(seqText, 10, 64)
	if err != nil {
		return store.Stored{}, errRecordNotFound
	}
	st, err := o.getRec(kiosk, seq)
	if errors.Is(err, store.ErrNotFound) {
		return st, errRecordNotFound
	}
	return st, err
}

// effective reports which records count as held now (not replaced).
func (o *office) effective() map[store.Ref]bool {
	refs := o.refs("", false)
	m := make(map[store.Ref]bool, len(refs))
	for _, r := range refs {
		m[store.Ref{Kiosk: r.Kiosk, Seq: r.Seq}] = true
	}
	return m
}

func (o *office) isEffective(kiosk string, seq uint64) bool {
	return o.effective()[store.Ref{Kiosk: kiosk, Seq: seq}]
}

// ---- search ----

// Person is a citizen as the search lists them: CCCD masked, no phone.
type Person struct {
	Name       string         `json:"name"`
	CCCDMasked string         `json:"cccd_masked"`
	Village    string         `json:"village"`
	Records    []PersonRecord `json:"records"`
	key        string
}

// PersonRecord is one of a person's records.
type PersonRecord struct {
	ID         string    `json:"id"`
	KioskID    string    `json:"kiosk_id"`
	Seq        uint64    `json:"seq"`
	Type       string    `json:"type"`
	Outcome    string    `json:"outcome"`
	Reason     string    `json:"reason,omitempty"`
	RecordedAt time.Time `json:"recorded_at"`
	Effective  bool      `json:"effective"`
	Village    string    `json:"village"`
	Volunteer  string    `json:"volunteer,omitempty"`
}

// ResultText says the outcome in Vietnamese, with the reason.
func (r PersonRecord) ResultText() string {
	t := outcomeText[r.Outcome]
	if r.Outcome == record.OutcomeFailed && r.Reason != "" {
		rt := r.Reason
		if x, ok := reasonText[rt]; ok {
			rt = x
		}
		t += " (" + rt + ")"
	}
	return t
}

const maxPeople = 50

func digitsOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func personKey(c record.Citizen) string {
	if c.CCCD != "" {
		return "c:" + c.CCCD
	}
	return "n:" + foldName(c.Name) + "|" + c.BirthDate
}

// foldBase maps the Latin letters with diacritics to their base letter
// (Vietnamese: ầ → a, Đ → d), lower-case; built once from NFD.
var foldBase = sync.OnceValue(func() map[rune]rune {
	m := map[rune]rune{'đ': 'd', 'Đ': 'd'}
	for _, rg := range [][2]rune{{0xC0, 0x24F}, {0x1E00, 0x1EFF}} {
		for r := rg[0]; r <= rg[1]; r++ {
			// The first rune of the decomposition is the base letter.
			if b, _ := utf8.DecodeRuneInString(norm.NFD.String(string(r))); b < 0x80 && unicode.IsLetter(b) {
				m[r] = unicode.ToLower(b)
			}
		}
	}
	return m
})

// foldName is a name for matching, as roster.NormalizeHeader folds headers
// ("Nguyễn  Thị-Hằng" → "nguyen thi hang") but without a normalisation
// pass per record: the search folds every stored name.
func foldName(s string) string {
	m := foldBase()
	b := make([]byte, 0, len(s))
	space := false
	for _, r := range s {
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
		case r >= 'A' && r <= 'Z':
			r += 'a' - 'A'
		case m[r] != 0:
			r = m[r]
		case r >= 0x300 && r <= 0x36F: // a combining mark (NFD input)
			continue
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			r = unicode.ToLower(r)
		default:
			space = len(b) > 0
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}

// Search finds people by name (without diacritics is fine), CCCD or phone
// (at least 4 digits). Purged records are not searched: they hold no
// personal data.
func (o *office) Search(q string) ([]Person, error) {
	q = strings.TrimSpace(q)
	digits := digitsOf(q)
	name := foldName(q)
	byDigits := len(digits) >= 4 && len(digits) == len(strings.Join(strings.FieldsFunc(q, func(r rune) bool { return strings.ContainsRune(" .-+", r) }), ""))
	if !byDigits && len([]rune(name)) < 2 {
		return nil, errQuery
	}
	if byDigits && strings.HasPrefix(q, "+84") {
		digits = "0" + digits[2:]
	}
	match := func(c record.Citizen) bool {
		if byDigits {
			return strings.Contains(c.CCCD, digits) || strings.Contains(digitsOf(c.Phone), digits)
		}
		return strings.Contains(foldName(c.Name), name)
	}
	keys := map[string]bool{}
	err := o.eachRec(func(st store.Stored) error {
		if !st.Purged && match(st.Record.Citizen) && len(keys) < maxPeople {
			keys[personKey(st.Record.Citizen)] = true
		}
		return nil
	})
	if err != nil || len(keys) == 0 {
		return []Person{}, err
	}
	eff := o.effective()
	people := map[string]*Person{}
	latest := map[string]time.Time{}
	err = o.eachRec(func(st store.Stored) error {
		r := &st.Record
		k := personKey(r.Citizen)
		if st.Purged || !keys[k] {
			return nil
		}
		p := people[k]
		if p == nil {
			p = &Person{key: k}
			people[k] = p
		}
		e := eff[store.Ref{Kiosk: r.KioskID, Seq: r.Seq}]
		p.Records = append(p.Records, PersonRecord{ID: r.ID, KioskID: r.KioskID, Seq: r.Seq, Type: r.Type, Outcome: r.Outcome, Reason: r.Reason,
			RecordedAt: r.RecordedAt, Effective: e, Village: quota.Clean(r.Citizen.Village), Volunteer: quota.Clean(r.Volunteer)})
		// The person is shown as their latest effective record says.
		if at := r.RecordedAt; p.Name == "" || (e && at.After(latest[k])) {
			p.Name, p.CCCDMasked, p.Village = quota.Clean(r.Citizen.Name), citizen.MaskCCCD(r.Citizen.CCCD), quota.Clean(r.Citizen.Village)
			if e {
				latest[k] = at
			}
		}
		return nil
	})
	out := make([]Person, 0, len(people))
	for _, p := range people {
		sort.Slice(p.Records, func(i, j int) bool { return p.Records[i].RecordedAt.Before(p.Records[j].RecordedAt) })
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if a, b := foldName(out[i].Name), foldName(out[j].Name); a != b {
			return a < b
		}
		return out[i].key < out[j].key
	})
	return out, err
}

// ---- the ward's records ----

func cleanWhy(s string) (string, error) {
	w, err := citizen.NormalizeFreeText(s, 300)
	if err != nil || w == "" {
		return "", errNeedWhy
	}
	return w, nil
}

// amend makes, logs and ingests the ward's correction of st: the citizen,
// outcome and reason given, everything else (volunteer, desk, round,
// consent) as st had it.
func (o *office) amend(login, action, why string, st store.Stored, c record.Citizen, outcome, reason string, extra func(*Fix)) (Fix, error) {
	o.fixMu.Lock()
	defer o.fixMu.Unlock()
	if !o.isEffective(st.Record.KioskID, st.Record.Seq) {
		return Fix{}, errReplaced
	}
	now := o.now().UTC()
	r := st.Record
	r.ID, r.KioskID, r.Seq = uuid.NewString(), wardKioskID, o.maxSeq(wardKioskID)+1
	r.Type, r.Corrects = record.TypeCorrection, st.Record.ID
	r.Citizen, r.Outcome, r.Reason = c, outcome, reason
	r.RecordedAt, r.Clock, r.DeviceTime = now, record.ClockWard, nil
	f := Fix{At: now, Login: login, Action: action, Why: why, KioskID: st.Record.KioskID, Seq: st.Record.Seq, RecordID: st.Record.ID,
		Made: r.ID, MadeSeq: r.Seq, House: o.houseOf(&st.Record)}
	if extra != nil {
		extra(&f)
	}
	key, err := o.logFix(f)
	if err != nil {
		return Fix{}, err
	}
	res, err := o.ingest([]record.Record{r})
	if err == nil && res.New != 1 {
		err = fmt.Errorf("%w: the ward's record %d was not stored (new %d)", errStore, r.Seq, res.New)
	}
	if err != nil {
		o.unlogFix(key, f)
		return Fix{}, err
	}
	return f, nil
}

// Void takes a record out of the count: a correction with outcome failed,
// reason "voided".
func (o *office) Void(login string, st store.Stored, why string) (Fix, error) {
	why, err := cleanWhy(why)
	if err != nil {
		return Fix{}, err
	}
	if st.Record.Outcome == record.OutcomeFailed && st.Record.Reason == reasonVoided {
		return Fix{}, errAlreadyVoid
	}
	return o.amend(login, FixVoid, why, st, st.Record.Citizen, record.OutcomeFailed, reasonVoided, nil)
}

// Correction is what an official changes in a record.
type Correction struct {
	Citizen record.Citizen `json:"citizen"` // blank fields keep the record's
	Outcome string         `json:"outcome"` // "" keeps it
	// FailReason is the failure reason when the outcome is failed (a
	// kiosk reason code such as "no_email"; "other" when not given).
	FailReason string `json:"fail_reason"`
	Why        string `json:"reason"`
}

// Correct replaces a record by the ward's corrected copy.
func (o *office) Correct(login string, st store.Stored, in Correction) (Fix, error) {
	why, err := cleanWhy(in.Why)
	if err != nil {
		return Fix{}, err
	}
	outcome := in.Outcome
	if outcome == "" {
		outcome = st.Record.Outcome
	}
	if outcome != record.OutcomeActivated && outcome != record.OutcomeFailed {
		return Fix{}, errBadOutcome
	}
	if !o.isEffective(st.Record.KioskID, st.Record.Seq) {
		return Fix{}, errReplaced // before the fields: they may be fine on the newer record
	}
	if st.Purged {
		return Fix{}, newErr(409, "record_purged", "id", "Bản ghi đã xoá thông tin cá nhân (hết thời hạn lưu giữ): không sửa được.")
	}
	c, err := citizen.Patch(st.Record.Citizen, in.Citizen, o.now())
	if err != nil {
		if fe, ok := citizen.AsFieldError(err); ok {
			return Fix{}, newErr(422, fe.Code, "citizen."+fe.Field, fe.Message)
		}
		return Fix{}, err
	}
	reason := ""
	if outcome == record.OutcomeFailed {
		reason = strings.TrimSpace(in.FailReason)
		if _, ok := reasonText[reason]; !ok || reason == reasonVoided {
			reason = "other"
		}
		if in.FailReason == "" && st.Record.Outcome == record.OutcomeFailed {
			reason = st.Record.Reason
		}
	}
	return o.amend(login, FixCorrect, why, st, c, outcome, reason, nil)
}

// Resolve settles the quarantined deliveries at (kiosk, seq): keep the
// stored record (the deliveries are closed), or take the latest received
// version (the ward corrects the stored record into it).
func (o *office) Resolve(login, kiosk string, seq uint64, keep, why string) (Fix, error) {
	why, err := cleanWhy(why)
	if err != nil {
		return Fix{}, err
	}
	if keep != "stored" && keep != "received" {
		return Fix{}, errBadKeep
	}
	all, err := o.quarantine()
	if err != nil {
		return Fix{}, err
	}
	var open []store.Quarantined
	for _, q := range all {
		if q.KioskID == kiosk && q.Seq == seq && !o.resolved(kiosk, seq, q.Hash) {
			open = append(open, q)
		}
	}
	if len(open) == 0 {
		return Fix{}, errNoQuarantine
	}
	sort.Slice(open, func(i, j int) bool { return open[i].ReceivedAt.Before(open[j].ReceivedAt) })
	hashes := make([]uint64, len(open))
	for i, q := range open {
		hashes[i] = q.Hash
	}
	held, err := o.getRec(kiosk, seq)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Fix{}, errRecordNotFound
		}
		return Fix{}, err
	}
	if keep == "stored" {
		f := Fix{At: o.now().UTC(), Login: login, Action: FixKeepStored, Why: why, KioskID: kiosk, Seq: seq, RecordID: held.Record.ID, Hashes: hashes}
		_, err := o.logFix(f)
		return f, err
	}
	var got record.Record
	if err := json.Unmarshal(open[len(open)-1].Record, &got); err != nil {
		return Fix{}, fmt.Errorf("quarantined record: %w", err)
	}
	return o.amend(login, FixKeepReceived, why, held, got.Citizen, got.Outcome, got.Reason, func(f *Fix) { f.Hashes = hashes })
}

// ---- HTTP: API ----

func (o *office) apiSearch(c *fiber.Ctx) error {
	people, err := o.Search(c.Query("q"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"people": people})
}

func (o *office) apiFixes(c *fiber.Ctx) error {
	o.mu.RLock()
	out := append([]Fix{}, o.fixes...)
	o.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return c.JSON(fiber.Map{"fixes": out})
}

func fixReply(c *fiber.Ctx, f Fix) error {
	return c.JSON(fiber.Map{"fix": f, "record": fiber.Map{"id": f.Made, "kiosk_id": wardKioskID, "seq": f.MadeSeq}})
}

func (o *office) apiVoid(c *fiber.Ctx) error {
	var body struct {
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	st, err := o.byID(c.Params("id"))
	if err != nil {
		return err
	}
	f, err := o.Void(o.login(c), st, body.Reason)
	if err != nil {
		return err
	}
	return fixReply(c, f)
}

func (o *office) apiCorrect(c *fiber.Ctx) error {
	var body Correction
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	st, err := o.byID(c.Params("id"))
	if err != nil {
		return err
	}
	f, err := o.Correct(o.login(c), st, body)
	if err != nil {
		return err
	}
	return fixReply(c, f)
}

func (o *office) apiResolve(c *fiber.Ctx) error {
	var body struct {
		Keep   string `json:"keep"`
		Reason string `json:"reason"`
	}
	if err := json.Unmarshal(c.Body(), &body); err != nil {
		return errBadJSON
	}
	seq, err := strconv.ParseUint(c.Params("seq"), 10, 64)
	if err != nil {
		return errNoQuarantine
	}
	f, err := o.Resolve(o.login(c), c.Params("kiosk"), seq, body.Keep, body.Reason)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"fix": f})
}

// ---- HTTP: pages ----

// recordView is one record on its page, with its history.
type recordView struct {
	Stored    store.Stored
	Effective bool
	Ward      bool // made by the ward
	BirthDMY  string
	Result    string
	Fixes     []Fix
	Villages  []string
	Reasons   [][2]string // code, text
}

func (o *office) searchPage(c *fiber.Ctx) error {
	q := strings.TrimSpace(c.Query("q"))
	d := officePage{Title: "Tìm và sửa bản ghi", Query: q}
	if q != "" {
		people, err := o.Search(q)
		if err != nil {
			d.Error = toAPIError(err).Message
		}
		d.People = people
	}
	o.mu.RLock()
	for i := len(o.fixes) - 1; i >= 0 && len(d.Fixes) < 20; i-- {
		d.Fixes = append(d.Fixes, o.fixes[i])
	}
	o.mu.RUnlock()
	return o.render(c, 200, "search", d)
}

var reasonOrder = []string{"no_smartphone", "phone_unsupported", "no_email", "ekyc_failed", "no_network", "left", "other"}

func (o *office) recordPage(c *fiber.Ctx) error {
	st, err := o.byKey(c.Params("kiosk"), c.Params("seq"))
	if err != nil {
		ae := toAPIError(err)
		return o.render(c, ae.Status, "record", officePage{Title: "Bản ghi", Error: ae.Message})
	}
	v := &recordView{Stored: st, Effective: o.isEffective(st.Record.KioskID, st.Record.Seq), Ward: st.Record.KioskID == wardKioskID,
		BirthDMY: dmyDate(st.Record.Citizen.BirthDate), Result: PersonRecord{Outcome: st.Record.Outcome, Reason: st.Record.Reason}.ResultText(),
		Fixes: o.fixesOf(st.Record.KioskID, st.Record.Seq)}
	for _, r := range o.plan().Villages.Rows {
		v.Villages = append(v.Villages, r.Name)
	}
	for _, r := range reasonOrder {
		v.Reasons = append(v.Reasons, [2]string{r, reasonText[r]})
	}
	return o.render(c, 200, "record", officePage{Title: "Bản ghi " + st.Record.KioskID + " số " + strconv.FormatUint(st.Record.Seq, 10), Record: v, Query: c.Query("q")})
}

// done reports a form's outcome on the shared result page.
func (o *office) done(c *fiber.Ctx, err error, heading, msg string) error {
	back := "/search"
	if q := c.FormValue("q"); q != "" {
		back += "?q=" + url.QueryEscape(q)
	}
	if err != nil {
		ae := toAPIError(err)
		if ae.Status >= 500 {
			o.log.Error("office form failed", "path", c.Path(), "err", err)
		}
		return o.render(c, ae.Status, "done", officePage{Title: "Không thực hiện được", Error: ae.Message, Query: back})
	}
	return o.render(c, 200, "done", officePage{Title: heading, Message: msg, Query: back})
}

func (o *office) uiVoid(c *fiber.Ctx) error {
	st, err := o.byKey(c.Params("kiosk"), c.Params("seq"))
	if err == nil {
		_, err = o.Void(o.login(c), st, c.FormValue("why"))
	}
	return o.done(c, err, "Đã hủy bản ghi", "Bản ghi không còn được tính; danh sách và số liệu đã cập nhật. Lý do đã được lưu cùng người thực hiện.")
}

func (o *office) uiCorrect(c *fiber.Ctx) error {
	st, err := o.byKey(c.Params("kiosk"), c.Params("seq"))
	if err == nil {
		in := Correction{
			Citizen: record.Citizen{Name: c.FormValue("name"), CCCD: c.FormValue("cccd"), BirthDate: c.FormValue("birth_date"), Gender: c.FormValue("gender"),
				Phone: c.FormValue("phone"), Village: c.FormValue("village"), Association: c.FormValue("association")},
			Outcome: c.FormValue("outcome"), FailReason: c.FormValue("fail_reason"), Why: c.FormValue("why"),
		}
		_, err = o.Correct(o.login(c), st, in)
	}
	return o.done(c, err, "Đã sửa bản ghi", "Bản sửa của xã thay cho bản ghi cũ; danh sách và số liệu đã cập nhật. Lý do đã được lưu cùng người thực hiện.")
}

func (o *office) uiResolve(c *fiber.Ctx) error {
	seq, err := strconv.ParseUint(c.Params("seq"), 10, 64)
	if err == nil {
		_, err = o.Resolve(o.login(c), c.Params("kiosk"), seq, c.FormValue("keep"), c.FormValue("why"))
	} else {
		err = errNoQuarantine
	}
	return o.done(c, err, "Đã xử lý xung đột", "Lựa chọn và lý do đã được lưu cùng người thực hiện.")
}

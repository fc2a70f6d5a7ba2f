package outreach

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/ward/quota"
)

// Statuses of a person.
const (
	StatusActivated   = "activated"
	StatusFailed      = "failed"
	StatusInvited     = "invited"
	StatusUnreachable = "unreachable"
	StatusNotYet      = "not_yet"
)

// Kinds of roster.
const (
	KindResidents = "residents"
	KindMembers   = "members"
)

// Reasons a unit head may give for a person who cannot be reached, with the
// words the pages show.
var Reasons = map[string]string{
	"away":          "Đi làm ăn xa",
	"moved":         "Đã chuyển đi",
	"deceased":      "Đã mất",
	"refuses":       "Không muốn cài",
	"no_smartphone": "Không có điện thoại thông minh",
	"other":         "Lý do khác",
}

// Person is one row of a roster as the ward keeps it.
type Person struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	CCCD        string `json:"cccd,omitempty"`
	BirthDate   string `json:"birth_date,omitempty"` // YYYY-MM-DD, or YYYY when only the year is known
	Gender      string `json:"gender,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Household   string `json:"household,omitempty"` // household key, unique within the ward
	Head        string `json:"head,omitempty"`      // name of the household's head
	IsHead      bool   `json:"is_head,omitempty"`
	Village     string `json:"village,omitempty"`
	Association string `json:"association,omitempty"`
	Eligible    bool   `json:"eligible"`
	Order       int    `json:"order"` // position in its file, to keep the book's order

	vkey, akey string // quota.Key of Village and Association, set by putLocked
}

// Mark is a unit head's note that a person cannot be reached.
type Mark struct {
	Reason string    `json:"reason"`
	Note   string    `json:"note,omitempty"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Failure is the last failed kyso outcome of a CCCD.
type Failure struct {
	Reason string
	At     time.Time
}

// Confirmation is one activated row of VNPT's report.
type Confirmation struct {
	CCCD    string `json:"cccd"`
	Name    string `json:"name,omitempty"`
	Phone   string `json:"phone,omitempty"`
	Date    string `json:"date,omitempty"`
	Village string `json:"village,omitempty"` // as the report gives it, rarely
}

// Store persists the book. Keys are strings under this package's prefixes;
// values are JSON. PutBatch is durable when it returns.
type Store interface {
	PutBatch(set map[string][]byte, del []string) error
	Each(prefix string, fn func(key string, val []byte) error) error
}

const (
	pPerson  = "outreach/person/"
	pMark    = "outreach/mark/"
	pSession = "outreach/session/"
	pInvite  = "outreach/invite/"
	pArrival = "outreach/arrival/"
	pVNPT    = "outreach/vnpt/"
	kSalt    = "outreach/salt"
)

// Book is the ward's outreach state, in memory, persisted through a Store.
// It is safe for concurrent use.
type Book struct {
	st   Store
	salt []byte

	mu       sync.RWMutex
	people   map[string]*Person // by key
	byCCCD   map[string]string  // CCCD → key
	marks    map[string]Mark
	sessions map[string]*Session
	invites  map[string]Invite            // person key → current invitation
	arrivals map[string]map[string]string // session id → person key → how ("join"|"hand")
	vnpt     map[string]Confirmation      // CCCD → row
	failures map[string]Failure           // CCCD → last failure
	order    int

	saltPending bool // the salt is not stored yet
}

// put writes through the store, with the salt the first time; the caller
// holds b.mu.
func (b *Book) put(set map[string][]byte, del []string) error {
	if b.saltPending {
		if set == nil {
			set = map[string][]byte{}
		}
		set[kSalt] = b.salt
	}
	if err := b.st.PutBatch(set, del); err != nil {
		return err
	}
	b.saltPending = false
	return nil
}

// Open loads the book from st. salt makes person keys unguessable; it is
// created on first use and kept in the store with the book's first write.
func Open(st Store) (*Book, error) {
	b := &Book{
		st: st, people: map[string]*Person{}, byCCCD: map[string]string{}, marks: map[string]Mark{},
		sessions: map[string]*Session{}, invites: map[string]Invite{}, arrivals: map[string]map[string]string{},
		vnpt: map[string]Confirmation{}, failures: map[string]Failure{},
	}
	err := st.Each(kSalt, func(_ string, v []byte) error { b.salt = append([]byte(nil), v...); return nil })
	if err != nil {
		return nil, err
	}
	if len(b.salt) == 0 {
		// Written with the first write that keys anyone (put): opening
		// must not need a writable disk.
		b.salt = make([]byte, 32)
		if _, err := rand.Read(b.salt); err != nil {
			return nil, err
		}
		b.saltPending = true
	}
	load := func(prefix string, fn func(k string, v []byte) error) error {
		return st.Each(prefix, func(k string, v []byte) error { return fn(strings.TrimPrefix(k, prefix), v) })
	}
	if err := load(pPerson, func(_ string, v []byte) error {
		var p Person
		if err := json.Unmarshal(v, &p); err != nil {
			return err
		}
		b.putLocked(&p)
		b.order = max(b.order, p.Order+1)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("outreach: load people: %w", err)
	}
	if err := load(pMark, func(k string, v []byte) error {
		var m Mark
		err := json.Unmarshal(v, &m)
		b.marks[k] = m
		return err
	}); err != nil {
		return nil, err
	}
	if err := load(pSession, func(_ string, v []byte) error {
		var s Session
		err := json.Unmarshal(v, &s)
		b.sessions[s.ID] = &s
		return err
	}); err != nil {
		return nil, err
	}
	if err := load(pInvite, func(k string, v []byte) error {
		var in Invite
		err := json.Unmarshal(v, &in)
		b.invites[k] = in
		return err
	}); err != nil {
		return nil, err
	}
	if err := load(pArrival, func(k string, v []byte) error {
		sid, pk, ok := strings.Cut(k, "/")
		if !ok {
			return nil
		}
		if b.arrivals[sid] == nil {
			b.arrivals[sid] = map[string]string{}
		}
		b.arrivals[sid][pk] = string(v)
		return nil
	}); err != nil {
		return nil, err
	}
	if err := load(pVNPT, func(k string, v []byte) error {
		var c Confirmation
		err := json.Unmarshal(v, &c)
		b.vnpt[c.CCCD] = c
		return err
	}); err != nil {
		return nil, err
	}
	return b, nil
}

func (b *Book) putLocked(p *Person) {
	p.vkey, p.akey = quota.Key(p.Village), quota.Key(p.Association)
	b.people[p.Key] = p
	if p.CCCD != "" {
		b.byCCCD[p.CCCD] = p.Key
	}
}

// KeyOf returns the opaque key of a person: from the CCCD when there is
// one, else from the folded name, birth date and village.
func (b *Book) KeyOf(cccd, name, birth, village string) string {
	natural := "c:" + cccd
	if cccd == "" {
		natural = "n:" + quota.Key(name) + "|" + birth + "|" + quota.Key(village)
	}
	h := sha256.New()
	h.Write(b.salt)
	h.Write([]byte(natural))
	return strings.ToLower(base32.StdEncoding.EncodeToString(h.Sum(nil))[:16])
}

// Input is one person read from a roster, before the book keys it.
type Input struct {
	Name, CCCD, BirthDate, Gender, Phone string
	Household, Head                      string // household code or head's name, as read
	IsHead                               bool
	Village, Association                 string
	Eligible                             bool
}

// ImportResult says what an import changed.
type ImportResult struct {
	Added, Updated, Unchanged, Matched int
}

// Import merges a roster into the book. Residents set village and household;
// members add their association to the resident with the same CCCD (or
// become people of their own when none matches). Nothing is written when
// the input is refused.
func (b *Book) Import(kind string, in []Input) (ImportResult, error) {
	if kind == "" {
		kind = KindResidents
	}
	if kind != KindResidents && kind != KindMembers {
		return ImportResult{}, errors.New("outreach: unknown roster kind " + kind)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var res ImportResult
	set := map[string][]byte{}
	next := map[string]*Person{}
	for _, x := range in {
		key := b.KeyOf(x.CCCD, x.Name, x.BirthDate, x.Village)
		old := next[key]
		if old == nil {
			old = b.people[key]
		}
		if old == nil && x.CCCD == "" && kind == KindMembers {
			// A member list often lacks the village: try the residents.
			key2 := b.findByName(x.Name, x.BirthDate)
			if key2 != "" {
				key, old = key2, b.people[key2]
			}
		}
		p := &Person{}
		if old != nil {
			cp := *old
			p = &cp
		} else {
			p.Key, p.Order = key, b.order
			b.order++
		}
		if kind == KindMembers && old != nil {
			res.Matched++
			if x.Association != "" {
				p.Association = x.Association
			}
			fill(&p.Name, x.Name)
			fill(&p.CCCD, x.CCCD)
			fill(&p.BirthDate, x.BirthDate)
			fill(&p.Gender, x.Gender)
			fill(&p.Phone, x.Phone)
			fill(&p.Village, x.Village)
			p.Eligible = p.Eligible || x.Eligible
		} else {
			p.Name, p.CCCD, p.BirthDate, p.Gender = x.Name, x.CCCD, x.BirthDate, x.Gender
			fill(&p.Phone, x.Phone)
			p.Village, p.Eligible = x.Village, x.Eligible
			if x.Association != "" {
				p.Association = x.Association
			}
			if kind == KindResidents {
				p.IsHead, p.Head = x.IsHead, x.Head
				p.Household = ""
				if x.Household != "" {
					p.Household = quota.Key(x.Village) + "|" + quota.Key(x.Household)
				}
			}
		}
		next[key] = p
	}
	for key, p := range next {
		old := b.people[key]
		if old != nil && *old == *p {
			res.Unchanged++
			continue
		}
		if old == nil {
			res.Added++
		} else {
			res.Updated++
		}
		v, _ := json.Marshal(p)
		set[pPerson+key] = v
	}
	if len(set) > 0 {
		if err := b.put(set, nil); err != nil {
			return ImportResult{}, err
		}
	}
	for key, p := range next {
		if old := b.people[key]; old != nil && old.CCCD != "" && old.CCCD != p.CCCD {
			delete(b.byCCCD, old.CCCD)
		}
		b.putLocked(p)
	}
	return res, nil
}

func fill(dst *string, v string) {
	if *dst == "" {
		*dst = v
	}
}

func (b *Book) findByName(name, birth string) string {
	nk := quota.Key(name)
	found := ""
	for k, p := range b.people {
		if quota.Key(p.Name) == nk && p.BirthDate == birth && birth != "" {
			if found != "" {
				return "" // ambiguous: two residents of that name and birth date
			}
			found = k
		}
	}
	return found
}

// NoteOutcome records a kyso outcome for a CCCD: failures are remembered
// (the latest wins); an activation needs nothing here, the tally counts it.
func (b *Book) NoteOutcome(cccd string, activated bool, reason string, at time.Time) {
	if cccd == "" || activated {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if f, ok := b.failures[cccd]; !ok || !at.Before(f.At) {
		b.failures[cccd] = Failure{Reason: reason, At: at}
	}
}

// SetMark marks a person unreachable (reason one of Reasons) or, with an
// empty reason, clears the mark.
func (b *Book) SetMark(key, reason, note, by string, now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.people[key]; !ok {
		return ErrNotFound
	}
	if reason == "" {
		if err := b.put(nil, []string{pMark + key}); err != nil {
			return err
		}
		delete(b.marks, key)
		return nil
	}
	if _, ok := Reasons[reason]; !ok {
		return &Error{Code: "invalid_reason", Field: "reason", Message: "Lý do không hợp lệ: chọn một lý do trong danh sách."}
	}
	m := Mark{Reason: reason, Note: note, By: by, At: now.UTC()}
	v, _ := json.Marshal(m)
	if err := b.put(map[string][]byte{pMark + key: v}, nil); err != nil {
		return err
	}
	b.marks[key] = m
	return nil
}

// SetVNPT replaces VNPT's confirmations with those of a new report.
func (b *Book) SetVNPT(rows []Confirmation) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	set := map[string][]byte{}
	var del []string
	next := map[string]Confirmation{}
	for _, r := range rows {
		if r.CCCD == "" {
			continue
		}
		next[r.CCCD] = r
		v, _ := json.Marshal(r)
		set[pVNPT+r.CCCD] = v
	}
	for c := range b.vnpt {
		if _, ok := next[c]; !ok {
			del = append(del, pVNPT+c)
		}
	}
	if err := b.put(set, del); err != nil {
		return err
	}
	b.vnpt = next
	return nil
}

// Confirmed reports whether VNPT's report confirms the CCCD.
func (b *Book) Confirmed(cccd string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.vnpt[cccd]
	return ok
}

// InRoster reports whether a CCCD belongs to a person of the book.
func (b *Book) InRoster(cccd string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	_, ok := b.byCCCD[cccd]
	return ok
}

// Counts is a summary of the book for the import reply and the pages.
type Counts struct {
	People, Households, Eligible, NoCCCD int
}

// ErrNotFound is returned for a person or session the book does not hold.
var ErrNotFound = errors.New("outreach: not found")

// Error is a refusal with a field and a Vietnamese message for the user.
type Error struct {
	Code, Field, Message string
}

func (e *Error) Error() string { return e.Message }

// Kyso is what the ward's tally knows of a CCCD.
type Kyso interface {
	// Activated reports whether kyso counts this CCCD as activated.
	Activated(cccd string) bool
}

// status derives a person's status; the caller holds b.mu.
func (b *Book) statusLocked(p *Person, k Kyso, now time.Time) (status, reason, session string) {
	if p.CCCD != "" {
		if k != nil && k.Activated(p.CCCD) {
			return StatusActivated, "", ""
		}
		if _, ok := b.vnpt[p.CCCD]; ok {
			return StatusActivated, "VNPT xác nhận", ""
		}
	}
	if m, ok := b.marks[p.Key]; ok {
		return StatusUnreachable, m.Reason, ""
	}
	if in, ok := b.invites[p.Key]; ok {
		if s := b.sessions[in.Session]; s != nil && !s.Ended(now) {
			return StatusInvited, "", s.ID
		}
	}
	if p.CCCD != "" {
		if f, ok := b.failures[p.CCCD]; ok {
			return StatusFailed, f.Reason, ""
		}
	}
	return StatusNotYet, "", ""
}

// Filter selects people of one unit and status.
type Filter struct {
	Village     string // quota.Key compared
	Association string
	Status      string
	Query       string // part of a name, or the last digits of a CCCD
}

// keyed returns f with its unit names as keys, once per list.
func (f Filter) keyed() Filter {
	f.Village, f.Association = quota.Key(f.Village), quota.Key(f.Association)
	return f
}

// match reports whether p is in f; f is keyed.
func (f Filter) match(p *Person) bool {
	if f.Village != "" && p.vkey != f.Village {
		return false
	}
	if f.Association != "" && p.akey != f.Association {
		return false
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		if !strings.Contains(quota.Key(p.Name), quota.Key(q)) && (p.CCCD == "" || !strings.HasSuffix(p.CCCD, q)) {
			return false
		}
	}
	return true
}

// Total counts the people of a list by status.
type Total struct {
	Eligible    int `json:"eligible"`
	Activated   int `json:"activated"`
	Failed      int `json:"failed"`
	Invited     int `json:"invited"`
	Unreachable int `json:"unreachable"`
	NotYet      int `json:"not_yet"`
	NoCCCD      int `json:"no_cccd"`
}

func (t *Total) add(status string) {
	switch status {
	case StatusActivated:
		t.Activated++
	case StatusFailed:
		t.Failed++
	case StatusInvited:
		t.Invited++
	case StatusUnreachable:
		t.Unreachable++
	default:
		t.NotYet++
	}
}

// Row is one person of the outreach list: the CCCD masked.
type Row struct {
	Key         string `json:"key"`
	Name        string `json:"name"`
	CCCDMasked  string `json:"cccd_masked"`
	BirthDate   string `json:"birth_date"`
	Household   string `json:"household"`
	Village     string `json:"village"`
	Association string `json:"association"`
	Status      string `json:"status"`
	Reason      string `json:"reason"`
	Session     string `json:"session"`
}

// List is the reply of GET /api/v1/outreach.
type List struct {
	Total  Total `json:"total"`
	People []Row `json:"people"`
}

// WorkRow is one person of the unit head's working list: full CCCD and phone.
type WorkRow struct {
	Row
	CCCD   string
	Phone  string
	Gender string
	IsHead bool
}

// List returns the eligible people matching f, in the book's order (whole
// households together, head first), with the totals of the unit.
func (b *Book) List(f Filter, k Kyso, now time.Time) List {
	rows := b.Work(f, k, now)
	out := List{People: make([]Row, 0, len(rows))}
	b.mu.RLock()
	out.Total = b.totalLocked(f, k, now)
	b.mu.RUnlock()
	for _, r := range rows {
		out.People = append(out.People, r.Row)
	}
	return out
}

func (b *Book) totalLocked(f Filter, k Kyso, now time.Time) Total {
	var t Total
	f.Status, f.Query = "", ""
	f = f.keyed()
	for _, p := range b.people {
		if !p.Eligible || !f.match(p) {
			continue
		}
		t.Eligible++
		if p.CCCD == "" {
			t.NoCCCD++
		}
		st, _, _ := b.statusLocked(p, k, now)
		t.add(st)
	}
	return t
}

// Work returns the working list of f with full personal data, for exports
// to an authenticated unit head.
func (b *Book) Work(f Filter, k Kyso, now time.Time) []WorkRow {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var ps []*Person
	kf := f.keyed()
	for _, p := range b.people {
		if p.Eligible && kf.match(p) {
			ps = append(ps, p)
		}
	}
	sortHouseholds(ps)
	out := make([]WorkRow, 0, len(ps))
	for _, p := range ps {
		st, reason, sess := b.statusLocked(p, k, now)
		if f.Status != "" && f.Status != st {
			continue
		}
		hh := p.Head
		if hh == "" && p.Household != "" {
			hh = p.Name
		}
		out = append(out, WorkRow{
			Row: Row{
				Key: p.Key, Name: p.Name, CCCDMasked: citizen.MaskCCCD(p.CCCD), BirthDate: p.BirthDate,
				Household: hh, Village: p.Village, Association: p.Association,
				Status: st, Reason: reason, Session: sess,
			},
			CCCD: p.CCCD, Phone: p.Phone, Gender: p.Gender, IsHead: p.IsHead,
		})
	}
	return out
}

// sortHouseholds orders people by their household's first appearance, the
// head first, then by their order in the file.
func sortHouseholds(ps []*Person) {
	first := map[string]int{}
	for _, p := range ps {
		h := hhKey(p)
		if o, ok := first[h]; !ok || p.Order < o {
			first[h] = p.Order
		}
	}
	sort.Slice(ps, func(i, j int) bool {
		a, c := ps[i], ps[j]
		if fa, fc := first[hhKey(a)], first[hhKey(c)]; fa != fc {
			return fa < fc
		}
		if a.IsHead != c.IsHead {
			return a.IsHead
		}
		return a.Order < c.Order
	})
}

// hhKey is the household a person is scheduled with: alone when the roster
// gave none.
func hhKey(p *Person) string {
	if p.Household != "" {
		return p.Household
	}
	return "p:" + p.Key
}

// Summary counts the people of one village (or all, with "").
func (b *Book) Summary(village string) Counts {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var c Counts
	hh := map[string]bool{}
	for _, p := range b.people {
		if village != "" && quota.Key(p.Village) != quota.Key(village) {
			continue
		}
		c.People++
		if p.Household != "" {
			hh[p.Household] = true
		}
		if p.Eligible {
			c.Eligible++
			if p.CCCD == "" {
				c.NoCCCD++
			}
		}
	}
	c.Households = len(hh)
	return c
}

// Eligible counts the eligible people by village key and association key.
// People a unit head marked moved away or deceased are no longer the
// unit's to reach and leave the count; the others marked unreachable are
// counted apart in unreachable.
func (b *Book) Eligible() (villages, associations, unreachableV, unreachableA map[string]int) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	villages, associations = map[string]int{}, map[string]int{}
	unreachableV, unreachableA = map[string]int{}, map[string]int{}
	for _, p := range b.people {
		if !p.Eligible {
			continue
		}
		m, marked := b.marks[p.Key]
		if marked && (m.Reason == "moved" || m.Reason == "deceased") {
			if p.Village != "" {
				unreachableV[quota.Key(p.Village)]++
			}
			if p.Association != "" {
				unreachableA[quota.Key(p.Association)]++
			}
			continue
		}
		if p.Village != "" {
			villages[quota.Key(p.Village)]++
			if marked {
				unreachableV[quota.Key(p.Village)]++
			}
		}
		if p.Association != "" {
			associations[quota.Key(p.Association)]++
			if marked {
				unreachableA[quota.Key(p.Association)]++
			}
		}
	}
	return villages, associations, unreachableV, unreachableA
}

// VillageOf returns the roster's village of a CCCD.
func (b *Book) VillageOf(cccd string) (string, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, ok := b.byCCCD[cccd]
	if !ok {
		return "", false
	}
	return b.people[k].Village, true
}

// Person returns a copy of one person.
func (b *Book) Person(key string) (Person, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	p, ok := b.people[key]
	if !ok {
		return Person{}, false
	}
	return *p, true
}

// PersonalPrefixes are the store prefixes of the book's personal data:
// persons, marks, invitations, arrivals and VNPT rows (`ward purge` leaves
// them out of its copy; sessions and the key salt hold none).
func PersonalPrefixes() []string { return []string{pPerson, pMark, pInvite, pArrival, pVNPT} }

// Forget removes every person, mark, invitation, arrival and VNPT row: the
// ward's purge of outreach data.
func (b *Book) Forget() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var del []string
	for _, pre := range PersonalPrefixes() {
		if err := b.st.Each(pre, func(k string, _ []byte) error { del = append(del, k); return nil }); err != nil {
			return err
		}
	}
	if err := b.put(nil, del); err != nil {
		return err
	}
	b.people, b.byCCCD, b.marks = map[string]*Person{}, map[string]string{}, map[string]Mark{}
	b.invites, b.arrivals, b.vnpt = map[string]Invite{}, map[string]map[string]string{}, map[string]Confirmation{}
	return nil
}

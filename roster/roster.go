package roster

import (
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/citizen"
)

// Kind is what a roster lists.
type Kind string

const (
	Residents Kind = "residents" // a village's household book: everyone living there
	Members   Kind = "members"   // an association's members (Hội Phụ nữ, Đoàn Thanh niên…)
)

// Defaults of Options.
const (
	DefaultMaxBytes = 50 << 20
	DefaultMaxRows  = 200000
	DefaultAgeMin   = citizen.AdultAge
)

// Options say how to read a file. The zero value reads a residents roster
// with the defaults above and today as the reference date.
type Options struct {
	Kind Kind
	// Village and Association are given to rows that name none (no such
	// column, an empty cell). For Members, a non-empty Association is every
	// row's association: the file is that association's list, and its
	// "Chi hội" column names branches (used for the village when the file
	// has no village column).
	Village, Association string
	// ReferenceDate is the day ages are counted on (the campaign's); zero
	// means now.
	ReferenceDate time.Time
	// AgeMin and AgeMax bound the eligible ages, inclusive (a working-age
	// band); 0 means 18 and no upper bound.
	AgeMin, AgeMax int
	// Mapping, chosen in the UI's mapping step, names the column of a field
	// (the Field* constants): a header text as shown (compared with
	// NormalizeHeader) or a 1-based column number ("3"). It overrides
	// recognition for that field.
	Mapping map[string]string
	// Sheet names the worksheet to read; empty takes the first sheet (visible
	// ones first) with a recognisable header.
	Sheet string
	// MaxRows bounds the rows below the header (default 200,000) and
	// MaxBytes the file (default 50 MB). Past either the whole file is
	// refused; nothing is returned.
	MaxRows  int
	MaxBytes int64
}

func (o Options) withDefaults() Options {
	if o.Kind == "" {
		o.Kind = Residents
	}
	if o.MaxRows <= 0 {
		o.MaxRows = DefaultMaxRows
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.AgeMin <= 0 {
		o.AgeMin = DefaultAgeMin
	}
	if o.ReferenceDate.IsZero() {
		o.ReferenceDate = time.Now()
	}
	o.Village = clean(o.Village)
	o.Association = clean(o.Association)
	return o
}

// Person is one person of a roster, canonical (see doc.go).
type Person struct {
	// Key identifies the person across imports: "cccd:" + the 12 digits when
	// the CCCD is valid, else "name:" + lower-case name + "|" + birth date +
	// "|" + village key. Re-importing a file gives the same keys.
	Key  string `json:"key"`
	Row  int    `json:"row"` // the first row the person was read from
	Name string `json:"name"`
	// CCCD is 12 digits passing the citizen package's structure check, or
	// empty: a number failing it is reported in Result.Invalid, never kept.
	CCCD string `json:"cccd,omitempty"`
	// BirthDate is YYYY-MM-DD, or YYYY when only the year is known (a "Năm
	// sinh" column, or the year from the CCCD), or empty.
	BirthDate   string `json:"birth_date,omitempty"`
	Gender      string `json:"gender,omitempty"` // male | female | ""
	Phone       string `json:"phone,omitempty"`  // ^0[35789][0-9]{8}$ or ""
	Village     string `json:"village,omitempty"`
	Association string `json:"association,omitempty"`
	// Household keys the person's household: "hh:" + village key + "|" +
	// the household code, else "hh:" + the head's Key; a person with no
	// household information is a household of one.
	Household string `json:"household"`
	HeadName  string `json:"head_name,omitempty"`
	Head      bool   `json:"head,omitempty"`
	Relation  string `json:"relation,omitempty"` // as written: "Vợ", "Con"…
	Age       int    `json:"age"`                // on the reference date; -1 unknown
	Eligible  bool   `json:"eligible"`
}

// Skip is a note about one row: skipped, merged, or imported with a value
// dropped. Reason is Vietnamese and never quotes personal data.
type Skip struct {
	Row    int    `json:"row"`
	Reason string `json:"reason"`
}

// Result is what a roster file holds.
type Result struct {
	Kind  Kind   `json:"kind"`
	Sheet string `json:"sheet,omitempty"` // the worksheet read; "" for CSV
	// HeaderRow is the 1-based row of the header (its last row when the
	// header has two).
	HeaderRow int `json:"header_row"`
	// Rows counts the rows below the header up to the last non-blank one:
	// Rows = len(People) + len(Merged) + len(Skipped).
	Rows   int      `json:"rows"`
	People []Person `json:"people"` // grouped by household in order of appearance, head first
	// Households, Eligible and NoCCCD count People: households, eligible
	// people, and eligible people without a valid CCCD (they need a card).
	Households int               `json:"households"`
	Eligible   int               `json:"eligible"`
	NoCCCD     int               `json:"no_cccd"`
	Skipped    []Skip            `json:"skipped"` // rows not imported: blank, total, section, no valid name
	Invalid    []Skip            `json:"invalid"` // rows imported with a value dropped (a CCCD failing the structure check, a phone, a date)
	Merged     []Skip            `json:"merged"`  // rows repeating an earlier person, merged into them
	Columns    map[string]string `json:"columns"` // field → the header text it was read from
}

// Summary is the reply of POST /api/v1/roster (DESIGN.md). Its Skipped holds
// every note of the Result (skipped, invalid and merged rows) in row order:
// each reason says what was done with the row.
type Summary struct {
	Rows       int               `json:"rows"`
	People     int               `json:"people"`
	Households int               `json:"households"`
	Eligible   int               `json:"eligible"`
	NoCCCD     int               `json:"no_cccd"`
	Skipped    []Skip            `json:"skipped"`
	Columns    map[string]string `json:"columns"`
}

// Summary returns the import reply.
func (r Result) Summary() Summary {
	notes := make([]Skip, 0, len(r.Skipped)+len(r.Invalid)+len(r.Merged))
	notes = append(append(append(notes, r.Skipped...), r.Invalid...), r.Merged...)
	slices.SortStableFunc(notes, func(a, b Skip) int { return a.Row - b.Row })
	cols := r.Columns
	if cols == nil {
		cols = map[string]string{}
	}
	return Summary{Rows: r.Rows, People: len(r.People), Households: r.Households, Eligible: r.Eligible,
		NoCCCD: r.NoCCCD, Skipped: notes, Columns: cols}
}

// Reasons of row notes.
const (
	reasonBlank       = "Dòng trống"
	reasonTotal       = "Dòng tổng cộng"
	reasonSection     = "Dòng tiêu đề nhóm"
	reasonNoName      = "Thiếu họ tên"
	reasonBadName     = "Họ tên không hợp lệ (có số hoặc ký tự lạ)"
	reasonNoCCCD      = " — đã nhập người này nhưng không kèm số CCCD"
	reasonBirth       = "Ngày sinh không đọc được, đã để trống"
	reasonBirthFuture = "Ngày sinh sau ngày tính tuổi, đã để trống"
	reasonPhone       = "Số điện thoại không hợp lệ, đã bỏ"
	reasonGenderCCCD  = "Giới tính không khớp với số CCCD, lấy theo CCCD"
	reasonVillage     = "Tên thôn có ký tự lạ, đã bỏ"
	reasonAssociation = "Tên hội, đoàn thể có ký tự lạ, đã bỏ"
)

// entry is a person being read, with what the household rules need.
type entry struct {
	Person
	hh       *household
	birth    date
	headMark bool // the row says it is the head
	dead     bool // merged into an earlier entry
}

type household struct {
	code, village string
	headName      string // from a "Chủ hộ" column
	members       []*entry
}

// Parse reads a roster: CSV (UTF-8 with or without BOM, Windows-1258 or
// UTF-16; comma, semicolon or tab) or XLSX, recognised by content. See
// doc.go for the rules. Errors are *Error; on error nothing is returned.
func Parse(r io.Reader, filename string, opts Options) (Result, error) {
	_ = filename // content decides; the name is not trusted
	opts = opts.withDefaults()
	var p *parser
	t, err := scan(r, opts, rosterFields, FieldName, func() func(*table, int, []string, rowKind) {
		p = &parser{opts: opts, res: Result{Kind: opts.Kind}, byCode: map[string]*household{}, byHead: map[string]*household{},
			placeKeys: map[string]string{}}
		return p.row
	})
	if err != nil {
		return Result{}, err
	}
	if !p.started {
		p.setup(t)
	}
	p.finish()
	return p.res, nil
}

type parser struct {
	opts    Options
	t       *table
	res     Result
	entries []*entry
	started bool

	titleVillage        string
	sectionVillage      string
	sectionAssociation  string
	current             *household // the household following rows join
	byCode, byHead      map[string]*household
	placeKeys           map[string]string
	households          []*household
	associationIsBranch bool
}

func (p *parser) row(t *table, n int, cells []string, kind rowKind) {
	if !p.started {
		p.setup(t)
	}
	p.res.Rows++
	switch kind {
	case rowBlank:
		p.skip(n, reasonBlank)
		return
	case rowTotal:
		p.skip(n, reasonTotal)
		return
	case rowSection:
		label := clean(truncate(strings.Join(nonEmpty(cells), " ")))
		p.skip(n, reasonSection+" «"+shorten(label)+"»")
		if v := placeIn(label); v != "" {
			p.sectionVillage = v
		}
		if f := NormalizeHeader(label); strings.HasPrefix(f, "chi hoi ") || strings.HasPrefix(f, "hoi ") || strings.HasPrefix(f, "doan ") {
			p.sectionAssociation = titleCase(label)
		}
		p.current = nil
		return
	}
	p.person(n, cells)
}

// shorten bounds a section label quoted in a reason.
func shorten(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}

func (p *parser) skip(n int, reason string) { p.res.Skipped = append(p.res.Skipped, Skip{n, reason}) }
func (p *parser) invalid(n int, reason string) {
	p.res.Invalid = append(p.res.Invalid, Skip{n, reason})
}

func (p *parser) cell(cells []string, field string) string {
	c, ok := p.t.h.col[field]
	if !ok {
		return ""
	}
	v := at(cells, c)
	if excelError(v) {
		return ""
	}
	return v
}

func (p *parser) setup(t *table) {
	p.t = t
	p.started = true
	h := t.h
	p.res.Sheet, p.res.HeaderRow, p.res.Columns = t.sheet, h.row, h.columns
	if p.opts.Kind == Residents {
		for _, title := range t.titles {
			if v := placeIn(title); v != "" {
				p.titleVillage = v
				break
			}
		}
	}
	if c, ok := h.col[FieldAssociation]; ok && strings.HasPrefix(NormalizeHeader(h.labels[c]), "chi hoi") {
		p.associationIsBranch = p.opts.Kind == Members && p.opts.Association != ""
	}
}

func (p *parser) person(n int, cells []string) {
	o := p.opts
	e := &entry{Person: Person{Row: n, Age: -1}}
	rawName := p.cell(cells, FieldName)
	if rawName == "" {
		p.skip(n, reasonNoName)
		return
	}
	name, err := citizen.NormalizeName(titleCase(rawName))
	if err != nil {
		p.skip(n, reasonBadName)
		return
	}
	e.Name = name

	// Birth date and gender, perhaps split into Nam | Nữ columns.
	var birth date
	rawBirth := p.cell(cells, FieldBirthDate)
	gender := ""
	if rawBirth == "" {
		if v := p.cell(cells, fieldBirthMale); v != "" {
			rawBirth, gender = v, citizen.Male
		} else if v := p.cell(cells, fieldBirthFemale); v != "" {
			rawBirth, gender = v, citizen.Female
		}
	}
	if rawBirth != "" {
		d, ok := parseDate(rawBirth, p.t.date1904)
		switch {
		case !ok:
			p.invalid(n, reasonBirth)
		case d.ageOn(o.ReferenceDate) < 0:
			p.invalid(n, reasonBirthFuture)
		default:
			birth = d
		}
	}
	if g, err := citizen.NormalizeGender(p.cell(cells, FieldGender)); err == nil && g != "" {
		gender = g
	}
	if p.cell(cells, fieldGenderMale) != "" {
		gender = citizen.Male
	} else if p.cell(cells, fieldGenderFemale) != "" {
		gender = citizen.Female
	}

	// CCCD: repaired, then checked against the birth year.
	if raw := p.cell(cells, FieldCCCD); raw != "" {
		d, prob := repairCCCD(raw)
		if prob == cccdOK && d != "" {
			prob = checkCCCD(d, birth.Year)
		}
		if prob != cccdOK {
			p.invalid(n, string(prob)+reasonNoCCCD)
		} else if d != "" {
			e.CCCD = d
			g, _ := citizen.CCCDGender(d)
			if gender != "" && gender != g {
				p.invalid(n, reasonGenderCCCD)
			}
			gender = g
			if birth.zero() {
				y, _ := citizen.CCCDBirthYear(d)
				birth = date{Year: y}
			}
		}
	}
	e.Gender = gender
	e.birth = birth
	e.BirthDate = birth.String()

	if raw := p.cell(cells, FieldPhone); raw != "" {
		if ph, ok := parsePhone(raw); ok {
			e.Phone = ph
		} else {
			p.invalid(n, reasonPhone)
		}
	}

	// Village: its column, a village named in the address, the section row
	// above, the option, the title.
	village := p.cell(cells, FieldVillage)
	if village == "" {
		village = addressVillage(p.cell(cells, FieldAddress))
	}
	branch := ""
	if p.associationIsBranch {
		branch = p.cell(cells, FieldAssociation)
		if village == "" {
			village = branchVillage(branch, o.Association)
		}
	}
	for _, v := range []string{p.sectionVillage, o.Village, p.titleVillage} {
		if village == "" {
			village = v
		}
	}
	if village != "" {
		if v, err := citizen.NormalizeVillage(village); err == nil {
			e.Village = v
		} else {
			p.invalid(n, reasonVillage)
		}
	}
	assoc := ""
	switch {
	case o.Kind == Members && o.Association != "":
		assoc = o.Association
	default:
		assoc = p.cell(cells, FieldAssociation)
		for _, a := range []string{p.sectionAssociation, o.Association} {
			if assoc == "" {
				assoc = a
			}
		}
	}
	if a, err := citizen.NormalizeAssociation(assoc); err == nil {
		e.Association = a
	} else {
		p.invalid(n, reasonAssociation)
	}

	e.Relation = p.cell(cells, FieldRelation)
	e.Key = p.personKey(e.CCCD, e.Name, e.BirthDate, e.Village)
	p.household(e, cells)
	p.entries = append(p.entries, e)
}

// addressVillage is the village an address names: after a unit word ("Thôn
// Đông Lão, xã Cẩm Ngọc"), or the whole cell when it is a short bare name
// ("Đông Lão") rather than a street address.
func addressVillage(addr string) string {
	if v := placeIn(addr); v != "" {
		return v
	}
	if addr == "" || strings.ContainsAny(addr, "0123456789,;/") || len(strings.Fields(addr)) > 4 {
		return ""
	}
	return titleCase(addr)
}

// branchVillage reads the village out of a branch name: "Chi hội Phụ nữ thôn
// Đông Lão" → "Đông Lão", "Chi hội Đông Lão" → "Đông Lão".
func branchVillage(branch, association string) string {
	if v := placeIn(branch); v != "" {
		return v
	}
	words := strings.Fields(branch)
	drop := map[string]bool{"chi": true, "hoi": true}
	for _, w := range strings.Fields(NormalizeHeader(association)) {
		drop[w] = true
	}
	for len(words) > 0 && drop[NormalizeHeader(words[0])] {
		words = words[1:]
	}
	return strings.Join(words, " ")
}

// placeKey memoises the package's placeKey: a file has few villages and
// many rows.
func (p *parser) placeKey(v string) string {
	k, ok := p.placeKeys[v]
	if !ok {
		k = placeKey(v)
		p.placeKeys[v] = k
	}
	return k
}

// personKey is the identity of a person across imports.
func (p *parser) personKey(cccd, name, birth, village string) string {
	if cccd != "" {
		return "cccd:" + cccd
	}
	return "name:" + strings.ToLower(name) + "|" + birth + "|" + p.placeKey(village)
}

// isHeadRelation: the relation cell of a household head.
func isHeadRelation(s string) bool {
	switch NormalizeHeader(s) {
	case "chu ho", "ch", "chu", "chuho", "chu ho gia dinh", "la chu ho", "ban than":
		return true
	}
	return false
}

// isMark: a tick in a column ("x", "✓", "Có").
func isMark(s string) bool {
	switch NormalizeHeader(s) {
	case "x", "v", "co", "1", "yes", "chu ho":
		return true
	}
	return s == "✓" || s == "✔" || s == "☑"
}

// household puts e in its household by the first rule the file allows: a
// household code; a "Quan hệ với chủ hộ" column (a head starts a household,
// the rows after join it); a "Chủ hộ" column holding the head's name, or a
// mark on the head's row; else a household of one. Under a code or relation
// rule, a "Chủ hộ" column with a name still gives the head's name.
func (p *parser) household(e *entry, cells []string) {
	h := p.t.h
	_, byCode := h.col[FieldHousehold]
	_, byRelation := h.col[FieldRelation]
	_, byHead := h.col[FieldHead]
	code := p.cell(cells, FieldHousehold)
	head := p.cell(cells, FieldHead)
	headName := ""
	if head != "" && isMark(head) {
		if !byRelation {
			e.headMark = true
		}
	} else if n, err := citizen.NormalizeName(titleCase(head)); err == nil {
		headName = n
	}
	if byRelation {
		e.headMark = isHeadRelation(e.Relation)
	}
	if headName != "" && strings.EqualFold(headName, e.Name) && !byRelation {
		e.headMark = true
	}

	newHH := func() *household {
		hh := &household{code: code, village: e.Village}
		p.households = append(p.households, hh)
		return hh
	}
	var hh *household
	switch {
	case byCode && code != "":
		k := p.placeKey(e.Village) + "|" + strings.ToLower(code)
		if hh = p.byCode[k]; hh == nil {
			hh = newHH()
			p.byCode[k] = hh
		}
	case (byCode || byRelation) && e.headMark:
		hh = newHH()
	case byCode || byRelation:
		hh = p.current
	case byHead && headName != "":
		k := p.placeKey(e.Village) + "|" + strings.ToLower(headName)
		if hh = p.byHead[k]; hh == nil {
			hh = newHH()
			p.byHead[k] = hh
		}
	case byHead && e.headMark:
		hh = newHH()
	case byHead:
		hh = p.current
	}
	if hh == nil {
		hh = newHH()
	}
	if headName != "" && hh.headName == "" {
		hh.headName = headName
	}
	hh.members = append(hh.members, e)
	e.hh = hh
	p.current = hh
}

// finish merges duplicates, settles households and counts.
func (p *parser) finish() {
	byKey := map[string]*entry{}
	byName := map[string]*entry{} // name+birth+village of every kept entry
	for _, e := range p.entries {
		nk := p.personKey("", e.Name, e.BirthDate, e.Village)
		into := byKey[e.Key]
		if into == nil && e.BirthDate != "" {
			// The same person once with a CCCD and once without.
			if o := byName[nk]; o != nil && (o.CCCD == "") != (e.CCCD == "") {
				into = o
			}
		}
		if into == nil {
			byKey[e.Key] = e
			if byName[nk] == nil {
				byName[nk] = e
			}
			continue
		}
		mergeInto(into, e)
		byKey[into.Key] = into
		p.res.Merged = append(p.res.Merged, Skip{e.Row, "Trùng với người ở dòng " + itoa(into.Row) + ", đã gộp làm một"})
	}

	ref := p.opts.ReferenceDate
	for _, hh := range p.households {
		var alive []*entry
		var head *entry
		for _, m := range hh.members {
			if m.dead {
				continue
			}
			alive = append(alive, m)
			if head == nil && m.headMark {
				head = m
			}
		}
		if len(alive) == 0 {
			continue
		}
		if head == nil && hh.headName != "" {
			for _, m := range alive {
				if strings.EqualFold(m.Name, hh.headName) {
					head = m
					break
				}
			}
		}
		if head == nil && hh.headName == "" {
			head = alive[0]
		}
		headName := hh.headName
		if head != nil {
			headName = head.Name
		}
		ordered := alive
		if head != nil && head != alive[0] {
			ordered = append([]*entry{head}, slices.DeleteFunc(slices.Clone(alive), func(m *entry) bool { return m == head })...)
		}
		var key string
		for _, m := range ordered {
			m.Key = p.personKey(m.CCCD, m.Name, m.BirthDate, m.Village)
		}
		switch {
		case hh.code != "":
			key = "hh:" + p.placeKey(hh.village) + "|" + strings.ToLower(hh.code)
		case head != nil:
			key = "hh:" + head.Key
		default:
			key = "hh:" + ordered[0].Key
		}
		p.res.Households++
		for _, m := range ordered {
			m.Household, m.HeadName, m.Head = key, headName, m == head
			m.Age, m.Eligible = -1, true
			if !m.birth.zero() {
				m.Age = m.birth.ageOn(ref)
				m.Eligible = m.Age >= p.opts.AgeMin && (p.opts.AgeMax <= 0 || m.Age <= p.opts.AgeMax)
			}
			if m.Eligible {
				p.res.Eligible++
				if m.CCCD == "" {
					p.res.NoCCCD++
				}
			}
			p.res.People = append(p.res.People, m.Person)
		}
	}
}

// mergeInto fills a's empty fields from b (a later row about the same
// person) and retires b.
func mergeInto(a, b *entry) {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	if a.CCCD == "" && b.CCCD != "" {
		a.CCCD = b.CCCD
		a.Key = b.Key
	}
	if a.birth.zero() || a.birth.yearOnly() && !b.birth.zero() && !b.birth.yearOnly() && b.birth.Year == a.birth.Year {
		if !b.birth.zero() {
			a.birth = b.birth
			a.BirthDate = b.BirthDate
		}
	}
	fill(&a.Gender, b.Gender)
	fill(&a.Phone, b.Phone)
	fill(&a.Village, b.Village)
	fill(&a.Association, b.Association)
	fill(&a.Relation, b.Relation)
	if b.headMark && b.hh == a.hh {
		a.headMark = true
	}
	b.dead = true
}

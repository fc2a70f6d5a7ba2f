package tally

import (
	"crypto/sha256"
	"encoding/binary"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/quota"
)

// Item is what the tally needs of one record.
type Item struct {
	Kiosk       string
	Seq         uint64
	ID          string
	Corrects    string // set for a correction
	CCCD        string
	Village     string
	Association string
	Activated   bool
	At          time.Time // when it happened, as well as the ward can tell
	Hash        uint64    // content hash, for telling repeats from conflicts
	Received    time.Time // the ward's clock when it first arrived
}

// plausibleFrom is the earliest date a kiosk clock is believed: a box
// without an RTC boots in 1970.
var plausibleFrom = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// ItemOf extracts an Item. receivedAt is the ward's clock at first receipt;
// it stands in for the record's time when the kiosk's clock was unsure or
// implausible (1970, or more than a day ahead of the ward).
func ItemOf(r *record.Record, receivedAt time.Time, hash uint64) Item {
	at := r.RecordedAt
	if r.Clock == record.ClockUnsure || at.Before(plausibleFrom) || (!receivedAt.IsZero() && at.After(receivedAt.Add(24*time.Hour))) {
		at = receivedAt
	}
	it := Item{
		Kiosk: r.KioskID, Seq: r.Seq, ID: r.ID,
		CCCD: r.Citizen.CCCD, Village: r.Citizen.Village, Association: r.Citizen.Association,
		Activated: r.Outcome == record.OutcomeActivated,
		At:        at, Hash: hash, Received: receivedAt,
	}
	if r.Type == record.TypeCorrection {
		it.Corrects = r.Corrects
	}
	return it
}

// Ref names a held record for the exporter.
type Ref struct {
	Kiosk     string
	Seq       uint64
	Counted   bool      // this record is the one that counts its citizen
	Duplicate bool      // activated, effective, but its citizen is counted by another record
	At        time.Time // time of the chain's original record
	Village   string    // quota.Key of the record's village
}

// idKey stands for a record id: 96 bits of its SHA-256 (a collision among
// 10⁷ ids has odds of about 10⁻¹⁵).
type idKey [12]byte

func keyOf(id string) idKey {
	s := sha256.Sum256([]byte(id))
	var k idKey
	copy(k[:], s[:len(k)])
	return k
}

// cccdKey packs a 12-digit CCCD into its number; anything else (which the
// kiosk should have refused) is hashed into the upper half of the space so
// it cannot collide with a real number. An empty CCCD counts per record.
func cccdKey(cccd, id string) uint64 {
	cccd = strings.ReplaceAll(cccd, " ", "")
	if len(cccd) == 12 {
		var n uint64
		ok := true
		for i := 0; i < 12; i++ {
			c := cccd[i]
			if c < '0' || c > '9' {
				ok = false
				break
			}
			n = n*10 + uint64(c-'0')
		}
		if ok {
			return n
		}
	}
	if cccd == "" {
		cccd = "\x00record:" + id
	}
	s := sha256.Sum256([]byte(cccd))
	return binary.BigEndian.Uint64(s[:8]) | 1<<63
}

const (
	fActivated uint8 = 1 << iota
	fCorrection
	fEffective
	fListed  // in its CCCD's list of effective activations
	fCounted // the one record that counts its CCCD
)

// entry is one record: 56 bytes, the fields ordered so that little pads.
// The time of the chain's original record (baseAt) is the entry's own
// time except for corrections, which keep theirs in Tally.base; kiosk,
// village and association are one number (a group: few combinations
// occur, a kiosk serves a village or two).
type entry struct {
	cccd  uint64
	at    int64 // own time, unix nanoseconds
	seq   uint64
	hash  uint64
	id    idKey
	group uint32 // index in Tally.groups
	next  int32  // next entry in the same CCCD list, -1 at the end
	flags uint8
}

// group is the kiosk, village and association of records.
type group struct{ kiosk, village, assoc uint32 }

// Entries live in chunks of a fixed size: no append ever copies a million
// of them, nor leaves a quarter of a doubled slice unused.
const (
	chunkBits = 12
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

// A kiosk's seqs are dense from 1: pages of pageSize entry numbers (+1, 0
// for none) cost 4 bytes a record, where a map cost 20–40.
const (
	pageBits = 6
	pageSize = 1 << pageBits
)

type kioskIdx struct {
	id     string
	pages  map[uint64]*[pageSize]int32
	held   int
	contig uint64 // highest seq s such that 1..s are all held
	max    uint64
}

func (k *kioskIdx) get(seq uint64) (int32, bool) {
	p := k.pages[seq>>pageBits]
	if p == nil || p[seq&(pageSize-1)] == 0 {
		return 0, false
	}
	return p[seq&(pageSize-1)] - 1, true
}

func (k *kioskIdx) put(seq uint64, i int32) {
	p := k.pages[seq>>pageBits]
	if p == nil {
		p = new([pageSize]int32)
		k.pages[seq>>pageBits] = p
	}
	p[seq&(pageSize-1)] = i + 1
	k.held++
}

type names struct {
	idx  map[string]uint32 // by quota.Key
	name []string          // display name: first seen
	key  []string
	// raw remembers spellings already interned: quota.Key and Clean cost
	// more than the rest of an Add, and a million records carry a few
	// dozen spellings. A spelling seen again changes nothing (tidier is a
	// strict order), so it is answered from here.
	raw map[string]uint32
}

// maxRaw bounds the spellings remembered (free text can be anything).
const maxRaw = 1 << 14

func newNames() names {
	return names{idx: map[string]uint32{"": 0}, name: []string{""}, key: []string{""}, raw: map[string]uint32{"": 0}}
}

func (n *names) intern(s string) uint32 {
	if i, ok := n.raw[s]; ok {
		return i
	}
	i := n.internNew(s)
	if len(n.raw) < maxRaw {
		n.raw[strings.Clone(s)] = i
	}
	return i
}

func (n *names) internNew(s string) uint32 {
	k := quota.Key(s)
	if i, ok := n.idx[k]; ok {
		if c := quota.Clean(s); tidier(c, n.name[i]) {
			n.name[i] = c
		}
		return i
	}
	i := uint32(len(n.name))
	n.idx[k] = i
	n.name = append(n.name, quota.Clean(s))
	n.key = append(n.key, k)
	return i
}

// tidier picks the display name among spellings of one name, the same
// whatever order records arrive in: a capital first, then the shortest,
// then the smallest bytes.
func tidier(a, b string) bool {
	ua, ub := startsUpper(a), startsUpper(b)
	switch {
	case ua != ub:
		return ua
	case len(a) != len(b):
		return len(a) < len(b)
	}
	return a < b
}

func startsUpper(s string) bool {
	for _, r := range s {
		return unicode.IsUpper(r)
	}
	return false
}

// Tally is safe for concurrent use. Add must not run concurrently with the
// Lookup that decided what to add: the ward serialises ingest for that.
type Tally struct {
	mu       sync.RWMutex
	kiosks   []*kioskIdx
	kioskBy  map[string]uint32
	chunks   [][]entry         // entry i is chunks[i>>chunkBits][i&chunkMask]
	n        int32             // entries held
	byID     index             // id → the entry that represents it
	corr     map[idKey][]int32 // corrected id → corrections naming it
	target   map[int32]idKey   // correction → the id it corrects
	base     map[int32]int64   // correction → its chain's original time, when not its own
	cccd     index             // CCCD → head of its list
	groups   []group
	groupBy  map[group]uint32
	villages names
	assocs   names

	done   int
	vDone  []int
	vDays  []map[int32]int
	aDone  []int
	aDays  []map[int32]int
	days   map[int32]int
	failed int // effective failed records, for information only
	// latest is the newest receive time held (unix ns): the time the
	// counts' data last changed, stable across restarts.
	latest int64
}

// New returns an empty tally.
func New() *Tally {
	return &Tally{
		kioskBy: map[string]uint32{}, corr: map[idKey][]int32{},
		target: map[int32]idKey{}, base: map[int32]int64{}, groupBy: map[group]uint32{},
		villages: newNames(), assocs: newNames(),
		vDone: []int{0}, vDays: []map[int32]int{{}}, aDone: []int{0}, aDays: []map[int32]int{{}},
		days: map[int32]int{},
	}
}

// Lookup reports the content hash of the record held at (kiosk, seq).
func (t *Tally) Lookup(kiosk string, seq uint64) (hash uint64, ok bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	k, ok := t.kioskBy[kiosk]
	if !ok {
		return 0, false
	}
	i, ok := t.kiosks[k].get(seq)
	if !ok {
		return 0, false
	}
	return t.ent(i).hash, true
}

// Acked is the highest seq s of kiosk such that 1..s are all held: the
// cursor a kiosk may advance to.
func (t *Tally) Acked(kiosk string) uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if k, ok := t.kioskBy[kiosk]; ok {
		return t.kiosks[k].contig
	}
	return 0
}

// KioskCounts is what the tally knows of one kiosk.
type KioskCounts struct {
	Records int
	Acked   uint64 // highest contiguous seq held
	MaxSeq  uint64 // highest seq held (> Acked when there is a gap)
}

// Kiosk returns the counts of one kiosk.
func (t *Tally) Kiosk(kiosk string) KioskCounts {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if k, ok := t.kioskBy[kiosk]; ok {
		x := t.kiosks[k]
		return KioskCounts{Records: x.held, Acked: x.contig, MaxSeq: x.max}
	}
	return KioskCounts{}
}

// Len is the number of records held.
func (t *Tally) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return int(t.n)
}

func (t *Tally) ent(i int32) *entry { return &t.chunks[i>>chunkBits][i&chunkMask] }

// baseAt is the time of the chain's original record, as far as known.
func (t *Tally) baseAt(i int32) int64 {
	e := t.ent(i)
	if e.flags&fCorrection != 0 {
		if b, ok := t.base[i]; ok {
			return b
		}
	}
	return e.at
}

func (t *Tally) setBase(i int32, b int64) {
	if b == t.ent(i).at {
		delete(t.base, i)
		return
	}
	t.base[i] = b
}

// byIDOf finds the entry representing an id.
func (t *Tally) byIDOf(id idKey) (int32, bool) {
	return t.byID.get(idHash(id), func(j int32) bool { return t.ent(j).id == id })
}

func (t *Tally) setByID(id idKey, i int32) {
	t.byID.put(idHash(id), i, func(j int32) bool { return t.ent(j).id == id }, byIDKeys{t})
}

// headOf finds the first entry of a CCCD's list.
func (t *Tally) headOf(c uint64) (int32, bool) {
	return t.cccd.get(mix(c), func(j int32) bool { return t.ent(j).cccd == c })
}

func (t *Tally) setHead(c uint64, i int32) {
	t.cccd.put(mix(c), i, func(j int32) bool { return t.ent(j).cccd == c }, cccdKeys{t})
}

func (t *Tally) delHead(c uint64) {
	t.cccd.del(mix(c), func(j int32) bool { return t.ent(j).cccd == c }, cccdKeys{t})
}

func (t *Tally) groupOf(g group) uint32 {
	if i, ok := t.groupBy[g]; ok {
		return i
	}
	i := uint32(len(t.groups))
	t.groups = append(t.groups, g)
	t.groupBy[g] = i
	return i
}

// push appends an entry, starting a chunk when the last is full.
func (t *Tally) push(e entry) int32 {
	if t.n&chunkMask == 0 {
		c := make([]entry, 0, chunkSize)
		if t.n == 0 {
			c = make([]entry, 0, 64) // a small ward stays small
		}
		t.chunks = append(t.chunks, c)
	}
	last := &t.chunks[len(t.chunks)-1]
	*last = append(*last, e)
	n := t.n
	t.n++
	return n
}

// Add indexes records not held yet; items already held are ignored.
func (t *Tally) Add(items ...Item) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range items {
		t.add(&items[i])
	}
}

func (t *Tally) kioskOf(id string) (uint32, *kioskIdx) {
	if k, ok := t.kioskBy[id]; ok {
		return k, t.kiosks[k]
	}
	k := uint32(len(t.kiosks))
	x := &kioskIdx{id: id, pages: map[uint64]*[pageSize]int32{}}
	t.kiosks = append(t.kiosks, x)
	t.kioskBy[id] = k
	return k, x
}

func (t *Tally) add(it *Item) {
	k, kx := t.kioskOf(it.Kiosk)
	if _, held := kx.get(it.Seq); held || it.Seq == 0 {
		return
	}
	if !it.Received.IsZero() {
		t.latest = max(t.latest, it.Received.UnixNano())
	}
	e := entry{
		id: keyOf(it.ID), cccd: cccdKey(it.CCCD, it.ID), at: it.At.UnixNano(), seq: it.Seq, hash: it.Hash,
		group: t.groupOf(group{kiosk: k, village: t.villages.intern(it.Village), assoc: t.assocs.intern(it.Association)}), next: -1,
	}
	baseAt := e.at
	if it.Activated {
		e.flags |= fActivated
	}
	for len(t.vDone) < len(t.villages.name) {
		t.vDone = append(t.vDone, 0)
		t.vDays = append(t.vDays, map[int32]int{})
	}
	for len(t.aDone) < len(t.assocs.name) {
		t.aDone = append(t.aDone, 0)
		t.aDays = append(t.aDays, map[int32]int{})
	}
	var target idKey
	if it.Corrects != "" {
		e.flags |= fCorrection
		target = keyOf(it.Corrects)
		if ti, ok := t.byIDOf(target); ok {
			baseAt = t.baseAt(ti)
		}
	}
	n := t.push(e)
	affected := []int32{n}
	if e.flags&fCorrection != 0 {
		t.setBase(n, baseAt)
	}
	kx.put(it.Seq, n)
	if it.Seq > kx.max {
		kx.max = it.Seq
	}
	for {
		if _, ok := kx.get(kx.contig + 1); !ok {
			break
		}
		kx.contig++
	}
	// Two records claiming one id (a kiosk bug): the smaller (kiosk, seq)
	// represents the id, whichever came first.
	if prev, dup := t.byIDOf(e.id); !dup || t.keyLess(n, prev) {
		t.setByID(e.id, n)
	}
	if e.flags&fCorrection != 0 {
		t.target[n] = target
		t.corr[target] = append(t.corr[target], n)
		affected = append(affected, t.corr[target]...)
		if ti, ok := t.byIDOf(target); ok {
			affected = append(affected, ti)
		}
	}
	// Corrections of this record that arrived before it inherit its time.
	t.propagateBase(n)
	for _, i := range affected {
		t.refresh(i)
	}
}

// keyLess orders records by (kiosk id, seq).
func (t *Tally) keyLess(a, b int32) bool {
	ea, eb := t.ent(a), t.ent(b)
	ka, kb := t.kiosks[t.groups[ea.group].kiosk].id, t.kiosks[t.groups[eb.group].kiosk].id
	if ka != kb {
		return ka < kb
	}
	return ea.seq < eb.seq
}

// later orders sibling corrections: the latest recorded wins.
func (t *Tally) later(a, b int32) bool {
	ea, eb := t.ent(a), t.ent(b)
	if ea.at != eb.at {
		return ea.at > eb.at
	}
	return t.keyLess(b, a)
}

// earlier orders a citizen's activations: the first one counts.
func (t *Tally) earlier(a, b int32) bool {
	if ba, bb := t.baseAt(a), t.baseAt(b); ba != bb {
		return ba < bb
	}
	return t.keyLess(a, b)
}

func (t *Tally) winner(target idKey) int32 {
	w := int32(-1)
	for _, c := range t.corr[target] {
		if w < 0 || t.later(c, w) {
			w = c
		}
	}
	return w
}

// effective is the rule of the package doc.
func (t *Tally) effective(i int32) bool {
	e := t.ent(i)
	if len(t.corr[e.id]) > 0 {
		return false
	}
	if e.flags&fCorrection != 0 {
		return t.winner(t.target[i]) == i
	}
	return true
}

func (t *Tally) refresh(i int32) {
	e := t.ent(i)
	want, have := t.effective(i), e.flags&fEffective != 0
	switch {
	case want && !have:
		e.flags |= fEffective
		if e.flags&fActivated != 0 {
			t.listAdd(i)
		} else {
			t.failed++
		}
	case !want && have:
		e.flags &^= fEffective
		if e.flags&fActivated != 0 {
			t.listRemove(i)
		} else {
			t.failed--
		}
	}
}

func (t *Tally) propagateBase(root int32) {
	seen := map[int32]bool{root: true}
	stack := []int32{root}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		id := t.ent(x).id
		if r, _ := t.byIDOf(id); r != x {
			continue
		}
		for _, c := range t.corr[id] {
			if seen[c] {
				continue
			}
			seen[c] = true
			t.rebase(c, t.baseAt(x))
			stack = append(stack, c)
		}
	}
}

func (t *Tally) rebase(i int32, baseAt int64) {
	if t.baseAt(i) == baseAt {
		return
	}
	if t.ent(i).flags&fListed != 0 {
		t.listRemove(i)
		t.setBase(i, baseAt)
		t.listAdd(i)
		return
	}
	t.setBase(i, baseAt)
}

func (t *Tally) best(c uint64) int32 {
	b := int32(-1)
	i, ok := t.headOf(c)
	for ok && i >= 0 {
		if b < 0 || t.earlier(i, b) {
			b = i
		}
		i = t.ent(i).next
	}
	return b
}

func (t *Tally) listAdd(i int32) {
	e := t.ent(i)
	before := t.best(e.cccd)
	if head, ok := t.headOf(e.cccd); ok {
		e.next = head
	} else {
		e.next = -1
	}
	t.setHead(e.cccd, i)
	e.flags |= fListed
	t.recount(e.cccd, before)
}

func (t *Tally) listRemove(i int32) {
	e := t.ent(i)
	before := t.best(e.cccd)
	prev := int32(-1)
	for j, ok := t.headOf(e.cccd); ok && j >= 0; j = t.ent(j).next {
		if j == i {
			switch {
			case prev >= 0:
				t.ent(prev).next = e.next
			case e.next >= 0:
				t.setHead(e.cccd, e.next)
			default:
				t.delHead(e.cccd)
			}
			break
		}
		prev = j
	}
	e.next = -1
	e.flags &^= fListed
	t.recount(e.cccd, before)
}

func (t *Tally) recount(c uint64, before int32) {
	after := t.best(c)
	if after == before {
		return
	}
	if before >= 0 {
		t.count(before, -1)
	}
	if after >= 0 {
		t.count(after, +1)
	}
}

// Day returns the civil day number (days since 1970-01-01 in UTC+7).
func Day(unixNano int64) int32 {
	s := unixNano/1e9 + 7*3600
	d := s / 86400
	if s < 0 && s%86400 != 0 {
		d--
	}
	return int32(d)
}

// DayString formats a day number as YYYY-MM-DD.
func DayString(d int32) string {
	return time.Unix(int64(d)*86400, 0).UTC().Format("2006-01-02")
}

// DayOf returns the day number of a YYYY-MM-DD date.
func DayOf(date string) (int32, bool) {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return 0, false
	}
	return int32(t.Unix() / 86400), true
}

func bump(m map[int32]int, k int32, d int) {
	if m[k]+d == 0 {
		delete(m, k)
		return
	}
	m[k] += d
}

func (t *Tally) count(i int32, d int) {
	e := t.ent(i)
	if d > 0 {
		e.flags |= fCounted
	} else {
		e.flags &^= fCounted
	}
	day := Day(t.baseAt(i))
	t.done += d
	g := t.groups[e.group]
	t.vDone[g.village] += d
	bump(t.vDays[g.village], day, d)
	t.aDone[g.assoc] += d
	bump(t.aDays[g.assoc], day, d)
	bump(t.days, day, d)
}

// Group is the count of one village or association.
type Group struct {
	Key    string // quota.Key of the name
	Name   string // as first seen in a record
	Done   int
	Recent int    // done within the snapshot's window
	Last   string // YYYY-MM-DD of the last day with a citizen counted; "" when none
}

// Snapshot is a copy of the counters, cheap to take (no per-record work).
type Snapshot struct {
	Done         int
	Failed       int
	Records      int
	Villages     []Group // index 0 is the empty name
	Associations []Group
	Days         map[string]int // YYYY-MM-DD → citizens counted that day
	Today        string
	WindowDays   int
	Updated      time.Time // newest receive time held; zero when none
}

// Snapshot copies the counters; Recent counts the window days ending today.
func (t *Tally) Snapshot(now time.Time, windowDays int) Snapshot {
	t.mu.RLock()
	defer t.mu.RUnlock()
	today := Day(now.UnixNano())
	s := Snapshot{
		Done: t.done, Failed: t.failed, Records: int(t.n),
		Days: make(map[string]int, len(t.days)), Today: DayString(today), WindowDays: windowDays,
	}
	if t.latest != 0 {
		s.Updated = time.Unix(0, t.latest).UTC()
	}
	for d, n := range t.days {
		s.Days[DayString(d)] = n
	}
	last := func(m map[int32]int) string {
		l, ok := int32(0), false
		for d, n := range m {
			if n > 0 && (!ok || d > l) {
				l, ok = d, true
			}
		}
		if !ok {
			return ""
		}
		return DayString(l)
	}
	recent := func(m map[int32]int) int {
		r := 0
		for d, n := range m {
			if d > today-int32(windowDays) && d <= today {
				r += n
			}
		}
		return r
	}
	for i := range t.villages.name {
		s.Villages = append(s.Villages, Group{Key: t.villages.key[i], Name: t.villages.name[i], Done: t.vDone[i], Recent: recent(t.vDays[i]), Last: last(t.vDays[i])})
	}
	for i := range t.assocs.name {
		s.Associations = append(s.Associations, Group{Key: t.assocs.key[i], Name: t.assocs.name[i], Done: t.aDone[i], Recent: recent(t.aDays[i]), Last: last(t.aDays[i])})
	}
	return s
}

// Refs lists effective records for the exporter, optionally only those of
// one village (by quota.Key) and only those that count. Sorted by time of
// the original record, then kiosk and seq.
func (t *Tally) Refs(villageKey string, onlyCounted bool) []Ref {
	l := t.List(villageKey, onlyCounted, nil)
	return l.Refs(0, l.Len())
}

// RefList is a sorted list of held records at 4 bytes each: an export of a
// million lines holds this, and expands a chunk at a time into Refs.
type RefList struct {
	t   *Tally
	idx []int32
}

// Len is the number of records listed.
func (l RefList) Len() int { return len(l.idx) }

// Refs expands the records from..to of the list. A record's Counted and
// Duplicate are as the tally holds them now.
func (l RefList) Refs(from, to int) []Ref {
	t := l.t
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Ref, 0, to-from)
	for _, i := range l.idx[from:to] {
		e := t.ent(i)
		g := t.groups[e.group]
		out = append(out, Ref{
			Kiosk: t.kiosks[g.kiosk].id, Seq: e.seq, At: time.Unix(0, t.baseAt(i)), Village: t.villages.key[g.village],
			Counted:   e.flags&fCounted != 0,
			Duplicate: e.flags&fListed != 0 && e.flags&fCounted == 0,
		})
	}
	return out
}

// List is Refs as a RefList. villageRank, when given, orders the list by
// village first: by villageRank of the village's quota.Key, then by the key
// itself, then as Refs does.
func (t *Tally) List(villageKey string, onlyCounted bool, villageRank func(key string) int) RefList {
	t.mu.RLock()
	defer t.mu.RUnlock()
	v, filter := uint32(0), villageKey != ""
	if filter {
		var ok bool
		if v, ok = t.villages.idx[villageKey]; !ok {
			return RefList{t: t}
		}
	}
	var idx []int32
	for i := range t.n {
		e := t.ent(i)
		if e.flags&fEffective == 0 || (filter && t.groups[e.group].village != v) || (onlyCounted && e.flags&fCounted == 0) {
			continue
		}
		idx = append(idx, i)
	}
	// pos orders villages once, so that a million comparisons compare ints.
	pos := make([]int, len(t.villages.key))
	if villageRank != nil {
		order := make([]int, len(pos))
		for i := range order {
			order[i] = i
		}
		rank := make([]int, len(pos))
		for i, k := range t.villages.key {
			rank[i] = villageRank(k)
		}
		sort.Slice(order, func(a, b int) bool {
			x, y := order[a], order[b]
			if rank[x] != rank[y] {
				return rank[x] < rank[y]
			}
			return t.villages.key[x] < t.villages.key[y]
		})
		for p, i := range order {
			pos[i] = p
		}
	}
	sort.Slice(idx, func(a, b int) bool {
		x, y := idx[a], idx[b]
		if px, py := pos[t.groups[t.ent(x).group].village], pos[t.groups[t.ent(y).group].village]; px != py {
			return px < py
		}
		return t.earlier(x, y)
	})
	return RefList{t: t, idx: idx}
}

package outreach

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/clock"
)

// memStore is a hand-written fake of the ward's store; the real Badger-backed
// one is exercised by the ward's own tests.
type memStore struct {
	mu sync.Mutex
	m  map[string][]byte
	// fail makes the next PutBatch fail, to show a refused write changes nothing.
	fail bool
}

func newMem() *memStore { return &memStore{m: map[string][]byte{}} }

func (s *memStore) PutBatch(set map[string][]byte, del []string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		s.fail = false
		return fmt.Errorf("disk full")
	}
	for k, v := range set {
		s.m[k] = append([]byte(nil), v...)
	}
	for _, k := range del {
		delete(s.m, k)
	}
	return nil
}

func (s *memStore) Each(prefix string, fn func(string, []byte) error) error {
	s.mu.Lock()
	keys := make([]string, 0)
	for k := range s.m {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	s.mu.Unlock()
	for _, k := range keys {
		if err := fn(k, s.m[k]); err != nil {
			return err
		}
	}
	return nil
}

type kysoSet map[string]bool

func (k kysoSet) Activated(c string) bool { return k[c] }

var (
	families = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi"}
	middles  = []string{"Văn", "Thị", "Đức", "Ngọc", "Minh"}
	givens   = []string{"An", "Bình", "Chi", "Dũng", "Hoa", "Hùng", "Lan", "Nam", "Phương", "Thu"}
)

// cccdFor builds a CCCD that passes the structure rules: Thanh Hóa (038),
// a 1900s birth, the year's last two digits, a running number.
func cccdFor(i int, female bool, year int) string {
	g := 0
	if female {
		g = 1
	}
	return fmt.Sprintf("038%d%02d%06d", g, year%100, 100000+i)
}

// village builds n households of size people each, all adults with a CCCD.
func village(name string, households, size int) []Input {
	var in []Input
	for h := 0; h < households; h++ {
		head := fmt.Sprintf("%s %s %s", families[h%len(families)], middles[h%len(middles)], givens[h%len(givens)])
		for m := 0; m < size; m++ {
			n := h*size + m
			nm := head
			if m > 0 {
				nm = fmt.Sprintf("%s %s %s", families[h%len(families)], middles[(h+m)%len(middles)], givens[(h+m+3)%len(givens)])
			}
			in = append(in, Input{
				Name: nm, CCCD: cccdFor(n, m%2 == 1, 1970+m), BirthDate: fmt.Sprintf("%d-03-0%d", 1970+m, 1+m%8),
				Household: fmt.Sprintf("H%03d", h), Head: head, IsHead: m == 0, Village: name, Eligible: true,
			})
		}
	}
	return in
}

func at(day, hm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hm, clock.Vietnam)
	if err != nil {
		panic(err)
	}
	return t
}

func fixedRate(string) Rate { return Rate{PerDeskHour: 6, Source: "thử"} }

// TestScheduleInvitesWholeHouseholdsWithinCapacity is the must-show:
// 120 eligible people in 40 households, three sessions of capacity 30.
func TestScheduleInvitesWholeHouseholdsWithinCapacity(t *testing.T) {
	st := newMem()
	b, err := Open(st)
	require.NoError(t, err)
	_, err = b.Import(KindResidents, village("Đông Lão", 40, 3))
	require.NoError(t, err)
	now := at("2026-11-18", "08:00")
	var in []SessionInput
	for _, d := range []string{"2026-11-20", "2026-11-21", "2026-11-22"} {
		// 2 desks × 2.5 h × 6/h = 30 places.
		in = append(in, SessionInput{Village: "Đông Lão", Place: "Nhà văn hóa thôn Đông Lão", Date: d, Start: "19:00", End: "21:30", Desks: 2})
	}
	ss, err := b.AddSessions(in, fixedRate, now)
	require.NoError(t, err)
	for _, s := range ss {
		require.Equal(t, 30, s.Capacity)
	}
	k := kysoSet{}
	res, err := b.Schedule("Đông Lão", k, now)
	require.NoError(t, err)
	total := 0
	for _, s := range res.Sessions {
		assert.LessOrEqual(t, s.Invited, 30, "never over capacity")
		total += s.Invited
	}
	assert.Equal(t, 90, total)
	assert.Equal(t, 30, res.Left)
	// Households never split.
	where := map[string]map[string]bool{}
	for key, inv := range b.invites {
		p := b.people[key]
		if where[p.Household] == nil {
			where[p.Household] = map[string]bool{}
		}
		where[p.Household][inv.Session] = true
	}
	assert.Len(t, where, 30)
	for h, s := range where {
		assert.Len(t, s, 1, "household %s split", h)
	}
	// Re-running changes nothing.
	before := len(st.m)
	res2, err := b.Schedule("Đông Lão", k, now)
	require.NoError(t, err)
	assert.Equal(t, res, res2)
	assert.Equal(t, before, len(st.m))

	// The first session ends with 20 who came and were activated: its 10
	// no-shows are not-yet again and can be invited anew.
	first := ss[0].ID
	came := 0
	for key, inv := range b.invites {
		if inv.Session == first && came < 20 {
			k[b.people[key].CCCD] = true
			came++
		}
	}
	after := at("2026-11-20", "22:00")
	l := b.List(Filter{Village: "Đông Lão"}, k, after)
	assert.Equal(t, 20, l.Total.Activated)
	assert.Equal(t, 60, l.Total.Invited)
	assert.Equal(t, 40, l.Total.NotYet, "30 never invited + 10 no-shows")
	// The dashboard's line for that evening: invited 30, came 20 (activated,
	// though no kiosk reported them arriving), activated 20.
	sv := b.Sessions("Đông Lão", k, after)[0]
	assert.Equal(t, [4]int{30, 20, 20, 0}, [4]int{sv.Invited, sv.Arrived, sv.Activated, sv.Failed})
	assert.True(t, sv.Ended)
	// Reopening from the store gives the same list.
	b2, err := Open(st)
	require.NoError(t, err)
	assert.Equal(t, l, b2.List(Filter{Village: "Đông Lão"}, k, after))
}

func TestAddSessionsRefusesBadPlans(t *testing.T) {
	now := at("2026-11-18", "08:00")
	good := SessionInput{Village: "Đông Lão", Place: "NVH Đông Lão", Date: "2026-11-20", Start: "19:00", End: "21:00", Desks: 3}
	cases := []struct {
		name string
		edit func(*SessionInput)
		code string
	}{
		{"past day: nobody can come yesterday", func(s *SessionInput) { s.Date = "2026-11-17" }, "session_in_past"},
		{"zero desks: capacity would be 0", func(s *SessionInput) { s.Desks = 0 }, "invalid_session"},
		{"end before start", func(s *SessionInput) { s.End = "18:00" }, "invalid_session"},
		{"overlap at one house", func(s *SessionInput) { s.Start = "20:00"; s.End = "22:00" }, "session_overlap"},
		{"bad time text", func(s *SessionInput) { s.Start = "19h" }, "invalid_session"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Open(newMem())
			require.NoError(t, err)
			_, err = b.AddSessions([]SessionInput{good}, fixedRate, now)
			require.NoError(t, err)
			x := good
			c.edit(&x)
			// The good second session first: nothing half-planned when the bad one is refused.
			ok := good
			ok.Date = "2026-11-25"
			_, err = b.AddSessions([]SessionInput{ok, x}, fixedRate, now)
			var e *Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, c.code, e.Code)
			assert.NotEmpty(t, e.Message)
			assert.Len(t, b.Sessions("", nil, now), 1)
		})
	}
}

func TestScheduleOversizeHouseholdInvitedAlone(t *testing.T) {
	b, err := Open(newMem())
	require.NoError(t, err)
	in := village("Cẩm Hưng", 1, 12) // one household of 12
	in = append(in, village("Cẩm Hưng", 3, 2)[2:]...)
	_, err = b.Import(KindResidents, in)
	require.NoError(t, err)
	now := at("2026-11-18", "08:00")
	_, err = b.AddSessions([]SessionInput{{Village: "Cẩm Hưng", Date: "2026-11-20", Start: "19:00", End: "20:00", Desks: 1}}, fixedRate, now)
	require.NoError(t, err)
	res, err := b.Schedule("Cẩm Hưng", nil, now)
	require.NoError(t, err)
	require.Len(t, res.Sessions, 1)
	assert.Equal(t, 12, res.Sessions[0].Invited)
	assert.Equal(t, []string{"Nguyễn Văn An"}, res.Sessions[0].Oversize)
	assert.Equal(t, 4, res.Left)
	assert.Empty(t, res.TooLarge)

	// A second household of 12 finds no empty evening: it waits, and the
	// reply names it.
	b2, err := Open(newMem())
	require.NoError(t, err)
	two := village("Cẩm Hưng", 2, 12)
	_, err = b2.Import(KindResidents, two)
	require.NoError(t, err)
	_, err = b2.AddSessions([]SessionInput{{Village: "Cẩm Hưng", Date: "2026-11-20", Start: "19:00", End: "20:00", Desks: 1}}, fixedRate, now)
	require.NoError(t, err)
	res, err = b2.Schedule("Cẩm Hưng", nil, now)
	require.NoError(t, err)
	assert.Equal(t, 12, res.Sessions[0].Invited)
	assert.Equal(t, []string{"Trần Thị Bình"}, res.TooLarge)
	assert.Equal(t, 12, res.Left)
}

func TestScheduleNeedsRosterAndSessions(t *testing.T) {
	b, err := Open(newMem())
	require.NoError(t, err)
	_, err = b.Schedule("Đông Lão", nil, time.Now())
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "no_roster", e.Code)
}

func TestImportIdempotentAndMembersMatchResidents(t *testing.T) {
	st := newMem()
	b, err := Open(st)
	require.NoError(t, err)
	res := village("Đông Lão", 5, 3)
	r1, err := b.Import(KindResidents, res)
	require.NoError(t, err)
	assert.Equal(t, 15, r1.Added)
	r2, err := b.Import(KindResidents, res)
	require.NoError(t, err)
	assert.Equal(t, ImportResult{Unchanged: 15}, r2)

	// The women's union's member list names two residents by CCCD and one
	// woman the roster lacks.
	members := []Input{
		{Name: res[1].Name, CCCD: res[1].CCCD, Association: "Hội Phụ nữ", Eligible: true},
		{Name: res[4].Name, CCCD: res[4].CCCD, Association: "Hội Phụ nữ", Eligible: true},
		{Name: "Lò Thị Mai", CCCD: cccdFor(900, true, 1985), BirthDate: "1985-02-02", Association: "Hội Phụ nữ", Eligible: true},
	}
	r3, err := b.Import(KindMembers, members)
	require.NoError(t, err)
	assert.Equal(t, 2, r3.Matched)
	assert.Equal(t, 1, r3.Added)
	assert.Equal(t, 16, b.Summary("").People, "a member who is a resident counts once")
	l := b.List(Filter{Association: "Hội Phụ nữ"}, nil, time.Now())
	assert.Equal(t, 3, l.Total.Eligible)
	// The resident keeps village and household.
	p, ok := b.Person(b.KeyOf(res[1].CCCD, "", "", ""))
	require.True(t, ok)
	assert.Equal(t, "Đông Lão", p.Village)
	assert.NotEmpty(t, p.Household)
	assert.NotContains(t, p.Key, res[1].CCCD[8:], "the key does not reveal the CCCD")

	// A store that refuses the write leaves the book as it was.
	st.fail = true
	upd := append([]Input(nil), res...)
	upd[0].Phone = "0912345678"
	_, err = b.Import(KindResidents, upd)
	require.Error(t, err)
	p0, _ := b.Person(b.KeyOf(res[0].CCCD, "", "", ""))
	assert.Empty(t, p0.Phone)
}

func TestStatusPrecedence(t *testing.T) {
	b, err := Open(newMem())
	require.NoError(t, err)
	in := village("Đông Lão", 1, 5)
	for i := range in {
		in[i].Household = "" // each alone
	}
	_, err = b.Import(KindResidents, in)
	require.NoError(t, err)
	now := at("2026-11-18", "08:00")
	key := func(i int) string { return b.KeyOf(in[i].CCCD, "", "", "") }
	k := kysoSet{in[0].CCCD: true}
	require.NoError(t, b.SetVNPT([]Confirmation{{CCCD: in[1].CCCD, Date: "2026-11-10"}}))
	b.NoteOutcome(in[2].CCCD, false, "Điện thoại không hỗ trợ", now)
	require.NoError(t, b.SetMark(key(3), "moved", "", "truong-thon", now))
	b.NoteOutcome(in[3].CCCD, false, "x", now)
	err = b.SetMark(key(4), "lazy", "", "truong-thon", now)
	var e *Error
	require.ErrorAs(t, err, &e, "an unknown reason is refused")

	got := map[string]string{}
	for _, r := range b.List(Filter{}, k, now).People {
		got[r.Key] = r.Status + "/" + r.Reason
	}
	assert.Equal(t, map[string]string{
		key(0): "activated/",
		key(1): "activated/VNPT xác nhận",
		key(2): "failed/Điện thoại không hỗ trợ",
		key(3): "unreachable/moved",
		key(4): "not_yet/",
	}, got)
	for _, r := range b.List(Filter{}, k, now).People {
		assert.Regexp(t, `^\*{8}\d{4}$`, r.CCCDMasked)
	}
}

func TestUnitsColourAndRank(t *testing.T) {
	p := Pace{Today: "2026-11-20", DaysLeft: 10, Underway: true}
	vs := []UnitInput{
		{Name: "Đông Lão", Target: 200, Have: 100, RecentPerDay: 12, Last: "2026-11-20"}, // needs 10/day: green
		{Name: "Cẩm Hưng", Target: 200, Have: 100, RecentPerDay: 6, Last: "2026-11-19"},  // amber
		{Name: "Phúc Lộc", Target: 200, Have: 150, RecentPerDay: 9, Last: "2026-11-18"},  // silent 2 days: red
		{Name: "Thạch Cẩm", Target: 100, Have: 100, Last: "2026-11-01"},                  // done: green
	}
	u := BuildUnits(vs, nil, map[string]int{"đông lão": 480}, nil, nil, nil, p)
	colours := []string{}
	ranks := []int{}
	for _, x := range u.Villages {
		colours = append(colours, x.Colour)
		ranks = append(ranks, x.Rank)
	}
	assert.Equal(t, []string{Green, Amber, Red, Green}, colours)
	assert.Equal(t, []int{3, 3, 2, 1}, ranks)
	assert.Equal(t, 480, u.Villages[0].Eligible)
	assert.Equal(t, 10.0, u.Villages[0].PaceNeeded)
}

func TestReconcile(t *testing.T) {
	b, err := Open(newMem())
	require.NoError(t, err)
	in := village("Đông Lão", 2, 3)
	_, err = b.Import(KindResidents, in)
	require.NoError(t, err)
	kyso := []Activation{}
	for i := 0; i < 5; i++ {
		kyso = append(kyso, Activation{CCCD: in[i].CCCD, Village: "Đông Lão", Date: "2026-11-20"})
	}
	// VNPT confirms 3 of kyso's 5, plus 2 people activated elsewhere (one
	// in the roster, one unknown to it).
	conf := []Confirmation{{CCCD: in[0].CCCD}, {CCCD: in[1].CCCD}, {CCCD: in[2].CCCD}, {CCCD: in[5].CCCD}, {CCCD: cccdFor(777, false, 1980), Name: "Mạc Văn Tùng"}}
	require.NoError(t, b.SetVNPT(conf))
	r, people := b.Reconcile(kyso, nil, []string{"Đông Lão"})
	require.Len(t, r.Villages, 2)
	assert.Equal(t, ReconRow{Name: "Đông Lão", KysoActivated: 5, VNPTConfirmed: 4, Both: 3, KysoOnly: 2, VNPTOnly: 1}, r.Villages[0])
	assert.Equal(t, ReconRow{Name: UnknownVillage, VNPTConfirmed: 1, VNPTOnly: 1}, r.Villages[1])
	assert.Equal(t, ReconRow{Name: "Toàn xã", KysoActivated: 5, VNPTConfirmed: 5, Both: 3, KysoOnly: 2, VNPTOnly: 2}, r.Total)
	assert.Len(t, people, 7)
}

// A new book writes nothing until its first change (a ward starting on a
// full disk must start); the salt goes with that change, so person keys
// are the same after a reopen.
func TestSaltStoredWithFirstWrite(t *testing.T) {
	st := newMem()
	b, err := Open(st)
	require.NoError(t, err)
	assert.Empty(t, st.m, "opening writes nothing")
	_, err = b.Import(KindResidents, village("Đông Lão", 3, 3))
	require.NoError(t, err)
	require.Contains(t, st.m, kSalt, "the salt is stored with the first write")
	cccd := village("Đông Lão", 3, 3)[0].CCCD
	key := b.KeyOf(cccd, "", "", "")
	b2, err := Open(st)
	require.NoError(t, err)
	assert.Equal(t, key, b2.KeyOf(cccd, "", "", ""), "the same keys after a reopen")
	_, ok := b2.Person(key)
	assert.True(t, ok)
}

// TestMoveHousehold: a unit head moves a household by hand; the whole
// household moves, never beyond the target's capacity, never to an evening
// that is over, and those already done stay where they are.
func TestMoveHousehold(t *testing.T) {
	now := at("2026-11-18", "08:00")
	setup := func(t *testing.T) (*Book, []Session, kysoSet) {
		b, err := Open(newMem())
		require.NoError(t, err)
		_, err = b.Import(KindResidents, village("Đông Lão", 4, 3))
		require.NoError(t, err)
		// 6 places each: two households per evening.
		ss, err := b.AddSessions([]SessionInput{
			{Village: "Đông Lão", Date: "2026-11-18", Start: "07:00", End: "09:00", Desks: 1},
			{Village: "Đông Lão", Date: "2026-11-20", Start: "19:00", End: "20:00", Desks: 1},
			{Village: "Đông Lão", Date: "2026-11-21", Start: "19:00", End: "20:00", Desks: 1},
		}, fixedRate, now.Add(-2*time.Hour))
		require.NoError(t, err)
		return b, ss, kysoSet{}
	}
	sessionOf := func(b *Book, key string) string { return b.invites[key].Session }
	keyOf := func(b *Book, household string, member int) string {
		var ks []string
		for k, p := range b.people {
			if strings.HasSuffix(p.Household, "|"+strings.ToLower(household)) {
				ks = append(ks, k)
			}
		}
		sort.Slice(ks, func(i, j int) bool { return b.people[ks[i]].Name < b.people[ks[j]].Name })
		return ks[member]
	}
	t.Run("the whole household moves", func(t *testing.T) {
		b, ss, k := setup(t)
		require.NoError(t, b.MoveHousehold(keyOf(b, "H000", 0), ss[2].ID, "truongthon", k, now))
		for m := 0; m < 3; m++ {
			assert.Equal(t, ss[2].ID, sessionOf(b, keyOf(b, "H000", m)))
		}
		// And on: a household already placed elsewhere follows the hand.
		require.NoError(t, b.MoveHousehold(keyOf(b, "H000", 1), ss[1].ID, "truongthon", k, now))
		assert.Equal(t, ss[1].ID, sessionOf(b, keyOf(b, "H000", 2)))
		assert.Equal(t, "truongthon", b.invites[keyOf(b, "H000", 2)].By)
	})
	t.Run("an activated or unreachable member stays", func(t *testing.T) {
		b, ss, k := setup(t)
		k[b.people[keyOf(b, "H001", 0)].CCCD] = true
		require.NoError(t, b.SetMark(keyOf(b, "H001", 1), "away", "", "truongthon", now))
		require.NoError(t, b.MoveHousehold(keyOf(b, "H001", 2), ss[1].ID, "truongthon", k, now))
		assert.Empty(t, sessionOf(b, keyOf(b, "H001", 0)))
		assert.Empty(t, sessionOf(b, keyOf(b, "H001", 1)))
		assert.Equal(t, ss[1].ID, sessionOf(b, keyOf(b, "H001", 2)))
	})
	t.Run("never over capacity", func(t *testing.T) {
		b, ss, k := setup(t)
		require.NoError(t, b.MoveHousehold(keyOf(b, "H000", 0), ss[1].ID, "a", k, now))
		require.NoError(t, b.MoveHousehold(keyOf(b, "H001", 0), ss[1].ID, "a", k, now))
		err := b.MoveHousehold(keyOf(b, "H002", 0), ss[1].ID, "a", k, now)
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, "over_capacity", e.Code)
		assert.Contains(t, e.Message, "chỉ còn 0 chỗ, hộ có 3 người")
		assert.Empty(t, sessionOf(b, keyOf(b, "H002", 0)), "nothing half-moved")
	})
	t.Run("not to an evening that is over", func(t *testing.T) {
		b, ss, k := setup(t)
		err := b.MoveHousehold(keyOf(b, "H000", 0), ss[0].ID, "a", k, at("2026-11-18", "10:00"))
		var e *Error
		require.ErrorAs(t, err, &e)
		assert.Equal(t, "session_ended", e.Code)
	})
	t.Run("withdrawn: not yet again", func(t *testing.T) {
		b, ss, k := setup(t)
		require.NoError(t, b.MoveHousehold(keyOf(b, "H003", 0), ss[2].ID, "a", k, now))
		require.NoError(t, b.MoveHousehold(keyOf(b, "H003", 0), "", "a", k, now))
		assert.Empty(t, sessionOf(b, keyOf(b, "H003", 0)))
		assert.Equal(t, 12, b.List(Filter{Village: "Đông Lão"}, k, now).Total.NotYet, "all 12 not yet, nobody invited")
	})
	t.Run("unknown person or session", func(t *testing.T) {
		b, ss, k := setup(t)
		assert.ErrorIs(t, b.MoveHousehold("khong-co", ss[1].ID, "a", k, now), ErrNotFound)
		assert.ErrorIs(t, b.MoveHousehold(keyOf(b, "H000", 0), "khong-co", "a", k, now), ErrNotFound)
	})
}

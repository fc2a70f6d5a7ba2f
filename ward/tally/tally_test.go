package tally

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/ward/quota"
)

var t0 = time.Date(2024, 6, 5, 8, 0, 0, 0, clock.Vietnam)

// it builds an Item; hours is the offset from t0.
func it(kiosk string, seq uint64, id, cccd, village string, activated bool, hours int) Item {
	return Item{Kiosk: kiosk, Seq: seq, ID: id, CCCD: cccd, Village: village, Activated: activated,
		At: t0.Add(time.Duration(hours) * time.Hour), Hash: seq}
}

func corr(x Item, corrects string) Item { x.Corrects = corrects; return x }

type view struct {
	Done     int
	Villages map[string]int
	Days     map[string]int
}

func viewOf(tl *Tally) view {
	s := tl.Snapshot(t0, 7)
	v := view{Done: s.Done, Villages: map[string]int{}, Days: s.Days}
	for _, g := range s.Villages {
		if g.Done != 0 {
			v.Villages[g.Name] = g.Done
		}
	}
	return v
}

func TestTallyCases(t *testing.T) {
	cases := []struct {
		name  string
		items []Item
		want  view
		why   string
	}{
		{
			name:  "one-activation",
			items: []Item{it("a", 1, "r1", "038090000001", "Đông Lão", true, 0)},
			want:  view{Done: 1, Villages: map[string]int{"Đông Lão": 1}, Days: map[string]int{"2024-06-05": 1}},
			why:   "the simplest count",
		},
		{
			name: "same-cccd-two-kiosks",
			items: []Item{
				it("a", 1, "r1", "038090000001", "Đông Lão", true, 5),
				it("b", 1, "r2", "038090000001", "Song Nga", true, 1),
			},
			want: view{Done: 1, Villages: map[string]int{"Song Nga": 1}, Days: map[string]int{"2024-06-05": 1}},
			why:  "a citizen helped twice counts once, where first activated",
		},
		{
			name: "failed-after-activated",
			items: []Item{
				it("a", 1, "r1", "038090000001", "Đông Lão", true, 0),
				it("a", 2, "r2", "038090000001", "Đông Lão", false, 48),
			},
			want: view{Done: 1, Villages: map[string]int{"Đông Lão": 1}, Days: map[string]int{"2024-06-05": 1}},
			why:  "a later failed attempt does not undo an activation",
		},
		{
			name: "failed-only",
			items: []Item{
				it("a", 1, "r1", "038090000001", "Đông Lão", false, 0),
			},
			want: view{Done: 0, Villages: map[string]int{}, Days: map[string]int{}},
			why:  "failures never count",
		},
		{
			name: "correction-moves-village",
			items: []Item{
				it("a", 1, "r1", "038090000001", "Đông Lão", true, 0),
				corr(it("a", 2, "r2", "038090000001", "Song Nga", true, 30), "r1"),
			},
			want: view{Done: 1, Villages: map[string]int{"Song Nga": 1}, Days: map[string]int{"2024-06-05": 1}},
			why:  "a correction replaces what it corrects, keeping the original day",
		},
		{
			name: "correction-fixes-cccd-typo",
			items: []Item{
				it("a", 1, "r1", "038090000009", "Đông Lão", true, 0),
				it("b", 1, "r2", "038090000001", "Đông Lão", true, 1),
				corr(it("a", 2, "r3", "038090000001", "Đông Lão", true, 2), "r1"),
			},
			want: view{Done: 1, Villages: map[string]int{"Đông Lão": 1}, Days: map[string]int{"2024-06-05": 1}},
			why:  "after the typo is fixed both records are the same citizen",
		},
		{
			name: "correction-to-failed",
			items: []Item{
				it("a", 1, "r1", "038090000001", "Đông Lão", true, 0),
				corr(it("a", 2, "r2", "038090000001", "Đông Lão", false, 1), "r1"),
			},
			want: view{Done: 0, Villages: map[string]int{}, Days: map[string]int{}},
			why:  "an activation recorded by mistake is withdrawn by its correction",
		},
		{
			name: "correction-to-activated",
			items: []Item{
				it("a", 1, "r1", "038090000001", "Đông Lão", false, 0),
				corr(it("a", 2, "r2", "038090000001", "Đông Lão", true, 1), "r1"),
			},
			want: view{Done: 1, Villages: map[string]int{"Đông Lão": 1}, Days: map[string]int{"2024-06-05": 1}},
			why:  "a failure recorded by mistake becomes an activation",
		},
		{
			name: "correction-chain",
			items: []Item{
				it("a", 1, "r1", "038090000001", "Đông Lão", true, 0),
				corr(it("a", 2, "r2", "038090000001", "Song Nga", true, 1), "r1"),
				corr(it("a", 3, "r3", "038090000001", "Thôn Kim", true, 2), "r2"),
			},
			want: view{Done: 1, Villages: map[string]int{"Thôn Kim": 1}, Days: map[string]int{"2024-06-05": 1}},
			why:  "a correction of a correction wins",
		},
		{
			name: "sibling-corrections",
			items: []Item{
				it("a", 1, "r1", "038090000001", "Đông Lão", true, 0),
				corr(it("a", 2, "r2", "038090000002", "Song Nga", true, 1), "r1"),
				corr(it("a", 3, "r3", "038090000003", "Thôn Kim", true, 2), "r1"),
			},
			want: view{Done: 1, Villages: map[string]int{"Thôn Kim": 1}, Days: map[string]int{"2024-06-05": 1}},
			why:  "two corrections of one record: the later replaces the earlier",
		},
		{
			name: "correction-across-days",
			items: []Item{
				it("a", 1, "r1", "038090000001", "Đông Lão", true, 0),
				it("a", 2, "r2", "038090000002", "Đông Lão", true, 24),
				corr(it("a", 3, "r3", "038090000002", "Song Nga", true, 72), "r2"),
			},
			want: view{Done: 2, Villages: map[string]int{"Đông Lão": 1, "Song Nga": 1}, Days: map[string]int{"2024-06-05": 1, "2024-06-06": 1}},
			why:  "the day is the day of the support, not of the correction",
		},
		{
			name: "village-spelling",
			items: []Item{
				it("a", 1, "r1", "038090000001", "Đông Lão", true, 0),
				it("a", 2, "r2", "038090000002", "thôn  đông lão", true, 0),
			},
			want: view{Done: 2, Villages: map[string]int{"Đông Lão": 2}, Days: map[string]int{"2024-06-05": 2}},
			why:  "the same village typed differently is one village",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Every order of arrival must give the same counts.
			rng := rand.New(rand.NewPCG(1, 2))
			for round := 0; round < 30; round++ {
				items := append([]Item(nil), tc.items...)
				if round > 0 {
					rng.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
				}
				tl := New()
				for _, x := range items {
					tl.Add(x)
				}
				require.Equal(t, tc.want, viewOf(tl), "%s (order %d)", tc.why, round)
				counted := tl.Refs("", true)
				require.Len(t, counted, tc.want.Done, "one counted record per citizen")
			}
		})
	}
}

func TestTallyAckedContiguous(t *testing.T) {
	tl := New()
	add := func(seq uint64) {
		tl.Add(it("a", seq, fmt.Sprint("r", seq), fmt.Sprintf("0380900000%02d", seq), "X", true, 0))
	}
	cases := []struct {
		seq  uint64
		want uint64
		why  string
	}{
		{2, 0, "a gap at 1 holds the cursor"},
		{3, 0, "still a gap"},
		{1, 3, "the gap filled: 1..3 held"},
		{5, 3, "a new gap"},
		{4, 5, "filled again"},
		{4, 5, "a repeat changes nothing"},
	}
	for _, tc := range cases {
		add(tc.seq)
		assert.Equal(t, tc.want, tl.Acked("a"), tc.why)
	}
	k := tl.Kiosk("a")
	assert.Equal(t, KioskCounts{Records: 5, Acked: 5, MaxSeq: 5}, k)
	h, ok := tl.Lookup("a", 3)
	assert.True(t, ok)
	assert.Equal(t, uint64(3), h)
	_, ok = tl.Lookup("b", 3)
	assert.False(t, ok)
}

func TestTallyRefs(t *testing.T) {
	tl := New()
	tl.Add(
		it("a", 1, "r1", "038090000001", "Đông Lão", true, 0),
		it("b", 1, "r2", "038090000001", "Đông Lão", true, 1),
		it("a", 2, "r3", "038090000002", "Song Nga", false, 2),
	)
	all := tl.Refs("", false)
	require.Len(t, all, 3)
	assert.True(t, all[0].Counted)
	assert.True(t, all[1].Duplicate, "second activation of one CCCD")
	assert.False(t, all[2].Counted || all[2].Duplicate, "a failure")
	assert.Len(t, tl.Refs(quota.Key("Thôn Đông Lão"), true), 1)
	assert.Empty(t, tl.Refs("nowhere", false))
}

func TestDay(t *testing.T) {
	// 23:30 in Vietnam is 16:30 UTC on the same day; 00:30 is the next day.
	assert.Equal(t, "2024-06-05", DayString(Day(time.Date(2024, 6, 5, 16, 30, 0, 0, time.UTC).UnixNano())))
	assert.Equal(t, "2024-06-06", DayString(Day(time.Date(2024, 6, 5, 17, 30, 0, 0, time.UTC).UnixNano())))
	assert.Equal(t, "1969-12-31", DayString(Day(time.Date(1969, 12, 31, 12, 0, 0, 0, time.UTC).UnixNano())))
}

// updated_at is the newest receive time held, whatever the arrival order
// and however often a record is repeated: the same records give the same
// progress document, also after a restart (or a purge).
func TestUpdatedIsNewestReceived(t *testing.T) {
	tl := New()
	assert.True(t, tl.Snapshot(t0, 7).Updated.IsZero(), "nothing held")
	a, b := it("k", 1, "a", "1", "Đông Lão", true, 0), it("k", 2, "b", "2", "Đông Lão", true, 1)
	a.Received, b.Received = t0.Add(2*time.Hour), t0.Add(time.Hour)
	tl.Add(a, b)
	repeat := a
	repeat.Received = t0.Add(9 * time.Hour) // a repeat is not held again
	tl.Add(repeat)
	want := t0.Add(2 * time.Hour).UTC()
	assert.Equal(t, want, tl.Snapshot(t0, 7).Updated)
	assert.Equal(t, want, Compute(quota.Plan{}, tl.Snapshot(t0.Add(24*time.Hour), 7), t0.Add(24*time.Hour)).UpdatedAt, "not the time of the request")
}

package tally

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/kyso-vn/kyso/ward/quota"
)

func camNgoc() quota.Plan {
	return quota.Plan{Villages: quota.Villages{Rows: []quota.Village{
		{Name: "Đông Lão", Base: 491, Target: 202, Before: 43},
		{Name: "Song Nga", Base: 740, Target: 304, Before: 27},
		{Name: "Thôn Kim", Base: 687, Target: 282, Before: 3},
	}}}
}

func TestComputeRows(t *testing.T) {
	cases := []struct {
		name  string
		done  map[string]int
		want  []Row
		other []Row
		tot   Row
		why   string
	}{
		{
			name: "nothing-yet",
			want: []Row{
				{Name: "Đông Lão", Base: 491, Target: 202, Before: 43, Have: 43, Percent: 21.3, Remaining: 159, Planned: true},
				{Name: "Song Nga", Base: 740, Target: 304, Before: 27, Have: 27, Percent: 8.9, Remaining: 277, Planned: true},
				{Name: "Thôn Kim", Base: 687, Target: 282, Before: 3, Have: 3, Percent: 1.1, Remaining: 279, Planned: true},
			},
			tot: Row{Base: 1918, Target: 788, Before: 73, Have: 73, Percent: 9.3, Remaining: 715, Planned: true},
			why: "before counts toward have from the start",
		},
		{
			name: "met-and-over",
			done: map[string]int{"Đông Lão": 159, "Song Nga": 300},
			want: []Row{
				{Name: "Đông Lão", Base: 491, Target: 202, Before: 43, Done: 159, Have: 202, Percent: 100, Remaining: 0, Planned: true},
				{Name: "Song Nga", Base: 740, Target: 304, Before: 27, Done: 300, Have: 327, Percent: 107.6, Remaining: 0, Planned: true},
				{Name: "Thôn Kim", Base: 687, Target: 282, Before: 3, Have: 3, Percent: 1.1, Remaining: 279, Planned: true},
			},
			tot: Row{Base: 1918, Target: 788, Before: 73, Done: 459, Have: 532, Percent: 67.5, Remaining: 256, Planned: true},
			why: "remaining never goes negative; percent may exceed 100",
		},
		{
			name: "unplanned-village",
			done: map[string]int{"Xã bên": 2, "": 1},
			want: []Row{
				{Name: "Đông Lão", Base: 491, Target: 202, Before: 43, Have: 43, Percent: 21.3, Remaining: 159, Planned: true},
				{Name: "Song Nga", Base: 740, Target: 304, Before: 27, Have: 27, Percent: 8.9, Remaining: 277, Planned: true},
				{Name: "Thôn Kim", Base: 687, Target: 282, Before: 3, Have: 3, Percent: 1.1, Remaining: 279, Planned: true},
			},
			other: []Row{{Name: "(không rõ thôn)", Done: 1, Have: 1}, {Name: "Xã bên", Done: 2, Have: 2}},
			tot:   Row{Base: 1918, Target: 788, Before: 73, Done: 3, Have: 76, Percent: 9.6, Remaining: 712, Planned: true},
			why:   "citizens of villages outside the plan are shown, not lost; target 0 gives percent 0",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := Snapshot{Today: "2024-06-05", WindowDays: 7}
			for name, n := range tc.done {
				s.Villages = append(s.Villages, Group{Key: quota.Key(name), Name: name, Done: n})
				s.Done += n
			}
			p := Compute(camNgoc(), s, time.Now())
			assert.Equal(t, tc.want, p.Villages, tc.why)
			if tc.other == nil {
				tc.other = []Row{}
			}
			assert.Equal(t, tc.other, p.OtherVillages, tc.why)
			assert.Equal(t, tc.tot, p.Total, tc.why)
		})
	}
}

func TestComputeRealQuotaTotals(t *testing.T) {
	v, err := quota.ParseVillages(mustOpen(t, "../quota/testdata/quotas-cam-ngoc-2024.csv"), quota.DefaultRateBP)
	assert.NoError(t, err)
	p := Compute(quota.Plan{Villages: v}, Snapshot{Today: "2024-06-05"}, time.Now())
	assert.Equal(t, 1701, p.Total.Target)
	assert.Equal(t, 166, p.Total.Before)
	assert.Equal(t, 166, p.Total.Have)
	assert.Equal(t, 1535, p.Total.Remaining, "the appendix's column 11 total")
	assert.Len(t, p.Villages, 7)
}

func TestComputeRoundsAndDays(t *testing.T) {
	plan := camNgoc()
	plan.Rounds = []quota.Round{{Name: "Đợt 1", From: "2024-06-05", To: "2024-06-07", Target: 100}, {Name: "Đợt 2", From: "2024-08-05", To: "2024-08-07"}}
	s := Snapshot{Done: 13, Today: "2024-06-06", Days: map[string]int{"2024-06-05": 5, "2024-06-06": 4, "2024-06-20": 4}}
	p := Compute(plan, s, time.Now())
	assert.Equal(t, []RoundRow{
		{Name: "Đợt 1", From: "2024-06-05", To: "2024-06-07", Target: 100, Done: 9, Percent: 9, Remaining: 91, Current: true},
		{Name: "Đợt 2", From: "2024-08-05", To: "2024-08-07"},
		{Name: "Ngoài các đợt", Done: 4},
	}, p.Rounds, "days outside every round are listed, so rounds add up to the total")
	assert.Equal(t, []DayRow{{"2024-06-05", 5}, {"2024-06-06", 4}, {"2024-06-20", 4}}, p.Days)
}

func TestForecast(t *testing.T) {
	cases := []struct {
		name     string
		deadline string
		recent   int
		done     int
		want     ForecastRow
		why      string
	}{
		{"no-rate", "", 0, 0, ForecastRow{Name: "Đông Lão", Remaining: 159}, "nothing recently: no date can be promised"},
		{"on-track", "2024-06-14", 70, 0, ForecastRow{Name: "Đông Lão", Remaining: 159, RatePerDay: 10, ETA: "2024-06-21", NeededPerDay: 15.9, OnTrack: false}, "10/day for 159 takes 16 days, the deadline leaves 10"},
		{"fast", "2024-06-30", 140, 0, ForecastRow{Name: "Đông Lão", Remaining: 159, RatePerDay: 20, ETA: "2024-06-13", NeededPerDay: 6.12, OnTrack: true}, "ahead of the needed pace"},
		{"met", "2024-06-30", 7, 159, ForecastRow{Name: "Đông Lão", RatePerDay: 1, Met: true, OnTrack: true}, "met targets need nothing"},
		{"past-deadline", "2024-06-01", 7, 0, ForecastRow{Name: "Đông Lão", Remaining: 159, RatePerDay: 1, ETA: "2024-11-11", NeededPerDay: 159}, "after the deadline everything left is needed now"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			plan := quota.Plan{Villages: quota.Villages{Rows: []quota.Village{{Name: "Đông Lão", Base: 491, Target: 202, Before: 43}}}, Deadline: tc.deadline}
			// A week of data: activations on each of the 7 days to today.
			days := map[string]int{}
			for d := 30; d <= 36; d++ {
				days[time.Date(2024, 5, d, 0, 0, 0, 0, time.UTC).Format("2006-01-02")] = 1
			}
			s := Snapshot{Done: tc.done, Today: "2024-06-05", WindowDays: 7, Days: days,
				Villages: []Group{{Key: quota.Key("Đông Lão"), Name: "Đông Lão", Done: tc.done, Recent: tc.recent}}}
			p := Compute(plan, s, time.Now())
			assert.Equal(t, tc.want, p.Forecast.Villages[0], tc.why)
		})
	}
}

// TestForecastHonestWithLittleData is issue 12's first finding: one day of
// data divided by seven predicted 2041 and every village late.
func TestForecastHonestWithLittleData(t *testing.T) {
	plan := quota.Plan{Villages: quota.Villages{Rows: []quota.Village{{Name: "Đông Lão", Base: 491, Target: 202, Before: 43}}}, Deadline: "2024-06-20"}
	one := Snapshot{Done: 3, Today: "2024-06-05", WindowDays: 7, Days: map[string]int{"2024-06-05": 3},
		Villages: []Group{{Key: quota.Key("Đông Lão"), Name: "Đông Lão", Done: 3, Recent: 3}}}
	f := Compute(plan, one, time.Now()).Forecast
	assert.False(t, f.Enough, "one day is not enough")
	assert.Equal(t, "2024-06-07", f.EnoughFrom)
	assert.Empty(t, f.Villages[0].ETA, "no date is named on day one")
	assert.False(t, f.Villages[0].OnTrack)
	assert.Equal(t, 3.0, f.Villages[0].RatePerDay, "the rate is per day of data, not per window day")
	assert.Equal(t, 16, f.SessionDaysLeft)

	// Seven days of 10 a day: a date, before the deadline + 1 year.
	week := Snapshot{Done: 70, Today: "2024-06-11", WindowDays: 7, Days: map[string]int{},
		Villages: []Group{{Key: quota.Key("Đông Lão"), Name: "Đông Lão", Done: 70, Recent: 70}}}
	for d := 5; d <= 11; d++ {
		week.Days[fmt.Sprintf("2024-06-%02d", d)] = 10
	}
	f = Compute(plan, week, time.Now()).Forecast
	assert.True(t, f.Enough)
	assert.Equal(t, "2024-06-20", f.Villages[0].ETA, "89 left at 10 a day: 9 more days")

	// A crawl of 1 every few days: no date past a year after the deadline.
	slow := Snapshot{Done: 3, Today: "2024-06-11", WindowDays: 7, Days: map[string]int{"2024-06-01": 1, "2024-06-06": 1, "2024-06-11": 1},
		Villages: []Group{{Key: quota.Key("Đông Lão"), Name: "Đông Lão", Done: 3, Recent: 2}}}
	slow.Villages[0].Recent = 1
	f = Compute(plan, slow, time.Now()).Forecast
	assert.Empty(t, f.Villages[0].ETA)
	assert.True(t, f.Villages[0].Beyond)
}

// TestForecastKnowsRounds: between rounds nobody is expected, so the pace
// needed is per round day and the days between do not dilute the rate.
func TestForecastKnowsRounds(t *testing.T) {
	plan := quota.Plan{
		Villages: quota.Villages{Rows: []quota.Village{{Name: "Đông Lão", Base: 491, Target: 202, Before: 42}}},
		Rounds:   []quota.Round{{Name: "Đợt 1", From: "2024-06-01", To: "2024-06-03"}, {Name: "Đợt 2", From: "2024-06-10", To: "2024-06-12"}},
	}
	s := Snapshot{Done: 60, Today: "2024-06-05", WindowDays: 7,
		Days:     map[string]int{"2024-06-01": 20, "2024-06-02": 20, "2024-06-03": 20},
		Villages: []Group{{Key: quota.Key("Đông Lão"), Name: "Đông Lão", Done: 60, Recent: 60}}}
	f := Compute(plan, s, time.Now()).Forecast
	assert.True(t, f.Enough)
	assert.Equal(t, 3, f.SessionDaysLeft, "the last round's three days")
	assert.Equal(t, 20.0, f.Villages[0].RatePerDay)
	assert.Equal(t, 33.34, f.Villages[0].NeededPerDay, "100 left over 3 round days")
	assert.Equal(t, "2024-06-14", f.Villages[0].ETA, "3 round days then every day after the last round")
}

package tally

import (
	"math"
	"sort"
	"time"

	"github.com/kyso-vn/kyso/ward/quota"
)

// Row is one line of the progress table (a village, an association or the
// total). Have = Before + Done; Percent = 100 × Have / Target, one decimal.
type Row struct {
	Name   string `json:"name,omitempty"`
	Base   int    `json:"base"`
	Target int    `json:"target"`
	Before int    `json:"before"`
	Done   int    `json:"done"`
	// Confirmed counts the people of this row VNPT's latest report
	// confirms as activated, beside Done (kyso's own count).
	Confirmed int     `json:"confirmed"`
	Have      int     `json:"have"`
	Percent   float64 `json:"percent"`
	Remaining int     `json:"remaining"`
	// Planned is false for names seen in records but absent from the plan
	// (a typo, another commune): shown so nobody's work goes missing.
	Planned bool `json:"-"`
}

// RoundRow is one đợt: citizens counted on its days.
type RoundRow struct {
	Name      string  `json:"name"`
	From      string  `json:"from,omitempty"`
	To        string  `json:"to,omitempty"`
	Target    int     `json:"target"`
	Done      int     `json:"done"`
	Percent   float64 `json:"percent"`
	Remaining int     `json:"remaining"`
	Current   bool    `json:"current"`
}

// DayRow is one day with citizens counted.
type DayRow struct {
	Date string `json:"date"`
	Done int    `json:"done"`
}

// ForecastRow says, at the recent daily rate, when a target is met and what
// daily pace the deadline needs.
type ForecastRow struct {
	Name         string  `json:"name"`
	Remaining    int     `json:"remaining"`
	RatePerDay   float64 `json:"rate_per_day"`
	Met          bool    `json:"met"`
	ETA          string  `json:"eta,omitempty"` // YYYY-MM-DD; empty when met or the rate is 0
	NeededPerDay float64 `json:"needed_per_day"`
	OnTrack      bool    `json:"on_track"`
	// Beyond is set when, at the recent pace, the target is not met within
	// a year of the deadline: no date is named then.
	Beyond bool `json:"beyond,omitempty"`
}

// Forecast is computed from the last WindowDays days, today included.
type Forecast struct {
	Today      string `json:"today"`
	WindowDays int    `json:"window_days"`
	Deadline   string `json:"deadline,omitempty"`
	DaysLeft   int    `json:"days_left"` // deadline − today + 1; 0 when past or unset
	// SessionDaysLeft counts the campaign days (the rounds' days, or every
	// day without rounds) from today to the deadline: the pace needed is
	// per one of these.
	SessionDaysLeft int `json:"session_days_left"`
	// DataDays counts campaign days since the first activation; a date is
	// forecast only when Enough (MinForecastDays), from EnoughFrom on.
	DataDays   int           `json:"data_days"`
	Enough     bool          `json:"enough"`
	EnoughFrom string        `json:"enough_from,omitempty"`
	Total      ForecastRow   `json:"total"`
	Villages   []ForecastRow `json:"villages"`
}

// Progress is the public progress document: aggregates only, no personal data.
type Progress struct {
	Total        Row   `json:"total"`
	Villages     []Row `json:"villages"`     // exactly the plan's villages, in its order
	Associations []Row `json:"associations"` // exactly the plan's associations
	// OtherVillages and OtherAssociations are names seen in records but not
	// in the plan (typos, another commune, no village given). Their
	// citizens count in total.done so nobody's work goes missing, but they
	// are kept apart so that kiosks offering "villages" in their join form
	// never offer a typo.
	OtherVillages     []Row      `json:"other_villages"`
	OtherAssociations []Row      `json:"other_associations"`
	Rounds            []RoundRow `json:"rounds"`
	Days              []DayRow   `json:"days"`
	Forecast          Forecast   `json:"forecast"`
	Records           int        `json:"records"`
	Failed            int        `json:"failed"`
	// UpdatedAt is when the newest record held reached the ward: the time
	// the counts last changed, not the time of the request, so the same
	// data gives the same document (also across restarts and a purge).
	UpdatedAt time.Time `json:"updated_at"`
}

// UnknownVillage names the row of records that gave no village.
const UnknownVillage = "(không rõ thôn)"

func percent(have, target int) float64 {
	if target <= 0 {
		return 0
	}
	return math.Round(1000*float64(have)/float64(target)) / 10
}

func finish(r Row) Row {
	r.Have = r.Before + r.Done
	r.Percent = percent(r.Have, r.Target)
	r.Remaining = max(0, r.Target-r.Have)
	return r
}

// Compute joins the counters with the plan. It is O(villages +
// associations + rounds × days).
func Compute(plan quota.Plan, s Snapshot, now time.Time) Progress {
	p := Progress{Records: s.Records, Failed: s.Failed, UpdatedAt: s.Updated,
		Villages: []Row{}, Associations: []Row{}, OtherVillages: []Row{}, OtherAssociations: []Row{},
		Rounds: []RoundRow{}, Days: []DayRow{}}

	byKey := map[string]Group{}
	for _, g := range s.Villages {
		if g.Done > 0 || g.Recent > 0 {
			byKey[g.Key] = g
		}
	}
	recent := map[string]int{}
	for _, v := range plan.Villages.Rows {
		k := quota.Key(v.Name)
		g := byKey[k]
		delete(byKey, k)
		p.Villages = append(p.Villages, finish(Row{Name: v.Name, Base: v.Base, Target: v.Target, Before: v.Before, Done: g.Done, Planned: true}))
		recent[v.Name] = g.Recent
	}
	var extra []Row
	for _, g := range byKey {
		name := g.Name
		if g.Key == "" {
			name = UnknownVillage
		}
		extra = append(extra, finish(Row{Name: name, Done: g.Done}))
		recent[name] = g.Recent
	}
	sort.Slice(extra, func(i, j int) bool { return extra[i].Name < extra[j].Name })
	p.OtherVillages = append(p.OtherVillages, extra...)

	tot := Row{}
	for _, r := range append(p.Villages[:len(p.Villages):len(p.Villages)], p.OtherVillages...) {
		tot.Base += r.Base
		tot.Target += r.Target
		tot.Before += r.Before
		tot.Done += r.Done
	}
	p.Total = finish(tot)
	p.Total.Planned = true

	aByKey := map[string]Group{}
	for _, g := range s.Associations {
		if g.Done > 0 && g.Key != "" {
			aByKey[g.Key] = g
		}
	}
	for _, a := range plan.Associations {
		k := quota.Key(a.Name)
		g := aByKey[k]
		delete(aByKey, k)
		p.Associations = append(p.Associations, finish(Row{Name: a.Name, Target: a.Target, Before: a.Before, Done: g.Done, Planned: true}))
	}
	var aExtra []Row
	for _, g := range aByKey {
		aExtra = append(aExtra, finish(Row{Name: g.Name, Done: g.Done}))
	}
	sort.Slice(aExtra, func(i, j int) bool { return aExtra[i].Name < aExtra[j].Name })
	p.OtherAssociations = append(p.OtherAssociations, aExtra...)

	days := make([]string, 0, len(s.Days))
	for d := range s.Days {
		days = append(days, d)
	}
	sort.Strings(days)
	inRounds := 0
	for _, r := range plan.Rounds {
		rr := RoundRow{Name: r.Name, From: r.From, To: r.To, Target: r.Target, Current: r.Contains(s.Today)}
		for _, d := range days {
			if r.Contains(d) {
				rr.Done += s.Days[d]
			}
		}
		inRounds += rr.Done
		rr.Percent = percent(rr.Done, rr.Target)
		rr.Remaining = max(0, rr.Target-rr.Done)
		p.Rounds = append(p.Rounds, rr)
	}
	if len(plan.Rounds) > 0 && s.Done > inRounds {
		p.Rounds = append(p.Rounds, RoundRow{Name: "Ngoài các đợt", Done: s.Done - inRounds})
	}
	for _, d := range days {
		p.Days = append(p.Days, DayRow{Date: d, Done: s.Days[d]})
	}

	p.Forecast = forecast(plan, s, p, recent)
	return p
}

// MinForecastDays is how many campaign days with data a forecast needs
// before it names a date: one evening says little about the next ten.
const MinForecastDays = 3

// forecastYears bounds how far a date is promised past the deadline: a
// slow start must not read "2041".
const forecastYears = 1

func forecast(plan quota.Plan, s Snapshot, p Progress, recent map[string]int) Forecast {
	deadline := plan.Deadline
	f := Forecast{Today: s.Today, WindowDays: s.WindowDays, Deadline: deadline, Villages: []ForecastRow{}}
	today, _ := DayOf(s.Today)
	// Campaign days: the rounds' days when there are rounds (nobody is
	// expected to come between them), else every day.
	sessionDay := func(d int32) bool {
		if len(plan.Rounds) == 0 {
			return true
		}
		ds := DayString(d)
		for _, r := range plan.Rounds {
			if r.Contains(ds) {
				return true
			}
		}
		return false
	}
	end, hasEnd := DayOf(deadline)
	if !hasEnd && len(plan.Rounds) > 0 {
		for _, r := range plan.Rounds {
			if e, ok := DayOf(r.To); ok && (!hasEnd || e > end) {
				end, hasEnd = e, true
			}
		}
	}
	if dl, ok := DayOf(deadline); ok && dl >= today {
		f.DaysLeft = int(dl-today) + 1
	}
	if hasEnd && end >= today {
		for d := today; d <= end; d++ {
			if sessionDay(d) {
				f.SessionDaysLeft++
			}
		}
		if f.SessionDaysLeft == 0 {
			f.SessionDaysLeft = int(end-today) + 1
		}
	}
	// Data: campaign days from the first day with activations to today.
	first := int32(-1)
	for ds, n := range s.Days {
		if d, ok := DayOf(ds); ok && n > 0 && (first < 0 || d < first) {
			first = d
		}
	}
	window := 0
	if first >= 0 {
		for d := first; d <= today; d++ {
			if sessionDay(d) {
				f.DataDays++
				if d > today-int32(s.WindowDays) {
					window++
				}
			}
		}
		n := 0
		for d := first; n < MinForecastDays && d < first+3660; d++ {
			if sessionDay(d) {
				n++
				if n == MinForecastDays {
					f.EnoughFrom = DayString(d)
				}
			}
		}
	}
	f.Enough = f.DataDays >= MinForecastDays
	limit := today + 366*forecastYears
	if hasEnd {
		limit = end + 366*forecastYears
	}
	row := func(name string, r Row, recentDone int) ForecastRow {
		fr := ForecastRow{Name: name, Remaining: r.Remaining, Met: r.Target > 0 && r.Remaining == 0}
		if window > 0 {
			fr.RatePerDay = math.Round(100*float64(recentDone)/float64(window)) / 100
		}
		if !fr.Met && fr.RatePerDay > 0 && f.Enough {
			left := float64(r.Remaining)
			for d := today + 1; d <= limit; d++ {
				if sessionDay(d) || (hasEnd && d > end) {
					left -= fr.RatePerDay
				}
				if left <= 0 {
					fr.ETA = DayString(d)
					break
				}
			}
			fr.Beyond = fr.ETA == ""
		}
		switch {
		case fr.Met:
			fr.OnTrack = true
		case !hasEnd:
		case f.SessionDaysLeft > 0:
			fr.NeededPerDay = math.Ceil(100*float64(r.Remaining)/float64(f.SessionDaysLeft)) / 100
			fr.OnTrack = f.Enough && fr.RatePerDay >= fr.NeededPerDay
		default: // past the deadline: everything left is needed now
			fr.NeededPerDay = float64(r.Remaining)
		}
		return fr
	}
	total := 0
	for _, v := range p.Villages {
		total += recent[v.Name]
		f.Villages = append(f.Villages, row(v.Name, v, recent[v.Name]))
	}
	for _, v := range p.OtherVillages {
		total += recent[v.Name]
	}
	f.Total = row("Toàn xã", p.Total, total)
	return f
}

// OtherName is the one public row that stands for every village or
// association name the plan does not know.
const OtherName = "Khác (chờ xã đối chiếu)"

// Public returns the progress for unauthenticated readers: names typed by
// citizens that the plan does not know are free text (a phone number, a
// name) and belong to the admin, so they are summed into one row.
func (p Progress) Public() Progress {
	fold := func(rows []Row) []Row {
		if len(rows) == 0 {
			return []Row{}
		}
		o := Row{Name: OtherName}
		for _, r := range rows {
			o.Done += r.Done
			o.Confirmed += r.Confirmed
		}
		return []Row{finish(o)}
	}
	p.OtherVillages = fold(p.OtherVillages)
	p.OtherAssociations = fold(p.OtherAssociations)
	return p
}

// SetConfirmed fills Confirmed from VNPT's report, counted by quota.Key of
// the village and association.
func (p *Progress) SetConfirmed(villages, associations map[string]int) {
	set := func(rows []Row, m map[string]int) int {
		n := 0
		for i := range rows {
			rows[i].Confirmed = m[quota.Key(rows[i].Name)]
			n += rows[i].Confirmed
		}
		return n
	}
	total := set(p.Villages, villages)
	total += set(p.OtherVillages, villages)
	set(p.Associations, associations)
	set(p.OtherAssociations, associations)
	seen := false
	for _, r := range p.OtherVillages {
		seen = seen || quota.Key(r.Name) == quota.Key(UnknownVillage)
	}
	if !seen {
		total += villages[quota.Key(UnknownVillage)]
	}
	p.Total.Confirmed = total
}

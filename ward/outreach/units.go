package outreach

import (
	"math"
	"sort"
	"time"

	"github.com/kyso-vn/kyso/ward/quota"
)

// Colours of the accountability table.
const (
	Green = "green" // on pace (or done)
	Amber = "amber" // behind
	Red   = "red"   // far behind, or silent for two days
)

// UnitInput is what the ward's counts say of one village or association.
type UnitInput struct {
	Name         string
	Target       int
	Have         int     // before + done + VNPT-only confirmations
	RecentPerDay float64 // activations per day over the recent window
	Last         string  // YYYY-MM-DD of the last activation, "" when none
}

// Unit is one line of GET /api/v1/units.
type Unit struct {
	Name           string  `json:"name"`
	Eligible       int     `json:"eligible"`
	Target         int     `json:"target"`
	Activated      int     `json:"activated"`
	Percent        float64 `json:"percent"`
	PaceNeeded     float64 `json:"pace_needed"` // activations per remaining campaign day
	RecentPerDay   float64 `json:"recent_per_day"`
	LastActivation string  `json:"last_activation"`
	Colour         string  `json:"colour"`
	Rank           int     `json:"rank"`
}

// Units is the reply of GET /api/v1/units.
type Units struct {
	Villages     []Unit `json:"villages"`
	Associations []Unit `json:"associations"`
	DaysLeft     int    `json:"days_left"`
	Today        string `json:"today"`
}

// Pace says how the campaign's remaining days are counted.
type Pace struct {
	Today    string // YYYY-MM-DD
	DaysLeft int    // campaign days left, today included; 0 when unknown or past
	Underway bool   // activations were counted on two or more days: silence means something
}

// BuildUnits ranks villages and associations for the steering committee.
func BuildUnits(vs, as []UnitInput, eligibleV, eligibleA map[string]int, p Pace) Units {
	u := Units{Villages: units(vs, eligibleV, p), Associations: units(as, eligibleA, p), DaysLeft: p.DaysLeft, Today: p.Today}
	return u
}

func units(in []UnitInput, eligible map[string]int, p Pace) []Unit {
	out := make([]Unit, 0, len(in))
	for _, x := range in {
		un := Unit{Name: x.Name, Eligible: eligible[quota.Key(x.Name)], Target: x.Target, Activated: x.Have,
			LastActivation: x.Last, RecentPerDay: math.Round(x.RecentPerDay*10) / 10}
		if x.Target > 0 {
			un.Percent = math.Round(1000*float64(x.Have)/float64(x.Target)) / 10
		}
		remaining := max(0, x.Target-x.Have)
		if remaining > 0 && p.DaysLeft > 0 {
			un.PaceNeeded = math.Ceil(10*float64(remaining)/float64(p.DaysLeft)) / 10
		} else if remaining > 0 {
			un.PaceNeeded = float64(remaining)
		}
		un.Colour = colour(x, remaining, un.PaceNeeded, p)
		out = append(out, un)
	}
	order := make([]int, len(out))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return out[order[a]].Percent > out[order[b]].Percent })
	for r, i := range order {
		out[i].Rank = r + 1
		if r > 0 && out[order[r-1]].Percent == out[i].Percent {
			out[i].Rank = out[order[r-1]].Rank
		}
	}
	return out
}

func colour(x UnitInput, remaining int, needed float64, p Pace) string {
	if remaining == 0 {
		return Green
	}
	if p.Underway && silent(x.Last, p.Today) {
		return Red
	}
	switch {
	case p.DaysLeft == 0 && needed > 0 && p.Today != "":
		// No deadline known (or it passed): judge by activity alone.
		if x.RecentPerDay > 0 {
			return Amber
		}
		return Red
	case x.RecentPerDay >= needed:
		return Green
	case x.RecentPerDay >= needed/2:
		return Amber
	}
	return Red
}

// silent reports whether the last activation is two days or more before today.
func silent(last, today string) bool {
	if last == "" {
		return true
	}
	l, err1 := time.Parse("2006-01-02", last)
	t, err2 := time.Parse("2006-01-02", today)
	if err1 != nil || err2 != nil {
		return false
	}
	return t.Sub(l) >= 48*time.Hour
}

// Activation is one citizen kyso counts as activated.
type Activation struct {
	CCCD    string
	Village string // as the record names it (the plan's label when known)
	Date    string
}

// ReconRow is one village of the reconciliation with VNPT's report.
type ReconRow struct {
	Name          string `json:"name"`
	KysoActivated int    `json:"kyso_activated"`
	VNPTConfirmed int    `json:"vnpt_confirmed"`
	Both          int    `json:"both"`
	KysoOnly      int    `json:"kyso_only"`
	VNPTOnly      int    `json:"vnpt_only"`
}

// Reconciliation is the reply of GET /api/v1/reconciliation.
type Reconciliation struct {
	Villages []ReconRow `json:"villages"`
	Total    ReconRow   `json:"total"`
}

// ReconPerson is one person behind a reconciliation number.
type ReconPerson struct {
	Category string // both | kyso_only | vnpt_only
	Village  string
	CCCD     string
	Name     string
	Phone    string
	KysoDate string
	VNPTDate string
}

// UnknownVillage names people whose village nobody gave.
const UnknownVillage = "(không rõ thôn)"

// Reconcile matches kyso's activations with VNPT's confirmations by CCCD.
// label maps a village name to the plan's label (so "thôn Đông Lão" and
// "Đông Lão" are one row); order lists the plan's villages first.
func (b *Book) Reconcile(kyso []Activation, label func(string) string, order []string) (Reconciliation, []ReconPerson) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	rows := map[string]*ReconRow{}
	row := func(v string) *ReconRow {
		if v == "" {
			v = UnknownVillage
		} else if label != nil {
			v = label(v)
		}
		r := rows[v]
		if r == nil {
			r = &ReconRow{Name: v}
			rows[v] = r
		}
		return r
	}
	var people []ReconPerson
	seen := map[string]bool{}
	for _, a := range kyso {
		if a.CCCD == "" || seen[a.CCCD] {
			continue
		}
		seen[a.CCCD] = true
		r := row(a.Village)
		r.KysoActivated++
		rp := ReconPerson{Village: r.Name, CCCD: a.CCCD, KysoDate: a.Date, Category: "kyso_only"}
		if k, ok := b.byCCCD[a.CCCD]; ok {
			rp.Name, rp.Phone = b.people[k].Name, b.people[k].Phone
		}
		if c, ok := b.vnpt[a.CCCD]; ok {
			r.VNPTConfirmed++
			r.Both++
			rp.Category, rp.VNPTDate = "both", c.Date
			if rp.Name == "" {
				rp.Name, rp.Phone = c.Name, c.Phone
			}
		} else {
			r.KysoOnly++
		}
		people = append(people, rp)
	}
	for cccd, c := range b.vnpt {
		if seen[cccd] {
			continue
		}
		v := c.Village
		name, phone := c.Name, c.Phone
		if k, ok := b.byCCCD[cccd]; ok {
			v = b.people[k].Village
			if name == "" {
				name = b.people[k].Name
			}
		}
		r := row(v)
		r.VNPTConfirmed++
		r.VNPTOnly++
		people = append(people, ReconPerson{Category: "vnpt_only", Village: r.Name, CCCD: cccd, Name: name, Phone: phone, VNPTDate: c.Date})
	}
	var out Reconciliation
	out.Villages = []ReconRow{}
	done := map[string]bool{}
	for _, v := range order {
		if r, ok := rows[v]; ok && !done[v] {
			out.Villages = append(out.Villages, *r)
			done[v] = true
		} else if !ok && !done[v] {
			out.Villages = append(out.Villages, ReconRow{Name: v})
			done[v] = true
		}
	}
	var rest []string
	for v := range rows {
		if !done[v] {
			rest = append(rest, v)
		}
	}
	sort.Strings(rest)
	for _, v := range rest {
		out.Villages = append(out.Villages, *rows[v])
	}
	for _, r := range out.Villages {
		out.Total.KysoActivated += r.KysoActivated
		out.Total.VNPTConfirmed += r.VNPTConfirmed
		out.Total.Both += r.Both
		out.Total.KysoOnly += r.KysoOnly
		out.Total.VNPTOnly += r.VNPTOnly
	}
	out.Total.Name = "Toàn xã"
	sort.SliceStable(people, func(i, j int) bool {
		if people[i].Village != people[j].Village {
			return people[i].Village < people[j].Village
		}
		return people[i].Category < people[j].Category
	})
	return out, people
}

// VNPTOnly counts, per village key, the people VNPT confirms whom kyso does
// not count: they are activated for outreach and for the units table.
func (b *Book) VNPTOnly(kysoHas func(cccd string) bool) (byVillage, byAssociation map[string]int) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	byVillage, byAssociation = map[string]int{}, map[string]int{}
	for cccd, c := range b.vnpt {
		if kysoHas(cccd) {
			continue
		}
		v, a := c.Village, ""
		if k, ok := b.byCCCD[cccd]; ok {
			v, a = b.people[k].Village, b.people[k].Association
		}
		byVillage[quota.Key(v)]++
		if a != "" {
			byAssociation[quota.Key(a)]++
		}
	}
	return byVillage, byAssociation
}

// ConfirmedCounts counts VNPT's confirmations per village key and
// association key: the roster's village for a person it knows, else the
// village the report gives, else UnknownVillage.
func (b *Book) ConfirmedCounts() (villages, associations map[string]int) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	villages, associations = map[string]int{}, map[string]int{}
	for cccd, c := range b.vnpt {
		v, a := c.Village, ""
		if k, ok := b.byCCCD[cccd]; ok {
			v, a = b.people[k].Village, b.people[k].Association
		}
		if v == "" {
			v = UnknownVillage
		}
		villages[quota.Key(v)]++
		if a != "" {
			associations[quota.Key(a)]++
		}
	}
	return villages, associations
}

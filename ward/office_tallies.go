package ward

import (
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/export"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
)

// Per-volunteer and per-house tallies: who helped how many, and why the
// failures failed — what unit heads ask for when they credit members.
// They count the effective records (a corrected record counts as its
// correction says; a void counts nowhere). What each record contributes is
// read from the store once and kept (recInfo), so a new tally after an
// ingest reads only the new records.

// recInfo is what the tallies need of one record.
type recInfo struct {
	volunteer string
	house     string
	activated bool
	reason    string // failure reason code
}

// HelperRow is one volunteer's or one house's work.
type HelperRow struct {
	Name      string         `json:"name"`
	Attempts  int            `json:"attempts"`  // effective records (voids excluded)
	Activated int            `json:"activated"` // of which activated
	Counted   int            `json:"counted"`   // citizens counted (each CCCD once)
	Failed    int            `json:"failed"`
	Reasons   map[string]int `json:"reasons"` // failure reason (Vietnamese) → records
	// ReasonsText lists the failures by reason: "Không có email 2; Lý do khác 1".
	ReasonsText string `json:"reasons_text"`
}

// Tallies are the per-volunteer and per-house rows, most activations first.
type Tallies struct {
	Helpers []HelperRow `json:"helpers"`
	Houses  []HelperRow `json:"houses"`
}

// noVolunteer names records without a volunteer (a citizen on their own phone).
const noVolunteer = "(không ghi tên)"

func (o *office) info(st *store.Stored) recInfo {
	r := &st.Record
	v := quota.Clean(r.Volunteer)
	if v == "" {
		v = noVolunteer
	}
	return recInfo{volunteer: v, house: o.houseOf(r), activated: r.Outcome == record.OutcomeActivated, reason: r.Reason}
}

// tallies computes (or returns the cached) tallies.
func (o *office) tallies() Tallies { return o.talliesWithin(0) }

// talliesWithin returns the cached tallies while they are younger than
// age, even if records arrived since: the live dashboard's tallies follow a
// busy evening every few seconds, not at every push.
func (o *office) talliesWithin(age time.Duration) Tallies {
	o.tallyMu.Lock()
	defer o.tallyMu.Unlock()
	n := o.records()
	if n == o.tallyAt || (o.tallyAt >= 0 && time.Since(o.tallyWhen) < age) {
		return o.tallyCache
	}
	o.tallyWhen = time.Now()
	refs := o.refs("", false)
	var missing []store.Ref
	for _, r := range refs {
		k := store.Ref{Kiosk: r.Kiosk, Seq: r.Seq}
		if _, ok := o.infos[k]; !ok {
			missing = append(missing, k)
		}
	}
	const chunk = 512
	for from := 0; from < len(missing); from += chunk {
		part := missing[from:min(from+chunk, len(missing))]
		if err := o.getRecs(part, func(st store.Stored) error {
			o.infos[store.Ref{Kiosk: st.Record.KioskID, Seq: st.Record.Seq}] = o.info(&st)
			return nil
		}); err != nil {
			o.log.Error("tallies: records not read", "err", err)
			return o.tallyCache
		}
	}
	helpers, houses := map[string]*HelperRow{}, map[string]*HelperRow{}
	add := func(m map[string]*HelperRow, name string, in recInfo, counted bool) {
		h := m[name]
		if h == nil {
			h = &HelperRow{Name: name, Reasons: map[string]int{}}
			m[name] = h
		}
		h.Attempts++
		switch {
		case in.activated:
			h.Activated++
			if counted {
				h.Counted++
			}
		default:
			h.Failed++
			t := reasonText[in.reason]
			if t == "" {
				t = reasonText["other"]
			}
			h.Reasons[t]++
		}
	}
	for _, r := range refs {
		in, ok := o.infos[store.Ref{Kiosk: r.Kiosk, Seq: r.Seq}]
		if !ok || (!in.activated && in.reason == reasonVoided) {
			continue
		}
		add(helpers, in.volunteer, in, r.Counted)
		add(houses, in.house, in, r.Counted)
	}
	o.tallyCache = Tallies{Helpers: sortedRows(helpers), Houses: sortedRows(houses)}
	o.tallyAt = n
	return o.tallyCache
}

func sortedRows(m map[string]*HelperRow) []HelperRow {
	out := make([]HelperRow, 0, len(m))
	for _, h := range m {
		type rc struct {
			r string
			n int
		}
		var rs []rc
		for r, n := range h.Reasons {
			rs = append(rs, rc{r, n})
		}
		sort.Slice(rs, func(i, j int) bool {
			if rs[i].n != rs[j].n {
				return rs[i].n > rs[j].n
			}
			return rs[i].r < rs[j].r
		})
		parts := make([]string, len(rs))
		for i, x := range rs {
			parts[i] = x.r + " " + strconv.Itoa(x.n)
		}
		h.ReasonsText = strings.Join(parts, "; ")
		out = append(out, *h)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Counted != out[j].Counted {
			return out[i].Counted > out[j].Counted
		}
		if out[i].Attempts != out[j].Attempts {
			return out[i].Attempts > out[j].Attempts
		}
		return out[i].Name < out[j].Name
	})
	return out
}

func (o *office) getTallies(c *fiber.Ctx) error { return c.JSON(o.tallies()) }

// Tallies for the summary export (exports.go); empty without an office.
func (o *office) summaryTallies() Tallies {
	if o == nil {
		return Tallies{}
	}
	return o.tallies()
}

// sheets are the tallies as summary.xlsx sheets.
func (t Tallies) sheets() []export.TallySheet {
	conv := func(rows []HelperRow) []export.TallyRow {
		out := make([]export.TallyRow, len(rows))
		for i, r := range rows {
			out[i] = export.TallyRow{Name: r.Name, Attempts: r.Attempts, Activated: r.Activated, Counted: r.Counted, Failed: r.Failed, Reasons: r.ReasonsText}
		}
		return out
	}
	return []export.TallySheet{
		{Sheet: "Người hỗ trợ", Title: "KẾT QUẢ THEO NGƯỜI HỖ TRỢ", Label: "Người hỗ trợ", Rows: conv(t.Helpers)},
		{Sheet: "Điểm cài đặt", Title: "KẾT QUẢ THEO ĐIỂM CÀI ĐẶT", Label: "Điểm cài đặt", Rows: conv(t.Houses)},
	}
}

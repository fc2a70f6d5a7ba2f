package outreach

import (
	"sort"
	"time"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/ward/quota"
)

// maxGenerateDays bounds one generated span: a campaign lasts weeks, not
// years, and AddSessions takes at most 500 sessions at once.
const maxGenerateDays = 200

// RoundDays lists every day of the rounds (From..To inclusive), earliest
// first, each once even where rounds overlap.
func RoundDays(rounds []quota.Round) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rounds {
		for _, d := range Days(r.From, r.To) {
			if !seen[d] {
				seen[d] = true
				out = append(out, d)
			}
		}
	}
	sortDays(out)
	return out
}

// Days lists the days from..to inclusive (YYYY-MM-DD); nothing when either
// is not a date or to is before from, at most maxGenerateDays.
func Days(from, to string) []string {
	a, err1 := time.Parse("2006-01-02", from)
	z, err2 := time.Parse("2006-01-02", to)
	if err1 != nil || err2 != nil {
		return nil
	}
	var out []string
	for d := a; !d.After(z) && len(out) < maxGenerateDays; d = d.AddDate(0, 0, 1) {
		out = append(out, d.Format("2006-01-02"))
	}
	return out
}

func sortDays(d []string) { sort.Strings(d) }

// GenerateRequest is the body of POST /api/v1/sessions/generate: sessions
// on every day of the campaign's rounds ("rounds") or every evening from
// StartDate to the deadline ("evenings").
type GenerateRequest struct {
	From      string `json:"from"`
	Village   string `json:"village"`    // "rounds": one village, or all; "evenings": required
	StartDate string `json:"start_date"` // "evenings": the first evening, today when empty
	Start     string `json:"start"`      // 19:00 when empty
	End       string `json:"end"`        // 21:30 when empty
	Desks     *int   `json:"desks"`      // 3 when absent
	Place     string `json:"place"`      // the village's cultural house when empty
}

// Expand turns a generate request into the sessions it asks for, for the
// given villages (already limited to what the caller may plan).
func Expand(req GenerateRequest, villages []string, rounds []quota.Round, deadline string, now time.Time) ([]SessionInput, error) {
	if req.Start == "" {
		req.Start = "19:00"
	}
	if req.End == "" {
		req.End = "21:30"
	}
	desks := 3
	if req.Desks != nil {
		desks = *req.Desks
	}
	if len(villages) == 0 {
		return nil, &Error{"invalid_village", "village", "Chưa chọn thôn."}
	}
	if _, ok := hm(req.Start); !ok {
		return nil, &Error{"invalid_session", "start", "Giờ không hợp lệ (cần dạng 19:00)."}
	}
	if _, ok := hm(req.End); !ok {
		return nil, &Error{"invalid_session", "end", "Giờ không hợp lệ (cần dạng 21:30)."}
	}
	var days []string
	switch req.From {
	case "rounds":
		if len(rounds) == 0 {
			return nil, &Error{"no_rounds", "from", "Chiến dịch chưa có đợt nào: hãy nhập lịch các đợt trước."}
		}
		days = RoundDays(rounds)
	case "evenings":
		if deadline == "" {
			return nil, &Error{"no_deadline", "from", "Chiến dịch chưa có hạn hoàn thành: hãy đặt hạn trước."}
		}
		from := req.StartDate
		if from == "" {
			from = now.In(clock.Vietnam).Format("2006-01-02")
		}
		if _, err := time.Parse("2006-01-02", from); err != nil {
			return nil, &Error{"invalid_session", "start_date", "Ngày bắt đầu không hợp lệ (cần dạng năm-tháng-ngày)."}
		}
		if from > deadline {
			return nil, &Error{"invalid_session", "start_date", "Ngày bắt đầu sau hạn hoàn thành " + viDate(deadline) + "."}
		}
		days = Days(from, deadline)
	default:
		return nil, &Error{"invalid_from", "from", "Chọn tạo buổi theo các đợt (rounds) hoặc mỗi tối đến hạn (evenings)."}
	}
	var out []SessionInput
	for _, v := range villages {
		for _, d := range days {
			out = append(out, SessionInput{Village: v, Place: req.Place, Date: d, Start: req.Start, End: req.End, Desks: desks})
		}
	}
	return out, nil
}

// Generated is what AddGenerated did.
type Generated struct {
	Added   []Session
	Skipped int // days past, sessions already ended or already planned
}

// AddGenerated adds generated sessions: those on days past or already over
// are skipped, and so is a session the book already holds (same village,
// place, day and hours), so generating twice adds nothing. The rest are
// validated as AddSessions does (an overlap with another session is
// refused) and stored all together, or none.
func (b *Book) AddGenerated(in []SessionInput, rateOf func(village string) Rate, now time.Time) (Generated, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	today := now.In(clock.Vietnam).Format("2006-01-02")
	type same struct{ village, place, date, start, end string }
	held := map[same]bool{}
	for _, s := range b.sessions {
		held[same{quota.Key(s.Village), quota.Key(s.Place), s.Date, s.Start, s.End}] = true
	}
	var g Generated
	var keep []SessionInput
	for _, x := range in {
		x.Village, x.Place = quota.Clean(x.Village), quota.Clean(x.Place)
		if x.Place == "" && x.Village != "" {
			x.Place = DefaultPlace(x.Village)
		}
		k := same{quota.Key(x.Village), quota.Key(x.Place), x.Date, x.Start, x.End}
		s := Session{Date: x.Date, Start: x.Start, End: x.End}
		if held[k] || (x.Date != "" && x.Date < today) || (x.Date == today && s.Ended(now)) {
			g.Skipped++
			continue
		}
		held[k] = true
		keep = append(keep, x)
	}
	if len(keep) == 0 {
		return g, nil
	}
	if len(keep) > 500 {
		return g, &Error{Code: "invalid_sessions", Field: "sessions", Message: "Quá nhiều buổi trong một lần (tối đa 500): hãy chọn ít ngày hơn."}
	}
	added, err := b.addLocked(keep, rateOf, now)
	if err != nil {
		return Generated{}, err
	}
	g.Added = added
	return g, nil
}

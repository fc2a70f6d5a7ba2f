package outreach

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/ward/quota"
)

// DefaultRate is the people one desk serves in an hour until a house's own
// service times say otherwise.
const DefaultRate = 6.0

// Session is one evening (or day) of service at a house.
type Session struct {
	ID         string    `json:"id"`
	Village    string    `json:"village"`
	Place      string    `json:"place"`
	Date       string    `json:"date"`  // YYYY-MM-DD, Vietnam
	Start      string    `json:"start"` // HH:MM
	End        string    `json:"end"`
	Desks      int       `json:"desks"`
	Rate       float64   `json:"rate"`        // people per desk-hour
	RateSource string    `json:"rate_source"` // where the rate came from, in Vietnamese
	Capacity   int       `json:"capacity"`
	Created    time.Time `json:"created"`
}

// SessionInput is one session asked for by POST /api/v1/sessions.
type SessionInput struct {
	Village string `json:"village"`
	Place   string `json:"place"`
	Date    string `json:"date"`
	Start   string `json:"start"`
	End     string `json:"end"`
	Desks   int    `json:"desks"`
}

// Invite is a person's invitation to a session.
type Invite struct {
	Session string    `json:"session"`
	By      string    `json:"by"` // "lịch tự động" or the login that moved it
	At      time.Time `json:"at"`
}

// Rate is a house's measured service rate.
type Rate struct {
	PerDeskHour float64
	Source      string
}

func hm(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 23 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// bounds returns when the session starts and ends, in Vietnam time.
func (s *Session) bounds() (from, to time.Time) {
	d, err := time.ParseInLocation("2006-01-02", s.Date, clock.Vietnam)
	if err != nil {
		return
	}
	a, _ := hm(s.Start)
	b, _ := hm(s.End)
	return d.Add(time.Duration(a) * time.Minute), d.Add(time.Duration(b) * time.Minute)
}

// Ended reports whether the session is over at now.
func (s *Session) Ended(now time.Time) bool {
	_, to := s.bounds()
	return !to.IsZero() && !now.Before(to)
}

// Hours is the length of the session.
func (s *Session) Hours() float64 {
	from, to := s.bounds()
	return to.Sub(from).Hours()
}

func newID() string { return strings.ToLower(rand.Text()[:10]) }

// AddSessions validates and stores new sessions. rateOf gives each
// village's house rate. All or nothing.
func (b *Book) AddSessions(in []SessionInput, rateOf func(village string) Rate, now time.Time) ([]Session, error) {
	if len(in) == 0 {
		return nil, &Error{Code: "invalid_sessions", Field: "sessions", Message: "Chưa có buổi nào trong yêu cầu."}
	}
	if len(in) > 500 {
		return nil, &Error{Code: "invalid_sessions", Field: "sessions", Message: "Quá nhiều buổi trong một lần (tối đa 500)."}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.addLocked(in, rateOf, now)
}

// addLocked validates every session against the others and the stored
// ones, then stores them all, or none.
func (b *Book) addLocked(in []SessionInput, rateOf func(village string) Rate, now time.Time) ([]Session, error) {
	var out []Session
	var all []*Session
	for _, s := range b.sessions {
		all = append(all, s)
	}
	today := now.In(clock.Vietnam).Format("2006-01-02")
	for i, x := range in {
		field := func(f string) string { return fmt.Sprintf("sessions[%d].%s", i, f) }
		x.Village, x.Place = quota.Clean(x.Village), quota.Clean(x.Place)
		if x.Village == "" {
			return nil, &Error{"invalid_session", field("village"), "Chưa chọn thôn cho buổi."}
		}
		if x.Place == "" {
			x.Place = DefaultPlace(x.Village)
		}
		if len([]rune(x.Place)) > 120 {
			return nil, &Error{"invalid_session", field("place"), "Tên địa điểm quá dài."}
		}
		if _, err := time.Parse("2006-01-02", x.Date); err != nil {
			return nil, &Error{"invalid_session", field("date"), "Ngày không hợp lệ (cần dạng năm-tháng-ngày)."}
		}
		if x.Date < today {
			return nil, &Error{"session_in_past", field("date"), "Buổi " + viDate(x.Date) + " đã qua: không thể lên lịch cho ngày đã qua."}
		}
		a, ok1 := hm(x.Start)
		z, ok2 := hm(x.End)
		if !ok1 || !ok2 {
			return nil, &Error{"invalid_session", field("start"), "Giờ không hợp lệ (cần dạng 19:00)."}
		}
		if z <= a {
			return nil, &Error{"invalid_session", field("end"), "Giờ kết thúc phải sau giờ bắt đầu."}
		}
		if x.Desks <= 0 || x.Desks > 50 {
			return nil, &Error{"invalid_session", field("desks"), "Số bàn phải từ 1 đến 50."}
		}
		s := &Session{ID: newID(), Village: x.Village, Place: x.Place, Date: x.Date, Start: x.Start, End: x.End, Desks: x.Desks, Created: now.UTC()}
		if s.Ended(now) {
			return nil, &Error{"session_in_past", field("end"), "Buổi này đã kết thúc."}
		}
		for _, o := range all {
			if o.Date == s.Date && quota.Key(o.Place) == quota.Key(s.Place) {
				oa, _ := hm(o.Start)
				oz, _ := hm(o.End)
				if a < oz && oa < z {
					return nil, &Error{"session_overlap", field("start"),
						fmt.Sprintf("Trùng giờ với buổi %s–%s ngày %s tại %s.", o.Start, o.End, viDate(o.Date), o.Place)}
				}
			}
		}
		r := rateOf(s.Village)
		if r.PerDeskHour <= 0 {
			r = MeasuredRate(s.Village, 0, 0)
		}
		s.Rate, s.RateSource = r.PerDeskHour, r.Source
		s.Capacity = int(math.Floor(float64(s.Desks) * s.Hours() * s.Rate))
		all = append(all, s)
		out = append(out, *s)
	}
	set := map[string][]byte{}
	for _, s := range out {
		v, _ := json.Marshal(s)
		set[pSession+s.ID] = v
	}
	if err := b.put(set, nil); err != nil {
		return nil, err
	}
	for i := range out {
		s := out[i]
		b.sessions[s.ID] = &s
	}
	return out, nil
}

// DefaultPlace is where a village's sessions are held when nobody said:
// its cultural house.
func DefaultPlace(village string) string {
	if quota.Key(village) != strings.ToLower(village) { // "TDP 3", "thôn Đông Lão"
		return "Nhà văn hóa " + village
	}
	return "Nhà văn hóa thôn " + village
}

// SessionView is a session with how many are invited, came and finished.
type SessionView struct {
	Session
	Invited    int  `json:"invited"`
	Households int  `json:"households"`
	Arrived    int  `json:"arrived"`
	Activated  int  `json:"activated"`
	Failed     int  `json:"failed"`
	Ended      bool `json:"ended"`
}

// Sessions lists the sessions of a village (all with ""), earliest first.
func (b *Book) Sessions(village string, k Kyso, now time.Time) []SessionView {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []SessionView
	for _, s := range b.sortedLocked(village) {
		v := SessionView{Session: *s, Ended: s.Ended(now)}
		hh := map[string]bool{}
		arr := b.arrivals[s.ID]
		v.Arrived = len(arr)
		for pk, in := range b.invites {
			if in.Session != s.ID {
				continue
			}
			p := b.people[pk]
			if p == nil {
				continue
			}
			v.Invited++
			hh[hhKey(p)] = true
			if p.CCCD != "" && k != nil && k.Activated(p.CCCD) {
				v.Activated++
				if _, seen := arr[pk]; !seen {
					v.Arrived++ // activated: came, though no kiosk saw them arrive (a USB import)
				}
			} else if _, ok := b.failures[p.CCCD]; ok && p.CCCD != "" {
				v.Failed++
			}
		}
		v.Households = len(hh)
		out = append(out, v)
	}
	if out == nil {
		out = []SessionView{}
	}
	return out
}

func (b *Book) sortedLocked(village string) []*Session {
	var ss []*Session
	for _, s := range b.sessions {
		if village == "" || quota.Key(s.Village) == quota.Key(village) {
			ss = append(ss, s)
		}
	}
	sort.Slice(ss, func(i, j int) bool {
		if ss[i].Date != ss[j].Date {
			return ss[i].Date < ss[j].Date
		}
		if ss[i].Start != ss[j].Start {
			return ss[i].Start < ss[j].Start
		}
		return ss[i].ID < ss[j].ID
	})
	return ss
}

// Session returns one session.
func (b *Book) Session(id string) (Session, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	s, ok := b.sessions[id]
	if !ok {
		return Session{}, false
	}
	return *s, true
}

// ScheduledSession is one line of the schedule's reply.
type ScheduledSession struct {
	ID         string   `json:"id"`
	Invited    int      `json:"invited"`
	Households int      `json:"households"`
	Oversize   []string `json:"oversize,omitempty"` // heads of households larger than any session, invited alone
}

// ScheduleResult is the reply of POST /api/v1/schedule.
type ScheduleResult struct {
	Sessions []ScheduledSession `json:"sessions"`
	Left     int                `json:"left"`
	// TooLarge names the heads of households larger than every session
	// that found no empty session to be invited to alone: they wait for
	// one, and the unit head is told so.
	TooLarge []string `json:"too_large,omitempty"`
}

// Schedule invites the village's not-yet eligible people who have a CCCD to
// its sessions that have not ended: whole households together, earliest
// session first, never over capacity. Standing invitations stay.
func (b *Book) Schedule(village string, k Kyso, now time.Time) (ScheduleResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var open []*Session
	for _, s := range b.sortedLocked(village) {
		if !s.Ended(now) {
			open = append(open, s)
		}
	}
	hasPeople := false
	var cands []*Person
	for _, p := range b.people {
		if quota.Key(p.Village) != quota.Key(village) {
			continue
		}
		hasPeople = true
		if !p.Eligible || p.CCCD == "" {
			continue
		}
		if st, _, _ := b.statusLocked(p, k, now); st == StatusNotYet {
			cands = append(cands, p)
		}
	}
	if !hasPeople {
		return ScheduleResult{}, &Error{"no_roster", "village", "Thôn " + village + " chưa có danh sách nhân khẩu: hãy nhập sổ hộ trước khi lên lịch."}
	}
	if len(open) == 0 {
		return ScheduleResult{}, &Error{"no_sessions", "village", "Thôn " + village + " chưa có buổi nào sắp tới: hãy tạo buổi trước."}
	}
	used := map[string]int{}
	hhAt := map[string]string{} // household → session where part of it is invited
	for pk, in := range b.invites {
		s := b.sessions[in.Session]
		if s == nil || s.Ended(now) {
			continue
		}
		used[s.ID]++
		if p := b.people[pk]; p != nil {
			hhAt[hhKey(p)] = s.ID
		}
	}
	sortHouseholds(cands)
	var groups [][]*Person
	idx := map[string]int{}
	for _, p := range cands {
		h := hhKey(p)
		i, ok := idx[h]
		if !ok {
			i = len(groups)
			idx[h] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], p)
	}
	oversize := map[string][]string{}
	var tooLarge []string
	left := 0
	set := map[string][]byte{}
	placed := map[string]Invite{}
	for _, g := range groups {
		n := len(g)
		var to *Session
		if sid, ok := hhAt[hhKey(g[0])]; ok && used[sid]+n <= b.sessions[sid].Capacity {
			to = b.sessions[sid]
		}
		for _, s := range open {
			if to == nil && used[s.ID]+n <= s.Capacity {
				to = s
			}
		}
		if to == nil {
			// Larger than any session's capacity: invite it alone to the
			// first empty session and say so.
			big := true
			for _, s := range open {
				if n <= s.Capacity {
					big = false
				}
			}
			if big {
				for _, s := range open {
					if used[s.ID] == 0 {
						to = s
						oversize[s.ID] = append(oversize[s.ID], headName(g))
						break
					}
				}
				if to == nil {
					tooLarge = append(tooLarge, headName(g))
				}
			}
		}
		if to == nil {
			left += n
			continue
		}
		used[to.ID] += n
		for _, p := range g {
			in := Invite{Session: to.ID, By: "lịch tự động", At: now.UTC()}
			placed[p.Key] = in
			v, _ := json.Marshal(in)
			set[pInvite+p.Key] = v
		}
	}
	if len(set) > 0 {
		if err := b.put(set, nil); err != nil {
			return ScheduleResult{}, err
		}
	}
	for k, in := range placed {
		b.invites[k] = in
	}
	res := ScheduleResult{Left: left, Sessions: []ScheduledSession{}, TooLarge: tooLarge}
	for _, s := range open {
		hh := map[string]bool{}
		n := 0
		for pk, in := range b.invites {
			if in.Session == s.ID {
				n++
				if p := b.people[pk]; p != nil {
					hh[hhKey(p)] = true
				}
			}
		}
		res.Sessions = append(res.Sessions, ScheduledSession{ID: s.ID, Invited: n, Households: len(hh), Oversize: oversize[s.ID]})
	}
	return res, nil
}

func headName(g []*Person) string {
	for _, p := range g {
		if p.IsHead {
			return p.Name
		}
	}
	if g[0].Head != "" {
		return g[0].Head
	}
	return g[0].Name
}

// MoveHousehold moves the household of person key to session to (or
// withdraws it with to == ""), as a unit head decides by hand. It moves
// the members still to be served (invited, not yet, failed); those
// activated or marked unreachable stay where they are.
func (b *Book) MoveHousehold(key, to, by string, k Kyso, now time.Time) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p := b.people[key]
	if p == nil {
		return ErrNotFound
	}
	var s *Session
	if to != "" {
		if s = b.sessions[to]; s == nil {
			return ErrNotFound
		}
		if s.Ended(now) {
			return &Error{"session_ended", "session", "Buổi này đã kết thúc."}
		}
	}
	h := hhKey(p)
	var members []string
	for pk, q := range b.people {
		if hhKey(q) != h || !q.Eligible || q.CCCD == "" {
			continue
		}
		switch st, _, _ := b.statusLocked(q, k, now); st {
		case StatusInvited, StatusNotYet, StatusFailed:
			members = append(members, pk)
		}
	}
	if len(members) == 0 {
		return &Error{"nobody_to_invite", "person", "Hộ này không còn ai cần mời (đã cài đặt hoặc không liên lạc được)."}
	}
	if s != nil {
		n := 0
		for pk, in := range b.invites {
			if q := b.people[pk]; q != nil && in.Session == s.ID && hhKey(q) != h {
				n++
			}
		}
		if n+len(members) > s.Capacity && n > 0 {
			return &Error{"over_capacity", "session", fmt.Sprintf("Buổi này chỉ còn %d chỗ, hộ có %d người.", max(0, s.Capacity-n), len(members))}
		}
	}
	set := map[string][]byte{}
	var del []string
	for _, pk := range members {
		if s == nil {
			del = append(del, pInvite+pk)
			continue
		}
		v, _ := json.Marshal(Invite{Session: s.ID, By: by, At: now.UTC()})
		set[pInvite+pk] = v
	}
	if err := b.put(set, del); err != nil {
		return err
	}
	for _, pk := range members {
		if s == nil {
			delete(b.invites, pk)
		} else {
			b.invites[pk] = Invite{Session: s.ID, By: by, At: now.UTC()}
		}
	}
	return nil
}

// InvitedHousehold is one household invited to a session, as the kiosk's
// tablet and the announcement need it.
type InvitedHousehold struct {
	Key     string          `json:"key"` // the head's person key
	Head    string          `json:"head"`
	Gender  string          `json:"gender,omitempty"`
	Members []InvitedPerson `json:"members"`
	Arrived bool            `json:"arrived"`
}

// InvitedPerson is one invited person; the CCCD is for the ward's own use
// and the working lists, never sent to a kiosk.
type InvitedPerson struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	CCCD       string `json:"-"`
	CCCDMasked string `json:"cccd_masked"`
	Phone      string `json:"-"`
	Arrived    bool   `json:"arrived"`
}

// Invited lists the households invited to a session, in the book's order.
func (b *Book) Invited(session string) []InvitedHousehold {
	b.mu.RLock()
	defer b.mu.RUnlock()
	var ps []*Person
	for k, in := range b.invites {
		if in.Session == session {
			if p := b.people[k]; p != nil {
				ps = append(ps, p)
			}
		}
	}
	sortHouseholds(ps)
	arr := b.arrivals[session]
	var out []InvitedHousehold
	idx := map[string]int{}
	for _, p := range ps {
		h := hhKey(p)
		i, ok := idx[h]
		if !ok {
			i = len(out)
			idx[h] = i
			head, gender := p.Name, p.Gender
			if !p.IsHead && p.Head != "" {
				head, gender = p.Head, ""
				for _, q := range b.people {
					if q.IsHead && q.Household == p.Household && q.Household != "" {
						head, gender = q.Name, q.Gender
						break
					}
				}
			}
			out = append(out, InvitedHousehold{Key: p.Key, Head: head, Gender: gender})
		}
		_, came := arr[p.Key]
		out[i].Members = append(out[i].Members, InvitedPerson{
			Key: p.Key, Name: p.Name, CCCD: p.CCCD, CCCDMasked: citizen.MaskCCCD(p.CCCD), Phone: p.Phone, Arrived: came,
		})
		out[i].Arrived = out[i].Arrived || came
	}
	return out
}

// Arrive marks the invited person with this CCCD (or person key) arrived at
// a session of the day; how is "join" (a kiosk join) or "hand" (ticked by a
// volunteer). It returns the session, or "" when the person is not invited.
func (b *Book) Arrive(cccd, key, how string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if key == "" {
		key = b.byCCCD[cccd]
	}
	in, ok := b.invites[key]
	if key == "" || !ok {
		return "", nil
	}
	if _, done := b.arrivals[in.Session][key]; done {
		return in.Session, nil
	}
	if err := b.put(map[string][]byte{pArrival + in.Session + "/" + key: []byte(how)}, nil); err != nil {
		return "", err
	}
	if b.arrivals[in.Session] == nil {
		b.arrivals[in.Session] = map[string]string{}
	}
	b.arrivals[in.Session][key] = how
	return in.Session, nil
}

// Today returns the sessions of a village on the Vietnam day of now.
func (b *Book) Today(village string, now time.Time) []Session {
	day := now.In(clock.Vietnam).Format("2006-01-02")
	b.mu.RLock()
	defer b.mu.RUnlock()
	var out []Session
	for _, s := range b.sortedLocked(village) {
		if s.Date == day {
			out = append(out, *s)
		}
	}
	return out
}

func viDate(d string) string {
	t, err := time.Parse("2006-01-02", d)
	if err != nil {
		return d
	}
	return t.Format("02/01/2006")
}

package outreach

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/ward/quota"
)

// The rule that turns a house's service times into a per-desk rate.
const (
	// MinRateSamples is how many measured services a house needs before its
	// own rate replaces DefaultRate: fewer say more about one volunteer's
	// evening than about the house.
	MinRateSamples = 20
	// A service shorter than this is a slip of the finger (two taps in a
	// row), longer is a desk left idle or a record finished the next day;
	// neither measures a service.
	minService = 30 * time.Second
	maxService = 30 * time.Minute
	// maxRate bounds a measured rate: even a fast house does not plan more
	// than 30 people per desk and hour.
	maxRate = 30.0
)

// MeasuredRate is the rule in one place: n measured services of total
// length sum at the house called house. With fewer than MinRateSamples the
// default stands, and the source says why.
func MeasuredRate(house string, n int, sum time.Duration) Rate {
	where := "nhà văn hóa"
	if house != "" {
		where = "n" + strings.TrimPrefix(DefaultPlace(house), "N")
	}
	if n < MinRateSamples || sum <= 0 {
		if n == 0 {
			return Rate{PerDeskHour: DefaultRate, Source: "mặc định 6 lượt/giờ/bàn (" + where + " chưa có số đo)"}
		}
		return Rate{PerDeskHour: DefaultRate, Source: fmt.Sprintf("mặc định 6 lượt/giờ/bàn (%s mới đo được %d lượt, cần ít nhất %d)", where, n, MinRateSamples)}
	}
	mean := sum.Seconds() / float64(n)
	r := math.Min(maxRate, 3600/mean)
	r = math.Round(r*10) / 10
	return Rate{PerDeskHour: r, Source: fmt.Sprintf("đo tại %s từ %d lượt: trung bình %s phút/lượt, %s lượt/giờ/bàn",
		where, n, viDecimal(mean/60), viDecimal(r))}
}

// viDecimal writes 9.5 as "9,5" and 6.0 as "6".
func viDecimal(x float64) string {
	s := fmt.Sprintf("%.1f", x)
	s = strings.TrimSuffix(s, ".0")
	return strings.Replace(s, ".", ",", 1)
}

// Service is what one completion record tells about a desk's work.
type Service struct {
	Kiosk    string
	Desk     int
	Village  string    // the citizen's village: votes for the kiosk's house
	Joined   time.Time // consent, when the citizen joined the queue
	Finished time.Time // when the volunteer recorded the outcome
}

// RateMeter learns each house's per-desk service rate from its kiosks'
// completion records, incrementally: Note is called once per record held
// (at start-up and on every ingest), Rate answers from what was measured,
// measuring again only the kiosks that had new records since.
//
// A service lasts from the previous completion at the same desk to this
// one, but never longer than since the citizen joined: a desk that waited
// idle for its next citizen is not counted as serving. An evening's
// services count for the house of the village most of that evening's
// citizens came from (a kiosk may travel from house to house between
// rounds); an evening whose records name no village (purged) counts for
// the house House names (the kiosk's LAN announcement).
type RateMeter struct {
	// House names the village whose house a kiosk stands in ("" when not
	// known); set once before use.
	House func(kiosk string) string

	mu     sync.Mutex
	kiosks map[string]*deskLog
}

type stamp struct {
	desk           int32
	joined, finish int64 // unix seconds; joined 0 when unknown
}

// serviced is n services of total length sum.
type serviced struct {
	n   int
	sum time.Duration
}

type deskLog struct {
	stamps []stamp
	votes  map[int64]map[string]int // Vietnam day → village key → citizens
	dirty  bool
	houses map[string]serviced // village key → services, as last measured
	noVote serviced            // services on evenings that named no village
}

// NewRateMeter returns an empty meter.
func NewRateMeter() *RateMeter { return &RateMeter{kiosks: map[string]*deskLog{}} }

// vnDay numbers the Vietnam (UTC+7) day of a unix time.
func vnDay(unix int64) int64 { return (unix + 7*3600) / 86400 }

// Note adds one completion.
func (m *RateMeter) Note(s Service) {
	if s.Kiosk == "" || s.Desk <= 0 || s.Finished.IsZero() {
		return // a desk-less completion cannot be put on a desk's timeline
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	l := m.kiosks[s.Kiosk]
	if l == nil {
		l = &deskLog{votes: map[int64]map[string]int{}}
		m.kiosks[s.Kiosk] = l
	}
	st := stamp{desk: int32(s.Desk), finish: s.Finished.Unix()}
	if !s.Joined.IsZero() {
		st.joined = s.Joined.Unix()
	}
	l.stamps = append(l.stamps, st)
	if k := quota.Key(s.Village); k != "" {
		d := vnDay(st.finish)
		if l.votes[d] == nil {
			l.votes[d] = map[string]int{}
		}
		l.votes[d][k]++
	}
	l.dirty = true
}

// measure recomputes a kiosk's services when records came since.
func (l *deskLog) measure() {
	if !l.dirty {
		return
	}
	l.dirty = false
	sort.Slice(l.stamps, func(i, j int) bool {
		a, b := l.stamps[i], l.stamps[j]
		if a.desk != b.desk {
			return a.desk < b.desk
		}
		return a.finish < b.finish
	})
	house := map[int64]string{}
	for d, vs := range l.votes {
		best, bestN := "", 0
		for k, n := range vs {
			if n > bestN || (n == bestN && k < best) {
				best, bestN = k, n
			}
		}
		house[d] = best
	}
	l.houses, l.noVote = map[string]serviced{}, serviced{}
	for i := 1; i < len(l.stamps); i++ {
		prev, cur := l.stamps[i-1], l.stamps[i]
		if prev.desk != cur.desk {
			continue
		}
		d := time.Duration(cur.finish-prev.finish) * time.Second
		if cur.joined > 0 {
			if since := time.Duration(cur.finish-cur.joined) * time.Second; since >= 0 && since < d {
				d = since
			}
		}
		if d < minService || d > maxService {
			continue
		}
		h, ok := house[vnDay(cur.finish)]
		if !ok {
			l.noVote.n++
			l.noVote.sum += d
			continue
		}
		t := l.houses[h]
		t.n++
		t.sum += d
		l.houses[h] = t
	}
}

// Rate is the per-desk rate of the house serving village, from every kiosk
// that served there.
func (m *RateMeter) Rate(village string) Rate {
	key := quota.Key(village)
	m.mu.Lock()
	defer m.mu.Unlock()
	var all serviced
	for id, l := range m.kiosks {
		l.measure()
		t := l.houses[key]
		all.n += t.n
		all.sum += t.sum
		if l.noVote.n > 0 && m.House != nil && quota.Key(m.House(id)) == key {
			all.n += l.noVote.n
			all.sum += l.noVote.sum
		}
	}
	return MeasuredRate(quota.Clean(village), all.n, all.sum)
}

package kiosk

import (
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/record"
)

// recordSource is what the tally reads: the kiosk's completion log.
type recordSource interface {
	Records(after uint64, limit int) ([]record.Record, uint64, error)
}

// villageTally counts this house's activations by the citizen's village
// (issue 11: the TV counted every activation at the house for the host
// village). It reads the log once, then only what is new, and counts a
// correction in place of the record it corrects — as the ward does.
type villageTally struct {
	mu    sync.Mutex
	seen  uint64            // highest seq applied
	live  map[string]string // record id → village, for records counting an activation now
	eff   map[string]string // corrected record id → its latest correction (the ward: latest wins)
	count map[string]int    // village key → activations
	names map[string]string // village key → the name as first written
}

func newVillageTally() *villageTally {
	return &villageTally{live: map[string]string{}, eff: map[string]string{}, count: map[string]int{}, names: map[string]string{}}
}

// villageKey compares village names as people mean them: NFC, case and
// surrounding spaces ignored.
func villageKey(v string) string { return strings.ToLower(strings.TrimSpace(norm.NFC.String(v))) }

// catchUp applies the records written since the last call.
func (t *villageTally) catchUp(src recordSource) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		recs, head, err := src.Records(t.seen, 5000)
		if err != nil {
			return err
		}
		for _, r := range recs {
			t.applyLocked(r)
			t.seen = r.Seq
		}
		if len(recs) == 0 || t.seen >= head {
			return nil
		}
	}
}

func (t *villageTally) applyLocked(r record.Record) {
	if r.Type == record.TypeCorrection && r.Corrects != "" {
		cur := r.Corrects
		if c, ok := t.eff[r.Corrects]; ok {
			cur = c // an earlier correction of the same record: this one replaces it
		}
		if v, ok := t.live[cur]; ok {
			t.count[villageKey(v)]--
			delete(t.live, cur)
		}
		t.eff[r.Corrects] = r.ID
	}
	if r.Outcome != record.OutcomeActivated {
		return
	}
	k := villageKey(r.Citizen.Village)
	t.live[r.ID] = r.Citizen.Village
	t.count[k]++
	if _, ok := t.names[k]; !ok {
		t.names[k] = r.Citizen.Village
	}
}

// villageCount is one village's activations at this house.
type villageCount struct {
	Name      string `json:"name"`
	Activated int    `json:"activated"`
}

// split returns the host village's count and the others', largest first.
func (t *villageTally) split(host string) (hostCount int, others []villageCount) {
	t.mu.Lock()
	defer t.mu.Unlock()
	hk := villageKey(host)
	others = []villageCount{}
	for k, n := range t.count {
		switch {
		case n <= 0:
		case k == hk:
			hostCount = n
		default:
			others = append(others, villageCount{Name: t.names[k], Activated: n})
		}
	}
	sort.Slice(others, func(i, j int) bool {
		if others[i].Activated != others[j].Activated {
			return others[i].Activated > others[j].Activated
		}
		return others[i].Name < others[j].Name
	})
	return hostCount, others
}

package kiosk

import (
	"encoding/json"
	"sort"
	"strings"
	"sync"

	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/record"
)

// recordSource is what the tally reads: the kiosk's completion log, and
// where it keeps its checkpoint.
type recordSource interface {
	Records(after uint64, limit int) ([]record.Record, uint64, error)
	Record(id string) (record.Record, error)
	Checkpoint(name string) ([]byte, error)
	SaveCheckpoint(name string, b []byte) error
}

// tallyCheckpoint names the tally's checkpoint in the log.
const tallyCheckpoint = "village-tally"

// tallySaveEvery is how many records the tally applies between saves of
// its checkpoint: a crash costs at most that much reading at the next start.
const tallySaveEvery = 2000

// villageTally counts this house's activations by the citizen's village
// (issue 11: the TV counted every activation at the house for the host
// village). It counts a correction in place of the record it corrects — as
// the ward does — looking up the corrected record when a correction comes
// (rare), so its state is a few counters, not a map of every record. It
// starts from its checkpoint and reads only what is newer (issue 15: reading
// 100k records at every start was 1.35 s of a restart).
type villageTally struct {
	mu     sync.Mutex
	loaded bool
	saved  uint64 // seq of the last checkpoint
	st     tallyState
}

// tallyState is the tally as checkpointed: everything up to Seen applied.
type tallyState struct {
	Seen  uint64            `json:"seen"`
	Eff   map[string]string `json:"eff"`   // corrected record id → its latest correction (the ward: latest wins)
	Count map[string]int    `json:"count"` // village key → activations
	Names map[string]string `json:"names"` // village key → the name as first written
}

func newVillageTally() *villageTally {
	return &villageTally{st: tallyState{Eff: map[string]string{}, Count: map[string]int{}, Names: map[string]string{}}}
}

// villageKey compares village names as people mean them: NFC, case and
// surrounding spaces ignored.
func villageKey(v string) string { return strings.ToLower(strings.TrimSpace(norm.NFC.String(v))) }

// catchUp applies the records written since the last call.
func (t *villageTally) catchUp(src recordSource) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.loaded {
		t.loadLocked(src)
	}
	for {
		recs, head, err := src.Records(t.st.Seen, 5000)
		if err != nil {
			return err
		}
		for _, r := range recs {
			t.applyLocked(src, r)
			t.st.Seen = r.Seq
		}
		if t.st.Seen >= t.saved+tallySaveEvery {
			t.saveLocked(src)
		}
		if len(recs) == 0 || t.st.Seen >= head {
			return nil
		}
	}
}

// loadLocked starts from the checkpoint, if there is a usable one.
func (t *villageTally) loadLocked(src recordSource) {
	t.loaded = true
	b, err := src.Checkpoint(tallyCheckpoint)
	if err != nil || b == nil {
		return
	}
	var st tallyState
	if json.Unmarshal(b, &st) != nil || st.Eff == nil || st.Count == nil || st.Names == nil {
		return // unreadable: count from the start of the log
	}
	if _, head, err := src.Records(st.Seen, 1); err != nil || head < st.Seen {
		return // the log is shorter than the checkpoint (a store rebuilt): count again
	}
	t.st, t.saved = st, st.Seen
}

func (t *villageTally) saveLocked(src recordSource) {
	b, err := json.Marshal(t.st)
	if err == nil && src.SaveCheckpoint(tallyCheckpoint, b) == nil {
		t.saved = t.st.Seen
	}
}

// save writes the checkpoint now (at shutdown).
func (t *villageTally) save(src recordSource) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.loaded && t.st.Seen > t.saved {
		t.saveLocked(src)
	}
}

func (t *villageTally) applyLocked(src recordSource, r record.Record) {
	if r.Type == record.TypeCorrection && r.Corrects != "" {
		cur := r.Corrects
		if c, ok := t.st.Eff[r.Corrects]; ok {
			cur = c // an earlier correction of the same record: this one replaces it
		}
		// The record counting in its place until now, if it counted.
		if old, err := src.Record(cur); err == nil && old.Outcome == record.OutcomeActivated {
			t.st.Count[villageKey(old.Citizen.Village)]--
		}
		t.st.Eff[r.Corrects] = r.ID
	}
	if r.Outcome != record.OutcomeActivated {
		return
	}
	k := villageKey(r.Citizen.Village)
	t.st.Count[k]++
	if _, ok := t.st.Names[k]; !ok {
		t.st.Names[k] = r.Citizen.Village
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
	for k, n := range t.st.Count {
		switch {
		case n <= 0:
		case k == hk:
			hostCount = n
		default:
			others = append(others, villageCount{Name: t.st.Names[k], Activated: n})
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

package kiosk

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
)

// fakeLog is a completion log in memory with a checkpoint slot.
type fakeLog struct {
	recs  []record.Record
	cp    map[string][]byte
	reads int // records handed out by Records
}

func (f *fakeLog) Records(after uint64, limit int) ([]record.Record, uint64, error) {
	var out []record.Record
	for _, r := range f.recs {
		if r.Seq > after && len(out) < limit {
			out = append(out, r)
		}
	}
	f.reads += len(out)
	return out, uint64(len(f.recs)), nil
}

func (f *fakeLog) Record(id string) (record.Record, error) {
	for _, r := range f.recs {
		if r.ID == id {
			return r, nil
		}
	}
	return record.Record{}, queue.ErrNotFound
}

func (f *fakeLog) Checkpoint(name string) ([]byte, error) { return f.cp[name], nil }
func (f *fakeLog) SaveCheckpoint(name string, b []byte) error {
	f.cp[name] = append([]byte(nil), b...)
	return nil
}

func (f *fakeLog) add(village, outcome string, corrects string) string {
	id := fmt.Sprintf("r%d", len(f.recs)+1)
	r := record.Record{ID: id, Seq: uint64(len(f.recs) + 1), Type: record.TypeCompletion, Outcome: outcome, Citizen: record.Citizen{Village: village}}
	if corrects != "" {
		r.Type, r.Corrects = record.TypeCorrection, corrects
	}
	f.recs = append(f.recs, r)
	return id
}

// The board's count by village survives a restart through its checkpoint:
// the next start reads only the newer records and counts exactly what a
// count from the start of the log gives, corrections included.
func TestVillageTallyCheckpoint(t *testing.T) {
	log := &fakeLog{cp: map[string][]byte{}}
	for i := range tallySaveEvery + 500 {
		v := []string{"Đông Lão", "Song Nga", "Hòa Bình"}[i%3]
		log.add(v, record.OutcomeActivated, "")
	}
	// A citizen of Song Nga written as Đông Lão, corrected twice; a failure
	// corrected into an activation.
	wrong := log.add("Đông Lão", record.OutcomeActivated, "")
	log.add("Song Nga", record.OutcomeActivated, wrong)
	log.add("Song Nga", record.OutcomeFailed, wrong)
	failed := log.add("Hòa Bình", record.OutcomeFailed, "")
	log.add("Hòa Bình", record.OutcomeActivated, failed)

	first := newVillageTally()
	require.NoError(t, first.catchUp(log))
	first.save(log)
	require.NotNil(t, log.cp[tallyCheckpoint])

	// More evenings, then a restart.
	for range 40 {
		log.add("đông lão ", record.OutcomeActivated, "") // typed differently: the same village
	}
	log.reads = 0
	again := newVillageTally()
	require.NoError(t, again.catchUp(log))
	assert.Equal(t, 1+40, log.reads, "only the records after the checkpoint are read (one more to see the log reaches it)")

	scratch := newVillageTally()
	require.NoError(t, scratch.catchUp(&fakeLog{recs: log.recs, cp: map[string][]byte{}}))
	hostA, othersA := again.split("Đông Lão")
	hostS, othersS := scratch.split("Đông Lão")
	assert.Equal(t, hostS, hostA)
	assert.Equal(t, othersS, othersA)
	assert.Equal(t, 834+40, hostA, "Đông Lão: 834 (the corrected one left) and 40 more")
	assert.Equal(t, []villageCount{{Name: "Hòa Bình", Activated: 834}, {Name: "Song Nga", Activated: 833}}, othersA)

	// A log shorter than the checkpoint (a store rebuilt from an old
	// backup): the checkpoint is not trusted, the count starts over.
	short := &fakeLog{recs: log.recs[:100], cp: log.cp}
	fresh := newVillageTally()
	require.NoError(t, fresh.catchUp(short))
	assert.Equal(t, 100, short.reads)
	host, _ := fresh.split("Đông Lão")
	assert.Equal(t, 34, host)
}

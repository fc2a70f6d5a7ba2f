package queue

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

// complete joins citizen i and completes the ticket as activated.
func complete(t *testing.T, q *Queue, i int) record.Record {
	t.Helper()
	tk := join(t, q, i)
	rec, err := q.Complete(tk.ID, Completion{Outcome: record.OutcomeActivated, Desk: 1, Volunteer: "Lê Thị Hoa"})
	require.NoError(t, err)
	return rec
}

// The repair's bookkeeping: records come back from the ward under their own
// seqs, what the ward lacks comes from the backup, what nobody has is
// reported lost (and is a known hole, not damage), completions made while
// repairing are numbered after everything, and a power cut in the middle
// resumes the repair.
func TestRebuildAndRepair(t *testing.T) {
	cases := []struct {
		name        string
		backupAt    int               // completions in the local backup (0: none)
		wardHead    uint64            // the ward held 1..wardHead …
		wardMissing []record.SeqRange // … except these
		wantLost    []record.SeqRange
		wantBackup  uint64 // records only the backup had
		wantAcked   uint64
	}{
		{"the ward holds everything it was sent", 0, 28, nil, nil, 0, 28},
		{"the backup fills the ward's hole and the forwarder resends from there", 20, 28, []record.SeqRange{{From: 5, To: 5}}, nil, 1, 4},
		{"nobody has seqs 5-6: lost, reported, not damage", 3, 28, []record.SeqRange{{From: 5, To: 6}}, []record.SeqRange{{From: 5, To: 6}}, 0, 28},
		{"the backup is ahead of the ward: it gives the rest and they are sent again", 30, 25, nil, nil, 5, 25},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			dir, backups := filepath.Join(root, "store"), filepath.Join(root, "backups")
			clk := evening()
			q := open(t, dir, clk)
			var all []record.Record
			for i := 1; i <= 30; i++ {
				all = append(all, complete(t, q, i))
				if i == tc.backupAt {
					_, err := q.WriteBackup(backups, 3, clk.t)
					require.NoError(t, err)
				}
			}
			require.NoError(t, q.Close())

			opts := Options{Dir: dir, KioskID: "dong-lao", Desks: 3, Clock: clk}
			q, err := Rebuild(opts, ErrDamaged, backups, clk.t)
			require.NoError(t, err)
			require.True(t, q.Log().Repairing())
			_, _, err = q.Log().Records(0, 100)
			require.ErrorIs(t, err, ErrRepairing, "no partial log while repairing")

			// The evening goes on: two completions while the ward is away.
			made := []record.Record{complete(t, q, 101), complete(t, q, 102)}
			assert.Zero(t, made[0].Seq, "no seq before the repair ends")
			got, err := q.Log().Record(made[1].ID)
			require.NoError(t, err, "a pending record can be read back (a correction needs it)")
			assert.Equal(t, made[1].Citizen.Name, got.Citizen.Name)

			// Power cut: the repair resumes on the next start.
			require.NoError(t, q.Close())
			q = open(t, dir, clk)
			defer q.Close()
			st, ok := q.Log().Repair()
			require.True(t, ok)
			require.False(t, st.Done)
			assert.Equal(t, uint64(2), st.Pending)

			var ward []record.Record
			for _, r := range all[:tc.wardHead] {
				if !lostIn(tc.wardMissing, r.Seq, r.Seq) {
					ward = append(ward, r)
				}
			}
			require.NoError(t, q.Log().PutRecovered(ward[:10]))
			require.NoError(t, q.Log().PutRecovered(ward)) // a resumed repair puts pages again
			st, err = q.Log().FinishRepair(tc.wardHead, tc.wardMissing, clk.t.Add(time.Minute))
			require.NoError(t, err)
			assert.Equal(t, tc.wantLost, st.Lost)
			assert.Equal(t, tc.wantBackup, st.FromBackup)
			assert.Equal(t, uint64(len(ward)), st.FromWard)
			assert.Equal(t, uint64(2), st.Pending)
			assert.False(t, q.Log().Repairing())
			assert.Equal(t, tc.wantAcked, q.Log().AckedSeq())

			recs, head, err := q.Log().Records(0, 5000)
			require.NoError(t, err, "lost seqs are a known hole, not damage")
			assert.Equal(t, st.Head, head)
			seen := map[string]bool{}
			for i, r := range recs {
				assert.False(t, seen[r.ID], "record %s twice", r.ID)
				seen[r.ID] = true
				if i > 0 {
					assert.Greater(t, r.Seq, recs[i-1].Seq)
				}
			}
			for _, r := range ward {
				assert.True(t, seen[r.ID], "ward's record %d back", r.Seq)
			}
			assert.Equal(t, made[0].ID, recs[len(recs)-2].ID, "made during the repair: numbered after everything, in order")
			assert.Equal(t, made[1].ID, recs[len(recs)-1].ID)
			assert.Equal(t, head, recs[len(recs)-1].Seq)

			assert.Equal(t, len(ward)+int(tc.wantBackup)+2, q.Snapshot().ActivatedTotal,
				"the house's activations on the TV count what came back, at once (every record here is an activation)")
			activated, err := q.Activated(all[0].Citizen.CCCD)
			require.NoError(t, err)
			assert.True(t, activated, "an activation taken back still stops a second one")

			// The next completion continues the log.
			next := complete(t, q, 103)
			assert.Equal(t, head+1, next.Seq)
			require.NoError(t, q.Close())
			c, err := Verify(dir, nil)
			require.NoError(t, err)
			require.NotNil(t, c.Repair)
			assert.Equal(t, head+1, c.Head)
		})
	}
}

// A rebuild without a backup starts empty; a damaged backup is passed over.
func TestRebuildWithoutUsableBackup(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "store")
	clk := evening()
	q := open(t, dir, clk)
	complete(t, q, 1)
	require.NoError(t, q.Close())
	q, err := Rebuild(Options{Dir: dir, KioskID: "dong-lao", Desks: 3, Clock: clk}, errors.New("table 3: checksum mismatch"), filepath.Join(root, "backups"), clk.t)
	require.NoError(t, err)
	defer q.Close()
	st, ok := q.Log().Repair()
	require.True(t, ok)
	assert.Empty(t, st.Backup)
	assert.Zero(t, st.BackupHead)
	assert.Contains(t, st.Damage, "checksum")
	matches, _ := filepath.Glob(dir + ".damaged-*")
	assert.Len(t, matches, 1, "the damaged store is kept for a technician")
}

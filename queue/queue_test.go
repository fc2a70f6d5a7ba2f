package queue

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/internal/kv"
	_ "github.com/kyso-vn/kyso/internal/kv/badgerkv" // the store driver
	"github.com/kyso-vn/kyso/record"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() (time.Time, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t, record.ClockKiosk
}

func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func evening() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 23, 19, 0, 0, 0, clock.Vietnam)}
}

func open(t *testing.T, dir string, clk Clock) *Queue {
	t.Helper()
	q, err := Open(Options{Dir: dir, KioskID: "dong-lao", Desks: 3, Clock: clk})
	require.NoError(t, err)
	return q
}

func citizen(i int) record.Citizen {
	return record.Citizen{
		Name: fmt.Sprintf("Nguyễn Văn %d", i), CCCD: fmt.Sprintf("0380900%05d", i), BirthDate: "1990-01-01",
		Gender: "male", Phone: fmt.Sprintf("09%08d", i), Village: "Đông Lão",
	}
}

func join(t *testing.T, q *Queue, i int) Ticket {
	t.Helper()
	tk, err := q.Join(Join{Citizen: citizen(i), ConsentVersion: "v1", ConsentBy: "citizen", Token: fmt.Sprint("tok", i)})
	require.NoError(t, err)
	return tk
}

func TestTransitions(t *testing.T) {
	// Each case drives one ticket through actions and checks where it ends:
	// these are the moves volunteers make at a desk every evening.
	type step func(q *Queue, id string) error
	call := func(q *Queue, _ string) error { _, _, err := q.CallNext(1, "Lan"); return err }
	recall := func(q *Queue, id string) error { _, err := q.Recall(id); return err }
	noshow := func(q *Queue, id string) error { _, err := q.NoShow(id); return err }
	requeue := func(q *Queue, id string) error { _, err := q.Requeue(id); return err }
	cancel := func(q *Queue, id string) error { _, err := q.Cancel(id); return err }
	activate := func(q *Queue, id string) error {
		_, err := q.Complete(id, Completion{Outcome: record.OutcomeActivated})
		return err
	}
	fail := func(q *Queue, id string) error {
		_, err := q.Complete(id, Completion{Outcome: record.OutcomeFailed, Reason: "no_email"})
		return err
	}
	cases := []struct {
		name    string
		steps   []step
		wantErr error // of the last step
		want    Status
	}{
		{"called then activated: the normal path", []step{call, activate}, nil, Activated},
		{"called then failed with a reason", []step{call, fail}, nil, Failed},
		{"walk-in completed without a call", []step{activate}, nil, Activated},
		{"recall keeps the ticket called", []step{call, recall}, nil, Called},
		{"recall of a waiting ticket is refused", []step{recall}, ErrBadState, Waiting},
		{"no-show after a call", []step{call, noshow}, nil, NoShow},
		{"late arrival requeued after no-show", []step{call, noshow, requeue}, nil, Waiting},
		{"requeue of a called citizen who is not ready", []step{call, requeue}, nil, Waiting},
		{"requeue of a waiting ticket is refused", []step{requeue}, ErrBadState, Waiting},
		{"citizen leaves while waiting", []step{cancel}, nil, Cancelled},
		{"no completion after leaving", []step{cancel, activate}, ErrBadState, Cancelled},
		{"no second completion", []step{call, activate, fail}, ErrBadState, Activated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := open(t, t.TempDir(), evening())
			defer q.Close()
			tk := join(t, q, 1)
			var err error
			for _, s := range tc.steps {
				err = s(q, tk.ID)
			}
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
			} else {
				require.NoError(t, err)
			}
			got, err := q.Get(tk.ID)
			require.NoError(t, err)
			assert.Equal(t, tc.want, got.Status)
		})
	}
}

func TestJoinRules(t *testing.T) {
	q := open(t, t.TempDir(), evening())
	defer q.Close()
	a := join(t, q, 1)

	// The same card twice in tonight's queue is a mistake (double tap, a
	// relative re-registering): refuse it.
	_, err := q.Join(Join{Citizen: citizen(1), Token: "x"})
	require.ErrorIs(t, err, ErrAlreadyQueued)

	_, err = q.Complete(a.ID, Completion{Outcome: record.OutcomeActivated})
	require.NoError(t, err)
	// Once activated, joining again wastes everyone's evening.
	_, err = q.Join(Join{Citizen: citizen(1), Token: "x"})
	require.ErrorIs(t, err, ErrAlreadyActivated)

	// A failed attempt may come back another evening.
	b := join(t, q, 2)
	_, err = q.Complete(b.ID, Completion{Outcome: record.OutcomeFailed, Reason: "no_network"})
	require.NoError(t, err)
	join(t, q, 2)

	_, err = q.Complete(b.ID, Completion{Outcome: record.OutcomeFailed, Reason: "bogus"})
	require.ErrorIs(t, err, ErrBadOutcome)
}

func TestOrderAndPositions(t *testing.T) {
	q := open(t, t.TempDir(), evening())
	defer q.Close()
	t1, t2, t3 := join(t, q, 1), join(t, q, 2), join(t, q, 3)
	assert.Equal(t, []int{1, 2, 3}, []int{t1.Number, t2.Number, t3.Number})
	assert.Equal(t, 2, q.Position(t2.ID))

	c, ok, err := q.CallNext(2, "Lan")
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, t1.ID, c.ID)
	assert.Equal(t, 1, q.Position(t2.ID))
	_, err = q.Requeue(t1.ID)
	require.NoError(t, err)
	assert.Equal(t, 3, q.Position(t1.ID), "requeue goes to the back")

	s := q.Snapshot()
	assert.Equal(t, []int{2, 3, 1}, s.Next)
	assert.Equal(t, 3, s.Waiting)
	require.Len(t, s.Calls, 1)
	assert.Equal(t, Call{ID: s.Calls[0].ID, Number: 1, Desk: 2, At: s.Calls[0].At}, s.Calls[0])
	assert.Greater(t, s.Calls[0].ID, int64(1_700_000_000_000), "call ids start from the clock: they grow across restarts")

	_, _, err = q.CallNext(9, "Lan")
	require.ErrorIs(t, err, ErrBadDesk)
	for range 3 {
		_, ok, err = q.CallNext(1, "Lan")
		require.NoError(t, err)
		require.True(t, ok)
	}
	_, ok, err = q.CallNext(1, "Lan")
	require.NoError(t, err)
	assert.False(t, ok, "nobody waits")
}

func TestConcurrentJoinsNumberedUniquely(t *testing.T) {
	q := open(t, t.TempDir(), evening())
	defer q.Close()
	const n = 64
	nums := make(chan int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tk, err := q.Join(Join{Citizen: citizen(i), Token: "t"})
			assert.NoError(t, err)
			nums <- tk.Number
		}()
	}
	wg.Wait()
	close(nums)
	seen := map[int]bool{}
	for n := range nums {
		assert.False(t, seen[n], "number %d twice", n)
		seen[n] = true
	}
	assert.Len(t, seen, n)
	for i := 1; i <= n; i++ {
		assert.True(t, seen[i], "number %d missing", i)
	}
}

func TestReopenIdentical(t *testing.T) {
	dir := t.TempDir()
	clk := evening()
	q := open(t, dir, clk)
	for i := 1; i <= 6; i++ {
		join(t, q, i)
	}
	c, _, err := q.CallNext(1, "Lan")
	require.NoError(t, err)
	_, err = q.Complete(c.ID, Completion{Outcome: record.OutcomeActivated})
	require.NoError(t, err)
	c, _, err = q.CallNext(2, "Minh")
	require.NoError(t, err)
	_, err = q.Complete(c.ID, Completion{Outcome: record.OutcomeFailed, Reason: "left"})
	require.NoError(t, err)
	_, _, err = q.CallNext(3, "Hoa")
	require.NoError(t, err)
	require.NoError(t, q.Log().SetAcked(1))

	beforeTickets := q.Tickets(false)
	beforeRecs, head, err := q.Log().Records(0, 100)
	require.NoError(t, err)
	beforeSnap := q.Snapshot()
	require.NoError(t, q.Close())

	q = open(t, dir, clk)
	defer q.Close()
	assert.Equal(t, beforeTickets, q.Tickets(false))
	recs, head2, err := q.Log().Records(0, 100)
	require.NoError(t, err)
	assert.Equal(t, beforeRecs, recs)
	assert.Equal(t, head, head2)
	assert.Equal(t, uint64(1), q.Log().AckedSeq())
	snap := q.Snapshot()
	assert.Equal(t, beforeSnap.Desks[2].Number, snap.Desks[2].Number, "desk 3 still serves its citizen")
	assert.Equal(t, beforeSnap.Next, snap.Next)
	tk := join(t, q, 7)
	assert.Equal(t, 7, tk.Number, "numbering continues after restart")
}

func TestSeqDenseAndAcked(t *testing.T) {
	q := open(t, t.TempDir(), evening())
	defer q.Close()
	var ids []string
	for i := 1; i <= 5; i++ {
		tk := join(t, q, i)
		r, err := q.Complete(tk.ID, Completion{Outcome: record.OutcomeActivated, Desk: 1})
		require.NoError(t, err)
		assert.Equal(t, uint64(i), r.Seq)
		assert.Equal(t, "Bàn 1", r.Volunteer, "volunteer defaults to the desk")
		ids = append(ids, r.ID)
	}
	c := citizen(1)
	c.Name = "Nguyễn Văn Một"
	corr, err := q.CorrectRecord(ids[0], c, "", "", "Lan")
	require.NoError(t, err)
	assert.Equal(t, uint64(6), corr.Seq)
	assert.Equal(t, ids[0], corr.Corrects)
	assert.Equal(t, record.TypeCorrection, corr.Type)

	recs, head, err := q.Log().Records(2, 2)
	require.NoError(t, err)
	assert.Equal(t, uint64(6), head)
	require.Len(t, recs, 2)
	assert.Equal(t, []uint64{3, 4}, []uint64{recs[0].Seq, recs[1].Seq})

	require.NoError(t, q.Log().SetAcked(4))
	require.NoError(t, q.Log().SetAcked(2))
	assert.Equal(t, uint64(4), q.Log().AckedSeq(), "acked never moves back")
	require.NoError(t, q.Log().SetAcked(99))
	assert.Equal(t, uint64(6), q.Log().AckedSeq(), "acked never passes head")
}

func TestNewDayStartsAtOne(t *testing.T) {
	clk := evening()
	dir := t.TempDir()
	q := open(t, dir, clk)
	join(t, q, 1)
	join(t, q, 2)
	clk.Add(24 * time.Hour)
	tk := join(t, q, 3)
	assert.Equal(t, 1, tk.Number, "numbers restart each evening")
	assert.Equal(t, 1, q.Snapshot().Waiting, "yesterday's queue is gone")
	// The same citizen may come back the next evening.
	join(t, q, 1)
	require.NoError(t, q.Close())
	q = open(t, dir, clk)
	defer q.Close()
	assert.Equal(t, 3, join(t, q, 9).Number)
}

func TestNewerFormatRefused(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, evening())
	join(t, q, 1)
	require.NoError(t, q.db.Update(func(txn kv.Txn) error {
		return txn.Set(keyVersion, []byte(fmt.Sprint(FormatVersion+1)))
	}))
	require.NoError(t, q.Close())
	_, err := Open(Options{Dir: dir, KioskID: "x", Desks: 1})
	require.ErrorIs(t, err, ErrNewerFormat)
	// The data is untouched: the version key still says the newer format.
	db, err := kv.Open(kv.Options{Dir: dir})
	require.NoError(t, err)
	defer db.Close()
	require.NoError(t, db.View(func(txn kv.Txn) error {
		v, err := txn.Get(keyVersion)
		require.NoError(t, err)
		assert.Equal(t, fmt.Sprint(FormatVersion+1), string(v))
		return nil
	}))
}

func TestAuthorize(t *testing.T) {
	q := open(t, t.TempDir(), evening())
	defer q.Close()
	tk := join(t, q, 1)
	_, err := q.Authorize(tk.ID, "tok1")
	require.NoError(t, err)
	_, err = q.Authorize(tk.ID, "wrong")
	require.ErrorIs(t, err, ErrNotFound, "a wrong token looks like no ticket")
}

func TestETAFromTonight(t *testing.T) {
	clk := evening()
	q := open(t, t.TempDir(), clk)
	defer q.Close()
	assert.Equal(t, 10, q.ETAMinutes(2), "default 5 min per person on one desk")
	for i := 1; i <= 4; i++ {
		join(t, q, i)
	}
	a, _, _ := q.CallNext(1, "Lan")
	b, _, _ := q.CallNext(2, "Minh")
	clk.Add(2 * time.Minute)
	_, err := q.Complete(a.ID, Completion{Outcome: record.OutcomeActivated})
	require.NoError(t, err)
	_, err = q.Complete(b.ID, Completion{Outcome: record.OutcomeActivated})
	require.NoError(t, err)
	s := q.Snapshot()
	assert.Equal(t, 120, s.AvgServiceSeconds)
	assert.Equal(t, 2, s.ActiveDesks)
	assert.Equal(t, 2, q.ETAMinutes(2), "two people, two desks, two minutes each")
}

func TestDeskClearsWhenServiceEnds(t *testing.T) {
	// The TV must not show a number at a desk after that citizen is done:
	// people would walk up to an empty desk.
	cases := []struct {
		name string
		end  func(q *Queue, id string) error
	}{
		{"activated", func(q *Queue, id string) error {
			_, err := q.Complete(id, Completion{Outcome: record.OutcomeActivated})
			return err
		}},
		{"no-show", func(q *Queue, id string) error { _, err := q.NoShow(id); return err }},
		{"requeued", func(q *Queue, id string) error { _, err := q.Requeue(id); return err }},
		{"left", func(q *Queue, id string) error { _, err := q.Cancel(id); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q := open(t, t.TempDir(), evening())
			defer q.Close()
			tk := join(t, q, 1)
			_, _, err := q.CallNext(2, "Lan")
			require.NoError(t, err)
			assert.Equal(t, tk.Number, q.Snapshot().Desks[1].Number)
			require.NoError(t, tc.end(q, tk.ID))
			assert.Equal(t, 0, q.Snapshot().Desks[1].Number)
		})
	}
}

func TestAdoptWardHead(t *testing.T) {
	// A box restored from an older backup (or a new box under an old id):
	// the ward already holds seqs 1..7; new records must continue at 8.
	dir := t.TempDir()
	q := open(t, dir, evening())
	tk := join(t, q, 1)
	_, err := q.Complete(tk.ID, Completion{Outcome: record.OutcomeActivated})
	require.NoError(t, err)
	moved, err := q.Log().AdoptWardHead(7)
	require.NoError(t, err)
	assert.True(t, moved)
	moved, err = q.Log().AdoptWardHead(3)
	require.NoError(t, err)
	assert.False(t, moved, "never backwards")
	assert.Equal(t, uint64(7), q.Log().AckedSeq())
	tk = join(t, q, 2)
	r, err := q.Complete(tk.ID, Completion{Outcome: record.OutcomeActivated})
	require.NoError(t, err)
	assert.Equal(t, uint64(8), r.Seq)
	require.NoError(t, q.Close())

	q = open(t, dir, evening())
	defer q.Close()
	assert.Equal(t, uint64(8), q.Log().HeadSeq(), "kept across restarts")
	recs, head, err := q.Log().Records(1, 10)
	require.NoError(t, err)
	assert.Equal(t, uint64(8), head)
	require.Len(t, recs, 1)
	assert.Equal(t, uint64(8), recs[0].Seq)
}

func TestRestoreKeepsTheOriginalPlace(t *testing.T) {
	dir := t.TempDir()
	q := open(t, dir, evening())
	t1, t2, t3 := join(t, q, 1), join(t, q, 2), join(t, q, 3)
	_, _, err := q.CallNext(1, "Lan")
	require.NoError(t, err)
	_, err = q.NoShow(t1.ID)
	require.NoError(t, err)
	_, err = q.Cancel(t2.ID)
	require.NoError(t, err)
	join(t, q, 4)
	_, err = q.Restore(t3.ID)
	require.ErrorIs(t, err, ErrBadState, "waiting: nothing to restore")

	r, err := q.Restore(t2.ID)
	require.NoError(t, err)
	assert.Equal(t, Waiting, r.Status)
	_, err = q.Restore(t1.ID)
	require.NoError(t, err)
	assert.Equal(t, []int{1, 2, 3, 4}, q.Snapshot().Next, "each back where they were")
	_, err = q.Join(Join{Citizen: citizen(2), Token: "again"})
	require.ErrorIs(t, err, ErrAlreadyQueued, "restored: in the line again")
	require.NoError(t, q.Close())

	q = open(t, dir, evening())
	defer q.Close()
	assert.Equal(t, []int{1, 2, 3, 4}, q.Snapshot().Next, "as stored")
}

package queue

import (
	"errors"
	"os"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

// TestDiskFullGuard checks the free-space guard from the queue's side: a
// reserve larger than any disk refuses every write with ErrUnavailable and
// ErrDiskFull, while reads go on and nothing stored is touched. The real
// full file system is exercised in tests/hardening (TestKioskFullDisk).
func TestDiskFullGuard(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the guard is Linux-only")
	}
	dir := t.TempDir() + "/store"
	clk := evening()
	q, err := Open(Options{Dir: dir, KioskID: "dong-lao", Desks: 3, Clock: clk, BallastBytes: 1 << 20})
	require.NoError(t, err)
	a := join(t, q, 1)
	_, ok, err := q.CallNext(1, "Lan")
	require.NoError(t, err)
	require.True(t, ok)
	rec, err := q.Complete(a.ID, Completion{Outcome: record.OutcomeActivated})
	require.NoError(t, err)
	b := join(t, q, 2)
	require.NoError(t, q.Close())
	fi, err := os.Stat(dir + ".ballast")
	require.NoError(t, err, "the ballast sits next to the store")
	assert.Equal(t, int64(1<<20), fi.Size())

	q, err = Open(Options{Dir: dir, KioskID: "dong-lao", Desks: 3, Clock: clk, MinFreeBytes: 1 << 62})
	require.NoError(t, err, "a full disk still opens: reads must go on")
	full := func(name string, err error) {
		t.Helper()
		assert.True(t, errors.Is(err, ErrUnavailable) && errors.Is(err, ErrDiskFull), "%s: %v", name, err)
	}
	_, err = q.Join(Join{Citizen: citizen(3), Token: "t3"})
	full("join", err)
	_, _, err = q.CallNext(1, "Lan")
	full("call next", err)
	_, err = q.Cancel(b.ID)
	full("cancel", err)
	_, err = q.CorrectRecord(rec.ID, rec.Citizen, "", "", "Lan")
	full("correction", err)
	full("ack", q.Log().SetAcked(1))

	got, err := q.Get(b.ID)
	require.NoError(t, err)
	assert.Equal(t, Waiting, got.Status, "a refused write changes nothing")
	recs, head, err := q.Log().Records(0, 10)
	require.NoError(t, err)
	assert.Equal(t, uint64(1), head)
	assert.Len(t, recs, 1)
	assert.Len(t, q.Tickets(false), 2)

	// A failed write may skip a number but never repeat one: the next join
	// after space returns continues the sequence.
	require.NoError(t, q.Close())
	q2, err := Open(Options{Dir: dir, KioskID: "dong-lao", Desks: 3, Clock: clk, MinFreeBytes: -1})
	require.NoError(t, err)
	c := join(t, q2, 3)
	assert.Greater(t, c.Number, b.Number)
	require.NoError(t, q2.Close())
}

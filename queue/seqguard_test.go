package queue

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

// A seq never wraps: a ward head near 2^64 (a forged or broken reply) is
// refused and the log continues densely (issue 10).
func TestAdoptWardHeadRefusesAWrappingSeq(t *testing.T) {
	q := open(t, t.TempDir(), evening())
	defer q.Close()
	for _, seq := range []uint64{math.MaxUint64, math.MaxUint64 - 1, record.MaxSeq + 1} {
		moved, err := q.Log().AdoptWardHead(seq)
		require.Error(t, err, "%d", seq)
		assert.False(t, moved)
	}
	assert.Zero(t, q.Log().HeadSeq())
	require.NoError(t, q.Log().SetAcked(1000))
	assert.Zero(t, q.Log().AckedSeq(), "acked never passes head")
	for i := range 3 {
		tk := join(t, q, i+1)
		r, err := q.Complete(tk.ID, Completion{Outcome: record.OutcomeActivated})
		require.NoError(t, err)
		assert.Equal(t, uint64(i+1), r.Seq)
	}
}

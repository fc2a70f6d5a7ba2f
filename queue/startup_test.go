package queue

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/kv"
)

// seedDay writes n tickets of one evening straight into a store, the way
// a long campaign day leaves them: ids are random, so the store returns
// them out of line order. Every third is finished, the rest wait.
func seedDay(t testing.TB, dir string, clk *fakeClock, n int) {
	t.Helper()
	db, err := kv.Open(Options{Dir: dir}.kv())
	require.NoError(t, err)
	defer db.Close()
	now, _ := clk.Now()
	day := Day(now)
	for b := 0; b < n; b += 2000 {
		require.NoError(t, db.WriteBatch(func(wb kv.Batch) error {
			for i := b + 1; i <= min(n, b+2000); i++ {
				tk := Ticket{
					ID: uuid.NewString(), Day: day, Number: i, Order: int64(i), Status: Waiting, Citizen: citizen(i),
					ConsentAt: now, ConsentVersion: "v1", ConsentBy: "citizen", JoinedAt: now,
				}
				if i%3 == 0 {
					tk.Status, tk.Desk, tk.CalledAt, tk.FinishedAt = Activated, 1+i%3, now, now.Add(4*time.Minute)
				}
				v, err := json.Marshal(tk)
				if err != nil {
					return err
				}
				if err := wb.Set(ticketKey(day, tk.ID), v); err != nil {
					return err
				}
			}
			return nil
		}))
	}
}

// Start-up loads the day's tickets and sorts the line once: the order of
// the line is the tickets' order, whatever order the store gives them in.
// KYSO_STARTUP_TICKETS=160000 measures a long day (issue 15: ≤ 3 s).
func TestStartupRestoresTheLine(t *testing.T) {
	n := 3000
	if s := os.Getenv("KYSO_STARTUP_TICKETS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	dir := t.TempDir()
	clk := evening()
	seedDay(t, dir, clk, n)
	start := time.Now()
	q := open(t, dir, clk)
	t.Logf("start-up with %d tickets of the day: %v", n, time.Since(start))
	defer q.Close()
	s := q.Snapshot()
	assert.Equal(t, n-n/3, s.Waiting)
	assert.Equal(t, []int{1, 2, 4, 5, 7, 8, 10, 11}, s.Next, "the line in ticket order")
	assert.Equal(t, n/3, s.Tonight.Activated)
	w := q.Tickets(true)
	for i, tk := range w {
		if !assert.Equal(t, i+1, q.Position(tk.ID), "ticket %d", tk.Number) {
			break
		}
	}
	assert.Len(t, q.tickets, n-n/3, "finished tickets stay on disk")
	all := q.Tickets(false)
	require.Len(t, all, n)
	done, err := q.Get(all[2].ID)
	require.NoError(t, err, "a served citizen's phone still finds the ticket")
	assert.Equal(t, Activated, done.Status)
	next := join(t, q, n+1)
	assert.Equal(t, n+1, next.Number)
	assert.Equal(t, n-n/3+1, q.Position(next.ID), "a new join goes to the back")
}

package queue

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/kv"
	"github.com/kyso-vn/kyso/record"
)

// Counting a day from the digests gives exactly what decoding every
// ticket gives: the board's counters, the line, the desks, the next number.
// The same store is opened both ways (the digests, then the JSON of every
// ticket, as for a day before the digests existed).
func TestDigestsCountTheDayLikeTheTickets(t *testing.T) {
	dir := t.TempDir()
	clk := evening()
	q := open(t, dir, clk)
	for i := 1; i <= 60; i++ {
		join(t, q, i)
	}
	for i := 0; i < 40; i++ {
		clk.Add(3 * time.Minute)
		c, ok, err := q.CallNext(1+i%3, "Lê Thị Hoa")
		require.NoError(t, err)
		require.True(t, ok)
		switch i % 5 {
		case 0:
			_, err = q.NoShow(c.ID)
		case 1:
			_, err = q.Complete(c.ID, Completion{Outcome: record.OutcomeFailed, Reason: "no_smartphone"})
		case 2:
			_, err = q.Requeue(c.ID) // to the back of the line
		default:
			_, err = q.Complete(c.ID, Completion{Outcome: record.OutcomeActivated})
		}
		require.NoError(t, err)
	}
	_, _, err := q.CallNext(2, "Lê Thị Hoa") // desk 2 serving at the restart
	require.NoError(t, err)
	want := q.Snapshot()
	wantTickets := q.Tickets(true)
	require.NoError(t, q.Close())

	type view struct {
		snap    Snapshot
		tickets []Ticket
		next    int
		from    string
	}
	see := func(newcomer int) view {
		q := open(t, dir, clk)
		defer q.Close()
		s := q.Snapshot()
		s.Rev, s.Calls = 0, nil
		tickets := q.Tickets(true)
		tk := join(t, q, newcomer)
		return view{snap: s, tickets: tickets, next: tk.Number, from: q.digestsFrom}
	}
	byDigest := see(999)
	assert.Equal(t, Day(clk.t), byDigest.from, "a store made today counts from digests")

	// The same store, counted from every ticket's JSON.
	db, err := kv.Open(Options{Dir: dir}.kv())
	require.NoError(t, err)
	require.NoError(t, db.Update(func(txn kv.Txn) error { return txn.Set(keyDigestsFrom, []byte("9999-12-31")) }))
	require.NoError(t, db.Close())
	byJSON := see(998)

	want.Rev, want.Calls = 0, nil
	assert.Equal(t, want, byDigest.snap, "digests: the board as it was")
	want.Waiting++ // the newcomer of the first reopen
	want.Tonight.Joined++
	if len(want.Next) < 8 {
		want.Next = append(want.Next, 61)
	}
	assert.Equal(t, want, byJSON.snap, "JSON: the board as it was")
	assert.Equal(t, wantTickets, byDigest.tickets, "the active tickets, whole")
	assert.Equal(t, 61, byDigest.next, "numbering continues")
	assert.Equal(t, 62, byJSON.next)
}

// A digest that does not decode is damage, like a ticket that does not.
func TestDigestDecoding(t *testing.T) {
	at := time.Date(2026, 11, 23, 12, 5, 0, 123, time.UTC)
	full := Ticket{Status: Called, Number: 1871, Order: 2050, Desk: 3, CalledAt: at}
	cases := []struct {
		name string
		in   []byte
		ok   bool
	}{
		{"a called ticket", digestOf(&full), true},
		{"a waiting one: zero times", digestOf(&Ticket{Status: Waiting, Number: 1, Order: 1}), true},
		{"cut short", digestOf(&full)[:6], false},
		{"another version", append([]byte{9}, digestOf(&full)[1:]...), false},
		{"bytes after the end", append(digestOf(&full), 0), false},
		{"empty", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := countable(tc.in)
			if !tc.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			if tc.name == "a called ticket" {
				assert.Equal(t, full, got)
			}
		})
	}
}

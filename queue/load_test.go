package queue

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/kv"
)

// A ticket the store gives back as something other than a ticket is damage
// at start-up, whichever decoder meets it and however many batches are in
// flight around it: the queue refuses to open rather than lose a citizen.
func TestStartupRefusesADamagedTicket(t *testing.T) {
	cases := []struct {
		name    string
		tickets int
		bad     string
	}{
		{name: "alone", tickets: 0, bad: `{"id":`},
		{name: "among many batches", tickets: 5 * loadBatch, bad: `not json`},
		{name: "wrong type", tickets: loadBatch + 1, bad: `{"number":"một"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			clk := evening()
			seedDay(t, dir, clk, tc.tickets)
			now, _ := clk.Now()
			db, err := kv.Open(Options{Dir: dir}.kv())
			require.NoError(t, err)
			require.NoError(t, db.Update(func(txn kv.Txn) error {
				return txn.Set(ticketKey(Day(now), "7c1d0e52-hỏng"), []byte(tc.bad))
			}))
			require.NoError(t, db.Close())

			q, err := Open(Options{Dir: dir, KioskID: "dong-lao", Desks: 3, Clock: clk})
			if q != nil {
				q.Close()
			}
			assert.ErrorIs(t, err, ErrDamaged)
		})
	}
}

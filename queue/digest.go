package queue

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kyso-vn/kyso/internal/kv"
)

// Digests. Start-up must count the whole day (the board's counters, the
// next number, the desks' last calls) but hold only the active tickets.
// Decoding every ticket's JSON to count it was most of a restart's CPU
// (issue 15: 100k tickets, ~1.2 s of JSON of ~2.2 s to open). So every
// ticket write also writes a digest — the few fields counting needs, in a
// few bytes — in the same transaction; start-up walks the digests and reads
// the JSON of the active tickets only.
var (
	prefDigest = "td/" // td/<day>/<id> → digest
	// keyDigestsFrom is the first day whose tickets all have digests: the
	// day a store was made, or the day after a binary that writes them was
	// first started on an older store (that day is counted from the JSON).
	keyDigestsFrom = []byte("m/digests-from")
)

func digestKey(day, id string) []byte { return []byte(prefDigest + day + "/" + id) }

const digestVersion = 1

// digestOf encodes what start-up needs of t.
func digestOf(t *Ticket) []byte {
	b := make([]byte, 0, 48)
	b = append(b, digestVersion, byte(len(t.Status)))
	b = append(b, t.Status...)
	b = binary.AppendUvarint(b, uint64(t.Number))
	b = binary.AppendVarint(b, t.Order)
	b = binary.AppendUvarint(b, uint64(t.Desk))
	b = binary.AppendVarint(b, unixNano(t.CalledAt))
	return binary.AppendVarint(b, unixNano(t.FinishedAt))
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n).UTC()
}

var errBadDigest = errors.New("bad ticket digest")

// countable decodes a digest into the fields of a ticket that counting and
// numbering read (the rest stays zero).
func countable(b []byte) (Ticket, error) {
	var t Ticket
	if len(b) < 2 || b[0] != digestVersion || len(b) < 2+int(b[1]) {
		return t, errBadDigest
	}
	t.Status, b = Status(b[2:2+int(b[1])]), b[2+int(b[1]):]
	var vals [5]int64
	for i := range vals {
		var n int
		if i == 0 || i == 2 {
			var u uint64
			u, n = binary.Uvarint(b)
			vals[i] = int64(u)
		} else {
			vals[i], n = binary.Varint(b)
		}
		if n <= 0 {
			return t, errBadDigest
		}
		b = b[n:]
	}
	if len(b) != 0 {
		return t, errBadDigest
	}
	t.Number, t.Order, t.Desk = int(vals[0]), vals[1], int(vals[2])
	t.CalledAt, t.FinishedAt = fromUnixNano(vals[3]), fromUnixNano(vals[4])
	return t, nil
}

// putTicketTxn writes a ticket and its digest.
func putTicketTxn(txn kv.Txn, t *Ticket, js []byte) error {
	if err := txn.Set(ticketKey(t.Day, t.ID), js); err != nil {
		return err
	}
	return txn.Set(digestKey(t.Day, t.ID), digestOf(t))
}

// digestsFrom reads (or, on a store that has none, decides and writes) the
// first day counted from digests.
func digestsFrom(db kv.Store, today string) (string, error) {
	var from string
	var todayHasTickets bool
	err := db.View(func(txn kv.Txn) error {
		v, err := txn.Get(keyDigestsFrom)
		if err == nil {
			from = string(v)
			return nil
		}
		if !errors.Is(err, kv.ErrNotFound) {
			return err
		}
		return txn.Iterate(kv.IterOptions{KeysOnly: true, Prefix: []byte(prefTicket + today + "/")}, func(_, _ []byte) error {
			todayHasTickets = true
			return kv.Stop
		})
	})
	if err != nil || from != "" {
		return from, err
	}
	from = today
	if todayHasTickets {
		// Started mid-day on an older store: today's earlier tickets have
		// no digests, so today is counted from the JSON; tomorrow is not.
		d, err := time.Parse("2006-01-02", today)
		if err != nil {
			return "", err
		}
		from = d.AddDate(0, 0, 1).Format("2006-01-02")
	}
	if err := db.Update(func(txn kv.Txn) error { return txn.Set(keyDigestsFrom, []byte(from)) }); err != nil {
		// A full disk opens read-only: count everything from the JSON.
		return "9999-12-31", nil
	}
	return from, nil
}

// loadDigests walks day's digests: every ticket is counted, and only the
// active ones are read whole (and then held in memory).
func loadDigests(txn kv.Txn, day string, add func(t *Ticket)) error {
	var active [][]byte
	prefix := prefDigest + day + "/"
	err := txn.Iterate(kv.IterOptions{Prefix: []byte(prefix)}, func(k, v []byte) error {
		t, err := countable(v)
		if err != nil {
			return fmt.Errorf("%w: ticket digest %s: %v", ErrDamaged, k, err)
		}
		if t.Status.Active() {
			active = append(active, ticketKey(day, string(k[len(prefix):])))
			return nil
		}
		add(&t)
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range active {
		v, err := txn.Get(k)
		if err != nil {
			return fmt.Errorf("%w: ticket %s: %v", ErrDamaged, k, err)
		}
		t := new(Ticket)
		if err := json.Unmarshal(v, t); err != nil {
			return fmt.Errorf("%w: ticket %s: %v", ErrDamaged, k, err)
		}
		add(t)
	}
	return nil
}

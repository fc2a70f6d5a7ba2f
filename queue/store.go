package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"

	"github.com/kyso-vn/kyso/internal/kv"
)

// FormatVersion is the on-disk layout this binary writes and understands.
const FormatVersion = 1

// Keys. Tickets are grouped by day so that opening the store loads only today.
var (
	keyVersion = []byte("m/version")
	keyAcked   = []byte("m/acked")
	keyFloor   = []byte("m/floor") // the ward already held seqs up to here (restored or replaced box)
	prefTicket = "t/"              // t/<day>/<id> → Ticket JSON
	prefRecord = "r/"              // r/<seq big-endian 8 bytes> → Record JSON
	prefActive = "a/"              // a/<cccd> → record id of the activation
	prefRecID  = "ri/"             // ri/<record id> → seq
)

func ticketKey(day, id string) []byte { return []byte(prefTicket + day + "/" + id) }
func activeKey(cccd string) []byte    { return []byte(prefActive + cccd) }
func recIDKey(id string) []byte       { return []byte(prefRecID + id) }

func recordKey(seq uint64) []byte {
	k := make([]byte, len(prefRecord)+8)
	copy(k, prefRecord)
	binary.BigEndian.PutUint64(k[len(prefRecord):], seq)
	return k
}

// checkVersion writes the format version into a new store and refuses a
// store written by a newer binary. It reads first: a full disk must still
// open a store that has its version (reads go on, writes are refused).
func checkVersion(db kv.Store) error {
	var v []byte
	err := db.View(func(txn kv.Txn) error {
		var err error
		v, err = txn.Get(keyVersion)
		return err
	})
	if errors.Is(err, kv.ErrNotFound) {
		return db.Update(func(txn kv.Txn) error {
			return txn.Set(keyVersion, []byte(strconv.Itoa(FormatVersion)))
		})
	}
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return fmt.Errorf("%w: unreadable format version %q", ErrDamaged, v)
	}
	if n > FormatVersion {
		return fmt.Errorf("%w: format %d, this binary understands up to %d; install the newer kiosk binary", ErrNewerFormat, n, FormatVersion)
	}
	return nil
}

// unavailable wraps storage failures (disk full, closed store) so callers
// can answer 503 without losing what was stored before.
func unavailable(err error) error { return kv.Unavailable(err) }

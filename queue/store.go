package queue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"time"

	badger "github.com/dgraph-io/badger/v4"
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

// BadgerOptions are the small-device options of DESIGN.md: a Pi has little
// memory, and every acknowledged write must survive a power cut.
func BadgerOptions(dir string, key []byte) badger.Options {
	o := badger.DefaultOptions(dir).
		WithSyncWrites(true).
		WithMemTableSize(8 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(4).
		WithBlockCacheSize(4 << 20).
		WithIndexCacheSize(2 << 20).
		WithValueLogFileSize(16 << 20).
		WithNumCompactors(2).
		WithNumGoroutines(1). // streams (the daily backup): one 32 MB buffer, not eight
		WithBaseTableSize(2 << 20).
		WithValueThreshold(1 << 10).
		WithLogger(nil)
	if len(key) > 0 {
		o = o.WithEncryptionKey(key).WithEncryptionKeyRotationDuration(30 * 24 * time.Hour)
	}
	return o
}

// checkVersion writes the format version into a new store and refuses a
// store written by a newer binary.
func checkVersion(db *badger.DB) error {
	return db.Update(func(txn *badger.Txn) error {
		it, err := txn.Get(keyVersion)
		if errors.Is(err, badger.ErrKeyNotFound) {
			return txn.Set(keyVersion, []byte(strconv.Itoa(FormatVersion)))
		}
		if err != nil {
			return err
		}
		v, err := it.ValueCopy(nil)
		if err != nil {
			return err
		}
		n, err := strconv.Atoi(string(v))
		if err != nil {
			return fmt.Errorf("unreadable format version %q", v)
		}
		if n > FormatVersion {
			return fmt.Errorf("%w: format %d, this binary understands up to %d; install the newer kiosk binary", ErrNewerFormat, n, FormatVersion)
		}
		return nil
	})
}

// unavailable wraps storage failures (disk full, closed store) so callers
// can answer 503 without losing what was stored before.
func unavailable(err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %v", ErrUnavailable, err)
}

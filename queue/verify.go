package queue

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/kyso-vn/kyso/internal/kv"
	"github.com/kyso-vn/kyso/record"
)

// Checked is what Verify found in a whole store.
type Checked struct {
	Records int    // completion records held
	Head    uint64 // highest seq (the floor when the ward holds more)
	Floor   uint64 // seqs up to here were taken over from the ward
	Tickets int    // tickets of every day
	// Repair is set when the store was rebuilt after damage: its lost
	// ranges are known holes, not damage; while it runs the log is partial.
	Repair *RepairState
}

// Verify checks the store in dir offline (`kiosk verify`): every table
// block and every value against its checksum, then the log itself — each
// record readable, under its own seq, dense above the floor. The kiosk
// must be stopped (ErrLocked). Damage is ErrDamaged with what was found.
func Verify(dir string, key []byte) (Checked, error) {
	var c Checked
	o := Options{Dir: dir, EncryptionKey: key}.kv()
	o.FlushReplayed = false
	db, err := kv.Open(o)
	if err != nil {
		return c, err
	}
	defer db.Close()
	if err := db.Verify(); err != nil {
		return c, err
	}
	err = db.View(func(txn kv.Txn) error {
		if v, err := txn.Get(keyFloor); err == nil {
			c.Floor, _ = strconv.ParseUint(string(v), 10, 64)
		}
		if v, err := txn.Get(keyRepair); err == nil {
			c.Repair = new(RepairState)
			if err := json.Unmarshal(v, c.Repair); err != nil {
				return fmt.Errorf("%w: repair state: %v", ErrDamaged, err)
			}
		}
		var lost []record.SeqRange
		if c.Repair != nil {
			lost = c.Repair.Lost
		}
		next := uint64(1)
		err := txn.Iterate(kv.IterOptions{Prefix: []byte(prefRecord)}, func(k, v []byte) error {
			var r record.Record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("%w: record %d: %v", ErrDamaged, binaryUint64(k[len(prefRecord):]), err)
			}
			if r.Seq != binaryUint64(k[len(prefRecord):]) || r.Seq < next || (r.Seq > next && r.Seq-1 > c.Floor && !lostIn(lost, next, r.Seq-1)) {
				return fmt.Errorf("%w: record %d where %d was due", ErrDamaged, r.Seq, next)
			}
			c.Records++
			next = r.Seq + 1
			return nil
		})
		if err != nil {
			return err
		}
		c.Head = max(next-1, c.Floor)
		return txn.Iterate(kv.IterOptions{Prefix: []byte(prefTicket)}, func(k, v []byte) error {
			var t Ticket
			if err := json.Unmarshal(v, &t); err != nil {
				return fmt.Errorf("%w: ticket %s: %v", ErrDamaged, k, err)
			}
			c.Tickets++
			return nil
		})
	})
	return c, err
}

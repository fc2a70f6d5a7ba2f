package queue

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/kyso-vn/kyso/internal/kv"
	"github.com/kyso-vn/kyso/record"
)

// Keys of a repair.
var (
	keyRepair   = []byte("m/repair") // RepairState JSON, from the rebuild on
	prefPending = "p/"               // p/<n big-endian> → Record made while repairing; its seq comes at the end
)

// ErrRepairing says the log is being rebuilt from the ward: no page of it
// is answered until every record the ward holds is back (a partial answer
// would look like a complete one).
var ErrRepairing = errors.New("the completion log is being repaired from the ward")

// errNotRepairing refuses a repair step on a log that is not being repaired.
var errNotRepairing = errors.New("the log is not being repaired")

// RepairState is what a kiosk whose store was damaged knows about its
// repair. It is kept in the fresh store from the rebuild on, so a power cut
// in the middle of a repair resumes it, and after the end it stays as the
// account of what happened.
type RepairState struct {
	Since      time.Time         `json:"since"`
	Damage     string            `json:"damage"`           // what the check at open found
	DamagedDir string            `json:"damaged_dir"`      // the damaged store, moved aside (never deleted)
	Backup     string            `json:"backup,omitempty"` // the local backup the fresh store started from
	BackupHead uint64            `json:"backup_head"`
	Done       bool              `json:"done"`
	DoneAt     time.Time         `json:"done_at,omitzero"`
	WardHead   uint64            `json:"ward_head"`
	FromWard   uint64            `json:"from_ward"`   // records the ward gave back
	FromBackup uint64            `json:"from_backup"` // records only the backup had
	Pending    uint64            `json:"pending"`     // completions made while repairing, numbered at the end
	Head       uint64            `json:"head"`        // the log's head when the repair ended
	Lost       []record.SeqRange `json:"lost,omitempty"`
	Reported   bool              `json:"reported"` // the ward has the report
}

// Rebuild replaces the damaged store in opts.Dir: it moves it aside (kept
// for a technician, never deleted), starts a fresh store from the newest
// local backup in backupDir that loads and verifies (none: empty), marks it
// as being repaired and opens it. The fresh store is built beside the old
// one and renamed into place only when marked, so a power cut at any point
// leaves either the damaged store (rebuilt again) or a marked one.
func Rebuild(opts Options, damage error, backupDir string, now time.Time) (*Queue, error) {
	log := opts.Logger
	aside := opts.Dir + ".damaged-" + now.UTC().Format("20060102-150405")
	if err := os.Rename(opts.Dir, aside); err != nil {
		return nil, fmt.Errorf("move the damaged store aside: %w", err)
	}
	st := RepairState{Since: now.UTC(), Damage: damage.Error(), DamagedDir: aside}
	tmp := opts.Dir + ".rebuilding"
	if err := os.RemoveAll(tmp); err != nil {
		return nil, err
	}
	for _, b := range Backups(backupDir) {
		if _, err := Restore(b, tmp, opts.EncryptionKey); err != nil {
			if log != nil {
				log.Warn("backup does not load; trying an older one", "file", b, "err", err)
			}
			os.RemoveAll(tmp)
			continue
		}
		if _, err := Verify(tmp, opts.EncryptionKey); err != nil && !errors.Is(err, ErrDamaged) {
			return nil, err
		} else if err != nil {
			if log != nil {
				log.Warn("backup is damaged too; trying an older one", "file", b, "err", err)
			}
			os.RemoveAll(tmp)
			continue
		}
		st.Backup = b
		break
	}
	o := opts
	o.Dir, o.OnChange = tmp, nil
	q, err := Open(o)
	if err != nil {
		return nil, fmt.Errorf("fresh store: %w", err)
	}
	st.BackupHead = q.head
	err = q.db.Update(func(txn kv.Txn) error { return putJSON(txn, keyRepair, st) })
	if cerr := q.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("fresh store: %w", err)
	}
	if err := os.Rename(tmp, opts.Dir); err != nil {
		return nil, err
	}
	return Open(opts)
}

func putJSON(txn kv.Txn, k []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return txn.Set(k, b)
}

func pendingKey(n uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte(prefPending), n)
}

// loadRepair reads the repair state, if any, and the highest pending key.
func loadRepair(txn kv.Txn) (*RepairState, uint64, error) {
	v, err := txn.Get(keyRepair)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, err
	}
	st := new(RepairState)
	if err := json.Unmarshal(v, st); err != nil {
		return nil, 0, fmt.Errorf("%w: repair state: %v", ErrDamaged, err)
	}
	var pending uint64
	err = txn.Iterate(kv.IterOptions{KeysOnly: true, Prefix: []byte(prefPending)}, func(k, _ []byte) error {
		pending = max(pending, binaryUint64(k[len(prefPending):]))
		return nil
	})
	return st, pending, err
}

// repairing reports whether appends go to the pending list.
func repairing(st *RepairState) bool { return st != nil && !st.Done }

// lostIn reports whether [from, to] lies inside one of the ranges: a hole
// in the log known lost (reported, not damage), or seqs the ward lacks.
func lostIn(lost []record.SeqRange, from, to uint64) bool {
	for _, r := range lost {
		if r.From <= from && to <= r.To {
			return true
		}
	}
	return false
}

// Repair returns the repair state, if this store was ever rebuilt.
func (l *Log) Repair() (RepairState, bool) {
	q := l.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.repair == nil {
		return RepairState{}, false
	}
	st := *q.repair
	st.Lost = append([]record.SeqRange(nil), st.Lost...)
	if !st.Done {
		st.Pending = q.pending
	}
	return st, true
}

// Repairing reports whether the log is being rebuilt from the ward.
func (l *Log) Repairing() bool {
	q := l.q
	q.mu.Lock()
	defer q.mu.Unlock()
	return repairing(q.repair)
}

// PutRecovered stores records the ward gave back, under their own seqs.
// It is idempotent (a resumed repair puts them again); a record of another
// kiosk or without a seq is refused.
func (l *Log) PutRecovered(recs []record.Record) error {
	q := l.q
	q.logMu.Lock()
	defer q.logMu.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if !repairing(q.repair) {
		return errNotRepairing
	}
	for _, r := range recs {
		if r.KioskID != q.opts.KioskID || r.Seq == 0 || r.Seq > record.MaxSeq {
			return fmt.Errorf("recovered record %d of %q does not belong here", r.Seq, r.KioskID)
		}
	}
	// Batches keep each transaction well inside Badger's size limit.
	for len(recs) > 0 {
		n := min(len(recs), 200)
		err := q.db.Update(func(txn kv.Txn) error {
			for _, r := range recs[:n] {
				if err := putRecordTxn(txn, r); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return unavailable(err)
		}
		recs = recs[n:]
	}
	return nil
}

// putRecordTxn writes a record under its seq with its id index and, for an
// activation, the CCCD's mark.
func putRecordTxn(txn kv.Txn, r record.Record) error {
	return putRecordAt(txn, recordKey(r.Seq), strconv.FormatUint(r.Seq, 10), r)
}

// putRecordAt writes r under key, its id index pointing at ref (a seq, or
// "p<n>" for a pending record) and, for an activation, the CCCD's mark.
func putRecordAt(txn kv.Txn, key []byte, ref string, r record.Record) error {
	rb, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if err := txn.Set(key, rb); err != nil {
		return err
	}
	if err := txn.Set(recIDKey(r.ID), []byte(ref)); err != nil {
		return err
	}
	if r.Outcome == record.OutcomeActivated && r.Citizen.CCCD != "" {
		return txn.Set(activeKey(r.Citizen.CCCD), []byte(r.ID))
	}
	return nil
}

// FinishRepair ends a repair once every record the ward holds is back.
// wardHead is the ward's highest seq for this kiosk and wardMissing the
// seqs below it the ward does not hold. The log's head becomes the highest
// seq held; seqs up to it that neither the ward nor the backup had are
// recorded as lost; completions made meanwhile get the next seqs, in the
// order they were made; acked is set to what the ward holds, so the
// forwarder sends the rest. It returns the final state.
func (l *Log) FinishRepair(wardHead uint64, wardMissing []record.SeqRange, now time.Time) (RepairState, error) {
	q := l.q
	q.logMu.Lock()
	defer q.logMu.Unlock()
	q.mu.Lock()
	defer q.mu.Unlock()
	if !repairing(q.repair) {
		return RepairState{}, errNotRepairing
	}
	st := *q.repair
	wardHolds := func(seq uint64) bool { return seq <= wardHead && !lostIn(wardMissing, seq, seq) }
	// Walk the keys once: what is held, from where, and the holes.
	var lost []record.SeqRange
	var head, fromWard, fromBackup uint64
	acked := wardHead
	err := q.db.View(func(txn kv.Txn) error {
		return txn.Iterate(kv.IterOptions{KeysOnly: true, Prefix: []byte(prefRecord)}, func(k, _ []byte) error {
			seq := binaryUint64(k[len(prefRecord):])
			if seq > head+1 {
				lost = append(lost, record.SeqRange{From: head + 1, To: seq - 1})
			}
			head = seq
			if wardHolds(seq) {
				fromWard++
			} else {
				fromBackup++
				acked = min(acked, seq-1) // the ward lacks it: send it again from here
			}
			return nil
		})
	})
	if err != nil {
		return RepairState{}, unavailable(err)
	}
	if head < wardHead {
		// Cannot happen when every page was put; refuse rather than pretend.
		return RepairState{}, fmt.Errorf("%w: the ward holds up to %d, the log only %d", ErrDamaged, wardHead, head)
	}
	// The ward's own holes below its head that nobody had are lost too;
	// seqs above the ward's head that only the backup had are sent again.
	acked = min(acked, head)
	// Number the pending completions after the head, oldest first. Each
	// batch writes the records and deletes their pending keys in one
	// commit: a power cut in between can never number one twice.
	type kvPair struct{ k, v []byte }
	var pend []kvPair
	err = q.db.View(func(txn kv.Txn) error {
		return txn.Iterate(kv.IterOptions{Prefix: []byte(prefPending)}, func(k, v []byte) error {
			pend = append(pend, kvPair{append([]byte(nil), k...), append([]byte(nil), v...)})
			return nil
		})
	})
	if err != nil {
		return RepairState{}, unavailable(err)
	}
	next := head
	for len(pend) > 0 {
		n := min(len(pend), 200)
		seq := next
		err := q.db.Update(func(txn kv.Txn) error {
			for _, p := range pend[:n] {
				var r record.Record
				if err := json.Unmarshal(p.v, &r); err != nil {
					return fmt.Errorf("%w: pending record: %v", ErrDamaged, err)
				}
				seq++
				r.Seq = seq
				if err := putRecordTxn(txn, r); err != nil {
					return err
				}
				if err := txn.Delete(p.k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return RepairState{}, unavailable(err)
		}
		next, pend = seq, pend[n:]
	}
	st.Done, st.DoneAt, st.WardHead = true, now.UTC(), wardHead
	st.FromWard, st.FromBackup, st.Pending, st.Head, st.Lost = fromWard, fromBackup, next-head, next, lost
	err = q.db.Update(func(txn kv.Txn) error {
		if err := txn.Set(keyAcked, []byte(strconv.FormatUint(acked, 10))); err != nil {
			return err
		}
		if err := txn.Delete(keyFloor); err != nil {
			return err
		}
		return putJSON(txn, keyRepair, st)
	})
	if err != nil {
		return RepairState{}, unavailable(err)
	}
	// The activations that came back count on the board now, not at the
	// next start.
	var activated int
	if err := q.db.View(func(txn kv.Txn) error { activated, err = countActivated(txn); return err }); err != nil {
		return RepairState{}, unavailable(err)
	}
	q.repair, q.pending, q.activated = &st, 0, activated
	q.head, q.acked, q.floor = next, acked, 0
	q.rev++
	go q.changed()
	return st, nil
}

// MarkRepairReported records that the ward has the repair's report.
func (l *Log) MarkRepairReported() error {
	q := l.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.repair == nil || !q.repair.Done {
		return errors.New("no finished repair")
	}
	st := *q.repair
	st.Reported = true
	if err := q.db.Update(func(txn kv.Txn) error { return putJSON(txn, keyRepair, st) }); err != nil {
		return unavailable(err)
	}
	q.repair = &st
	return nil
}

package queue

import (
	"errors"

	"github.com/kyso-vn/kyso/internal/kv"
)

// Log is the completion log as the forwarder, the ward's pulls and the
// tablet's recent list read it: records in seq order, the head, and the
// seq the ward acknowledged. It shares the queue's store and locks; it is
// a type of its own so that the queue keeps one job (tickets and desks).
type Log struct{ q *Queue }

// Log returns the queue's completion log.
func (q *Queue) Log() *Log { return &Log{q} }

// Checkpoints let a reader that derives something from the whole log (the
// board's count by village) start from where it was instead of reading the
// log again at every start: at 100k records that read was 1.35 s of a
// restart (issue 15). A checkpoint is the reader's own bytes, written
// whenever it likes; it must say itself which seq it covers.

func checkpointKey(name string) []byte { return []byte("m/cp/" + name) }

// Checkpoint returns what was saved under name, nil when nothing was.
func (l *Log) Checkpoint(name string) ([]byte, error) {
	var v []byte
	err := l.q.db.View(func(txn kv.Txn) error {
		var err error
		v, err = txn.Get(checkpointKey(name))
		return err
	})
	if errors.Is(err, kv.ErrNotFound) {
		return nil, nil
	}
	return v, err
}

// SaveCheckpoint keeps b under name.
func (l *Log) SaveCheckpoint(name string, b []byte) error {
	return unavailable(l.q.db.Update(func(txn kv.Txn) error { return txn.Set(checkpointKey(name), b) }))
}

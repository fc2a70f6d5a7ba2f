package store

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/kyso-vn/kyso/internal/kv"
)

// CopyStats says what CopyTo wrote.
type CopyStats struct {
	Keys        int
	Records     int
	Quarantined int
	Dropped     int // keys under CopyWithout's prefixes, left out
}

// CopyTo writes the current version of every key of s into dst (a new,
// empty store), letting rec and quar change records and quarantined
// deliveries on the way (nil: copied as they are).
//
// Only what is written here reaches dst's files. Older versions and
// deleted keys, which Badger keeps in s's tables and value log until a
// compaction or a GC happens to drop them, stay behind with s: that is how
// `ward purge` gets personal data out of the bytes on disk, which
// rewriting keys in place cannot promise.
func (s *Store) CopyTo(dst *Store, rec func(*Stored) error, quar func(*Quarantined) error) (CopyStats, error) {
	return s.CopyWithout(dst, nil, rec, quar)
}

// CopyWithout is CopyTo leaving out every key under the drop prefixes:
// they never reach dst's files (`ward purge` drops the outreach roster).
func (s *Store) CopyWithout(dst *Store, drop []string, rec func(*Stored) error, quar func(*Quarantined) error) (CopyStats, error) {
	var st CopyStats
	var walkErr error // the walk's own errors (rec, quar, reads) come back as they are
	err := dst.db.WriteBatch(func(wb kv.Batch) error {
		walkErr = s.db.View(func(txn kv.Txn) error { return copyKeys(txn, wb, dst, &st, drop, rec, quar) })
		return walkErr
	})
	if walkErr != nil {
		return st, walkErr
	}
	return st, unavailable(err)
}

// copyKeys is CopyTo's walk over the source's keys.
func copyKeys(txn kv.Txn, wb kv.Batch, dst *Store, st *CopyStats, drop []string, rec func(*Stored) error, quar func(*Quarantined) error) error {
	return txn.Iterate(kv.IterOptions{Prefetch: 256}, func(key, val []byte) error {
		for _, p := range drop {
			if bytes.HasPrefix(key, []byte(p)) {
				st.Dropped++
				return nil
			}
		}
		k, v := bytes.Clone(key), bytes.Clone(val) // the batch keeps them
		var err error
		switch {
		case bytes.HasPrefix(k, []byte(pRecord)):
			st.Records++
			if rec == nil {
				break
			}
			r, err := decodeStored(v)
			if err != nil {
				return fmt.Errorf("record %q: %w", k, err)
			}
			if err := rec(&r); err != nil {
				return err
			}
			v = encodeStored(r)
		case bytes.HasPrefix(k, []byte(pQuarantine)):
			st.Quarantined++
			if quar == nil {
				break
			}
			var q Quarantined
			if err := json.Unmarshal(v, &q); err != nil {
				return fmt.Errorf("quarantined %q: %w", k, err)
			}
			if err := quar(&q); err != nil {
				return err
			}
			if v, err = json.Marshal(q); err != nil {
				return err
			}
		}
		// The batch commits as it grows: keep asking the guard.
		if st.Keys%1024 == 0 {
			if err := dst.check(); err != nil {
				return err
			}
		}
		if err := wb.Set(k, v); err != nil {
			return unavailable(err)
		}
		st.Keys++
		return nil
	})
}

// Count returns how many keys each prefix holds (records, quarantine,
// kiosks, health, settings), for checking a copy.
func (s *Store) Count() (map[string]int, error) {
	out := map[string]int{}
	err := s.db.View(func(txn kv.Txn) error {
		return txn.Iterate(kv.IterOptions{KeysOnly: true}, func(k, _ []byte) error {
			p := "other"
			if len(k) >= 2 && k[1] == '/' {
				p = string(k[:2])
			}
			out[p]++
			return nil
		})
	})
	return out, err
}

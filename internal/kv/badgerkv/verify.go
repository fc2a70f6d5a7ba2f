package badgerkv

import (
	"fmt"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/kyso-vn/kyso/internal/kv"
)

// Verify reads every block of every table and every value with its
// checksum. Badger's iterators stop silently at a block they cannot read,
// so the tables are checked block by block first; the values (some live in
// the value log) are then read one by one.
func (d *DB) Verify() (err error) {
	defer recoverDamage(&err)
	if err := d.db.VerifyChecksum(); err != nil {
		return fmt.Errorf("%w: %v", kv.ErrDamaged, err)
	}
	err = d.db.View(func(t *badger.Txn) error {
		it := t.NewIterator(badger.IteratorOptions{PrefetchValues: false, AllVersions: false})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			if err := item.Value(func([]byte) error { return nil }); err != nil {
				return fmt.Errorf("%w: key %q: %v", kv.ErrDamaged, item.Key(), err)
			}
		}
		return nil
	})
	return err
}

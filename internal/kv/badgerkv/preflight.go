package badgerkv

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/fb"
	"github.com/dgraph-io/badger/v4/options"
	"github.com/dgraph-io/badger/v4/pb"
	"github.com/dgraph-io/badger/v4/table"
	"github.com/dgraph-io/ristretto/v2"
	"github.com/dgraph-io/ristretto/v2/z"

	"github.com/kyso-vn/kyso/internal/kv"
)

// preflight checks every table the manifest lists, block by block, before
// Badger opens the store.
//
// Why not let Badger do it: Badger opens tables in goroutines of its own,
// and a damaged table panics there — a slice bounds error when a table was
// cut short, a nil dereference in Table.VerifyChecksum when a block's
// checksum length is garbage (v4.9.6, table.go:711) — which no recover in
// our code can catch: the whole kiosk dies, at every start. Here the same
// table code runs in our goroutine, under recover, and damage becomes
// ErrDamaged. Badger itself then runs with block checks on every read.
//
// What preflight cannot judge (no manifest yet, an unreadable manifest or
// key registry) it leaves to Badger's open, whose errors are typed too.
func preflight(o kv.Options) error {
	f, err := os.Open(filepath.Join(o.Dir, badger.ManifestFilename))
	if errors.Is(err, fs.ErrNotExist) {
		return nil // a new store
	}
	if err != nil {
		return err
	}
	mf, _, err := badger.ReplayManifestFile(f, 0, BadgerOptions(o))
	f.Close()
	if err != nil {
		return nil
	}
	var reg *badger.KeyRegistry
	var cache *ristretto.Cache[uint64, *fb.TableIndex]
	for id, tm := range mf.Tables {
		var dk *pb.DataKey
		if tm.KeyID != 0 {
			if reg == nil {
				reg, err = badger.OpenKeyRegistry(badger.KeyRegistryOptions{
					Dir: o.Dir, ReadOnly: true, EncryptionKey: o.EncryptionKey,
					EncryptionKeyRotationDuration: BadgerOptions(o).EncryptionKeyRotationDuration,
				})
				if errors.Is(err, badger.ErrEncryptionKeyMismatch) {
					return kv.ErrWrongKey
				}
				if err != nil {
					return nil
				}
				defer reg.Close()
				cache, err = ristretto.NewCache(&ristretto.Config[uint64, *fb.TableIndex]{NumCounters: 1 << 12, MaxCost: 4 << 20, BufferItems: 64})
				if err != nil {
					return err
				}
				defer cache.Close()
			}
			k, err := reg.DataKey(tm.KeyID)
			if err != nil {
				return fmt.Errorf("%w: table %d: %v", kv.ErrDamaged, id, err)
			}
			dk = k
		}
		topt := table.Options{
			ReadOnly: true, ChkMode: options.OnTableRead, BlockSize: 4 << 10, BloomFalsePositive: 0.01,
			Compression: tm.Compression, DataKey: dk, IndexCache: cache,
		}
		if err := checkTable(table.NewFilename(id, o.Dir), topt); err != nil {
			return err
		}
	}
	return nil
}

// checkTable opens one table read-only, which verifies every block's
// checksum (OnTableRead), and closes it without touching the file.
func checkTable(path string, topt table.Options) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: table %s: %v", kv.ErrDamaged, filepath.Base(path), r)
		}
	}()
	mf, err := z.OpenMmapFile(path, os.O_RDONLY, 0)
	if err != nil {
		return fmt.Errorf("%w: table %s: %v", kv.ErrDamaged, filepath.Base(path), err)
	}
	t, err := table.OpenTable(mf, topt)
	if err != nil {
		// OpenTable closed the file itself on a checksum error only.
		_ = mf.Close(-1)
		return fmt.Errorf("%w: table %s: %v", kv.ErrDamaged, filepath.Base(path), err)
	}
	// Not DecrRef: at zero references a table deletes its file.
	return t.Close(-1)
}

package badgerkv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/kv"
)

// fullDisk makes the guard see a full disk whatever the real free space:
// no reserve can be met (the real full tmpfs is tests/hardening's).
const fullDisk = 1 << 62

var dataKey = bytes.Repeat([]byte{0x5a}, 32)

func openT(t *testing.T, o kv.Options) *DB {
	t.Helper()
	d, err := Open(o)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

func put(t *testing.T, d *DB, k, v string) {
	t.Helper()
	require.NoError(t, d.Update(func(txn kv.Txn) error { return txn.Set([]byte(k), []byte(v)) }))
}

func get(d *DB, k string) (string, error) {
	var v []byte
	err := d.View(func(txn kv.Txn) error {
		var err error
		v, err = txn.Get([]byte(k))
		return err
	})
	return string(v), err
}

// Open says what is wrong in a type, never in a string to match.
func TestOpenErrors(t *testing.T) {
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) kv.Options
		want  error
	}{
		{"open by a running service", func(t *testing.T, dir string) kv.Options {
			openT(t, kv.Options{Dir: dir})
			return kv.Options{Dir: dir}
		}, kv.ErrLocked},
		{"open by a program that only takes Badger's lock (an older kiosk)", func(t *testing.T, dir string) kv.Options {
			if runtime.GOOS != "linux" {
				t.Skip("flock")
			}
			d := openT(t, kv.Options{Dir: dir})
			require.NoError(t, d.Close())
			f, err := os.Open(dir)
			require.NoError(t, err)
			t.Cleanup(func() { f.Close() })
			require.NoError(t, syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB))
			return kv.Options{Dir: dir}
		}, kv.ErrLocked},
		{"another data key", func(t *testing.T, dir string) kv.Options {
			d := openT(t, kv.Options{Dir: dir, EncryptionKey: dataKey})
			put(t, d, "k", "v")
			require.NoError(t, d.Close())
			return kv.Options{Dir: dir, EncryptionKey: bytes.Repeat([]byte{1}, 32)}
		}, kv.ErrWrongKey},
		{"no data key for an encrypted store", func(t *testing.T, dir string) kv.Options {
			d := openT(t, kv.Options{Dir: dir, EncryptionKey: dataKey})
			require.NoError(t, d.Close())
			return kv.Options{Dir: dir}
		}, kv.ErrWrongKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "store")
			o := tc.setup(t, dir)
			_, err := Open(o)
			require.ErrorIs(t, err, tc.want)
			for _, other := range []error{kv.ErrLocked, kv.ErrWrongKey, kv.ErrDamaged, kv.ErrDiskFull} {
				if other != tc.want {
					assert.NotErrorIs(t, err, other)
				}
			}
		})
	}
}

// A store holds the lock until it is closed; then it opens again.
func TestLockReleasedOnClose(t *testing.T) {
	dir := t.TempDir()
	d, err := Open(kv.Options{Dir: dir})
	require.NoError(t, err)
	put(t, d, "Nguyễn Thị Lan", "038190000001")
	require.NoError(t, d.Close())
	d = openT(t, kv.Options{Dir: dir})
	v, err := get(d, "Nguyễn Thị Lan")
	require.NoError(t, err)
	assert.Equal(t, "038190000001", v)
}

// Every write asks the guard first; reads never do.
func TestWritesRefusedOnFullDisk(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the guard is Linux-only")
	}
	dir := t.TempDir()
	d, err := Open(kv.Options{Dir: dir})
	require.NoError(t, err)
	put(t, d, "a", "038090000001")
	require.NoError(t, d.Close())

	d = openT(t, kv.Options{Dir: dir, MinFree: fullDisk})
	writes := []struct {
		name string
		do   func() error
	}{
		{"update", func() error {
			return d.Update(func(txn kv.Txn) error { return txn.Set([]byte("b"), []byte("x")) })
		}},
		{"write batch", func() error {
			return d.WriteBatch(func(wb kv.Batch) error { return wb.Set([]byte("b"), []byte("x")) })
		}},
		{"load", func() error { return d.Load(bytes.NewReader(nil)) }},
		{"backup file", func() error { _, err := d.WriteBackup(t.TempDir(), "kyso-kiosk", 3, time.Now()); return err }},
		{"flatten", d.Flatten},
	}
	for _, w := range writes {
		err := w.do()
		assert.True(t, errors.Is(err, kv.ErrUnavailable) && errors.Is(err, kv.ErrDiskFull), "%s: %v", w.name, err)
	}
	v, err := get(d, "a")
	require.NoError(t, err, "reads go on")
	assert.Equal(t, "038090000001", v)
	_, err = get(d, "b")
	assert.ErrorIs(t, err, kv.ErrNotFound, "nothing refused was written")
}

// The kiosk used to run value-log GC without asking the guard (issue 10):
// GC rewrites value-log files, and on a full disk Badger dies of SIGBUS.
// Here GC runs on a fast ticker: on a full disk it never reaches Badger.
func TestGCStopsOnAFullDisk(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the guard is Linux-only")
	}
	cases := []struct {
		name    string
		minFree int64
		wantGC  bool
	}{
		{"room on the disk: GC runs", -1, true},
		{"near-full disk: GC waits", fullDisk, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := openT(t, kv.Options{Dir: t.TempDir(), MinFree: tc.minFree})
			var calls atomic.Int32
			d.gc = func(float64) error { calls.Add(1); return badger.ErrNoRewrite }
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
			defer cancel()
			require.NoError(t, d.RunGC(ctx, time.Millisecond))
			assert.Equal(t, tc.wantGC, calls.Load() > 0, "GC rounds: %d", calls.Load())
		})
	}
}

// A panic inside Badger while reading (what a damaged table does) is an
// kv.ErrDamaged answer, not a dead process.
func TestPanicWhileReadingIsDamage(t *testing.T) {
	d := openT(t, kv.Options{Dir: t.TempDir()})
	err := d.View(func(kv.Txn) error { panic(fmt.Sprintf("runtime error: slice bounds out of range [:%d]", 4096)) })
	assert.ErrorIs(t, err, kv.ErrDamaged)
}

// Backups of an encrypted store are encrypted, restore with the key only,
// and a restore moves the store it replaces aside.
func TestBackupAndRestore(t *testing.T) {
	for _, key := range [][]byte{nil, dataKey} {
		t.Run(fmt.Sprintf("encrypted=%v", key != nil), func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "store")
			d := openT(t, kv.Options{Dir: dir, EncryptionKey: key})
			require.NoError(t, d.WriteBatch(func(wb kv.Batch) error {
				for i := range 200 {
					if err := wb.Set(fmt.Appendf(nil, "r/%04d", i), fmt.Appendf(nil, `{"cccd":"0381900%05d","ho_ten":"Lê Văn Tám"}`, i)); err != nil {
						return err
					}
				}
				return nil
			}))
			var names []string
			for i := range 4 {
				name, err := d.WriteBackup(filepath.Join(root, "backups"), "kyso-kiosk", 3, time.Date(2026, 11, 23, 22, 30, i, 0, time.UTC))
				require.NoError(t, err)
				names = append(names, name)
			}
			got := kv.Backups(filepath.Join(root, "backups"), "kyso-kiosk")
			require.Len(t, got, 3, "the newest three are kept")
			assert.Equal(t, names[3], got[0], "newest first")
			raw, err := os.ReadFile(got[0])
			require.NoError(t, err)
			assert.Equal(t, key == nil, bytes.Contains(raw, []byte("038190000007")), "CCCDs in clear only without a key")

			_, err = Restore(got[0], kv.Options{Dir: dir, EncryptionKey: key})
			require.ErrorIs(t, err, kv.ErrLocked, "the running service's store is not replaced")
			require.NoError(t, d.Close())
			if key != nil {
				_, err = Restore(got[0], kv.Options{Dir: dir})
				require.ErrorIs(t, err, kv.ErrBackupKey)
			}
			aside, err := Restore(got[0], kv.Options{Dir: dir, EncryptionKey: key})
			require.NoError(t, err)
			assert.DirExists(t, aside, "the replaced store is kept")
			r := openT(t, kv.Options{Dir: dir, EncryptionKey: key})
			v, err := get(r, "r/0199")
			require.NoError(t, err)
			assert.Equal(t, `{"cccd":"038190000199","ho_ten":"Lê Văn Tám"}`, v)
		})
	}
}

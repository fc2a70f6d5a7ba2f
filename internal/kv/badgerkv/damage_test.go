package badgerkv

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/kv"
)

// seedStore writes n record-like values and closes the store, so that
// they sit in tables (.sst) the way a kiosk's evening does after a restart.
func seedStore(t *testing.T, dir string, key []byte, n int) {
	t.Helper()
	d, err := Open(kv.Options{Dir: dir, EncryptionKey: key})
	require.NoError(t, err)
	for b := 0; b < n; b += 500 {
		require.NoError(t, d.WriteBatch(func(wb kv.Batch) error {
			for i := b; i < min(n, b+500); i++ {
				v := fmt.Appendf(nil, `{"seq":%d,"citizen":{"cccd":"0381900%05d","full_name":"Nguyễn Thị Hoà","phone":"0912345678"},"outcome":"activated","volunteer":"Bàn 1"}`, i+1, i)
				if err := wb.Set(fmt.Appendf(nil, "r/%08d", i+1), v); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	require.NoError(t, d.Flatten())
	require.NoError(t, d.Close())
}

func tables(t *testing.T, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	require.NoError(t, err)
	sort.Slice(m, func(i, j int) bool { return size(m[i]) > size(m[j]) })
	require.NotEmpty(t, m, "the seed must reach a table")
	return m
}

func size(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func flipFile(t *testing.T, path string, at float64, n int) {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	off := int(float64(len(b)) * at)
	for i := off; i < off+n && i < len(b); i++ {
		b[i] ^= 0xa5
	}
	require.NoError(t, os.WriteFile(path, b, 0o600))
}

func truncateHalf(t *testing.T, path string) {
	t.Helper()
	require.NoError(t, os.Truncate(path, size(path)/2))
}

// A damaged card is found at open or by Verify, as ErrDamaged: never a
// panic, never a store that opens and answers with part of its data.
func TestDamagedStore(t *testing.T) {
	cases := []struct {
		name   string
		damage func(t *testing.T, sst string)
	}{
		{"16 bytes flipped at 10%", func(t *testing.T, p string) { flipFile(t, p, 0.10, 16) }},
		{"16 bytes flipped at 45%", func(t *testing.T, p string) { flipFile(t, p, 0.45, 16) }},
		{"16 bytes flipped at 80%", func(t *testing.T, p string) { flipFile(t, p, 0.80, 16) }},
		{"16 bytes flipped in the index (near the end)", func(t *testing.T, p string) { flipFile(t, p, 0.97, 16) }},
		{"the table cut in half", truncateHalf},
	}
	for _, key := range [][]byte{nil, dataKey} {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/encrypted=%v", tc.name, key != nil), func(t *testing.T) {
				dir := t.TempDir()
				seedStore(t, dir, key, 4000)
				tc.damage(t, tables(t, dir)[0])
				d, err := Open(kv.Options{Dir: dir, EncryptionKey: key})
				if err == nil {
					err = d.Verify()
					d.Close()
				}
				require.ErrorIs(t, err, kv.ErrDamaged)
				t.Logf("%v", err)
			})
		}
	}
}

package badgerkv

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sealed(t *testing.T, key, plain []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := newSealWriter(&buf, key)
	require.NoError(t, err)
	// Odd write sizes cross chunk boundaries the way Badger's writes do.
	for p := plain; len(p) > 0; {
		n := min(len(p), 7919)
		_, err := w.Write(p[:n])
		require.NoError(t, err)
		p = p[n:]
	}
	require.NoError(t, w.Close())
	return buf.Bytes()
}

func opened(key, file []byte) ([]byte, error) {
	r, err := backupReader(bufio.NewReader(bytes.NewReader(file)), key)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func TestBackupEncryptionRoundTrip(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	for _, size := range []int{0, 1, backupChunk - 1, backupChunk, backupChunk + 1, 3*backupChunk + 17} {
		plain := make([]byte, size)
		_, _ = rand.Read(plain)
		file := sealed(t, key, plain)
		got, err := opened(key, file)
		require.NoError(t, err, "size %d", size)
		assert.Equal(t, plain, got, "size %d", size)
		if size > 16 {
			assert.False(t, bytes.Contains(file, plain[:16]), "plain bytes in the file")
		}
	}
}

func TestBackupEncryptionRefuses(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	plain := bytes.Repeat([]byte("038090012345 Nguyễn Văn An "), 10000) // > 4 chunks
	file := sealed(t, key, plain)
	cases := []struct {
		name string
		key  []byte
		file []byte
		want error // nil: any error
	}{
		{"no key: say so rather than load garbage", nil, file, ErrBackupKey},
		{"another key", bytes.Repeat([]byte{8}, 32), file, ErrBackupKey},
		{"cut after a chunk: truncation is not a smaller backup", key, file[:len(file)-100], nil},
		{"cut at a chunk boundary", key, file[:len(backupMagic)+8+4+backupChunk+16], nil},
		{"a flipped bit", key, flip(file, len(file)/2), nil},
		{"bytes appended after the end", key, append(append([]byte(nil), file...), 0, 0, 0, 1, 9), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := opened(tc.key, tc.file)
			require.Error(t, err)
			if tc.want != nil {
				assert.True(t, errors.Is(err, tc.want), "%v", err)
			}
		})
	}
	// A plain backup (a kiosk without --data-key) passes through unchanged.
	got, err := opened(key, []byte("plain badger backup"))
	require.NoError(t, err)
	assert.Equal(t, "plain badger backup", string(got))
}

func flip(b []byte, i int) []byte {
	c := append([]byte(nil), b...)
	c[i] ^= 1
	return c
}

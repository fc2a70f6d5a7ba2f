package tally

import (
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func mustOpen(t *testing.T, path string) io.Reader {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

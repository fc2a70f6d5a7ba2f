package roster_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/roster"
)

// vn is Vietnam's fixed offset; the campaign's reference day is in it.
var vn = time.FixedZone("ICT", 7*60*60)

// refDay is the reference date of the 2024 campaign in Cẩm Ngọc the sample
// files come from.
var refDay = time.Date(2024, 11, 19, 12, 0, 0, 0, vn)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return b
}

func parse(t testing.TB, data []byte, name string, opts roster.Options) roster.Result {
	t.Helper()
	if opts.ReferenceDate.IsZero() {
		opts.ReferenceDate = refDay
	}
	res, err := roster.Parse(bytes.NewReader(data), name, opts)
	require.NoError(t, err)
	return res
}

func keys(r roster.Result) []string {
	out := make([]string, len(r.People))
	for i, p := range r.People {
		out[i] = p.Key + " " + p.Household
	}
	return out
}

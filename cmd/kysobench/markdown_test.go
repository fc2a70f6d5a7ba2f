package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleResults() *Results {
	return &Results{
		Schema: SchemaVersion, Tool: "kysobench", StartedAt: time.Date(2026, 11, 23, 15, 0, 0, 0, time.UTC), Seconds: 400,
		Machine: Machine{CPU: "AMD EPYC", Cores: 2, FsyncMs: 0.17},
		Join: &JoinSection{Seconds: 10, Runs: []JoinRun{{Clients: 1, PerSec: 1800, RawPerSec: 3600, Ratio: 0.5}},
			Delayed: []JoinRun{{Clients: 1, FsyncDelayMs: 1.7, PerSec: 170, RawPerSec: 175, Ratio: 0.97}}, DelayMethod: "strace"},
		Idle:    &IdleSection{IdleSeconds: 5, Points: []IdlePoint{{Records: 100000, RSSIdleMB: 33}}},
		Budgets: []Budget{budget("join_ratio_c1", "ratio, 1 client", 0.5, "×", ">=", 0.5, ""), budget("idle", "idle RSS", 70, "MB", "<=", 60, "")},
		Skipped: map[string]string{"ward": "no ward"},
	}
}

// TestUpdateDoc: the generated block is replaced in place and nothing
// written by people around it is touched.
func TestUpdateDoc(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr bool
	}{
		{"empty block is filled", "# B\n\nintro\n\n" + docBegin + "\n" + docEnd + "\n\n## After\ntext\n", false},
		{"old block is replaced", "# B\n" + docBegin + "\nold table\n" + docEnd + "\ntail\n", false},
		{"no markers is an error, file untouched", "# B\nno markers\n", true},
		{"markers in the wrong order are an error", docEnd + "\n" + docBegin + "\n", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "benchmarks.md")
			require.NoError(t, os.WriteFile(path, []byte(tc.doc), 0o644))
			err := updateDoc(path, sampleResults())
			got, _ := os.ReadFile(path)
			if tc.wantErr {
				require.Error(t, err)
				assert.Equal(t, tc.doc, string(got))
				return
			}
			require.NoError(t, err)
			s := string(got)
			before, _, _ := strings.Cut(tc.doc, docBegin)
			_, after, _ := strings.Cut(tc.doc, docEnd)
			assert.True(t, strings.HasPrefix(s, before+docBegin), "text before the block kept")
			assert.True(t, strings.HasSuffix(s, docEnd+after), "text after the block kept")
			assert.NotContains(t, s, "old table")
			assert.Contains(t, s, "| ratio, 1 client | 0.5 × | >= 0.5 | pass |")
			assert.Contains(t, s, "| idle RSS | 70 MB | <= 60 | **FAIL** |")
			assert.Contains(t, s, "+1.7 ms")
			assert.Contains(t, s, "Not measured: ward (no ward)")

			// A second run gives the same file: the block does not grow.
			require.NoError(t, updateDoc(path, sampleResults()))
			again, _ := os.ReadFile(path)
			assert.Equal(t, s, string(again))
		})
	}
}

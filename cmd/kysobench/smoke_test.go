package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
)

// TestQuickRun is the CI smoke test of the load tool: real kiosk (and ward)
// processes on 127.0.0.1, every section at small scale, and a results file
// that decodes strictly into Results. Building the binaries is not counted
// against the 30 s; the run itself is.
func TestQuickRun(t *testing.T) {
	testenv.Slow(t, "a real benchmark run")
	if runtime.GOOS != "linux" {
		t.Skip("kysobench reads /proc: Linux only")
	}
	root, err := moduleRoot()
	require.NoError(t, err)
	bin := t.TempDir()
	need := []string{"kiosk"}
	if fileExists(filepath.Join(root, "cmd", "ward", "main.go")) {
		need = append(need, "ward")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	require.NoError(t, buildBinaries(ctx, root, bin, need...))

	out := filepath.Join(t.TempDir(), "results.json")
	cfg := Config{Out: out, Quick: true, BinDir: bin, Root: root, Work: t.TempDir()}
	require.NoError(t, cfg.Validate())
	var table bytes.Buffer
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	runCtx, cancelRun := context.WithTimeout(ctx, 90*time.Second)
	defer cancelRun()
	t0 := time.Now()
	_, err = run(runCtx, cfg, &table, log)
	took := time.Since(t0)
	require.NoError(t, err)
	t.Logf("quick run took %v\n%s", took.Round(time.Millisecond), table.String())
	assert.LessOrEqual(t, took, 30*time.Second, "the quick run must stay a smoke test")

	b, err := os.ReadFile(out)
	require.NoError(t, err)
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var res Results
	require.NoError(t, dec.Decode(&res), "results.json must decode strictly into Results")

	assert.Equal(t, SchemaVersion, res.Schema)
	assert.True(t, res.Quick)
	assert.NotEmpty(t, res.Machine.CPU)
	assert.Positive(t, res.Machine.Cores)
	assert.Positive(t, res.Machine.FsyncMs)

	// Every section ran or says why not; only the arm64 build is expected to skip.
	for _, s := range sections {
		if reason, skipped := res.Skipped[s]; skipped {
			if s == "binary" || (s == "ward" && len(need) == 1) {
				continue
			}
			if s == "cgroup" && strings.HasPrefix(reason, "no writable memory cgroup") {
				t.Logf("section cgroup skipped: %s", reason) // not root, or no memory controller: said, not hidden
				continue
			}
			t.Errorf("section %s skipped: %s", s, reason)
		}
	}
	require.NotNil(t, res.Join)
	for _, r := range res.Join.Runs {
		assert.Positive(t, r.Joins, "clients=%d", r.Clients)
		assert.Positive(t, r.RawWrites, "clients=%d", r.Clients)
		assert.Positive(t, r.Ratio, "clients=%d", r.Clients)
		assert.Empty(t, r.Errors, "clients=%d: joins must all succeed", r.Clients)
	}
	require.NotNil(t, res.SSE)
	assert.Equal(t, res.SSE.Subscribers, res.SSE.Connected)
	assert.Zero(t, res.SSE.Missed)
	assert.Positive(t, res.SSE.Samples)
	require.NotNil(t, res.Idle)
	assert.NotEmpty(t, res.Idle.Points)
	require.NotNil(t, res.Pages)
	require.Len(t, res.Pages.Pages, 2)
	for _, p := range res.Pages.Pages {
		assert.Greater(t, p.Requests, 1, "%s must load its CSS and JS", p.Path)
	}
	if len(need) == 2 {
		require.NotNil(t, res.Ward)
		assert.Positive(t, res.Ward.IngestPerSec)
		assert.Positive(t, res.Ward.DrainS)
	}

	// Budgets: one line per measured budget, each judged.
	require.NotEmpty(t, res.Budgets)
	ids := map[string]bool{}
	for _, bd := range res.Budgets {
		assert.NotEmpty(t, bd.ID)
		assert.Contains(t, []string{"<=", "<", ">=", "=="}, bd.Op, bd.ID)
		assert.False(t, ids[bd.ID], "duplicate budget %s", bd.ID)
		ids[bd.ID] = true
	}
	for _, want := range []string{"join_ratio_c1", "sse_p99", "sse_rss", "join_page_kb", "external_/join"} {
		assert.True(t, ids[want], "budget %s missing", want)
	}
	assert.True(t, strings.Contains(table.String(), "BUDGET"), "the table is printed")
}

package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The kiosk's own log says which memory limit it took and why; the tool
// reads it back, quoted or not, and says so when the line is missing.
func TestMemoryLimitLogged(t *testing.T) {
	tests := []struct {
		name    string
		log     string
		wantMiB int
		wantWhy string
	}{
		{"cgroup v1", `time=2026-11-29T01:04:46Z level=INFO msg="memory limit" mib=256 why="half of 512 MiB (/sys/fs/cgroup/memory/kysobench-1-a/memory.limit_in_bytes)"` + "\n",
			256, "half of 512 MiB (/sys/fs/cgroup/memory/kysobench-1-a/memory.limit_in_bytes)"},
		{"a flag, unquoted", "gc 1 @0.01s 2%: x\n" + `time=x level=INFO msg="memory limit" mib=300 why=--memory-limit` + "\n", 300, "--memory-limit"},
		{"not logged (GOMEMLIMIT set)", `time=x level=INFO msg="kiosk listening"` + "\n", 0, "not logged"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mib, why := memoryLimitLogged([]byte(tc.log))
			assert.Equal(t, tc.wantMiB, mib)
			assert.Equal(t, tc.wantWhy, why)
		})
	}
}

// gctrace lines are counted among the kiosk's slog lines, and each cycle's
// CPU is the STW and mark work, not the idle mark that uses idle cores.
func TestParseGCTrace(t *testing.T) {
	log := strings.Join([]string{
		`time=x level=INFO msg="memory limit" mib=256 why="half of 512 MiB"`,
		`gc 1 @0.012s 2%: 0.010+1.2+0.003 ms clock, 0.020+0.5/1.0/0.2+0.006 ms cpu, 4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P`,
		`gc 31 @4.559s 3%: 4.3+10+0.10 ms clock, 8.6+0.18/7.0/0+0.21 ms cpu, 242->242->137 MB, 246 MB goal, 0 MB stacks, 0 MB globals, 2 P`,
		`gc 32 @7.643s 1%: 0.48+21+0.13 ms clock, 0.97+0/4.1/5.7+0.27 ms cpu, 271->271->115 MB, 275 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)`,
		`not gc 4 @1s`,
	}, "\n")
	got := parseGCTrace([]byte(log))
	require.Len(t, got, 3)
	assert.InDelta(t, 0.012, got[0].at, 1e-9)
	assert.InDelta(t, 0.020+0.5+1.0+0.006, got[0].cpuMs, 1e-9)
	assert.InDelta(t, 3, got[1].percent, 1e-9)
	assert.InDelta(t, 0.97+0+4.1+0.27, got[2].cpuMs, 1e-9, "idle mark (5.7) not counted")
}

// The day's mix is a long flood day's end: most finished, a few thousand
// in line, one citizen at each desk, and the counts add up.
func TestMixOf(t *testing.T) {
	for _, n := range []int{2_000, 100_000, 160_000} {
		m := mixOf(n, 3)
		assert.Equal(t, n, m.Waiting+m.Called+m.Activated+m.Failed+m.NoShow, "n=%d", n)
		assert.Equal(t, n/40, m.Waiting)
		assert.Equal(t, 3, m.Called)
		assert.Greater(t, m.Activated, m.Failed+m.NoShow)
	}
}

// Budgets and the generated block: the worst of the runs is judged, a
// limit not taken from the cgroup fails, and an OOM-killed kiosk fails
// even though its section could not finish.
func TestRestartBudgetsAndMarkdown(t *testing.T) {
	cgWhy := "half of 512 MiB (/sys/fs/cgroup/memory/kysobench-1-x/memory.limit_in_bytes)"
	r := &Results{
		Restart: &RestartSection{Method: "exec", Cgroup: "512 MiB memory cgroup made for each run", Points: []RestartPoint{{
			Mix:  mixOf(100_000, 3),
			Auto: []StartRun{{HealthzMs: 1500, BoardMs: 2500, LimitMiB: 12052, LimitWhy: "half of 24105 MiB (/proc/meminfo MemTotal)"}, {HealthzMs: 2100, BoardMs: 3200, LimitMiB: 12052}},
			InCg: []StartRun{{HealthzMs: 1400, BoardMs: 2400, LimitMiB: 256, LimitWhy: cgWhy, CgPeakMB: 137}, {BoardMs: 2000, LimitMiB: 12052, LimitWhy: "half of 24105 MiB (/proc/meminfo MemTotal)"}},
		}}},
		Cgroup: &CgroupSection{Cgroup: "/sys/fs/cgroup/memory/kysobench-1-load (cgroup v1, 512 MiB)", Subscribers: 1000, Connected: 1000, Rate: 100,
			P99Ms: 80, GCShare: 12.5, OOMKills: 1, Alive: false, LimitMiB: 256, LimitWhy: cgWhy},
	}
	got := map[string]Budget{}
	for _, b := range restartBudgets(r, "") {
		got[b.ID] = b
	}
	tests := []struct {
		id    string
		value float64
		pass  bool
	}{
		{"restart_100000", 3.2, false},
		{"restart_100000_cgroup", 2.4, true},
		{"restart_100000_cgroup_limit", 1, false},
		{"cgroup_oom", 2, false},
		{"cgroup_gc_share", 12.5, false},
		{"cgroup_join_p99", 80, true},
	}
	for _, tc := range tests {
		t.Run(tc.id, func(t *testing.T) {
			b, ok := got[tc.id]
			require.True(t, ok)
			assert.InDelta(t, tc.value, b.Value, 1e-9)
			assert.Equal(t, tc.pass, b.Pass)
		})
	}

	var md, table bytes.Buffer
	markdownRestart(&md, r)
	printRestart(&table, r)
	assert.Contains(t, md.String(), "| 100000 (2500) |")
	assert.Contains(t, md.String(), "256 MiB ("+cgWhy+")")
	assert.Contains(t, md.String(), "OOM kills 1, alive false")
	assert.Contains(t, table.String(), "RESTART")
	assert.Contains(t, table.String(), "CGROUP LOAD")
}

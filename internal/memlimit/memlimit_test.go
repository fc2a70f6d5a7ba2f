package memlimit

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func fakeRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return root
}

const meminfo1G = "MemTotal:        948304 kB\nMemFree:          61234 kB\nMemAvailable:    512000 kB\n"

func TestMachine(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  int64
		ok    bool
	}{
		{"a Pi with 1 GB, no cgroup limit", map[string]string{
			"proc/meminfo": meminfo1G, "proc/self/cgroup": "0::/system.slice/kyso-kiosk.service\n",
			"sys/fs/cgroup/system.slice/kyso-kiosk.service/memory.max": "max\n",
		}, 948304 << 10, true},
		{"systemd MemoryMax=512M (cgroup v2)", map[string]string{
			"proc/meminfo": meminfo1G, "proc/self/cgroup": "0::/system.slice/kyso-kiosk.service\n",
			"sys/fs/cgroup/system.slice/kyso-kiosk.service/memory.max": "536870912\n",
		}, 512 << 20, true},
		{"a parent slice is lower", map[string]string{
			"proc/meminfo": meminfo1G, "proc/self/cgroup": "0::/kyso.slice/kiosk.service\n",
			"sys/fs/cgroup/kyso.slice/memory.max":               "268435456\n",
			"sys/fs/cgroup/kyso.slice/kiosk.service/memory.max": "max\n",
		}, 256 << 20, true},
		{"cgroup v1 container", map[string]string{
			"proc/meminfo": meminfo1G, "proc/self/cgroup": "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "402653184\n",
		}, 384 << 20, true},
		{"cgroup v1 without a limit", map[string]string{
			"proc/meminfo": meminfo1G, "proc/self/cgroup": "4:memory:/\n",
			"sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
		}, 948304 << 10, true},
		{"nothing readable", map[string]string{}, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, src, ok := machine(fakeRoot(t, tc.files))
			assert.Equal(t, tc.ok, ok, src)
			if tc.ok {
				assert.Equal(t, tc.want, got, src)
			}
		})
	}
}

func TestParse(t *testing.T) {
	cases := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{"auto", 0, false}, {"", 0, false}, {"off", -1, false},
		{"512MiB", 512 << 20, false}, {"1GiB", 1 << 30, false}, {"300MB", 300e6, false}, {"268435456", 256 << 20, false},
		{"1.5G", 3 << 29, false},
		{"8MiB", 0, true}, {"nhiều", 0, true}, {"-1GiB", 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.wantErr {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestAutoOnThisMachine(t *testing.T) {
	n, why := Auto()
	assert.GreaterOrEqual(t, n, int64(Min), why)
	t.Logf("automatic limit here: %d MiB (%s)", n>>20, why)
}

package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/ward"
)

const tok = "0123456789abcdefghij"

func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c config)
		err   string
		why   string
	}{
		{"defaults", nil, nil, func(t *testing.T, c config) {
			assert.Equal(t, ":8090", c.Listen)
			assert.Equal(t, "./data/ward", c.Data)
			assert.True(t, c.MDNS)
			assert.Empty(t, c.Kiosks)
		}, "", "the documented defaults"},
		{"flags", []string{"--listen", ":9000", "--data", "/tmp/x", "--quotas", "q.csv", "--admin-password", "mat-khau-dai", "--kiosk", "a:" + tok, "--kiosk", "b:" + tok, "--pull", "a=http://10.0.0.2:8080", "--mdns=false"}, nil,
			func(t *testing.T, c config) {
				assert.Equal(t, ":9000", c.Listen)
				assert.Equal(t, "q.csv", c.QuotasFile)
				assert.Equal(t, []ward.KioskCred{{ID: "a", Token: tok}, {ID: "b", Token: tok}}, c.Kiosks)
				assert.Equal(t, []ward.PullTarget{{KioskID: "a", URL: "http://10.0.0.2:8080", Source: ward.SourceFlag}}, c.Pulls)
				assert.False(t, c.MDNS)
			}, "", "every contract flag"},
		{"env-twins", nil, map[string]string{"KYSO_LISTEN": ":9100", "KYSO_DATA": "/srv/ward", "KYSO_QUOTAS": "q.csv", "KYSO_ADMIN_PASSWORD": "mat-khau-dai",
			"KYSO_KIOSK": "a:" + tok + ", b:" + tok, "KYSO_PULL": "a=http://10.0.0.2:8080,b=http://10.0.0.3:8080", "KYSO_MDNS": "false"},
			func(t *testing.T, c config) {
				assert.Equal(t, ":9100", c.Listen)
				assert.Equal(t, "/srv/ward", c.Data)
				assert.Equal(t, "mat-khau-dai", c.AdminPassword)
				assert.Len(t, c.Kiosks, 2)
				assert.Len(t, c.Pulls, 2)
				assert.False(t, c.MDNS)
			}, "", "systemd EnvironmentFile; repeatables comma-separated"},
		{"flag-wins", []string{"--listen", ":1"}, map[string]string{"KYSO_LISTEN": ":2"}, func(t *testing.T, c config) { assert.Equal(t, ":1", c.Listen) }, "", "command line over environment"},
		{"mdns-defaults", nil, nil, func(t *testing.T, c config) {
			assert.Equal(t, "UBND xã", c.LAN.Name)
			assert.NotEmpty(t, c.LAN.ID)
			assert.Equal(t, 30*time.Second, c.LAN.Window)
			assert.Empty(t, c.LAN.Ifaces)
		}, "", "every suitable interface, a 30 s browse, an id from the host name"},
		{"mdns-flags", []string{"--name", "UBND xã Cẩm Ngọc", "--id", "cam-ngoc", "--mdns-iface", "eth0", "--mdns-iface", "wlan0", "--mdns-window", "2s"}, nil,
			func(t *testing.T, c config) {
				assert.Equal(t, lanConfig{Name: "UBND xã Cẩm Ngọc", ID: "cam-ngoc", Ifaces: []string{"eth0", "wlan0"}, Window: 2 * time.Second, Version: "dev"}, c.LAN)
			}, "", "the mDNS flags"},
		{"mdns-env", nil, map[string]string{"KYSO_MDNS_IFACE": "eth0, wlan0", "KYSO_ID": "cam-ngoc", "KYSO_MDNS_WINDOW": "10s"},
			func(t *testing.T, c config) {
				assert.Equal(t, []string{"eth0", "wlan0"}, c.LAN.Ifaces)
				assert.Equal(t, "cam-ngoc", c.LAN.ID)
				assert.Equal(t, 10*time.Second, c.LAN.Window)
			}, "", "the interface list is comma-separated in the environment"},
		{"mdns-bad-id", []string{"--id", "--"}, nil, nil, "no letters or digits", "an id that cannot be a host name stops the start"},
		{"mdns-loopback", []string{"--mdns-iface", "lo"}, nil, nil, "loopback", "loopback addresses are never announced: naming lo is a mistake"},
		{"mdns-short-window", []string{"--mdns-window", "100ms"}, nil, nil, "--mdns-window", "a browse needs time to hear answers"},
		{"mdns-off-ignores-lan", []string{"--mdns=false", "--id", "--"}, nil, func(t *testing.T, c config) { assert.False(t, c.MDNS) }, "", "mDNS settings do not matter with mDNS off"},
		{"bad-kiosk", []string{"--kiosk", "a"}, nil, nil, "want ID:TOKEN", "a token is required"},
		{"bad-pull", []string{"--pull", "a=ftp://x"}, nil, nil, "http(s)", "pull URLs are HTTP"},
		{"bad-env", nil, map[string]string{"KYSO_MDNS": "maybe"}, nil, "KYSO_MDNS", "a bad env value is an error"},
		{"stray-arg", []string{"serve"}, nil, nil, "unexpected argument", "typos are not ignored"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _, err := parseConfig(tc.args, env(tc.env))
			if tc.err != "" {
				require.Error(t, err, tc.why)
				assert.Contains(t, err.Error(), tc.err, tc.why)
				return
			}
			require.NoError(t, err, tc.why)
			tc.check(t, c)
		})
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, realMain(t.Context(), []string{"--version"}, &out, &out, env(nil), slog.New(slog.DiscardHandler)))
	assert.Equal(t, "ward dev\n", out.String())
}

func TestKioskSubcommand(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	require.NoError(t, realMain(t.Context(), []string{"kiosk", "add", "dong-lao", "--data", dir}, &out, &errOut, env(nil), nil))
	token := strings.TrimSpace(out.String())
	assert.GreaterOrEqual(t, len(token), 32)
	assert.Contains(t, errOut.String(), "--token "+token)

	out.Reset()
	errOut.Reset()
	require.NoError(t, realMain(t.Context(), []string{"kiosk", "--data", dir, "add", "dong-lao"}, &out, &errOut, env(nil), nil))
	assert.NotEqual(t, token, strings.TrimSpace(out.String()), "a new token each time")
	assert.Contains(t, errOut.String(), "replaced")

	out.Reset()
	require.NoError(t, realMain(t.Context(), []string{"kiosk", "add", "song-nga"}, &out, &errOut, env(map[string]string{"KYSO_DATA": dir}), nil))
	out.Reset()
	require.NoError(t, realMain(t.Context(), []string{"kiosk", "list", "--data", dir}, &out, &errOut, env(nil), nil))
	assert.Equal(t, "dong-lao\nsong-nga\n", out.String())

	assert.Error(t, realMain(t.Context(), []string{"kiosk", "add", "có dấu", "--data", dir}, &out, &errOut, env(nil), nil))
	assert.Error(t, realMain(t.Context(), []string{"kiosk"}, &out, &errOut, env(nil), nil))
}

// syncBuf is a bytes.Buffer safe for the server goroutine and the test.
type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuf) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// The real program: serves, prints the generated password once, shuts down
// on cancel, keeps the password hash across restarts.
func TestRunServesAndStops(t *testing.T) {
	dir := t.TempDir()
	serve := func() string {
		ctx, cancel := context.WithCancel(context.Background())
		var out syncBuf
		done := make(chan error, 1)
		go func() {
			done <- realMain(ctx, []string{"--listen", "127.0.0.1:0", "--data", dir, "--quotas", "../../ward/quota/testdata/quotas-cam-ngoc-2024.csv", "--mdns=false"},
				&out, &out, env(nil), slog.New(slog.DiscardHandler))
		}()
		re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
		require.Eventually(t, func() bool { return re.MatchString(out.String()) }, 10*time.Second, 10*time.Millisecond)
		addr := re.FindStringSubmatch(out.String())[1]
		res, err := http.Get("http://" + addr + "/healthz")
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, 200, res.StatusCode)
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Fatal("run did not return after cancel")
		}
		return out.String()
	}
	first := serve()
	assert.Regexp(t, `Mật khẩu quản trị.*: [A-Z2-7]{16}\n`, first)
	second := serve()
	assert.NotContains(t, second, "Mật khẩu quản trị", "printed once")
}

func TestReadKey(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(s), 0o600))
		return p
	}
	cases := []struct {
		name, path string
		n          int
		err        string
		why        string
	}{
		{"none", "", 0, "", "no --data-key: a plain store"},
		{"aes-256", write("k256", strings.Repeat("ab", 32)+"\n"), 32, "", "openssl rand -hex 32, with its newline"},
		{"aes-128", write("k128", strings.Repeat("ab", 16)), 16, "", "shorter AES keys are allowed"},
		{"not hex", write("bad", strings.Repeat("zz", 32)), 0, "hex digits", "a typo must not become a key"},
		{"wrong length", write("short", "abcd"), 0, "hex digits", "AES takes 16, 24 or 32 bytes"},
		{"missing", filepath.Join(dir, "nope"), 0, "--data-key", "the file must exist"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			k, err := readKey(tc.path)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err, tc.why)
				return
			}
			require.NoError(t, err, tc.why)
			assert.Len(t, k, tc.n, tc.why)
		})
	}
	c, _, err := parseConfig(nil, env(map[string]string{"KYSO_DATA_KEY": "/etc/kyso/ward-data.key"}))
	require.NoError(t, err)
	assert.Equal(t, "/etc/kyso/ward-data.key", c.DataKeyFile, "the env twin")
}

// The subcommands open an encrypted store only with its key.
func TestSubcommandsWithDataKey(t *testing.T) {
	dir, keyFile := t.TempDir(), filepath.Join(t.TempDir(), "k")
	require.NoError(t, os.WriteFile(keyFile, []byte(strings.Repeat("5a", 32)), 0o600))
	var out, errOut bytes.Buffer
	require.NoError(t, realMain(t.Context(), []string{"kiosk", "add", "dong-lao", "--data", dir, "--data-key", keyFile}, &out, &errOut, env(nil), nil))
	out.Reset()
	require.Error(t, realMain(t.Context(), []string{"kiosk", "list", "--data", dir}, &out, &errOut, env(nil), nil), "without the key")
	require.NoError(t, realMain(t.Context(), []string{"kiosk", "list", "--data", dir}, &out, &errOut, env(map[string]string{"KYSO_DATA_KEY": keyFile}), nil))
	assert.Equal(t, "dong-lao\n", out.String())

	out.Reset()
	require.NoError(t, realMain(t.Context(), []string{"purge", "--before", "2024-06-01", "--data", dir, "--data-key", keyFile}, &out, &errOut, env(nil), nil))
	assert.Contains(t, out.String(), "Không có bản ghi nào", "a store with no records: nothing to purge")
	assert.Contains(t, out.String(), "2024-06-01 00:00 UTC (07:00 01/06/2024 giờ Việt Nam)", "the cutoff is said in both clocks")
}

func TestPurgeSubcommand(t *testing.T) {
	none := filepath.Join(t.TempDir(), "none")
	cases := []struct {
		name string
		args []string
		out  string
		err  string
		why  string
	}{
		{"no date", []string{"purge"}, "", "usage: ward purge --before DATE", "the date is required"},
		{"bad date", []string{"purge", "--before", "mai"}, "", "YYYY-MM-DD", "a typo must not purge"},
		{"future", []string{"purge", "--before", "2099-01-01", "--data", none}, "", "future", "would purge a running campaign"},
		{"stray", []string{"purge", "--before", "2024-01-01", "now"}, "", "unexpected argument", "typos are not ignored"},
		{"no store", []string{"purge", "--before", "2024-01-01", "--data", none}, "không có gì để xoá", "", "a new data directory: nothing to do"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := realMain(t.Context(), tc.args, &out, &out, env(nil), nil)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err, tc.why)
				return
			}
			require.NoError(t, err, tc.why)
			assert.Contains(t, out.String(), tc.out, tc.why)
		})
	}
	assert.NoDirExists(t, none, "a purge never creates a data directory")
}

package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConfig(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, cfgListen, id, ward string, desks int)
		wantErr string
	}{
		{"contract defaults", []string{"--id", "dong-lao"}, nil, func(t *testing.T, l, id, w string, d int) {
			assert.Equal(t, ":8080", l)
			assert.Equal(t, 3, d)
		}, ""},
		{"env twins as systemd passes them", []string{}, map[string]string{"KYSO_ID": "song-nga", "KYSO_DESKS": "5", "KYSO_WARD_URL": "http://10.0.0.2:8090/", "KYSO_TOKEN": "t"}, func(t *testing.T, l, id, w string, d int) {
			assert.Equal(t, "song-nga", id)
			assert.Equal(t, 5, d)
			assert.Equal(t, "http://10.0.0.2:8090", w, "trailing slash trimmed")
		}, ""},
		{"a ward URL without a token cannot push", []string{"--id", "a", "--ward-url", "http://x:1"}, nil, nil, "--token"},
		{"bad id", []string{"--id", "Đông Lão"}, nil, nil, "--id"},
		{"too many desks", []string{"--id", "a", "--desks", "500"}, nil, nil, "--desks"},
		{"PIN must be digits", []string{"--id", "a", "--pin", "abcd"}, nil, nil, "--pin"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			cfg, _, err := parseConfig(append(tc.args, "--data", t.TempDir()))
			if tc.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, err)
			tc.check(t, cfg.Listen, cfg.ID, cfg.WardURL, cfg.Desks)
		})
	}
}

func TestVersionFlag(t *testing.T) {
	var out bytes.Buffer
	err := realMain(context.Background(), []string{"--version"}, &out, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(out.String(), "kiosk "))
}

func TestPINGeneratedOnceAndKept(t *testing.T) {
	dir := t.TempDir()
	cfg, _, err := parseConfig([]string{"--id", "a", "--data", dir})
	require.NoError(t, err)
	var out bytes.Buffer
	require.NoError(t, loadPIN(&cfg, &out))
	assert.Len(t, cfg.PIN, 6)
	assert.Contains(t, out.String(), cfg.PIN, "printed on the console the first time")
	b, err := os.ReadFile(filepath.Join(dir, "volunteer-pin"))
	require.NoError(t, err)
	assert.Equal(t, cfg.PIN, strings.TrimSpace(string(b)))
	st, _ := os.Stat(filepath.Join(dir, "volunteer-pin"))
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())

	cfg2, _, _ := parseConfig([]string{"--id", "a", "--data", dir})
	out.Reset()
	require.NoError(t, loadPIN(&cfg2, &out))
	assert.Equal(t, cfg.PIN, cfg2.PIN)
	assert.NotContains(t, out.String(), cfg.PIN, "not printed again")
}

func TestMemoryLimitFlag(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		want    string
		wantErr string
	}{
		{"sized to the machine by default", []string{"--id", "dong-lao"}, nil, "auto", ""},
		{"from the environment", []string{"--id", "dong-lao"}, map[string]string{"KYSO_MEMORY_LIMIT": "512MiB"}, "512MiB", ""},
		{"off", []string{"--id", "dong-lao", "--memory-limit", "off"}, nil, "off", ""},
		{"too small to run", []string{"--id", "dong-lao", "--memory-limit", "8MiB"}, nil, "", "--memory-limit"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			t.Setenv("KYSO_DATA", t.TempDir())
			cfg, _, err := parseConfig(tc.args)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, cfg.MemoryLimit)
		})
	}
}

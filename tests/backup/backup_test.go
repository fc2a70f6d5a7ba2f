// Package backup proves the backup and restore path an operator uses:
// `kiosk backup` while the service runs, `kiosk restore FILE` with it stopped.
package backup

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
)

func build(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "kiosk")
	out, err := exec.Command("go", "build", "-o", bin, "github.com/kyso-vn/kyso/cmd/kiosk").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

func startKiosk(t *testing.T, bin, data string) (*exec.Cmd, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--listen", addr, "--data", data, "--id", "bk", "--village", "Đông Lão", "--pin", "1234",
		"--token", "tok", "--mdns=false", "--join-limit", "0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for i := 0; i < 100; i++ {
		if res, err := http.Get("http://" + addr + "/healthz"); err == nil {
			res.Body.Close()
			return cmd, "http://" + addr
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("kiosk did not start: %s", out.String())
	return nil, ""
}

func waiting(t *testing.T, base string) float64 {
	res, err := http.Get(base + "/api/v1/board")
	require.NoError(t, err)
	defer res.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&m))
	return m["waiting"].(float64)
}

func TestBackupWhileRunningThenRestore(t *testing.T) {
	testenv.Slow(t, "a real kiosk process")
	bin := build(t)
	data := t.TempDir()
	cmd, base := startKiosk(t, bin, data)
	body := `{"name":"Nguyễn Văn An","phone":"0912345678","cccd":"038090012345","birth_date":"1990-05-01","gender":"male","village":"Đông Lão","consent":true}`
	res, err := http.Post(base+"/api/v1/tickets", "application/json", strings.NewReader(body))
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 201, res.StatusCode)

	// The service holds the store; `kiosk backup` asks it for a fresh backup.
	out, err := exec.Command(bin, "backup", "--data", data).CombinedOutput()
	require.NoError(t, err, "%s", out)
	file := strings.TrimSpace(string(out))
	assert.FileExists(t, file)
	assert.NotContains(t, filepath.Base(file), ":", "FAT sticks cannot hold ':'")

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	cmd.Wait()

	// Restore into a fresh box.
	fresh := t.TempDir()
	out, err = exec.Command(bin, "restore", "--data", fresh, file).CombinedOutput()
	require.NoError(t, err, "%s", out)
	_, base2 := startKiosk(t, bin, fresh)
	assert.Equal(t, float64(1), waiting(t, base2), "the restored box has tonight's queue")

	// Restoring over existing data keeps the old store aside, never deletes it.
	out, err = exec.Command(bin, "restore", "--data", data, file).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "previous store kept at")
}

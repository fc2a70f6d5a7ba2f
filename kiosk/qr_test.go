package kiosk

import (
	"bytes"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
)

// zbar decodes a PNG with the real zbarimg, as a phone camera would.
func zbar(t *testing.T, pngBytes []byte) string {
	t.Helper()
	bin := testenv.Need(t, "zbarimg", "zbar-tools")
	f := filepath.Join(t.TempDir(), "qr.png")
	require.NoError(t, os.WriteFile(f, pngBytes, 0o600))
	out, err := exec.Command(bin, "--quiet", "--raw", f).Output()
	require.NoError(t, err, "zbarimg could not read the code")
	return strings.TrimRight(string(out), "\n")
}

func TestQRCodesDecode(t *testing.T) {
	cfg := testConfig(t)
	cfg.PublicURL = "http://192.168.1.23:8080"
	cfg.WifiSSID = "NVH Đông Lão"
	cfg.WifiPassword = "a;b:c"
	h := start(t, cfg)
	c := h.client()
	cases := []struct {
		name, path, want string
	}{
		{"join QR carries the IP URL of the join page", "/qr/join.png", "http://192.168.1.23:8080/join"},
		{"install QR goes to the install page", "/qr/app.png", "http://192.168.1.23:8080/app"},
		{"Wi-Fi QR escapes special characters", "/qr/wifi.png", `WIFI:T:WPA;S:NVH Đông Lão;P:a\;b\:c;;`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("GET", tc.path, nil)
			require.Equal(t, 200, r.Status)
			img, err := png.Decode(bytes.NewReader(r.Body))
			require.NoError(t, err)
			// Pixel-exact modules: the width is a multiple of the module size
			// and large enough to read from 3 m on a TV.
			assert.Equal(t, 0, img.Bounds().Dx()%12)
			assert.GreaterOrEqual(t, img.Bounds().Dx(), 300)
			assert.Equal(t, tc.want, zbar(t, r.Body))
		})
	}
	assert.NotContains(t, cfg.PublicURL, ".local")
}

package sync

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/proctest"
)

// A completion corrected on the tablet (issue 11, finding 2) reaches the
// ward as a correction that counts in place of the original: the ward's
// counts and its export show the corrected citizen once, the original not
// at all — with the real programs.
func TestCorrectionCountedOnceAtTheWard(t *testing.T) {
	wardAddr := proctest.FreeAddr(t)
	ward := startWard(t, wardAddr, t.TempDir())
	kiosk := startKiosk(t, proctest.FreeAddr(t), t.TempDir(), "--ward-url", "http://"+wardAddr)
	v := volunteer(t, kiosk.URL)

	c := proctest.Citizen(7, village)
	c["name"] = "Bùi Thị Thu"
	var tk struct {
		ID string `json:"id"`
	}
	require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets", c, &tk))
	var done struct {
		Record struct {
			ID string `json:"id"`
		} `json:"record"`
	}
	require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]string{"outcome": "activated"}, &done))
	// The citizen actually lives in Song Nga, and the name was misheard (Thu for Thư).
	require.Equal(t, 201, v.JSON("POST", "/api/v1/records/"+done.Record.ID+"/correct", map[string]any{
		"citizen": map[string]string{"name": "Bùi Thị Thư", "village": "Song Nga"}, "reason": "Ghi nhầm tên và thôn",
	}, nil))

	proctest.Eventually(t, 90*time.Second, "both records acknowledged", func() bool {
		return kioskHealth(t, kiosk.URL).AckedSeq == 2
	})
	p := wardProgress(t, ward.URL)
	assert.Equal(t, 0, villageDone(p, village), "the original is not counted")
	assert.Equal(t, 1, villageDone(p, "Song Nga"), "the correction is, once")
	assert.Equal(t, 1, p.Total.Done)

	admin := proctest.NewClient(t, ward.URL)
	admin.Header.Set("Authorization", basic("admin", adminPW))
	status, body, err := admin.Do("GET", "/export/completions.csv", nil)
	require.NoError(t, err)
	require.Equal(t, 200, status, "%s", body)
	csv := string(body)
	assert.Equal(t, 1, strings.Count(csv, "Bùi Thị Thư"), "the corrected citizen once:\n%s", csv)
	assert.NotContains(t, csv, "Bùi Thị Thu", "the original row is replaced")
}

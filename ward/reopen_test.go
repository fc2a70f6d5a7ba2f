package ward

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Restarting the ward gives identical records, counts, cursors, health and
// quarantine.
func TestReopenIdentical(t *testing.T) {
	h := start(t, testConfig(t))
	a1 := rec("kiosk-a", 1, cccd(1), "Đông Lão", true)
	require.Equal(t, 200, h.push("kiosk-a", tokA, a1, rec("kiosk-a", 2, cccd(2), "Song Nga", true), rec("kiosk-a", 4, cccd(4), "Thôn Kim", true)).status)
	require.Equal(t, 200, h.push("kiosk-b", tokB, rec("kiosk-b", 1, cccd(1), "Thôn Sổng", true), correction("kiosk-b", 2, rec("kiosk-b", 1, cccd(1), "", true), "Thôn Sành", true)).status)
	require.Equal(t, 200, h.push("kiosk-a", tokA, correction("kiosk-a", 3, a1, "Thôn PNV", true)).status)
	changed := a1
	changed.Volunteer = "Người khác"
	require.Equal(t, 409, h.push("kiosk-a", tokA, changed).status)

	snapshot := func() (string, []KioskHealth, []QuarantineItem) {
		p := h.svc.camp.Progress()
		p.UpdatedAt = p.UpdatedAt.Truncate(0)
		b, err := json.Marshal(struct{ A, B, C, D, E, F any }{p.Total, p.Villages, p.OtherVillages, p.Days, p.Records, p.Associations})
		require.NoError(t, err)
		k := h.svc.fleet.KioskHealth()
		q, err := h.svc.led.QuarantineList()
		require.NoError(t, err)
		return string(b), k, q
	}
	p1, k1, q1 := snapshot()
	require.Equal(t, uint64(4), h.svc.led.tally.Acked("kiosk-a"), "1..4 held, the correction (3) filled the gap")
	rows1, err := collectRows(h.svc.led.CompletionRows(h.svc.camp.Plan(), "", true))
	require.NoError(t, err)

	h.restart()
	p2, k2, q2 := snapshot()
	assert.Equal(t, p1, p2)
	assert.Equal(t, k1, k2)
	assert.Equal(t, q1, q2)
	rows2, err := collectRows(h.svc.led.CompletionRows(h.svc.camp.Plan(), "", true))
	require.NoError(t, err)
	assert.Equal(t, rows1, rows2)

	// After the restart repeats are still repeats and the conflict still a conflict.
	r := h.push("kiosk-a", tokA, a1)
	require.Equal(t, 200, r.status)
	assert.Equal(t, 409, h.push("kiosk-a", tokA, changed).status)
	q3, _ := h.svc.led.QuarantineList()
	assert.Len(t, q3, 1)
}

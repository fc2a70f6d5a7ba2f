package tally

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestActivatedAndCounted(t *testing.T) {
	tl := New()
	at := time.Date(2026, 11, 20, 13, 0, 0, 0, time.UTC)
	tl.Add(
		Item{Kiosk: "dong-lao", Seq: 1, ID: "a", CCCD: "038070001234", Village: "Đông Lão", Activated: true, At: at},
		Item{Kiosk: "dong-lao", Seq: 2, ID: "b", CCCD: "038170005678", Village: "Đông Lão", Activated: false, At: at},
		// A correction turns the first record into a failure: not counted any more.
		Item{Kiosk: "dong-lao", Seq: 3, ID: "c", CCCD: "001080009999", Village: "Cẩm Hưng", Association: "Hội Phụ nữ", Activated: true, At: at},
		Item{Kiosk: "dong-lao", Seq: 4, ID: "d", Corrects: "c", CCCD: "001080009999", Village: "Cẩm Hưng", Activated: false, At: at},
	)
	assert.True(t, tl.Activated("038070001234"))
	assert.False(t, tl.Activated("038170005678"), "a failure is not an activation")
	assert.False(t, tl.Activated("001080009999"), "corrected to a failure")
	assert.False(t, tl.Activated(""))
	got := map[string]string{}
	tl.Counted(func(c, v, a, d string) { got[c] = v + "|" + a + "|" + d })
	assert.Equal(t, map[string]string{"038070001234": "Đông Lão||2026-11-20"}, got)
	s := tl.Snapshot(at, 7)
	for _, g := range s.Villages {
		if g.Name == "Đông Lão" {
			assert.Equal(t, "2026-11-20", g.Last)
		}
	}
}

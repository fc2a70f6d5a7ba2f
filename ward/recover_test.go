package ward

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

// TestKioskTakesBackItsRecords: a kiosk whose SD card failed asks the ward
// for its log, a page at a time; the ward names the seqs it never got, and
// another kiosk's token reads nothing.
func TestKioskTakesBackItsRecords(t *testing.T) {
	h := start(t, testConfig(t))
	var recs []record.Record
	for seq := uint64(1); seq <= 10; seq++ {
		if seq == 6 {
			continue // never delivered
		}
		recs = append(recs, rec("kiosk-a", seq, cccd(int(seq)), "Đông Lão", seq%3 != 0))
	}
	require.Equal(t, 200, h.push("kiosk-a", tokA, recs...).status)

	wc := &link.WardClient{URL: h.url, KioskID: "kiosk-a", Token: tokA}
	var got []record.Record
	var missing []link.Range
	after := uint64(0)
	for i := 0; i < 10; i++ {
		page, err := wc.Recover(context.Background(), after, 4)
		require.NoError(t, err)
		assert.Equal(t, uint64(10), page.HeadSeq)
		missing = append(missing, page.Missing...)
		if len(page.Page.Records) == 0 {
			break
		}
		got = append(got, page.Page.Records...)
		after = page.Page.Records[len(page.Page.Records)-1].Seq
	}
	require.Len(t, got, 9)
	for i, r := range got {
		assert.Equal(t, string(recs[i].Canonical()), string(r.Canonical()), "record %d comes back as delivered", r.Seq)
	}
	assert.Equal(t, []link.Range{{From: 6, To: 6}}, missing)

	thief := &link.WardClient{URL: h.url, KioskID: "kiosk-a", Token: tokB}
	_, err := thief.Recover(context.Background(), 0, 4)
	require.Error(t, err)
}

package link

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

func recs(seqs ...uint64) []record.Record {
	out := make([]record.Record, len(seqs))
	for i, s := range seqs {
		out[i] = record.Record{KioskID: "dong-lao", Seq: s}
	}
	return out
}

func TestCheckAck(t *testing.T) {
	wardTime := time.Date(2024, 9, 12, 19, 30, 0, 0, time.UTC)
	cases := []struct {
		name     string
		req      PushRequest
		acked    uint64 // the kiosk's acked_seq before the push
		got      uint64 // the ward's acked_seq
		want     uint64
		wardHead uint64
		refused  bool
	}{
		{"all sent acknowledged", PushRequest{HeadSeq: 3, Records: recs(1, 2, 3)}, 0, 3, 3, 0, false},
		{"part acknowledged (a gap at the ward)", PushRequest{HeadSeq: 3, Records: recs(1, 2, 3)}, 0, 1, 1, 0, false},
		{"nothing new held", PushRequest{HeadSeq: 3, Records: recs(1, 2, 3)}, 0, 0, 0, 0, false},
		{"a batch of a longer backlog", PushRequest{HeadSeq: 900, Records: recs(1, 2, 3)}, 0, 3, 3, 0, false},
		{"the ward pulled more than this push carried: only what was sent", PushRequest{HeadSeq: 900, Records: recs(1, 2, 3)}, 0, 700, 3, 0, false},
		{"heartbeat with nothing to send", PushRequest{HeadSeq: 5}, 5, 5, 5, 0, false},
		{"the ward holds more than the box (restored backup)", PushRequest{HeadSeq: 5}, 5, 12, 12, 12, false},
		{"a fresh box under an old id", PushRequest{}, 0, 5, 5, 5, false},
		{"the largest possible seq", PushRequest{HeadSeq: 3, Records: recs(1, 2, 3)}, 0, record.MaxSeq, record.MaxSeq, record.MaxSeq, false},
		{"2^64-1 would wrap the next seq to 0", PushRequest{HeadSeq: 3, Records: recs(1, 2, 3)}, 0, math.MaxUint64, 0, 0, true},
		{"just above the largest seq", PushRequest{HeadSeq: 3}, 3, record.MaxSeq + 1, 0, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := CheckAck(PushResponse{AckedSeq: tc.got, WardTime: wardTime}, tc.req, tc.acked)
			if tc.refused {
				require.Error(t, err)
				assert.ErrorIs(t, err, ReasonImplausible)
				assert.Equal(t, Ack{}, a, "a refused reply allows nothing")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, a.Acked)
			assert.Equal(t, tc.wardHead, a.WardHead)
			assert.Equal(t, wardTime, a.WardTime)
			if a.WardHead == 0 {
				assert.LessOrEqual(t, a.Acked, max(tc.acked, tc.req.HeadSeq), "never past the kiosk's head")
			}
		})
	}
}

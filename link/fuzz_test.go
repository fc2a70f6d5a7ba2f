package link

import (
	"testing"

	"github.com/kyso-vn/kyso/record"
)

// FuzzCheckAck: whatever a verified reply says, the kiosk's acked_seq never
// passes what it sent or held, unless the ward holds more; and no seq ever
// passes record.MaxSeq.
func FuzzCheckAck(f *testing.F) {
	f.Add(uint64(3), uint64(3), uint64(0), uint64(1), uint64(3))
	f.Add(^uint64(0), uint64(3), uint64(0), uint64(1), uint64(3))
	f.Add(uint64(1000), uint64(3), uint64(0), uint64(1), uint64(3))
	f.Add(uint64(12), uint64(5), uint64(5), uint64(0), uint64(0))
	f.Fuzz(func(t *testing.T, got, head, acked, first, last uint64) {
		var rs []record.Record
		for s := first; s <= last && s-first < 50 && s != 0; s++ {
			rs = append(rs, record.Record{Seq: s})
		}
		a, err := CheckAck(PushResponse{AckedSeq: got}, PushRequest{HeadSeq: head, Records: rs}, acked)
		if err != nil {
			if got <= record.MaxSeq {
				t.Fatalf("refused a plausible acked_seq %d: %v", got, err)
			}
			return
		}
		if a.Acked > record.MaxSeq || a.WardHead > record.MaxSeq {
			t.Fatalf("a seq past MaxSeq: %+v", a)
		}
		sent := acked
		for _, r := range rs {
			sent = max(sent, r.Seq)
		}
		if a.WardHead == 0 && a.Acked > sent {
			t.Fatalf("acked %d past the highest sent %d", a.Acked, sent)
		}
		if a.WardHead != 0 && (a.WardHead <= head || a.WardHead != a.Acked) {
			t.Fatalf("ward head %d not beyond the kiosk's head %d", a.WardHead, head)
		}
	})
}

package link

import (
	"time"

	"github.com/kyso-vn/kyso/record"
)

// Ack is what a verified push reply lets the kiosk do.
type Ack struct {
	// Acked is the kiosk's new acked_seq: never above the highest seq this
	// push carried (or the kiosk's acked_seq before it, for an empty push),
	// unless WardHead says the ward holds more of the log than the kiosk.
	Acked uint64
	// WardHead, when not 0, is a ward acked_seq beyond the kiosk's head: a
	// box restored from an older backup, or a new box paired under an old
	// id. New records must continue after it. Only a signed reply says so.
	WardHead  uint64
	WardTime  time.Time
	RTT       time.Duration
	Conflicts []Conflict
}

// CheckAck sanity-checks the acked_seq of a verified reply to req, sent when
// the kiosk's acked_seq was acked. A seq is never above record.MaxSeq (it
// never wraps); an acknowledgement never covers a record this push did not
// carry and the kiosk holds (the next push carries it, the ward counts it
// once); a value beyond the kiosk's head is the ward holding more.
func CheckAck(reply PushResponse, req PushRequest, acked uint64) (Ack, error) {
	a := Ack{WardTime: reply.WardTime, Conflicts: reply.Conflicts}
	got := reply.AckedSeq
	if got > record.MaxSeq {
		return Ack{}, fail(ReasonImplausible, "ward acked_seq %d is above the highest possible seq", got)
	}
	sent := acked
	for _, r := range req.Records {
		sent = max(sent, r.Seq)
	}
	switch {
	case got > req.HeadSeq && got > sent:
		a.Acked, a.WardHead = got, got
	case got > sent:
		a.Acked = sent
	default:
		a.Acked = got
	}
	return a, nil
}

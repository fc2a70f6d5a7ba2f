package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Record types.
const (
	TypeCompletion = "completion"
	TypeCorrection = "correction"
)

// Outcomes of a completion.
const (
	OutcomeActivated = "activated"
	OutcomeFailed    = "failed"
)

// Clocks that can stamp a record. A box without an RTC may boot in 1970, so
// every record says which clock it trusted.
const (
	ClockKiosk  = "kiosk"  // the box's own clock, believed plausible
	ClockWard   = "ward"   // the box's clock corrected from the ward's time
	ClockTablet = "tablet" // the box's clock corrected from a volunteer tablet
	ClockUnsure = "unsure" // implausible clock and nothing better known
)

// MaxSeq is the highest seq a record may carry. A seq is never 0 and never
// wraps: 2^53−1 is the largest integer a JSON number keeps exactly in a
// browser, and far beyond any campaign, so a value above it can only be a
// forged or broken one.
const MaxSeq = 1<<53 - 1

// Citizen is the personal data of one completion. CCCD and Phone are
// personal data: never log them, mask them in lists.
type Citizen struct {
	Name        string `json:"name"`
	CCCD        string `json:"cccd"`
	BirthDate   string `json:"birth_date"` // YYYY-MM-DD
	Gender      string `json:"gender"`     // male | female
	Phone       string `json:"phone"`      // normalised, 10 digits
	Village     string `json:"village"`
	Association string `json:"association,omitempty"`
}

// Record is one immutable entry of a kiosk's completion log.
type Record struct {
	ID             string     `json:"id"`
	KioskID        string     `json:"kiosk_id"`
	Seq            uint64     `json:"seq"`
	Type           string     `json:"type"`
	Corrects       string     `json:"corrects,omitempty"`
	Citizen        Citizen    `json:"citizen"`
	Outcome        string     `json:"outcome"`
	Reason         string     `json:"reason,omitempty"`
	Volunteer      string     `json:"volunteer"`
	Desk           int        `json:"desk"`
	Round          string     `json:"round,omitempty"`
	Ticket         int        `json:"ticket,omitempty"`
	ConsentAt      time.Time  `json:"consent_at"`
	ConsentVersion string     `json:"consent_version,omitempty"`
	ConsentBy      string     `json:"consent_by,omitempty"` // "citizen" (own phone) or the volunteer's name
	RecordedAt     time.Time  `json:"recorded_at"`
	Clock          string     `json:"clock"`
	DeviceTime     *time.Time `json:"device_time,omitempty"`
}

// Canonical returns the bytes that identify a record's content.
func (r Record) Canonical() []byte {
	b, err := json.Marshal(r)
	if err != nil {
		// Record holds only strings, numbers and times: Marshal cannot fail.
		panic(err)
	}
	return b
}

// Check reports structural problems that make a record unusable for the ward.
func (r Record) Check() error {
	switch {
	case r.ID == "":
		return errors.New("record without id")
	case r.KioskID == "":
		return errors.New("record without kiosk_id")
	case r.Seq == 0:
		return errors.New("record with seq 0")
	case r.Seq > MaxSeq:
		return fmt.Errorf("record with seq %d above %d", r.Seq, uint64(MaxSeq))
	case r.Type != TypeCompletion && r.Type != TypeCorrection:
		return fmt.Errorf("record type %q", r.Type)
	case r.Type == TypeCorrection && r.Corrects == "":
		return errors.New("correction without corrects")
	case r.Outcome != OutcomeActivated && r.Outcome != OutcomeFailed:
		return fmt.Errorf("record outcome %q", r.Outcome)
	}
	return nil
}

// SeqRange is an inclusive range of one kiosk's seqs: what the ward lacks,
// or what a kiosk repaired from its ward could not take back.
type SeqRange struct {
	From uint64 `json:"from"`
	To   uint64 `json:"to"`
}

// Count is how many seqs the range holds.
func (r SeqRange) Count() uint64 { return r.To - r.From + 1 }

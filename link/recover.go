package link

import (
	"context"
	"encoding/json"
	"time"

	"github.com/kyso-vn/kyso/record"
)

// PathRecover is where a kiosk whose store was damaged takes back what the
// ward holds of its log (kiosk → ward: POST a sealed RecoverRequest).
const PathRecover = "/api/v1/recover"

// ReplyRecover is the reply kind of a recovery page.
const ReplyRecover = "recover"

// maxRecoverBytes bounds one page of taken-back records.
const maxRecoverBytes = 16 << 20

// RecoverRequest asks for the kiosk's records with seq > After, at most Limit.
type RecoverRequest struct {
	KioskID string `json:"kiosk_id"`
	After   uint64 `json:"after"`
	Limit   int    `json:"limit"`
	// Report, when set, ends a repair: the ward records it (and answers
	// an empty page) so the office sees what a kiosk lost.
	Report *RepairReport `json:"report,omitempty"`
}

// Recovered is one page of the kiosk's own records as the ward holds them,
// in seq order. HeadSeq is the highest seq the ward holds for the kiosk;
// Missing lists the seq ranges below it the ward does not hold.
type Recovered struct {
	KioskID string  `json:"kiosk_id"`
	HeadSeq uint64  `json:"head_seq"`
	Page    Page    `json:"page"`
	Missing []Range `json:"missing,omitempty"`
}

// Range is an inclusive range of seqs.
type Range = record.SeqRange

// RepairReport is what a kiosk that repaired its store from the ward tells
// the ward at the end: how much came back from where, and what is lost.
type RepairReport struct {
	DamagedAt  time.Time `json:"damaged_at"`
	RepairedAt time.Time `json:"repaired_at"`
	Damage     string    `json:"damage"`
	FromWard   uint64    `json:"from_ward"`   // records taken back from the ward
	FromBackup uint64    `json:"from_backup"` // records the ward lacked, from the local backup
	Pending    uint64    `json:"pending"`     // completions made while the repair ran
	HeadSeq    uint64    `json:"head_seq"`    // the log's head after the repair
	Lost       []Range   `json:"lost,omitempty"`
}

// Recover takes back one page of this kiosk's records from the ward: the
// ward is the kiosk's backup. The reply is sealed and signed, and every
// record must be this kiosk's, in the range asked, in order.
func (w *WardClient) Recover(ctx context.Context, after uint64, limit int) (Recovered, error) {
	b, err := w.sealedCall(ctx, PathRecover, ReplyRecover, RecoverRequest{KioskID: w.KioskID, After: after, Limit: limit}, maxRecoverBytes)
	if err != nil {
		return Recovered{}, err
	}
	var r Recovered
	if err := json.Unmarshal(b, &r); err != nil {
		return Recovered{}, fail(ReasonWardRefused, "recover: %w", err)
	}
	last := after
	for _, rec := range r.Page.Records {
		if rec.KioskID != w.KioskID || rec.Seq <= last || rec.Seq > r.HeadSeq {
			return Recovered{}, fail(ReasonForgedReply, "recover: record %d of %q out of place", rec.Seq, rec.KioskID)
		}
		if err := rec.Check(); err != nil {
			return Recovered{}, fail(ReasonWardRefused, "recover: record %d: %w", rec.Seq, err)
		}
		last = rec.Seq
	}
	return r, nil
}

// ReportRepair tells the ward how this kiosk's repair ended.
func (w *WardClient) ReportRepair(ctx context.Context, r RepairReport) error {
	_, err := w.sealedCall(ctx, PathRecover, ReplyRecover, RecoverRequest{KioskID: w.KioskID, Report: &r}, maxRecoverBytes)
	return err
}

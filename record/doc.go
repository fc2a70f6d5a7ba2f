// Package record is the wire format shared by the kiosk and the ward: the
// immutable completion record, the push/pull envelopes and the signed batch
// file carried on a USB stick.
//
// Invariants:
//   - A Record is immutable once written; a correction is a new Record whose
//     Corrects field names the record it replaces.
//   - Seq is dense and strictly increasing per kiosk, starting at 1.
//   - Canonical bytes (json.Marshal of the struct) decide whether two deliveries of the same
//     (kiosk_id, seq) are the same record.
//   - This package imports no HTTP, storage or UI code: both programs depend on it,
//     it depends on nothing of ours.
package record

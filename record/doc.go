// Package record is the domain format of a kiosk's completion log: the
// immutable completion record with its citizen, and the signed batch file
// that carries records on a USB stick. The envelopes that carry records over
// the network, and their signing, are package link.
//
// Invariants:
//   - A Record is immutable once written; a correction is a new Record whose
//     Corrects field names the record it replaces.
//   - Seq is dense and strictly increasing per kiosk, starting at 1, and
//     never above MaxSeq (it never wraps to 0).
//   - Canonical bytes (json.Marshal of the struct) decide whether two deliveries of the same
//     (kiosk_id, seq) are the same record.
//   - The batch file stays here, MAC included: it is a file of records an
//     official carries by hand, kept byte-compatible with files already on
//     sticks; its key is the same kiosk token the link uses.
//   - This package imports no HTTP, storage or UI code: both programs depend on it,
//     it depends on nothing of ours.
package record

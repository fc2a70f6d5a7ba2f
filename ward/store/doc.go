// Package store is the ward's Badger database: records keyed by
// (kiosk_id, seq), quarantined conflicting deliveries, the kiosk registry
// with tokens, the campaign plan and settings, and kiosk health.
//
// Invariants:
//   - A record key is written once; the ingest path decides, under its lock,
//     that a key is new before writing it. Nothing here overwrites a record.
//   - The stored value is the record's canonical JSON (record.Canonical)
//     after a small header (receive time, how it came), so "same content"
//     means byte-identical canonical JSON, as the wire format defines.
//   - Every Write is one Badger WriteBatch flushed with SyncWrites: when
//     Write returns nil the data is on disk and may be acknowledged.
//   - Badger is opened with small options (the machines are small) and its
//     value log is garbage-collected on a ticker by RunGC.
//   - Kiosk ids never contain NUL (they are validated before they get here),
//     so NUL separates the id from the seq in keys.
package store

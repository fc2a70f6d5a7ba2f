// Package tally holds the ward's in-memory index of every stored record and
// the counters derived from it, so that progress is O(villages + days), not
// O(records).
//
// Invariants:
//   - Counts are a function of the SET of records held, never of the order
//     they arrived in: push, pull and file may deliver in any order, and a
//     reopened ward rebuilds identical counts from the store.
//   - Each (kiosk, seq) is held once; the caller (the ingest path) decides
//     duplicates and conflicts with Lookup before calling Add.
//   - A record is effective unless a correction names it, or it is a
//     correction that lost to a later sibling correcting the same record.
//     A correction thus replaces what it corrects, even when it arrives first.
//   - A citizen (CCCD) counts once: among the effective activated records of
//     one CCCD, the earliest (by the time of its chain's original record,
//     then kiosk id, then seq) decides village, association and day. Failed
//     records never enter the count, so a later failure cannot undo an
//     activation.
//   - Days are civil days in Vietnam (UTC+7).
//   - Snapshot.Updated (progress updated_at) is the newest receive time
//     held, a function of the records like the counts: never "now".
//   - Memory is per record, and small (a district holds millions): a 56-byte
//     entry in fixed chunks, 4 bytes in its kiosk's seq page, 4-byte slots
//     in open-addressing indexes of ids and CCCDs (index.go): 76–80 bytes a
//     record where Go maps and a growing slice took 157. Ids are known by
//     96 bits of their SHA-256; CCCDs by their number.
//   - No personal data leaves this package except through Refs, which carry
//     only (kiosk, seq) for the exporter to read from the store.
package tally

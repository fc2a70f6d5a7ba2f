// Package quota reads and holds the campaign plan the ward counts against:
// village quotas (the appendix table of the commune plan), association
// quotas, rounds (đợt) with their date ranges, and the deadline.
//
// Invariants:
//   - Parsing never panics and never trusts its input: every error names the
//     line and column in Vietnamese, so an official can fix the spreadsheet.
//   - Spreadsheet noise is tolerated: UTF-8 BOM, UTF-16 ("Unicode text"),
//     Windows-1258, CRLF or lone CR, comma/semicolon/tab separators,
//     thousands separators, title rows above the header, a column-number row
//     under it and a total ("Cộng") row at the end.
//   - A target is an integer: the file's target column when present, else
//     ceil(rate × base) computed in integer basis points (491 × 41% → 202);
//     floating point would turn 41% × 100 into 42.
//   - Names are matched by Key: Unicode NFC, lower case, single spaces and
//     without a leading "Thôn"/"TDP"/… prefix. Diacritics are kept, because
//     "Thôn Sổng" and "Thôn Song" are different villages.
//   - The package does no I/O beyond the readers it is given.
package quota

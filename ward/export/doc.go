// Package export writes the ward's evidence lists and summary tables: the
// completions list as CSV (UTF-8 with BOM, for Excel) and XLSX, and the
// appendix table with the actual results filled in as XLSX.
//
// Invariants:
//   - The completions columns are exactly Columns, in that order: they are
//     the evidence form the plans ask villages to fill in by hand.
//   - CCCD and phone numbers are written as text, never numbers: a leading
//     zero is part of the number (CCCD 001… is Hà Nội).
//   - CSV cells that a spreadsheet would run as a formula (= + - @ …) are
//     prefixed with an apostrophe: a citizen's typed name must not become
//     a formula on the official's computer.
//   - These files hold personal data: only the ward's admin handlers call
//     this package, and nothing here logs.
package export

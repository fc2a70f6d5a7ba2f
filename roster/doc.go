// Package roster reads the lists a commune's outreach runs on, as people
// really keep them: a village head's household book, an association's
// member list (Parse) and VNPT's SmartCA activation report (ParseVNPT), in
// CSV or XLSX. It is pure: no HTTP, no storage; the ward stores what it
// returns.
//
// Invariants:
//   - The content decides the format, never the file name: XLSX by its zip
//     signature, CSV when the first 4 KB are text (UTF-8 with or without BOM,
//     UTF-16 with BOM, else Windows-1258; separator , ; or tab). Anything
//     else (a photo renamed .xlsx, a PDF, an old .xls or a password-protected
//     workbook) is refused with CodeNotSpreadsheet.
//   - All or nothing: on any error the zero Result/Report is returned with an
//     *Error whose Message is Vietnamese. Past MaxBytes (default 50 MB) or
//     MaxRows rows below the header (default 200,000) the file is refused.
//     CSV is streamed and stops reading at the limit (a line over 1 MB is
//     refused too); XLSX is held in memory (bounded by MaxBytes; a zip
//     declaring more than 20× that unpacked is refused) and its rows are
//     streamed by a byte scanner of the sheet XML (fastSheet, checked
//     against excelize's values in tests); XML it does not understand makes
//     the whole file be read again with excelize's iterator.
//   - The header is searched in the first 20 rows: the row recognising the
//     most fields by synonym (NormalizeHeader: case, diacritics and
//     punctuation do not matter). A second header row under it (no digits,
//     the name cell empty; e.g. "Ngày sinh" over "Nam" | "Nữ") is read with
//     it. Without a name column (a CCCD column for VNPT) the file is refused
//     with CodeNoColumn and the headers seen, for the UI's mapping step;
//     Options.Mapping then names columns explicitly.
//   - Cells are read as values, never as formulas: XLSX gives a formula's
//     cached value (none → empty), numbers unformatted; CSV text starting
//     with "=" is text, and only the leading-zero tricks ="038…" and '038…
//     are undone.
//   - Every row below the header up to the last non-blank one is counted in
//     Rows and either becomes a person or is reported in Skipped with its
//     1-based row number (as the spreadsheet shows it) and a Vietnamese
//     reason: blank, total ("Tổng cộng"), section ("Tổ 1"; a section naming a
//     village sets the village of the rows under it), no or invalid name.
//     Rows = rows read as people + len(Skipped). Reasons never quote a
//     person's data.
//   - A person's CCCD is either 12 digits passing citizen.ValidateCCCD
//     (province, century and year against the birth date) or empty; Excel's
//     damage is repaired first (10/11 digits → leading zeros restored,
//     3.8E+10 forms when no digit was lost, spaces, dots, apostrophes). A
//     number failing the check, and a 9-digit CMND (expired), is reported in
//     Invalid and the person imported without it. Phones are kept only when
//     valid by the citizen rule (a lost leading 0 restored); else dropped and
//     reported in Invalid. A gender disagreeing with the CCCD is taken from
//     the CCCD. Names are NFC, single-spaced, valid by citizen.NormalizeName;
//     names in capitals are written in title case.
//   - Birth dates: Excel serials (1900 or 1904 system), d/m/yyyy and
//     yyyy-mm-dd text (mm/dd/yyyy only when the day cannot be a month), or a
//     bare year. A bare year (and a birth year taken from the CCCD when there
//     is no date) counts age from 31 December of that year: the age is never
//     overstated, so no minor is counted eligible.
//   - Eligible = age on ReferenceDate within [AgeMin (18), AgeMax]; a person
//     of unknown age is eligible (the list says they should be reached).
//     NoCCCD counts eligible people without a valid CCCD.
//   - Keys are stable: re-parsing the same file gives the same People with
//     the same Key and Household, in the same order. Key = "cccd:"+CCCD, else
//     "name:"+lower-case name+"|"+birth+"|"+village key (unit word such as
//     "Thôn" dropped). Rows with the same key (or the same name, birth date
//     and village, once with and once without a CCCD) are one person: later
//     rows fill the earlier one's empty fields and are reported in Merged.
//   - Households: by code column, else "Quan hệ với chủ hộ" (a "Chủ hộ" row
//     starts one, the rows after join it), else a "Chủ hộ" column (the
//     head's name, or a mark on the head's row), else one person each. The
//     head comes first; every member carries the household's key and the
//     head's name.
//   - The package holds no mutable state; everything is safe for concurrent
//     use.
package roster

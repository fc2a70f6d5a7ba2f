// Package paper prints official A4 papers as PDF: village and commune lists
// with the national header, and a session's invitation slips.
//
// A Doc is laid out the way a commune office files papers (Decree 30/2020):
// on the left the issuing unit in capitals (parent bodies above, the unit
// itself in bold with a short rule), on the right "CỘNG HÒA XÃ HỘI CHỦ NGHĨA
// VIỆT NAM" and "Độc lập - Tự do - Hạnh phúc" (bold, underlined), the date
// line "Quảng Phú, ngày 28 tháng 11 năm 2026", the title, the table, notes
// and the signature columns ("Người lập biểu", "Trưởng thôn", "Xác nhận của
// UBND xã", each with "(Ký, ghi rõ họ tên)" or "(Ký tên, đóng dấu)").
//
// Invariants:
//   - Every page break is decided here (fpdf's automatic break is off): a
//     table row is never split across pages, the table header is repeated
//     on every page the table continues on, the header never sits alone at
//     a page's foot, and the signature block is kept whole.
//   - Every page of a Doc is numbered "Trang i/n".
//   - Invitations puts SlipsPerPage (4) A6 slips on each A4 page, in reading
//     order, with dashed cut lines; each slip names its household's head
//     exactly once (members other than the head are listed after), and
//     prints the date on one line (shrunk rather than wrapped).
//   - Input is validated before anything is written: on error the writer
//     has received nothing.
//   - Text is NFC; characters outside the font's 16-bit range print as "?"
//     rather than crash the layout.
//
// Fonts: DejaVu Serif (else DejaVu Sans), regular and bold, are read at run
// time from FontDir (Debian fonts-dejavu-core) and cached per process.
// They are not embedded: 1.4 MB of fonts would otherwise ride in every
// binary, including the arm64 kiosk, while only the ward prints. When they
// are missing the error wraps ErrNoFont, whose message says what to install.
//
// The package has no HTTP and no storage; it holds only the read-only font
// cache (behind a mutex), so it is safe for concurrent use.
package paper

// Package wardweb holds the ward's pages: html/template files and static
// assets (one stylesheet, one plain ES2017 script, an icon), embedded in
// the binary so the commune office needs no internet, no CDN, no build step.
//
// Invariants:
//   - No inline scripts, no inline styles, no on*= attributes: the ward's
//     CSP is default-src 'self' without 'unsafe-inline'. The script finds
//     its elements by id and data-* attributes, and sizes nothing through
//     style attributes (bars are <progress> elements).
//   - Every page works without JavaScript: the server renders the tables
//     and forms; the script only keeps them live over server-sent events
//     (with the kiosk board's reconnection: jittered backoff, reopen on
//     wake) and wires the print button.
//   - The public screen ("progress") shows aggregates only: nothing a
//     citizen typed, no CCCD, no phone.
//   - Printed lists ("print") are A4 papers: national header, title, date
//     line, the table header repeated on every page (thead), rows never
//     split (break-inside: avoid), the signature block kept whole, page
//     numbers in the @page margin.
//   - Text is Vietnamese with correct diacritics; numbers are written the
//     Vietnamese way (1.701 and 41,1 %).
//   - The ids of the dashboard's tables (t-total, t-villages, t-others,
//     t-assocs, t-rounds, t-days, t-forecast, t-kiosks, t-quarantine,
//     t-helpers, t-houses; on the public screen s-total, s-villages,
//     s-assocs) are a contract between the templates and ward.js.
package wardweb

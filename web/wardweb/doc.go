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
//     and forms; the script only refreshes the numbers every few seconds.
//   - Text is Vietnamese with correct diacritics; numbers are written the
//     Vietnamese way (1.701 and 41,1 %).
//   - The ids of the dashboard's tables (t-total, t-villages, t-others,
//     t-assocs, t-rounds, t-days, t-forecast, t-kiosks, t-quarantine) are a
//     contract between the template and ward.js.
package wardweb

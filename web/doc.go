// Package web holds the kiosk's pages: html/template files and static assets
// (one stylesheet, plain ES2017 scripts), embedded with go:embed so the box
// serves everything itself with no internet, no CDN and no build step.
//
// Invariants:
//   - Pages are static shells: they carry no personal data. Citizens' and
//     volunteers' data only travel through the JSON API (docs/kiosk-api.md),
//     fetched by the page's own script.
//   - Every URL a page loads is same-origin (the only outside links are the
//     app-store buttons on /app, which are navigations, not loads).
//   - No inline scripts, no inline styles, no on*= attributes: the kiosk's
//     CSP has no 'unsafe-inline'. Scripts find their elements by id.
//   - The ids listed in Templates' doc comment are a contract with browser
//     tests; keep them stable.
//   - /join plus the stylesheet and its scripts stay under 40 KB: phones on a
//     crowded cultural-house Wi-Fi load it; web_test.go enforces the budget.
//
// kiosk/browser_test.go drives the pages in headless Chromium against the
// real kiosk server, under its CSP; CI needs Chromium.
package web

// Package hardening holds process-level tests of the security and
// robustness guarantees in docs/security.md. Each test builds the real
// binaries (bin/kiosk, bin/ward) with `go build` into a temporary
// directory, runs them as child processes on 127.0.0.1 with their data in
// temporary directories (or on a tmpfs the test mounts), and talks to them
// over HTTP like tablets, phones and the ward do.
//
// What the tests prove:
//   - Power cut: SIGKILL at random moments during concurrent joins and
//     completions loses nothing that was answered 2xx; record seqs stay
//     dense; no ticket number is handed out twice.
//   - Full disk: writes are refused with 503 and a Vietnamese message before
//     the store can crash on a full file system; reads, the board and the
//     health check keep working; writes resume when space returns, with
//     nothing earlier lost.
//   - Hostile input: oversized, mistyped, deep, malformed and header-heavy
//     requests get a 4xx JSON error, never a 500, and never end the process.
//   - Access: PIN lockout per client and overall, login and join rate
//     limits, CSRF on every state-changing volunteer request, cookie flags.
//   - Privacy: no CCCD, phone or full name on any public route, the live
//     stream or the logs; masked CCCDs in volunteer lists; the store is
//     unreadable without --data-key when one is given (and readable when
//     not, so the check can fail).
//   - Headers: CSP without unsafe-inline, frame-ancestors 'none', nosniff,
//     Referrer-Policy on every answer, errors included.
//
// A SIGKILL keeps the page cache, so it proves crash consistency of the
// process, not that fsync reached the SD card; see docs/security.md.
//
// Tests that mount file systems need root (internal/testenv.NeedRoot): they
// fail under CI (KYSO_CI=1) and skip loudly elsewhere.
package hardening

// Package httpx is the one HTTP layer of the kiosk and the ward: the JSON
// error shape and its handler, security headers, lingering close, sessions
// with CSRF tokens, log-in throttling, and request bodies bounded after
// decoding.
//
// Invariants:
//   - Every error answer is {"error":{"code","field","message"}} with a
//     Vietnamese message and the security headers; bad input is a 4xx,
//     never a 500 or a stack trace.
//   - A request body is never decoded: any Content-Encoding is refused
//     with 415 (Fiber's Body() would inflate it without limit).
//   - No memory is reserved for a declared Content-Length. Bodies arrive
//     as a stream; small ones are read within Limits.Default before any
//     handler; large routes (Limits.Large) are read by their handler after
//     it authenticated the sender, never past the route's limit, and must
//     declare their length. A declared length over the limit is refused
//     at once, before any byte of the body is read.
//   - A connection whose body was not read to its end is closed after the
//     answer, lingering (LingerListener), so the client reads the answer
//     instead of a reset and the rest of the body is never parsed as a
//     request.
//   - Throttle counts attempts in flight as failures and bounds
//     evaluations at once per client and overall; no lock is held while a
//     secret is evaluated, so a guessing storm cannot stall other users.
package httpx

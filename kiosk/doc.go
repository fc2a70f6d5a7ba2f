// Package kiosk is the cultural-house service: the HTTP API and pages
// (Fiber), volunteer sessions, the live board stream, QR codes and the
// forwarder that pushes completion records to the ward.
//
// Structure: New(cfg) opens the queue and builds an App; App.Run serves
// until its context ends (or returns ErrRestart after a pairing). The
// handlers are small types grouped by audience — pages (public), citizens,
// auth and desk (volunteers), wardAPI, pairer — each holding only the
// shared deps; boardState owns the public board and its live stream. The
// Forwarder knows the kiosk only through Source, InfoSink and PushCounter:
// no type points back at another.
//
// Invariants:
//   - Handlers only translate HTTP to queue calls and back; every route is
//     declared in routes.go.
//   - No type has more than 40 methods (internal/methodcount).
//   - Public routes (board, join, app, QR, events, healthz, metrics) never
//     carry a CCCD, a phone number or a full name; the board is built from
//     queue.Snapshot, which holds numbers only.
//   - Personal data is never logged: log lines carry ticket ids and numbers.
//   - A 2xx is sent only after the queue committed the change to disk.
//   - Bad input yields a JSON error with a Vietnamese message, never a 500.
//   - acked_seq advances only from the ward's reply.
//   - A store damaged at open is rebuilt (queue.Rebuild) and the repairer
//     takes the log back from the ward over the authenticated link; until
//     it has, the records page answers 503 store_repairing, the forwarder
//     pushes nothing, and the TV and the tablet say so in plain words
//     (board store_alert). The queue itself keeps working.
package kiosk

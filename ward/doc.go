// Package ward is the commune office's service: it receives completion
// records from kiosks by push (POST /api/v1/records), pull (GET
// <kiosk>/api/v1/records) and USB batch files, stores each (kiosk, seq)
// once, counts each citizen once against the campaign plan, and serves the
// Vietnamese dashboard, the public progress document and the exports.
//
// Invariants:
//   - Exactly once: all three paths go through the ledger's ingest (the
//     only writer of records), which is serialised by one mutex. A repeat of a held (kiosk, seq) with the same
//     canonical bytes is acknowledged and ignored; different bytes are
//     quarantined (kept, listed, never counted) and the push is answered 409
//     with the acked_seq that still lets the kiosk move on.
//   - Durable before acknowledged: records are acknowledged (acked_seq) only
//     after the Badger batch that holds them is flushed with SyncWrites.
//   - acked_seq is the highest contiguous seq held for the kiosk, so a gap
//     is always re-sent and a kiosk never skips a record.
//   - Counts live in memory (package tally), rebuilt from the store at
//     open, so progress costs O(villages + days) whatever the record count.
//   - Public endpoints (/api/v1/progress and its stream /events, the
//     /progress screen, /api/v1/kiosks, /api/v1/villages, /healthz,
//     /metrics) carry aggregates only, never personal data. Names,
//     CCCD and phone appear only in admin exports and, masked, in the admin
//     quarantine list; never in logs.
//   - Kiosk tokens are compared in constant time; the admin password is
//     kept only as a PBKDF2 hash; admin sessions are HttpOnly SameSite=Strict
//     cookies and every state-changing admin request carries a CSRF token.
//   - mDNS sightings (Sighted, kept by the fleet) only say where a kiosk may be: they
//     never register a kiosk, never replace or drop a pull target an
//     official set, and the rows they alone create are bounded. A kiosk is
//     pulled only with the token an official gave it.
//   - A full disk refuses writes (503 store_unavailable), never the
//     process: the store asks internal/diskguard before every write, the
//     start releases the ballast when it must and tolerates a plan, kiosk
//     tokens or admin password from the flags that it cannot store; reads,
//     progress and the dashboard go on, and writes resume when space does.
//   - Every answer carries the security headers, also errors that fasthttp
//     raises before routing (the error handler sets them), and a refused
//     request's answer reaches a client still sending its body (linger.go).
//   - Bodies follow internal/httpx: never decoded, never read before the
//     sender is authenticated on the large routes (limits in routes.go),
//     and a USB batch is decoded record by record (ImportBatch).
//   - One job per type (README "Structure"): Service wires the ledger,
//     registry, fleet, campaign and the HTTP layer; handlers only translate
//     and every route is in routes.go. Lock order: fleet before registry
//     and ledger's ingest lock before the fleet; the registry calls the
//     fleet only after releasing its lock.
//   - After `ward purge` (package ward/purge) the tally counts CCCDs by a salted
//     pseudonym, purged records or not, so a citizen still counts once;
//     a purged record keeps its delivered content hash, so a kiosk
//     re-sending it sends a repeat, not a conflict.
//   - The office (office*.go) changes counts only through records of its
//     own (pseudo-kiosk "_ward") on the same ingest path, each logged with
//     who and why first; see office.go.
//   - Long-running parts (HTTP, pullers, value-log GC, target sources) run
//     under Run(ctx) and stop when ctx ends.
package ward

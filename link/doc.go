// Package link is the kiosk↔ward link: every JSON shape that crosses the
// wire between the two programs (push, pull page, challenge, proof,
// pairing, the progress the kiosk shows on its board), the signing and
// sealing of both directions, a typed client per direction (WardClient for
// kiosk→ward, KioskClient for ward→kiosk), the one kiosk-id rule, the one
// constant-time secret compare and the one list of failure reasons.
//
// Invariants:
//   - The kiosk token never travels. Pushes are sealed (AES-256-GCM, key from
//     token and a fresh nonce) and signed over the sealed bytes; pulls are
//     signed per request and cursor with a one-time nonce from the kiosk and
//     answered sealed. The contract's plain `Bearer <token>` forms stay
//     accepted by the answering side; our clients never send them.
//   - A reply that moves kiosk state (a push's acked_seq and ward time, the
//     board's progress, a pairing) is believed only with a valid
//     ReplyHeader: an HMAC keyed by the kiosk token (by the pairing code for
//     a pairing) over the reply kind, kiosk id, the nonce of the request it
//     answers, the status and the exact body. Anything else — unsigned, signed
//     with another key, replayed from another request — is refused with
//     ReasonForgedReply and changes nothing.
//   - A verified acked_seq is still checked (CheckAck): never above
//     record.MaxSeq, so a seq never wraps to 0; never above the highest seq
//     that push carried, unless it is beyond the kiosk's head, which only the
//     real ward can say (a box restored from an older backup continues after
//     it).
//   - A pairing code does not travel either: the kiosk sends PairCodeProof
//     over its nonce, and only the ward that issued the code can sign the
//     reply. The contract's {"code"} form stays accepted.
//   - One kiosk-id rule (ValidKioskID, KioskIDRule): lower-case a–z, digits
//     and '-', at most 63 characters (one DNS label: the id is also the mDNS
//     host name). The kiosk's --id, the ward's registrations, pairings, pull
//     targets and dashboard forms all call it and refuse with the same words.
//   - Secrets are compared with SameSecret only: both sides hashed first, so
//     neither content nor length leaks through timing; empty never matches.
//   - Every failure a volunteer or an official reads is a Reason from
//     Reasons(): a code, a status and one Vietnamese sentence. Go error text
//     and addresses go to the log only.
//   - Clients read replies within fixed bounds (1 MiB a reply, 4 MiB the
//     progress, 64 MiB a pulled page).
//
// The USB batch file stays in package record with its own MAC (same token):
// it is a file of records carried by hand, byte-compatible with files
// already on sticks.
//
// This package imports only record and internal/slug: both programs depend
// on it; it depends on neither.
package link

// Package queue is the kiosk's domain: tickets, their states and
// transitions, desks, and the append-only completion log, stored in Badger.
//
// Invariants:
//   - Every change a caller saw succeed is committed to Badger with
//     synchronous writes before the call returns; memory is updated only
//     after the commit, so a failed write leaves memory as it was.
//   - Ticket numbers count 1, 2, 3… per local day (Asia/Ho_Chi_Minh) and are
//     never handed out twice, also across restarts; a failed write may skip a
//     number, never repeat one.
//   - The completion log's seq is dense: 1, 2, 3… with no gap and no repeat.
//     Appends are serialised and the seq is taken only inside the commit.
//   - A CCCD is at most once in the waiting/called part of today's queue.
//   - acked_seq only grows and never passes head_seq.
//   - Writes, and value-log GC, are refused with ErrUnavailable (wrapping
//     ErrDiskFull) while the store's file system has less than
//     Options.MinFreeBytes free: Badger dies of SIGBUS on a full disk
//     instead of returning ENOSPC (internal/kv). Reads never need free space.
//   - The store is reached only through internal/kv's Badger-free contract;
//     nothing here exposes Badger (the program links the driver in).
//   - The in-memory line (waiting tickets in order) and tonight's counters
//     are updated with every applied change (trackLocked/untrackLocked),
//     never rebuilt per request: a join, a citizen's poll and the board
//     cost O(log n), not a sort of the whole day. Start-up sorts the line
//     once: O(n log n) in the day's tickets.
//   - Every ticket write carries the ticket's digest (status, number,
//     order, desk, times) in the same commit; start-up counts the day from
//     the digests and reads only the active tickets whole (digest.go), so a
//     restart costs the digests' walk, not the JSON of every ticket. Days
//     written before digests existed are counted from the JSON.
//   - Only active tickets (waiting, called) are held in memory; a finished
//     one leaves memory after its change is committed and is read from the
//     store when asked for (the phone of a served citizen, a requeue).
//   - A page of records never has a hole above the floor (the seqs taken
//     over from the ward): a hole is damage, refused with ErrDamaged.
//   - A store found damaged at open is never served from: Rebuild moves it
//     aside (kept, never deleted), starts a fresh store from the newest
//     local backup that verifies, and marks it as repairing (m/repair). While
//     it repairs, Records refuses (ErrRepairing) rather than answer part of
//     the log; completions are committed under pending keys without a seq;
//     FinishRepair gives them the seqs after everything the ward and the
//     backup gave back, so the log stays dense and nothing is numbered
//     twice. Seqs nobody had are recorded as lost: a known hole, reported,
//     not damage.
//   - The store carries a format version; a newer version than this binary
//     understands is refused at open without touching the data.
//
// Transitions:
//
//	waiting → called → activated | failed | no_show
//	waiting | called → cancelled (the citizen leaves)
//	waiting → no_show; called | no_show → waiting (requeue, at the back)
//	called → called (recall: the board calls the number again)
//
// This package imports no HTTP or UI code.
package queue

// Package outreach is the ward's side of reaching the people who have not
// come: the rosters village heads and association heads import, the status
// of every person derived from what kyso and VNPT know, the marks unit heads
// set, the evening sessions and who is invited to which, and the tables the
// steering committee reviews (accountability, reconciliation with VNPT).
//
// Invariants:
//   - A person is stored once, keyed by an opaque Key derived (salted hash)
//     from the CCCD, else from name + birth date + village; the key never
//     reveals the CCCD. Re-importing the same file changes nothing; an
//     updated file updates, never duplicates. A member list matched to a
//     resident by CCCD adds the association to that one person, so a person
//     counts once everywhere.
//   - Status is derived, never stored: activated (kyso counts the CCCD, or
//     VNPT's report confirms it) > unreachable (a unit head's mark) >
//     invited (to a session that has not ended) > failed (the last kyso
//     outcome) > not_yet. A session that has ended releases its no-shows
//     back to not_yet; nothing has to be reset by hand.
//   - The schedule never splits a household, never fills a session beyond
//     its capacity, keeps every standing invitation, and is idempotent: run
//     twice, it invites nobody the second time.
//   - A session's capacity is desks × hours × the per-desk rate of its
//     house, fixed when the session is made: MeasuredRate is the one rule
//     (DefaultRate until MinRateSamples services are measured there), and
//     RateMeter learns the services incrementally from every record held,
//     each no longer than since the citizen joined, so an idle desk is not
//     counted as serving.
//   - Generated sessions (the rounds' days, every evening to the deadline)
//     skip days past and sessions already held, so generating twice adds
//     nothing; the rest are checked like hand-made ones, all or none.
//   - Writes are validated completely before anything is stored; a refused
//     import, report or plan leaves the book as it was.
//   - Personal data leaves this package only through List (masked CCCD) and
//     the working-list rows the ward exports to an authenticated unit head.
package outreach

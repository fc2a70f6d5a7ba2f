// Package purge is `ward purge --before DATE`: with the ward stopped, it
// removes the citizens' personal data of a finished reporting period from
// the ward's data directory and keeps everything the counts need. It also
// owns the data directory's layout (OpenStore), because opening a store
// means first finishing a purge that a crash cut short.
//
// What a purge does with each kind of data in the store:
//   - Completion records made before DATE ("r/"): name, CCCD, phone and
//     birth date are removed; the CCCD is replaced by a salted pseudonym
//     (see Pseudonyms) so that a citizen still counts once. Village,
//     association, gender, outcome, reason, volunteer, desk, round, times
//     and consent stay. Later records are kept whole.
//   - Quarantined deliveries before DATE ("q/"): the same fields go.
//   - The outreach roster ("outreach/": persons, marks, invitations,
//     arrivals, VNPT report rows): ALL of it is removed, whatever DATE,
//     unless Options.KeepRosters. A roster is the working list of one
//     campaign; it is imported again from the commune's lists when a new
//     campaign starts. Sessions (place, time, village: no personal data)
//     and the book's key salt stay.
//   - The export log ("audit/": which official downloaded which list, with
//     its filter by village, association or status, never a citizen's
//     data) is kept: it is the record of who took personal data out.
//   - Unit heads' logins ("user/": an official's login, unit and a PBKDF2
//     hash) are kept: they are the commune's staff accounts, not citizens'
//     data. Kiosks, health rows and settings are kept.
//
// Invariants:
//   - The counts, each kiosk's cursor and repeat detection are the same
//     after a purge: Purge verifies that on the copy before it swaps it in.
//   - Purge never rewrites in place: Badger would keep the old versions in
//     its files. It copies the store without the personal data into
//     store.purge-new, verifies it, swaps it in and overwrites the old
//     store's files with zeros before deleting them. A crash at any point
//     leaves either the old or the verified new store (OpenStore finishes
//     or undoes the swap).
//   - purge.lock keeps a ward from opening a store while a purge runs.
//   - The pseudonym salt never leaves the store (which --data-key encrypts).
package purge

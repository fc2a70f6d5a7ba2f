// Package citizen validates and normalises what a citizen (or a volunteer on
// their behalf) types when joining the queue: name, birth date, gender, CCCD
// number, phone, village, association and consent.
//
// Invariants:
//   - Every rejection is a *FieldError with a stable machine Code, the JSON
//     Field it concerns and a short Vietnamese Message (NFC, correct
//     diacritics). Error texts never contain the value that was typed: CCCD,
//     phone and name are personal data and must not reach logs.
//   - Normalize reports the first problem in form order: name, birth_date,
//     gender, cccd, phone, village, association, consent.
//   - An accepted record.Citizen is canonical: Name, Village and Association
//     are NFC with single inner spaces and no outer spaces; BirthDate is
//     YYYY-MM-DD between 1900-01-01 and today; Gender is "male" or "female"
//     (derived from CCCD digit 4 when not given); CCCD is 12 ASCII digits
//     whose province, century, year and gender digits agree with the other
//     fields; Phone matches ^0[35789][0-9]{8}$.
//   - Normalize is idempotent: feeding an accepted citizen back (with consent)
//     yields the same citizen. Patch with an empty correction is the identity
//     on accepted citizens.
//   - "Today" is the calendar day in Vietnam (UTC+07:00, no daylight saving
//     since 1975). A fixed offset is used instead of the zoneinfo database,
//     which a Raspberry Pi image may lack.
//   - A kiosk without a real-time clock may boot in 1970; Normalize and Patch
//     never judge ages against a clock earlier than 2024-01-01 (the first
//     campaigns this software serves), so such a box cannot reject every
//     adult as "born in the future". Using that floor can only refuse, never
//     wrongly accept, someone under 18.
//   - The package holds no mutable state; the province table is read-only.
//     Everything is safe for concurrent use.
package citizen

// Package clock decides which time stamps a kiosk's records.
//
// Raspberry Pi boards have no battery-backed clock. A box that boots without
// network starts in 1970 (or, with fake-hwclock, at the last shutdown) and only
// learns the time later: from NTP when the house Wi-Fi reaches the internet,
// from the ward's reply to a push or a pairing, or from a volunteer tablet's
// device_time. A Clock keeps the best reference it has seen and says, with
// every reading, which clock it trusted (record.ClockKiosk, ClockWard,
// ClockTablet or ClockUnsure), so the ward can tell good stamps from guesses.
//
// Invariants:
//   - The box's own clock is plausible when it is not earlier than the build
//     time minus one day (a fixed 2025 floor when the build time is unknown)
//     and, once the ward's time is known, within MaxSkew of it.
//   - Precedence: the ward's time beats a tablet's; a tablet's time is used
//     only while the box clock is implausible and no ward time is known. A
//     tablet far off a plausible box clock is ignored (and said so in
//     Status.Reason): tablets are often wrong too. Several tablets are combined
//     by their median, so one wrong tablet cannot drag the others.
//   - A reference earlier than the floor is itself implausible and ignored.
//   - References are anchored to the monotonic clock: a reference observed at
//     monotonic instant m is projected as ref + (mono() - m). When NTP or an
//     operator steps the wall clock, references stay right, and the next
//     reading compares the stepped wall clock with them afresh.
//   - Now never returns an implausible time silently: when nothing better than
//     a wrong box clock is known it returns that clock with ClockUnsure, and
//     Status.Reason explains why. It never sets the system clock (the service
//     runs with ProtectClock=yes and needs no privilege).
//   - Readings are not guaranteed to be monotonic across a change of source
//     (adopting the ward's time can move stamps backwards): records are
//     ordered by their seq, not by their time.
//   - All methods are safe for concurrent use.
package clock

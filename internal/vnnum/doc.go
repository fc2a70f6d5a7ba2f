// Package vnnum writes numbers as Vietnamese readers expect them on the
// kiosk's screens and the ward's pages: thousands grouped with dots
// (1.871). It is the one place of that rule for both programs.
//
// Invariants: the output holds only digits, dots and a leading minus; it
// reads back to the same number with the dots removed.
package vnnum

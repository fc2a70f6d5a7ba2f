// Package netns runs the real ward and kiosk programs on a small virtual
// LAN — two network namespaces joined by a veth pair, real multicast
// between them — and checks what mDNS is for: the ward finds the kiosk and
// pulls its records, follows it when its address changes, and marks it
// gone when it stops; a kiosk with no --ward-url finds the ward, has it
// prove it holds the token, and pushes to it.
//
// The test process stays in the root namespace and talks to each program
// over that program's own loopback: its HTTP connections are opened from a
// thread moved into the namespace for the socket() call only (setns), so
// the test adds no link, address or route that the programs' mDNS could
// see.
//
// Needs root and iproute2: under CI (KYSO_CI=1) their absence fails the
// test, elsewhere it skips loudly.
package netns

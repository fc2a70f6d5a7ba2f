// Package netnstest puts the programs of a test on a small virtual LAN:
// two Linux network namespaces joined by a veth pair, real multicast
// between them. It holds what the namespace tests of several packages
// share: creating the LAN, running a program inside a namespace, and
// dialing into a namespace from the test process.
//
// Guarantees:
//   - Needs root and iproute2, checked through internal/testenv (NeedRoot,
//     Need): their absence fails the test under CI (KYSO_CI=1) and skips
//     it loudly elsewhere, so a namespace test never half-runs.
//   - Names are unique per process: every namespace name carries the pid
//     and a per-process counter, because the test binaries of several
//     packages run at once and each may build several LANs.
//   - Cleanup is always registered with t.Cleanup, never left to the
//     caller: namespaces are deleted (the veth pair goes with them) and
//     every started program is killed and reaped. Programs are started
//     after their LAN, so their cleanups run first and no program
//     outlives its namespace.
//   - DialIn moves only the dialing thread into a namespace, for the
//     socket() call, so the test process adds no link, address or route
//     that the programs under test could see; a thread that cannot come
//     back is retired, never reused.
//
// Linux only: the package is empty elsewhere.
package netnstest

// Command kysobench measures kyso against the budgets of DESIGN.md
// ("Budgets") and writes a table to stdout and bench/results.json.
//
// It drives the real programs: bin/kiosk and bin/ward run as child processes
// listening on 127.0.0.1, with data directories on the real disk, and the
// tool talks to them over HTTP like phones, tablets and kiosks do. Only the
// raw Badger baseline and the seeding of large record logs run inside the
// tool (through package queue, the same code the kiosk runs).
//
// Invariants:
//   - Every child process is started by this tool in its own process group,
//     and stopped by that group's id; nothing else is signalled.
//   - Memory cgroups (restart, cgroup sections) are made by this tool, named
//     kysobench-<pid>-<tag>, hold only the kiosk it started, and are removed
//     when it has exited; where none can be made the runs say why instead.
//   - Data directories live under one work directory that is removed at the
//     end unless -keep is given. Fsync-sensitive measurements refuse to pretend:
//     the work directory's file system type and a measured fsync time are
//     written into the results.
//   - The results file is written even when a section fails: the failing
//     section says why in "skipped", and its budgets are absent, never "pass".
//   - -quick runs every section at a small scale in well under 30 s (after
//     the binaries are built), so CI can smoke-test the tool; its numbers are
//     not the budgets' numbers.
//
// Usage: make bench, or go run ./cmd/kysobench -out bench/results.json [-quick].
package main

//go:build race

package discovery

// raceEnabled makes the namespace tests build their helper with -race too,
// so races in the advertiser and browser (and in zeroconf under them) fail
// the test even though they run in child processes.
const raceEnabled = true

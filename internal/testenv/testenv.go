// Package testenv decides what a test does when a tool it needs is missing:
// in CI (KYSO_CI=1) the test fails, because CI installs everything; outside
// CI it skips, loudly, naming what to install.
package testenv

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"testing"
)

// Slow skips a slow test (a browser, network namespaces, real processes)
// under -short: `make check` runs -short and stays under two minutes;
// `make test` runs everything.
func Slow(t testing.TB, what string) {
	t.Helper()
	if testing.Short() {
		t.Skipf("slow (%s): skipped under -short; make test runs it", what)
	}
}

// SkipPackageIfShort is for the TestMain of a package whose every test is
// slow: under -short it says so and reports true, and TestMain exits 0
// without building or starting anything.
func SkipPackageIfShort(what string) bool {
	if !flag.Parsed() {
		flag.Parse() // testing.Short reads the -short flag
	}
	if !testing.Short() {
		return false
	}
	fmt.Printf("skipped under -short: %s (make test runs them)\n", what)
	return true
}

// InCI reports whether the tests run under .ci/run.
func InCI() bool { return os.Getenv("KYSO_CI") == "1" }

// Need returns the path of a program, or skips (fails in CI) when it is missing.
func Need(t testing.TB, program, debianPackage string) string {
	t.Helper()
	p, err := exec.LookPath(program)
	if err == nil {
		return p
	}
	Missing(t, program+" not found (apt-get install -y "+debianPackage+")")
	return ""
}

// NeedRoot skips (fails in CI) when the test cannot act as root.
func NeedRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "needs root (network namespaces, mounts)")
	}
}

// Missing reports a missing prerequisite: fatal in CI, a loud skip elsewhere.
func Missing(t testing.TB, why string) {
	t.Helper()
	if InCI() {
		t.Fatalf("CI must provide this: %s", why)
	}
	t.Logf("SKIPPED — NOT TESTED: %s", why)
	t.Skipf("SKIPPED — NOT TESTED: %s", why)
}

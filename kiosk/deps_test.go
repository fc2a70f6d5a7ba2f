package kiosk

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/kyso-vn/kyso/internal/kv/badgerkv" // the store under the tests' queues
)

// The kiosk reaches its store only through package queue, and the queue
// only through the Badger-free contract of internal/kv: Badger itself is
// linked in by cmd/kiosk (and, above, by this package's tests) (issue 10).
func TestKioskImportsNoBadger(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	for _, pkg := range strings.Fields(string(out)) {
		if strings.Contains(pkg, "dgraph-io/badger") || strings.HasSuffix(pkg, "/internal/kv/badgerkv") {
			t.Errorf("package kiosk depends on %s", pkg)
		}
	}
}

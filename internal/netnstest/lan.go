//go:build linux

package netnstest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/testenv"
)

// Interface is the name of the veth end in both namespaces: not veth*, so
// the programs' default interface rule takes it as it would eth0.
const Interface = "lan0"

// seq numbers the LANs of this process; with the pid it makes names unique.
var seq atomic.Int32

// Need skips (fails in CI) without root or iproute2.
// Namespaces are slow to set up: skipped under -short.
func Need(t testing.TB) {
	t.Helper()
	testenv.Slow(t, "network namespaces")
	testenv.NeedRoot(t)
	testenv.Need(t, "ip", "iproute2")
}

// Sh runs a command (in the test's own namespace; `ip -n NS` reaches into
// one) and fails the test with its output if it does not succeed within
// 10 s.
func Sh(t testing.TB, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	require.NoError(t, err, "%s %s: %s", name, strings.Join(args, " "), out)
}

// LAN is two namespaces, A and B, joined by a veth pair named Interface at
// both ends, with 10.77.1.1/24 in A and 10.77.1.2/24 in B, loopback up in
// both.
type LAN struct{ A, B string }

// NewLAN builds a LAN whose namespaces are named kyso-<roleA>-<pid>-<n> and
// kyso-<roleB>-<pid>-<n>, and deletes them when the test ends.
func NewLAN(t testing.TB, roleA, roleB string) *LAN {
	t.Helper()
	Need(t)
	id := fmt.Sprintf("%d-%d", os.Getpid(), seq.Add(1))
	l := &LAN{A: "kyso-" + roleA + "-" + id, B: "kyso-" + roleB + "-" + id}
	for _, ns := range []string{l.A, l.B} {
		Sh(t, "ip", "netns", "add", ns)
		t.Cleanup(func() {
			// Programs are stopped by cleanups registered later, which
			// run first; the veth pair goes with the namespaces.
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Logf("ip netns del %s: %v %s", ns, err, out)
			}
		})
	}
	Sh(t, "ip", "link", "add", Interface, "netns", l.A, "type", "veth", "peer", "name", Interface, "netns", l.B)
	for ns, addr := range map[string]string{l.A: "10.77.1.1/24", l.B: "10.77.1.2/24"} {
		Sh(t, "ip", "-n", ns, "link", "set", "lo", "up")
		Sh(t, "ip", "-n", ns, "addr", "add", addr, "dev", Interface)
		Sh(t, "ip", "-n", ns, "link", "set", Interface, "multicast", "on")
		Sh(t, "ip", "-n", ns, "link", "set", Interface, "up")
	}
	return l
}

//go:build linux

package netnstest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func namespaces(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("ip", "netns", "list").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return string(out)
}

// The guarantees of doc.go: names unique per process and carrying the pid,
// and every namespace and program gone once the test that made it ends.
func TestLANNamesAndCleanup(t *testing.T) {
	Need(t)
	var lans []*LAN
	var run *Proc
	t.Run("build", func(t *testing.T) {
		lans = append(lans, NewLAN(t, "a", "b"), NewLAN(t, "a", "b"))
		run = Start(t, "sleeper", Command(context.Background(), lans[0].A, "sleep", "60"), nil)
		list := namespaces(t)
		for _, l := range lans {
			assert.Contains(t, list, l.A)
			assert.Contains(t, list, l.B)
		}
	})
	require.Len(t, lans, 2)
	assert.NotEqual(t, lans[0].A, lans[1].A, "two LANs of one process")
	assert.True(t, strings.HasPrefix(lans[0].A, fmt.Sprintf("kyso-a-%d-", os.Getpid())), lans[0].A)
	select {
	case <-run.Done():
	default:
		t.Fatal("the program outlived its test")
	}
	list := namespaces(t)
	for _, l := range lans {
		assert.NotContains(t, list, l.A)
		assert.NotContains(t, list, l.B)
	}
}

// Stop reports the exit status rather than judging it; Kill is a no-op on
// an exited program.
func TestProcStopAndKill(t *testing.T) {
	l := NewLAN(t, "a", "b")
	cases := []struct {
		name   string
		script string
		clean  bool // exit 0 on SIGTERM
	}{
		{"traps SIGTERM and exits 0, as the programs do", `trap 'exit 0' TERM; while :; do sleep 0.05; done`, true},
		{"dies of SIGTERM: a status the caller must see", `exec sleep 60`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := &SyncBuffer{}
			cmd := Command(context.Background(), l.A, "sh", "-c", "echo up; "+tc.script)
			cmd.Stdout = out
			p := Start(t, tc.name, cmd, nil)
			require.Eventually(t, func() bool { return strings.Contains(out.String(), "up") }, 5*time.Second, 10*time.Millisecond)
			err := p.Stop(5 * time.Second)
			if tc.clean {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
			p.Kill() // must not block
		})
	}
}

// DialIn opens its socket inside the namespace: a listener on the test's
// own loopback is out of its reach.
func TestDialInStaysInNamespace(t *testing.T) {
	l := NewLAN(t, "a", "b")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := DialIn(l.A)(ctx, "tcp", ln.Addr().String())
	if c != nil {
		c.Close()
	}
	require.True(t, errors.Is(err, syscall.ECONNREFUSED), "want connection refused inside %s, got %v", l.A, err)
	c, err = (&net.Dialer{}).DialContext(ctx, "tcp", ln.Addr().String())
	require.NoError(t, err, "the test's own namespace is untouched")
	c.Close()
}

func TestTail(t *testing.T) {
	assert.Equal(t, "abc", Tail("abc", 3), "short enough: unchanged")
	assert.Equal(t, "…bc", Tail("abc", 2), "cut, and marked as cut")
}

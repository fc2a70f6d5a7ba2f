//go:build linux

package netnstest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Command runs argv inside namespace ns. `ip netns exec` execs it, so
// signals sent to the command reach the program itself.
func Command(ctx context.Context, ns string, argv ...string) *exec.Cmd {
	return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", ns}, argv...)...)
}

// Proc is a started program, reaped in the background.
type Proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // set before done is closed
}

// Start starts cmd, built and wired by the caller (Command), and kills it,
// if still running, when the test ends. read, when not nil, runs in the
// reaping goroutine first and must consume what the caller opened with
// cmd.StdoutPipe or StderrPipe until EOF: os/exec forbids reaping before
// those reads are done.
func Start(t testing.TB, name string, cmd *exec.Cmd, read func()) *Proc {
	t.Helper()
	p := &Proc{t: t, name: name, cmd: cmd, done: make(chan struct{})}
	require.NoError(t, cmd.Start(), "start %s", name)
	go func() {
		if read != nil {
			read()
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.Kill)
	return p
}

// Done is closed once the program has exited and been reaped.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Err is the program's exit error; read it only after Done is closed.
func (p *Proc) Err() error { return p.err }

// Signal sends sig to the program.
func (p *Proc) Signal(sig os.Signal) error { return p.cmd.Process.Signal(sig) }

// Kill ends the program with SIGKILL (no goodbye) unless it has exited,
// and waits until it is reaped.
func (p *Proc) Kill() {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Stop is an operator's clean stop: SIGTERM, and the test fails unless the
// program exits within timeout. It returns the exit error, for the caller
// to require nil with the program's output, read once it has exited.
func (p *Proc) Stop(timeout time.Duration) error {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("%s did not stop within %v of SIGTERM", p.name, timeout)
	}
	return p.err
}

// SyncBuffer collects a program's output for the failure log; the program
// writes while the test reads.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Tail is the last n bytes of s, marked as cut when it is, so that a
// failure log stays readable.
func Tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// process is a kiosk or ward started by the tool, in its own process group.
type process struct {
	name    string
	cmd     *exec.Cmd
	base    string // http://127.0.0.1:PORT
	port    int
	log     string
	started time.Time
	done    chan struct{}
	waitErr error
	traced  bool // runs under strace: the program is a child of cmd
}

// procSpec says what to start.
type procSpec struct {
	name string
	bin  string
	args []string // without --listen
	log  string
	// fsyncDelay, when positive, runs the program under strace with every
	// fsync/fdatasync/msync held that long: a slow SD card on a fast disk.
	fsyncDelay time.Duration
	// cgroup, when set, starts the program inside that memory cgroup.
	cgroup *memCgroup
	// env replaces the program's environment when not nil.
	env []string
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// syncSyscalls are what Badger (through ristretto's z.Msync and os.File.Sync)
// calls to make a write durable.
const syncSyscalls = "fsync,fdatasync,msync,sync_file_range"

func straceArgs(delay time.Duration) []string {
	us := max(1, delay.Microseconds())
	return []string{"-f", "--seccomp-bpf", "-qq", "-o", "/dev/null",
		"-e", "trace=" + syncSyscalls, "-e", fmt.Sprintf("inject=%s:delay_exit=%d", syncSyscalls, us)}
}

// straceWorks reports whether ptrace-based delay injection is usable here.
func straceWorks(ctx context.Context) error {
	path, err := exec.LookPath("strace")
	if err != nil {
		return errors.New("strace is not installed (apt-get install strace)")
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	args := append(straceArgs(time.Millisecond), "--", "true")
	if out, err := exec.CommandContext(ctx, path, args...).CombinedOutput(); err != nil {
		return fmt.Errorf("strace cannot trace here: %v: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

func startProcess(spec procSpec) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--listen", "127.0.0.1:" + strconv.Itoa(port)}, spec.args...)
	name, argv := spec.bin, args
	if spec.fsyncDelay > 0 {
		name = "strace"
		argv = append(append(straceArgs(spec.fsyncDelay), "--", spec.bin), args...)
	}
	if spec.cgroup != nil {
		name, argv = spec.cgroup.wrap(name, argv)
	}
	cmd := exec.Command(name, argv...)
	cmd.Env = spec.env
	logf, err := os.OpenFile(spec.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group: stop signals reach the program (and strace) and
	// nothing else. Pdeathsig: a killed tool leaves no kiosk behind.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	p := &process{name: spec.name, cmd: cmd, base: "http://127.0.0.1:" + strconv.Itoa(port), port: port,
		log: spec.log, done: make(chan struct{}), traced: spec.fsyncDelay > 0}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", spec.name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// waitReady polls path until it answers 200; it returns the time since exec.
func (p *process) waitReady(ctx context.Context, path string, timeout time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			return 0, fmt.Errorf("%s exited during start-up (%v); log: %s", p.name, p.waitErr, p.tail())
		case <-ctx.Done():
			return 0, ctx.Err()
		default:
		}
		resp, err := client.Get(p.base + path)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(p.started), nil
			}
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0, fmt.Errorf("%s not ready after %v; log: %s", p.name, timeout, p.tail())
}

// tail returns the end of the process log for error messages.
func (p *process) tail() string {
	b, _ := os.ReadFile(p.log)
	if len(b) > 800 {
		b = b[len(b)-800:]
	}
	return strings.TrimSpace(string(b))
}

// stop ends the process group: SIGTERM, then SIGKILL after 10 s.
func (p *process) stop() error {
	select {
	case <-p.done:
		return nil
	default:
	}
	pgid := p.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(10 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-p.done
	return fmt.Errorf("%s ignored SIGTERM for 10 s", p.name)
}

// pid is the program's own pid (under strace, strace's first child).
func (p *process) pid() int {
	if !p.traced {
		return p.cmd.Process.Pid
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", p.cmd.Process.Pid, p.cmd.Process.Pid))
	if err != nil {
		return p.cmd.Process.Pid
	}
	if f := strings.Fields(string(b)); len(f) > 0 {
		if n, err := strconv.Atoi(f[0]); err == nil {
			return n
		}
	}
	return p.cmd.Process.Pid
}

// rssKB reads VmRSS of the program.
func (p *process) rssKB() (int, error) {
	m, err := memOf(p.pid())
	if err != nil {
		return 0, err
	}
	kb, ok := m["VmRSS"]
	if !ok {
		return 0, errors.New("no VmRSS")
	}
	return kb, nil
}

// mem reads the kB lines of /proc/PID/status: VmRSS, RssAnon, RssFile, VmHWM.
func (p *process) mem() (map[string]int, error) { return memOf(p.pid()) }

func memOf(pid int) (map[string]int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, err
	}
	m := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		f := strings.Fields(v)
		if ok && len(f) == 2 && f[1] == "kB" {
			if n, err := strconv.Atoi(f[0]); err == nil {
				m[k] = n
			}
		}
	}
	return m, nil
}

// cpuSeconds is user+system time of the program so far.
func (p *process) cpuSeconds() float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid()))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(s[i+1:])
	// fields after ")": state(0) ppid(1) ... utime(11) stime(12)
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}

// kioskArgs are the benchmark flags of the brief.
func kioskArgs(data string, extra ...string) []string {
	return append([]string{"--data", data, "--id", kioskID, "--pin", benchPIN, "--token", benchToken,
		"--join-limit", "0", "--mdns=false", "--desks", "3"}, extra...)
}

const (
	kioskID    = "bench"
	benchPIN   = "123456"
	benchToken = "bench-token-0123456789abcdef"
)

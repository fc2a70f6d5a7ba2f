package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/valyala/fasthttp"

	"github.com/kyso-vn/kyso/internal/kv"
	"github.com/kyso-vn/kyso/internal/kv/badgerkv"
)

// joinSection: durable joins through the real kiosk at each concurrency,
// each beside raw Badger synchronous writes at the same concurrency, taken
// in the same run. Then, when strace can hold fsyncs, the same with a slow
// disk.
func (e *env) joinSection(ctx context.Context) error {
	levels := []int{1, 16, 64}
	if e.cfg.Quick {
		levels = []int{1, 16}
	}
	sec := &JoinSection{Seconds: e.cfg.Duration.Seconds()}
	e.res.Join = sec
	for _, c := range levels {
		run, err := e.joinRun(ctx, c, e.cfg.Duration, 0)
		if err != nil {
			return err
		}
		sec.Runs = append(sec.Runs, run)
		e.log.Info("join", "clients", c, "joins_per_s", run.PerSec, "raw_per_s", run.RawPerSec, "ratio", run.Ratio)
	}
	if e.cfg.Quick || len(e.cfg.Delays) == 0 {
		return nil
	}
	if err := straceWorks(ctx); err != nil {
		sec.DelayMethod = "not run: " + err.Error()
		return nil
	}
	sec.DelayMethod = "strace --seccomp-bpf -e inject=" + syncSyscalls + ":delay_exit=D on the kiosk and on a raw-Badger child process: each durable commit waits D longer, as on an SD card"
	dur := max(e.cfg.Duration/2, 3*time.Second)
	for _, mult := range e.cfg.Delays {
		delay := time.Duration(mult * float64(max(e.fsync, 100*time.Microsecond)))
		delay = delay.Round(100 * time.Microsecond)
		for _, c := range levels {
			run, err := e.joinRun(ctx, c, dur, delay)
			if err != nil {
				return err
			}
			sec.Delayed = append(sec.Delayed, run)
			e.log.Info("join with slow fsync", "delay", delay, "clients", c, "joins_per_s", run.PerSec, "raw_per_s", run.RawPerSec, "ratio", run.Ratio)
		}
	}
	return nil
}

// joinRun measures one concurrency level: a fresh kiosk and a fresh raw
// store, measured in alternating slices so that both sides see the same
// background load and the same point in Badger's flush/compaction cycle.
func (e *env) joinRun(ctx context.Context, clients int, dur, delay time.Duration) (JoinRun, error) {
	run := JoinRun{Clients: clients, FsyncDelayMs: ms(delay)}
	tag := fmt.Sprintf("join-c%d-d%d", clients, delay.Microseconds())
	data := filepath.Join(e.work, tag)
	rawDir := filepath.Join(e.work, tag+"-raw")
	defer os.RemoveAll(data)
	defer os.RemoveAll(rawDir)
	p, err := startProcess(procSpec{name: "kiosk", bin: e.kiosk, args: kioskArgs(data), log: filepath.Join(e.work, tag+".log"), fsyncDelay: delay})
	if err != nil {
		return run, err
	}
	defer p.stop()
	if _, err := p.waitReady(ctx, "/healthz", 30*time.Second); err != nil {
		return run, err
	}
	var raw rawStore
	if delay > 0 {
		raw, err = startRawChild(rawDir, delay)
	} else {
		raw, err = openRaw(rawDir)
	}
	if err != nil {
		return run, fmt.Errorf("raw badger: %w", err)
	}
	defer raw.close()

	rounds := 5
	if e.cfg.Quick {
		rounds = 1
	}
	slice := dur / time.Duration(rounds)
	load := newJoinLoad(p.base, clients)
	defer load.close()
	load.warm()
	var joinLat, rawLat []time.Duration
	var joinEl, rawEl time.Duration
	errs := map[string]int{}
	for range rounds {
		cpu0, tool0 := p.cpuSeconds(), selfCPU()
		lat, el, errsNow := load.run(ctx, slice)
		run.KioskCPU += p.cpuSeconds() - cpu0
		run.ClientCPU += selfCPU() - tool0
		joinLat, joinEl = append(joinLat, lat...), joinEl+el
		for k, v := range errsNow {
			errs[k] += v
		}
		rs, err := raw.slice(ctx, clients, slice)
		if err != nil {
			return run, fmt.Errorf("raw badger: %w", err)
		}
		rawLat, rawEl = append(rawLat, rs.lat...), rawEl+rs.elapsed
	}
	run.KioskCPU, run.ClientCPU = round(run.KioskCPU, 2), round(run.ClientCPU, 2)
	run.Joins = len(joinLat)
	if len(errs) > 0 {
		run.Errors = errs
	}
	if run.Joins == 0 {
		return run, fmt.Errorf("no join succeeded at %d clients: %v; log: %s", clients, errs, p.tail())
	}
	run.PerSec = round(float64(run.Joins)/joinEl.Seconds(), 1)
	sortDurations(joinLat)
	run.P50Ms, run.P99Ms = ms(percentile(joinLat, .5)), ms(percentile(joinLat, .99))
	run.RawWrites = len(rawLat)
	run.RawPerSec = round(float64(run.RawWrites)/rawEl.Seconds(), 1)
	sortDurations(rawLat)
	run.RawP50Ms, run.RawP99Ms = ms(percentile(rawLat, .5)), ms(percentile(rawLat, .99))
	if run.RawPerSec > 0 {
		run.Ratio = round(run.PerSec/run.RawPerSec, 3)
	}
	return run, nil
}

// joinLoad is a crowd of phones joining as fast as the kiosk answers. It
// uses fasthttp's client: on the 2-core bench machine the load generator
// shares the kiosk's cores, and phones do not, so the client should take
// as little of them as it can.
type joinLoad struct {
	url     string
	clients int
	client  *fasthttp.Client
	gen     *citizens
}

func newJoinLoad(base string, clients int) *joinLoad {
	return &joinLoad{url: base + "/api/v1/tickets", clients: clients, gen: newCitizens(0),
		client: &fasthttp.Client{MaxConnsPerHost: clients, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}}
}

func (l *joinLoad) close() { l.client.CloseIdleConnections() }

// join posts one citizen and returns the status code.
func (l *joinLoad) join() (int, error) {
	body, _ := json.Marshal(joinOf(l.gen.take()))
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(l.url)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/json")
	req.SetBodyRaw(body)
	if err := l.client.Do(req, resp); err != nil {
		return 0, err
	}
	return resp.StatusCode(), nil
}

// warm opens every client's connection with one unmeasured join.
func (l *joinLoad) warm() {
	var wg sync.WaitGroup
	for range l.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = l.join()
		}()
	}
	wg.Wait()
}

// run joins for dur from every client at once.
func (l *joinLoad) run(ctx context.Context, dur time.Duration) (lat []time.Duration, elapsed time.Duration, errs map[string]int) {
	errs = map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	t0 := time.Now()
	deadline := t0.Add(dur)
	for range l.clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var my []time.Duration
			myErr := map[string]int{}
			for ctx.Err() == nil && time.Now().Before(deadline) {
				s := time.Now()
				code, err := l.join()
				d := time.Since(s)
				switch {
				case err != nil:
					myErr["transport"]++
				case code != http.StatusCreated:
					myErr[strconv.Itoa(code)]++
				default:
					my = append(my, d)
				}
			}
			mu.Lock()
			lat = append(lat, my...)
			for k, v := range myErr {
				errs[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return lat, time.Since(t0), errs
}

func postJoin(ctx context.Context, client *http.Client, base string, gen *citizens) (int, error) {
	body, _ := json.Marshal(joinOf(gen.take()))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/tickets", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

// rawSlice is one slice of the raw Badger baseline.
type rawSlice struct {
	lat     []time.Duration
	elapsed time.Duration
}

// rawStore is Badger opened with the kiosk's options, in this process or
// in a child process whose fsyncs strace slows down.
type rawStore interface {
	slice(ctx context.Context, clients int, dur time.Duration) (rawSlice, error)
	close() error
}

// localRaw runs in the tool's process.
type localRaw struct {
	db   *badger.DB
	val  []byte
	next int
}

func openRaw(dir string) (*localRaw, error) {
	db, err := badger.Open(badgerkv.BadgerOptions(kv.Options{Dir: dir}))
	if err != nil {
		return nil, err
	}
	val := make([]byte, 300)
	rand.Read(val)
	return &localRaw{db: db, val: val}, nil
}

func (r *localRaw) close() error { return r.db.Close() }

// slice has clients goroutines each commit one 300-byte value per
// synchronous transaction for dur.
func (r *localRaw) slice(ctx context.Context, clients int, dur time.Duration) (rawSlice, error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var all []time.Duration
	var firstErr error
	r.next++
	t0 := time.Now()
	deadline := t0.Add(dur)
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var my []time.Duration
			var err error
			for i := 0; ctx.Err() == nil && time.Now().Before(deadline); i++ {
				key := []byte(fmt.Sprintf("bench/%04d/%03d/%012d", r.next, w, i))
				s := time.Now()
				if err = r.db.Update(func(txn *badger.Txn) error { return txn.Set(key, r.val) }); err != nil {
					break
				}
				my = append(my, time.Since(s))
			}
			mu.Lock()
			all = append(all, my...)
			if err != nil && firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return rawSlice{lat: all, elapsed: time.Since(t0)}, firstErr
}

// rawChildCmd is the hidden sub-command that serves raw slices to the
// parent over stdin/stdout, so that strace can slow its fsyncs like the
// kiosk's: each input line "CLIENTS DURATION" runs one slice and answers
// one JSON line of latencies in microseconds.
const rawChildCmd = "__raw-badger"

type rawReply struct {
	LatUS     []int64 `json:"lat_us"`
	ElapsedUS int64   `json:"elapsed_us"`
	Err       string  `json:"err,omitempty"`
}

func rawChild(args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet(rawChildCmd, flag.ContinueOnError)
	dir := fs.String("dir", "", "store directory")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := openRaw(*dir)
	if err != nil {
		return err
	}
	defer r.close()
	enc := json.NewEncoder(out)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		var clients int
		var dur time.Duration
		if _, err := fmt.Sscanf(sc.Text(), "%d %d", &clients, &dur); err != nil {
			return fmt.Errorf("bad command %q: %w", sc.Text(), err)
		}
		s, err := r.slice(context.Background(), clients, dur)
		rep := rawReply{ElapsedUS: s.elapsed.Microseconds()}
		for _, d := range s.lat {
			rep.LatUS = append(rep.LatUS, d.Microseconds())
		}
		if err != nil {
			rep.Err = err.Error()
		}
		if err := enc.Encode(rep); err != nil {
			return err
		}
	}
	return sc.Err()
}

// childRaw drives rawChild under strace.
type childRaw struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startRawChild(dir string, delay time.Duration) (*childRaw, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	args := append(straceArgs(delay), "--", self, rawChildCmd, "-dir", dir)
	cmd := exec.Command("strace", args...)
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return &childRaw{cmd: cmd, in: in, out: bufio.NewReaderSize(out, 1<<20)}, nil
}

func (c *childRaw) slice(ctx context.Context, clients int, dur time.Duration) (rawSlice, error) {
	if _, err := fmt.Fprintf(c.in, "%d %d\n", clients, int64(dur)); err != nil {
		return rawSlice{}, err
	}
	line, err := c.out.ReadBytes('\n')
	if err != nil {
		return rawSlice{}, fmt.Errorf("raw child: %w", err)
	}
	var rep rawReply
	if err := json.Unmarshal(line, &rep); err != nil {
		return rawSlice{}, err
	}
	if rep.Err != "" {
		return rawSlice{}, fmt.Errorf("raw child: %s", rep.Err)
	}
	s := rawSlice{elapsed: time.Duration(rep.ElapsedUS) * time.Microsecond}
	for _, us := range rep.LatUS {
		s.lat = append(s.lat, time.Duration(us)*time.Microsecond)
	}
	return s, nil
}

func (c *childRaw) close() error {
	c.in.Close() // EOF: the child closes its store and exits
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		return <-done
	}
}

// selfCPU is the user+system time this process has used, in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/kyso-vn/kyso/queue"
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

// joinRun measures one concurrency level: a fresh kiosk, then a fresh raw store.
func (e *env) joinRun(ctx context.Context, clients int, dur, delay time.Duration) (JoinRun, error) {
	run := JoinRun{Clients: clients, FsyncDelayMs: ms(delay)}
	tag := fmt.Sprintf("join-c%d-d%d", clients, delay.Microseconds())
	data := filepath.Join(e.work, tag)
	p, err := startProcess(procSpec{name: "kiosk", bin: e.kiosk, args: kioskArgs(data), log: filepath.Join(e.work, tag+".log"), fsyncDelay: delay})
	if err != nil {
		return run, err
	}
	defer p.stop()
	if _, err := p.waitReady(ctx, "/healthz", 30*time.Second); err != nil {
		return run, err
	}
	cpu0 := p.cpuSeconds()
	lat, n, errs, elapsed := joinLoad(ctx, p.base, clients, dur, newCitizens(0))
	run.KioskCPU = round(p.cpuSeconds()-cpu0, 2)
	p.stop()
	os.RemoveAll(data)
	run.Joins, run.Errors = n, errs
	run.PerSec = round(float64(n)/elapsed.Seconds(), 1)
	sortDurations(lat)
	run.P50Ms, run.P99Ms = ms(percentile(lat, .5)), ms(percentile(lat, .99))
	if n == 0 {
		return run, fmt.Errorf("no join succeeded at %d clients: %v; log: %s", clients, errs, p.tail())
	}

	rawDir := filepath.Join(e.work, tag+"-raw")
	var raw rawResult
	if delay > 0 {
		raw, err = rawInChild(ctx, rawDir, clients, dur, delay)
	} else {
		raw, err = rawBadger(ctx, rawDir, clients, dur)
	}
	os.RemoveAll(rawDir)
	if err != nil {
		return run, fmt.Errorf("raw badger: %w", err)
	}
	run.RawWrites, run.RawPerSec, run.RawP50Ms, run.RawP99Ms = raw.Writes, raw.PerSec, raw.P50Ms, raw.P99Ms
	if raw.PerSec > 0 {
		run.Ratio = round(run.PerSec/raw.PerSec, 3)
	}
	return run, nil
}

// joinLoad has clients citizens join as fast as the kiosk answers for dur.
// Each client first joins once unmeasured, so connection set-up is not in
// the numbers.
func joinLoad(ctx context.Context, base string, clients int, dur time.Duration, gen *citizens) (lat []time.Duration, n int, errs map[string]int, elapsed time.Duration) {
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxIdleConns: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	errs = map[string]int{}
	var mu sync.Mutex
	var ready, wg sync.WaitGroup
	startGate := make(chan struct{})
	var deadline time.Time
	ready.Add(clients)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = postJoin(ctx, client, base, gen)
			ready.Done()
			<-startGate
			var my []time.Duration
			myErr := map[string]int{}
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				code, err := postJoin(ctx, client, base, gen)
				d := time.Since(t0)
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
	ready.Wait()
	t0 := time.Now()
	deadline = t0.Add(dur)
	close(startGate)
	wg.Wait()
	elapsed = time.Since(t0)
	if len(errs) == 0 {
		errs = nil
	}
	return lat, len(lat), errs, elapsed
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

// rawResult is the raw Badger baseline.
type rawResult struct {
	Writes int     `json:"writes"`
	PerSec float64 `json:"per_s"`
	P50Ms  float64 `json:"p50_ms"`
	P99Ms  float64 `json:"p99_ms"`
}

// rawBadger opens Badger with the kiosk's options (synchronous writes) and
// has clients goroutines each commit one 300-byte value per transaction.
func rawBadger(ctx context.Context, dir string, clients int, dur time.Duration) (rawResult, error) {
	db, err := badger.Open(queue.BadgerOptions(dir, nil))
	if err != nil {
		return rawResult{}, err
	}
	defer db.Close()
	val := make([]byte, 300)
	rand.Read(val)
	var mu sync.Mutex
	var wg sync.WaitGroup
	var all []time.Duration
	var firstErr error
	deadline := time.Now().Add(dur)
	t0 := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var my []time.Duration
			var err error
			for i := 0; ctx.Err() == nil && time.Now().Before(deadline); i++ {
				key := []byte(fmt.Sprintf("bench/%03d/%012d", w, i))
				s := time.Now()
				if err = db.Update(func(txn *badger.Txn) error { return txn.Set(key, val) }); err != nil {
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
	elapsed := time.Since(t0)
	if firstErr != nil {
		return rawResult{}, firstErr
	}
	sortDurations(all)
	return rawResult{Writes: len(all), PerSec: round(float64(len(all))/elapsed.Seconds(), 1),
		P50Ms: ms(percentile(all, .5)), P99Ms: ms(percentile(all, .99))}, nil
}

// rawChildCmd is the hidden sub-command that runs rawBadger in a child
// process, so that strace can slow its fsyncs like the kiosk's.
const rawChildCmd = "__raw-badger"

func rawChild(args []string, out io.Writer) error {
	fs := flag.NewFlagSet(rawChildCmd, flag.ContinueOnError)
	dir := fs.String("dir", "", "store directory")
	clients := fs.Int("clients", 1, "concurrent writers")
	dur := fs.Duration("duration", time.Second, "how long")
	if err := fs.Parse(args); err != nil {
		return err
	}
	r, err := rawBadger(context.Background(), *dir, *clients, *dur)
	if err != nil {
		return err
	}
	return json.NewEncoder(out).Encode(r)
}

func rawInChild(ctx context.Context, dir string, clients int, dur, delay time.Duration) (rawResult, error) {
	self, err := os.Executable()
	if err != nil {
		return rawResult{}, err
	}
	args := append(straceArgs(delay), "--", self, rawChildCmd, "-dir", dir, "-clients", strconv.Itoa(clients), "-duration", dur.String())
	ctx, cancel := context.WithTimeout(ctx, dur+2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "strace", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return rawResult{}, fmt.Errorf("%v: %s", err, stderr.String())
	}
	var r rawResult
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("raw child said %q: %w", b, err)
	}
	if math.IsNaN(r.PerSec) {
		r.PerSec = 0
	}
	return r, nil
}

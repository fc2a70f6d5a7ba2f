package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
)

// cgroupLimit is the memory of the small machine the kiosk must also run on:
// a 512 MB cgroup (a Pi 3's RAM, or a container with that limit).
const cgroupLimit = 512 << 20

// todayMix is how a long flood day stands when the kiosk restarts: most
// tickets finished, a few thousand still in line, one citizen at each desk.
type todayMix struct {
	Tickets   int `json:"tickets"`
	Waiting   int `json:"waiting"`
	Called    int `json:"called"`
	Activated int `json:"activated"`
	Failed    int `json:"failed"`
	NoShow    int `json:"no_show"`
}

func mixOf(n, desks int) todayMix {
	m := todayMix{Tickets: n, Waiting: n / 40, Called: min(desks, n/40)}
	finished := n - m.Waiting - m.Called
	m.NoShow = finished / 20
	m.Failed = (finished - m.NoShow) / 7
	m.Activated = finished - m.NoShow - m.Failed
	return m
}

// seedToday creates <data>/store holding today's tickets in the mix of n,
// through package queue as the volunteer API makes them: join, call to a
// desk, then complete (activated or failed) or no-show; the last called
// stay at their desks and the last joined stay in line. Times run from the
// start of today (Vietnam) to now, so the kiosk loads them as today's.
func seedToday(data string, n, desks int) (todayMix, error) {
	m := mixOf(n, desks)
	now := time.Now()
	start := time.Date(now.In(clock.Vietnam).Year(), now.In(clock.Vietnam).Month(), now.In(clock.Vietnam).Day(), 0, 0, 1, 0, clock.Vietnam)
	step := now.Add(-2*time.Second).Sub(start) / time.Duration(3*n+1)
	clk := &seedClock{now: start}
	tick := func() { clk.set(clk.now.Add(step)) }
	q, err := queue.Open(queue.Options{Dir: filepath.Join(data, "store"), KioskID: kioskID, Desks: desks, Clock: clk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return m, err
	}
	fail := func(err error) (todayMix, error) {
		q.Close()
		return m, err
	}
	finished := m.Activated + m.Failed + m.NoShow
	for i := range n {
		tick()
		c := citizenAt(int64(30_000_000 + i))
		t, err := q.Join(queue.Join{Citizen: c, ConsentVersion: "bench", ConsentBy: "citizen", Token: strconv.Itoa(i)})
		if err != nil {
			return fail(fmt.Errorf("seed join %d: %w", i, err))
		}
		if i >= finished+m.Called {
			continue // still in line
		}
		desk := 1 + i%desks
		tick()
		called, ok, err := q.CallNext(desk, "Bàn "+strconv.Itoa(desk))
		if err != nil || !ok || called.ID != t.ID {
			return fail(fmt.Errorf("seed call %d: ok=%v err=%v", i, ok, err))
		}
		if i >= finished {
			continue // at a desk now
		}
		tick()
		switch {
		case i%20 == 19 && i/20 < m.NoShow:
			_, err = q.NoShow(t.ID)
		default:
			comp := queue.Completion{Outcome: record.OutcomeActivated, Desk: desk}
			if i%7 == 3 {
				comp.Outcome, comp.Reason = record.OutcomeFailed, "no_email"
			}
			_, err = q.Complete(t.ID, comp)
		}
		if err != nil {
			return fail(fmt.Errorf("seed finish %d: %w", i, err))
		}
	}
	snap := q.Snapshot()
	if snap.Waiting != m.Waiting || snap.Tonight.Joined != n {
		return fail(fmt.Errorf("seeded %d joined, %d waiting; want %d, %d", snap.Tonight.Joined, snap.Waiting, n, m.Waiting))
	}
	// The actual outcome counts: the i%20 / i%7 pattern is close to mixOf, not exact.
	m.Activated, m.Failed, m.NoShow = snap.Tonight.Activated, snap.Tonight.Failed, snap.Tonight.NoShow
	// A day's tickets arrive over hours and Badger compacts as they come; a
	// bulk load leaves a backlog of level-0 tables whose compaction would
	// then run during the measured start (5–9 s to /healthz and 305–350 MB
	// peak RSS at 100k on a loaded machine, against 1.5–3.4 s and 130 MB
	// settled). Settle it.
	if err := q.Compact(); err != nil {
		return fail(fmt.Errorf("settle: %w", err))
	}
	return m, q.Close()
}

// todayTemplates caches seeded stores for the run, on tmpfs when there is
// one (fsync is not what is measured here), and hands out copies on the
// real disk, dropped from the page cache.
type todayTemplates struct {
	dir  string
	log  *slog.Logger
	done map[int]todaySeed
}

type todaySeed struct {
	dir string
	mix todayMix
	dur time.Duration
}

// todayTemplate returns the seeded store of n tickets, seeding every size
// in also that is not there yet at the same time (one core each: seeding is
// serial inside a queue).
func (e *env) todayTemplate(n int, also ...int) (todaySeed, error) {
	if e.today == nil {
		e.today = &todayTemplates{dir: filepath.Join(e.seedT.dir, "today"), log: e.log, done: map[int]todaySeed{}}
	}
	t := e.today
	if s, ok := t.done[n]; ok {
		return s, nil
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	todo := map[int]bool{}
	for _, k := range append([]int{n}, also...) {
		if _, ok := t.done[k]; ok || todo[k] {
			continue // seeded, or already being seeded: two seeders must never share a dir
		}
		todo[k] = true
		wg.Add(1)
		go func() {
			defer wg.Done()
			dir := filepath.Join(t.dir, strconv.Itoa(k))
			os.RemoveAll(dir)
			t0 := time.Now()
			mix, err := seedToday(dir, k, 3)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				firstErr = cmp.Or(firstErr, err)
				return
			}
			s := todaySeed{dir: dir, mix: mix, dur: time.Since(t0)}
			t.done[k] = s
			t.log.Info("seeded today's tickets", "tickets", k, "seconds", round(s.dur.Seconds(), 1), "on", fsType(dir))
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return todaySeed{}, firstErr
	}
	for k := range todo {
		if e.cfg.Quick {
			break // a smoke run: the seeded store as it is
		}
		if err := e.warmUp(t.done[k]); err != nil {
			return todaySeed{}, err
		}
	}
	return t.done[n], nil
}

// warmUp runs the kiosk once on a freshly seeded store and stops it as an
// operator would: what a restart finds is a store a kiosk has run on (its
// checkpoints written at shutdown), not one only the seeder wrote.
func (e *env) warmUp(seed todaySeed) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	p, err := startProcess(procSpec{name: "kiosk", bin: e.kiosk, args: kioskArgs(seed.dir), log: seed.dir + ".warm.log", env: benchEnv()})
	if err != nil {
		return err
	}
	defer p.stop()
	if _, err := waitBoard(ctx, p, seed.mix, 2*time.Minute); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	return p.stop()
}

// RestartSection: a kiosk restarted in the middle of a long flood day.
type RestartSection struct {
	Method string         `json:"method"`
	Points []RestartPoint `json:"points"`
	// Cgroup is where the 512 MB runs were made, or why they were not.
	Cgroup string `json:"cgroup"`
}

// RestartPoint is one day size.
type RestartPoint struct {
	Mix    todayMix   `json:"mix"`
	Load   string     `json:"loadavg"` // /proc/loadavg before the first run: other work on the machine
	SeedS  float64    `json:"seed_s"`
	DataMB float64    `json:"data_mb"`
	Auto   []StartRun `json:"auto"`             // default memory limit (auto: half this machine's memory)
	InCg   []StartRun `json:"cgroup,omitempty"` // inside the 512 MB memory cgroup
}

// StartRun is one exec of the kiosk on a copy of the store.
type StartRun struct {
	HealthzMs  float64 `json:"healthz_ms"` // exec → first 200 from /healthz
	BoardMs    float64 `json:"board_ms"`   // exec → /api/v1/board answers with the day's counters
	LimitMiB   int     `json:"memory_limit_mib"`
	LimitWhy   string  `json:"memory_limit_why"`
	CPUHealthz float64 `json:"cpu_s_healthz"` // the kiosk's user+system CPU seconds by then: what start-up costs, whatever else the machine runs
	CPUBoard   float64 `json:"cpu_s_board"`
	PeakRSSMB  float64 `json:"peak_rss_mb"`              // VmHWM once the board answered
	CgPeakMB   float64 `json:"cgroup_peak_mb,omitempty"` // the cgroup's max usage (anon + page cache)
	GCs        int     `json:"gc_cycles"`                // gctrace lines by then
	GCPercent  float64 `json:"gc_percent"`               // gctrace's share of time in GC since start, last cycle
}

func worst(runs []StartRun) (board, healthz float64) {
	for _, r := range runs {
		board, healthz = max(board, r.BoardMs), max(healthz, r.HealthzMs)
	}
	return board, healthz
}

// restartSection: exec the kiosk on a store holding today's 100k and 160k
// tickets, three times each with the default limit and three times in a
// 512 MB memory cgroup.
func (e *env) restartSection(ctx context.Context) error {
	counts, runs := []int{100_000, 160_000}, 3
	if e.cfg.Quick {
		counts, runs = []int{2_000}, 1
	}
	sec := &RestartSection{Method: "kiosk exec on a copy of the store (page cache dropped) to the first 200 of /healthz and of /api/v1/board with the seeded counters; GODEBUG=gctrace=1; GOMEMLIMIT and GOGC unset"}
	e.res.Restart = sec
	if _, _, err := memCgroupBase(); err != nil {
		sec.Cgroup = "not run: " + err.Error()
	} else {
		sec.Cgroup = fmt.Sprintf("%d MiB memory cgroup made for each run", cgroupLimit>>20)
	}
	for _, n := range counts {
		seed, err := e.todayTemplate(n, counts...)
		if err != nil {
			return err
		}
		pt := RestartPoint{Mix: seed.mix, SeedS: round(seed.dur.Seconds(), 1), DataMB: round(float64(dirSize(seed.dir))/(1<<20), 1)}
		pt.Load = loadAvg()
		for _, inCg := range []bool{false, true} {
			if inCg && (strings.HasPrefix(sec.Cgroup, "not run") || e.cfg.Quick) {
				continue // a smoke run: the cgroup section already starts a kiosk in one
			}
			for k := range runs {
				r, err := e.startOnce(ctx, seed, fmt.Sprintf("restart-%d-%v-%d", n, inCg, k), inCg)
				if err != nil {
					return err
				}
				if inCg {
					pt.InCg = append(pt.InCg, r)
				} else {
					pt.Auto = append(pt.Auto, r)
				}
				e.log.Info("restart", "tickets", n, "cgroup", inCg, "healthz_ms", r.HealthzMs, "board_ms", r.BoardMs,
					"cpu_s", r.CPUBoard, "limit_mib", r.LimitMiB, "peak_rss_mb", r.PeakRSSMB, "gcs", r.GCs)
			}
		}
		sec.Points = append(sec.Points, pt)
	}
	return nil
}

// benchEnv is the kiosk's environment: this one without the variables that
// would override --memory-limit auto or the GC's pacing, plus extra.
func benchEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k == "GOMEMLIMIT" || k == "GOGC" || k == "GODEBUG" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// startOnce copies the seeded store, execs the kiosk on it and measures.
func (e *env) startOnce(ctx context.Context, seed todaySeed, tag string, inCg bool) (StartRun, error) {
	var r StartRun
	data := filepath.Join(e.work, tag)
	defer os.RemoveAll(data)
	if err := copyTree(seed.dir, data); err != nil {
		return r, err
	}
	spec := procSpec{name: "kiosk", bin: e.kiosk, args: kioskArgs(data), log: filepath.Join(e.work, tag+".log"), env: benchEnv("GODEBUG=gctrace=1")}
	if inCg {
		cg, err := newMemCgroup(tag, cgroupLimit)
		if err != nil {
			return r, err
		}
		defer cg.remove()
		spec.cgroup = cg
	}
	p, err := startProcess(spec)
	if err != nil {
		return r, err
	}
	defer p.stop()
	up, err := p.waitReady(ctx, "/healthz", 2*time.Minute)
	if err != nil {
		return r, err
	}
	r.HealthzMs, r.CPUHealthz = ms(up), round(p.cpuSeconds(), 2)
	board, err := waitBoard(ctx, p, seed.mix, time.Minute)
	if err != nil {
		return r, err
	}
	r.BoardMs, r.CPUBoard = ms(board), round(p.cpuSeconds(), 2)
	if m, err := p.mem(); err == nil {
		r.PeakRSSMB = mb(m["VmHWM"])
	}
	log, _ := os.ReadFile(p.log)
	r.LimitMiB, r.LimitWhy = memoryLimitLogged(log)
	gcs := parseGCTrace(log)
	r.GCs = len(gcs)
	if len(gcs) > 0 {
		r.GCPercent = gcs[len(gcs)-1].percent
	}
	if spec.cgroup != nil {
		if pk := spec.cgroup.peak(); pk > 0 {
			r.CgPeakMB = round(float64(pk)/(1<<20), 1)
		}
	}
	if err := p.stop(); err != nil {
		return r, err
	}
	return r, nil
}

// waitBoard polls /api/v1/board until it answers with the seeded day; it
// returns the time since exec.
func waitBoard(ctx context.Context, p *process, mix todayMix, timeout time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(timeout)
	var last string
	for time.Now().Before(deadline) && ctx.Err() == nil {
		b, err := get(ctx, p.base+"/api/v1/board")
		if err == nil {
			at := time.Since(p.started)
			var s queue.Snapshot
			if err := json.Unmarshal(b, &s); err != nil {
				return 0, fmt.Errorf("board: %w", err)
			}
			if s.Tonight.Joined == mix.Tickets && s.Waiting == mix.Waiting {
				return at, nil
			}
			// The day rolled over (the run crossed midnight in Vietnam) or the store was not read.
			return 0, fmt.Errorf("board shows %d joined, %d waiting; seeded %d, %d", s.Tonight.Joined, s.Waiting, mix.Tickets, mix.Waiting)
		}
		last = err.Error()
		time.Sleep(2 * time.Millisecond)
	}
	return 0, fmt.Errorf("no board after %v: %s; log: %s", timeout, last, p.tail())
}

var memLimitLine = regexp.MustCompile(`msg="memory limit" mib=(\d+) why=("(?:[^"\\]|\\.)*"|\S+)`)

// memoryLimitLogged finds the kiosk's "memory limit" log line.
func memoryLimitLogged(log []byte) (int, string) {
	m := memLimitLine.FindSubmatch(log)
	if m == nil {
		return 0, "not logged"
	}
	n, _ := strconv.Atoi(string(m[1]))
	why := string(m[2])
	if u, err := strconv.Unquote(why); err == nil {
		why = u
	}
	return n, why
}

// gcCycle is one line of GODEBUG=gctrace=1.
type gcCycle struct {
	at      float64 // seconds since the process started
	percent float64 // share of time in GC since start
	cpuMs   float64 // CPU of this cycle: STW sweep + assist + background mark + STW mark termination (idle mark not counted)
}

var gcLine = regexp.MustCompile(`(?m)^gc \d+ @([\d.]+)s (\d+)%: [^,]*, ([\d.]+)\+([\d.]+)/([\d.]+)/([\d.]+)\+([\d.]+) ms cpu`)

func parseGCTrace(log []byte) []gcCycle {
	var out []gcCycle
	for _, m := range gcLine.FindAllSubmatch(log, -1) {
		f := func(i int) float64 { v, _ := strconv.ParseFloat(string(m[i]), 64); return v }
		out = append(out, gcCycle{at: f(1), percent: f(2), cpuMs: f(3) + f(4) + f(5) + f(7)})
	}
	return out
}

// printRestart writes the restart and cgroup rows of the human summary.
func printRestart(tw io.Writer, r *Results) {
	if rs := r.Restart; rs != nil {
		fmt.Fprintln(tw, "RESTART (today's tickets)\ttickets\twaiting\tlimit\thealthz ms\tboard ms\tCPU s\tpeak RSS MB\tcgroup peak MB\tGCs\t")
		for _, p := range rs.Points {
			for _, x := range append(append([]StartRun{}, p.Auto...), p.InCg...) {
				fmt.Fprintf(tw, "\t%d\t%d\t%d MiB\t%.0f\t%.0f\t%.2f\t%.0f\t%.0f\t%d\t\n", p.Mix.Tickets, p.Mix.Waiting, x.LimitMiB, x.HealthzMs, x.BoardMs, x.CPUBoard, x.PeakRSSMB, x.CgPeakMB, x.GCs)
			}
		}
		fmt.Fprintln(tw)
	}
	if c := r.Cgroup; c != nil {
		fmt.Fprintln(tw, "CGROUP LOAD\tstreams\tjoins/s sent\tp50 ms\tp99 ms\tfsync p99 ms\tsaturated joins/s\tp99 ms\tGC share\tGC/s\tpeak RSS MB\tcgroup peak MB\tOOM kills\talive\t")
		fmt.Fprintf(tw, "\t%d/%d\t%.0f\t%.1f\t%.1f\t%.1f\t%.0f (%d clients)\t%.0f\t%.1f%%\t%.2f\t%.0f\t%.0f\t%d\t%v\t\n", c.Connected, c.Subscribers, c.Rate, c.P50Ms, c.P99Ms, c.FsyncP99Ms, c.SatPerSec, c.SatClients, c.SatP99Ms, c.GCShare, c.GCPerSec, c.PeakRSSMB, c.CgPeakMB, c.OOMKills, c.Alive)
		fmt.Fprintln(tw)
	}
}

// markdownRestart writes the restart and cgroup paragraphs of the generated block.
func markdownRestart(w io.Writer, r *Results) {
	if rs := r.Restart; rs != nil {
		fmt.Fprintf(w, "\n**Kiosk restart with today's tickets** (%s; 512 MB runs: %s):\n\n", rs.Method, rs.Cgroup)
		io.WriteString(w, "| tickets (waiting) | data MB | memory limit | exec → /healthz ms | exec → board ms | kiosk CPU s | peak RSS MB | cgroup peak MB | GC cycles | load average |\n|---:|---:|---|---|---|---|---|---|---|---|\n")
		for _, p := range rs.Points {
			for _, runs := range [][]StartRun{p.Auto, p.InCg} {
				if len(runs) == 0 {
					continue
				}
				col := func(f func(StartRun) string) string {
					var s []string
					for _, x := range runs {
						s = append(s, f(x))
					}
					return strings.Join(s, ", ")
				}
				limit := fmt.Sprintf("%d MiB (%s)", runs[0].LimitMiB, runs[0].LimitWhy)
				fmt.Fprintf(w, "| %d (%d) | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |\n", p.Mix.Tickets, p.Mix.Waiting, p.DataMB, limit,
					col(func(x StartRun) string { return fmt.Sprintf("%.0f", x.HealthzMs) }),
					col(func(x StartRun) string { return fmt.Sprintf("%.0f", x.BoardMs) }),
					col(func(x StartRun) string { return fmt.Sprintf("%.2f", x.CPUBoard) }),
					col(func(x StartRun) string { return fmt.Sprintf("%.0f", x.PeakRSSMB) }),
					col(func(x StartRun) string {
						if x.CgPeakMB == 0 {
							return "–"
						}
						return fmt.Sprintf("%.0f", x.CgPeakMB)
					}),
					col(func(x StartRun) string { return strconv.Itoa(x.GCs) }), p.Load)
			}
		}
	}
	if c := r.Cgroup; c != nil {
		fmt.Fprintf(w, "\n**In a 512 MB cgroup under load** (%s; %d of today's tickets in the store; memory limit %d MiB, %s): %d/%d event streams, then joins sent on schedule at %.0f/s for %.0f s (open loop, timed from the schedule): %d joins, p50 %.1f ms, p99 %.1f ms, max %.1f ms; then %d clients joining as fast as answered for %.0f s: %.0f joins/s, p50 %.1f ms, p99 %.1f ms; %d streams had the last board after it; meanwhile a 300-byte append + fsync every 20 ms in the work dir took p50 %.2f ms, p99 %.1f ms, max %.1f ms. GC over both: %d cycles (%.2f/s), %.2f s CPU = %.1f %% of the kiosk's %.1f s. Kiosk RSS %.0f MB with the streams, peak %.0f MB; cgroup peak %.0f MB (page cache included), failcnt %d, OOM kills %d, alive %v.\n",
			c.Cgroup, c.Tickets, c.LimitMiB, c.LimitWhy, c.Connected, c.Subscribers, c.Rate, c.Seconds, c.Joins, c.P50Ms, c.P99Ms, c.MaxMs, c.SatClients, c.SatSeconds, c.SatPerSec, c.SatP50Ms, c.SatP99Ms, c.StillLive, c.FsyncP50Ms, c.FsyncP99Ms, c.FsyncMaxMs,
			c.GCs, c.GCPerSec, c.GCCPU, c.GCShare, c.KioskCPU, c.RSSConnMB, c.PeakRSSMB, c.CgPeakMB, c.Failcnt, c.OOMKills, c.Alive)
	}
}

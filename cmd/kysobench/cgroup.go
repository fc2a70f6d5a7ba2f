package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// CgroupSection: a kiosk in a 512 MB memory cgroup, holding a long day's
// tickets, with a thousand phones on the event stream and a join flood.
type CgroupSection struct {
	Cgroup      string         `json:"cgroup"`
	Tickets     int            `json:"tickets_today"` // in the store when the kiosk started
	LimitMiB    int            `json:"memory_limit_mib"`
	LimitWhy    string         `json:"memory_limit_why"`
	Subscribers int            `json:"subscribers"`
	Connected   int            `json:"connected"`
	StillLive   int            `json:"still_live"` // subscribers that had the last board after the flood
	Rate        float64        `json:"rate_per_s"` // joins sent per second, on schedule (open loop)
	Seconds     float64        `json:"seconds"`
	Joins       int            `json:"joins"`
	Errors      map[string]int `json:"errors,omitempty"`
	PerSec      float64        `json:"joins_per_s"`
	P50Ms       float64        `json:"p50_ms"` // from the join's scheduled send time
	P99Ms       float64        `json:"p99_ms"`
	MaxMs       float64        `json:"max_ms"`
	// Saturation: closed-loop clients joining as fast as the kiosk answers.
	SatClients int            `json:"saturation_clients"`
	SatSeconds float64        `json:"saturation_seconds"`
	SatJoins   int            `json:"saturation_joins"`
	SatErrors  map[string]int `json:"saturation_errors,omitempty"`
	SatPerSec  float64        `json:"saturation_joins_per_s"`
	SatP50Ms   float64        `json:"saturation_p50_ms"`
	SatP99Ms   float64        `json:"saturation_p99_ms"`
	// Over both floods: the disk's fsync beside them (see fsyncMonitor),
	FsyncN     int     `json:"fsync_samples"`
	FsyncP50Ms float64 `json:"fsync_p50_ms"`
	FsyncP99Ms float64 `json:"fsync_p99_ms"`
	FsyncMaxMs float64 `json:"fsync_max_ms"`
	// and the kiosk:
	KioskCPU  float64 `json:"kiosk_cpu_s"`
	GCs       int     `json:"gc_cycles"` // during the flood
	GCPerSec  float64 `json:"gc_per_s"`
	GCCPU     float64 `json:"gc_cpu_s"`         // gctrace CPU of those cycles
	GCShare   float64 `json:"gc_share_percent"` // of the kiosk's CPU during the flood
	RSSConnMB float64 `json:"rss_connected_mb"`
	PeakRSSMB float64 `json:"peak_rss_mb"` // VmHWM at the end
	CgUsageMB float64 `json:"cgroup_usage_end_mb"`
	CgPeakMB  float64 `json:"cgroup_peak_mb"`
	Failcnt   int64   `json:"cgroup_failcnt"`
	OOMKills  int64   `json:"oom_kills"`
	Alive     bool    `json:"alive"`
}

// cgroupSection runs the kiosk in a 512 MB memory cgroup on a store
// holding today's 100k tickets, connects a thousand event streams, then
// floods it with joins; it reports whether the kiosk was OOM-killed or
// GC-bound and the joins' latency.
func (e *env) cgroupSection(ctx context.Context) error {
	tickets, subsN, rate, dur, clients, satDur := 100_000, 1000, 100.0, 20*time.Second, 64, 10*time.Second
	if e.cfg.Quick {
		tickets, subsN, rate, dur, clients, satDur = 2_000, 100, 100, time.Second, 16, time.Second
	}
	if _, _, err := memCgroupBase(); err != nil {
		return skipError{"no writable memory cgroup: " + err.Error()}
	}
	seed, err := e.todayTemplate(tickets)
	if err != nil {
		return err
	}
	sec := &CgroupSection{Tickets: tickets, Subscribers: subsN, Rate: rate, SatClients: clients}
	e.res.Cgroup = sec
	data := filepath.Join(e.work, "cgroup")
	defer os.RemoveAll(data)
	if err := copyTree(seed.dir, data); err != nil {
		return err
	}
	cg, err := newMemCgroup("load", cgroupLimit)
	if err != nil {
		return err
	}
	defer cg.remove()
	sec.Cgroup = cg.String()
	p, err := startProcess(procSpec{name: "kiosk", bin: e.kiosk, args: kioskArgs(data), log: filepath.Join(e.work, "cgroup.log"),
		env: benchEnv("GODEBUG=gctrace=1"), cgroup: cg})
	if err != nil {
		return err
	}
	defer p.stop()
	if _, err := p.waitReady(ctx, "/healthz", 2*time.Minute); err != nil {
		return err
	}
	if log, err := os.ReadFile(p.log); err == nil {
		sec.LimitMiB, sec.LimitWhy = memoryLimitLogged(log)
	}

	// A thousand phones with the board open, as in the sse section.
	st := openStreams(ctx, p.base, subsN)
	defer st.close()
	subs := st.subs
	sec.Connected = st.connected()
	if kb, err := p.rssKB(); err == nil {
		sec.RSSConnMB = mb(kb)
	}

	// The flood, twice. First at a fixed rate: every phone on the stream
	// joins within ten seconds (open loop: each join is sent on schedule
	// whether or not earlier ones have answered, and its latency counts from
	// that schedule, so a stalled kiosk cannot hide by slowing the senders).
	// That is the budget's p99. Then as many clients as join.go's highest
	// level, each joining as fast as the kiosk answers: the kiosk saturated,
	// to see memory and GC at the most it can do (its p99 is then only the
	// queue in front of it: clients ÷ throughput).
	load := newJoinLoad(p.base, 512)
	load.gen = newCitizens(0) // seeded citizens start at 30,000,000: no collision
	defer load.close()
	logBefore, _ := os.ReadFile(p.log)
	gcBefore := len(parseGCTrace(logBefore))
	cpu0 := p.cpuSeconds()
	stopSample := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // the cgroup's usage, so a peak between reads is not missed on v2 kernels without memory.peak
		defer close(sampled)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopSample:
				return
			case <-t.C:
				if u := cg.usage(); u > 0 {
					sec.CgPeakMB = max(sec.CgPeakMB, round(float64(u)/(1<<20), 1))
				}
			}
		}
	}()
	// The disk beside the kiosk: a 300-byte append + fsync every 20 ms in
	// the work dir. When its tail is as long as the joins', the disk (shared
	// with whatever else the machine runs) explains theirs.
	fsyncs := make(chan []time.Duration, 1)
	go func() { fsyncs <- fsyncMonitor(e.work, stopSample) }()
	t0 := time.Now()
	lat, el, errs := load.runRate(ctx, sec.Rate, dur)
	sec.Seconds = round(el.Seconds(), 1)
	if len(errs) > 0 {
		sec.Errors = errs
	}
	sec.Joins = len(lat)
	sortDurations(lat)
	sec.PerSec = round(float64(len(lat))/el.Seconds(), 1)
	sec.P50Ms, sec.P99Ms = ms(percentile(lat, .5)), ms(percentile(lat, .99))
	if len(lat) > 0 {
		sec.MaxMs = ms(lat[len(lat)-1])
	}
	sat := newJoinLoad(p.base, clients)
	sat.gen = load.gen
	defer sat.close()
	sat.warm()
	slat, sel, serrs := sat.run(ctx, satDur)
	sortDurations(slat)
	sec.SatJoins, sec.SatSeconds = len(slat), round(sel.Seconds(), 1)
	sec.SatPerSec = round(float64(len(slat))/sel.Seconds(), 1)
	sec.SatP50Ms, sec.SatP99Ms = ms(percentile(slat, .5)), ms(percentile(slat, .99))
	if len(serrs) > 0 {
		sec.SatErrors = serrs
	}
	close(stopSample)
	<-sampled
	if fs := <-fsyncs; len(fs) > 0 {
		sortDurations(fs)
		sec.FsyncN, sec.FsyncP50Ms, sec.FsyncP99Ms, sec.FsyncMaxMs = len(fs), ms(percentile(fs, .5)), ms(percentile(fs, .99)), ms(fs[len(fs)-1])
	}
	loadS := time.Since(t0).Seconds()
	sec.KioskCPU = round(p.cpuSeconds()-cpu0, 2)

	// Let the last board reach the streams, then see who still has it.
	time.Sleep(500 * time.Millisecond)
	var top int64
	for _, s := range subs {
		top = max(top, s.lastRev.Load())
	}
	for _, s := range subs {
		if s.got.Load() && s.lastRev.Load() == top {
			sec.StillLive++
		}
	}

	logAfter, _ := os.ReadFile(p.log)
	gcs := parseGCTrace(logAfter)
	if gcBefore < len(gcs) {
		for _, g := range gcs[gcBefore:] {
			sec.GCCPU += g.cpuMs / 1000
		}
		sec.GCs = len(gcs) - gcBefore
	}
	sec.GCCPU = round(sec.GCCPU, 3)
	sec.GCPerSec = round(float64(sec.GCs)/loadS, 2)
	if sec.KioskCPU > 0 {
		sec.GCShare = round(100*sec.GCCPU/sec.KioskCPU, 1)
	}
	if m, err := p.mem(); err == nil {
		sec.PeakRSSMB = mb(m["VmHWM"])
	}
	sec.CgUsageMB = round(float64(cg.usage())/(1<<20), 1)
	if pk := cg.peak(); pk > 0 {
		sec.CgPeakMB = max(sec.CgPeakMB, round(float64(pk)/(1<<20), 1))
	}
	sec.Failcnt, sec.OOMKills = cg.failcnt(), cg.oomKills()
	select {
	case <-p.done:
		sec.Alive = false
	default:
		sec.Alive = true
	}
	e.log.Info("cgroup", "joins_per_s", sec.PerSec, "p99_ms", sec.P99Ms, "gc_share", sec.GCShare, "gcs", sec.GCs,
		"cg_peak_mb", sec.CgPeakMB, "oom_kills", sec.OOMKills, "alive", sec.Alive)
	if !sec.Alive {
		return fmt.Errorf("kiosk died under load in the cgroup (%v); log: %s", p.waitErr, p.tail())
	}
	if sec.Joins == 0 {
		return fmt.Errorf("no join succeeded: %v; log: %s", errs, p.tail())
	}
	return nil
}

// runRate sends rate joins per second for dur, each on its own schedule
// whatever the earlier ones are doing, and times each from its scheduled
// send: latency includes any wait for a free connection.
func (l *joinLoad) runRate(ctx context.Context, rate float64, dur time.Duration) (lat []time.Duration, elapsed time.Duration, errs map[string]int) {
	errs = map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	gap := time.Duration(float64(time.Second) / rate)
	t0 := time.Now()
	for i := 0; ctx.Err() == nil; i++ {
		at := t0.Add(time.Duration(i) * gap)
		if at.Sub(t0) >= dur {
			break
		}
		time.Sleep(time.Until(at))
		wg.Add(1)
		go func() {
			defer wg.Done()
			code, err := l.join()
			d := time.Since(at)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs["transport"]++
			case code != http.StatusCreated:
				errs[strconv.Itoa(code)]++
			default:
				lat = append(lat, d)
			}
		}()
	}
	wg.Wait()
	return lat, time.Since(t0), errs
}

// fsyncMonitor appends 300 bytes and fsyncs every 20 ms in dir until stop
// closes, and returns how long each took.
func fsyncMonitor(dir string, stop <-chan struct{}) []time.Duration {
	f, err := os.CreateTemp(dir, "fsync-monitor-")
	if err != nil {
		return nil
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 300)
	var out []time.Duration
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return out
		case <-t.C:
		}
		s := time.Now()
		if _, err := f.Write(buf); err != nil {
			return out
		}
		if err := f.Sync(); err != nil {
			return out
		}
		out = append(out, time.Since(s))
	}
}

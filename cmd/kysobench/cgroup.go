package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
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
	Clients     int            `json:"join_clients"`
	Seconds     float64        `json:"seconds"`
	Joins       int            `json:"joins"`
	Errors      map[string]int `json:"errors,omitempty"`
	PerSec      float64        `json:"joins_per_s"`
	P50Ms       float64        `json:"p50_ms"`
	P99Ms       float64        `json:"p99_ms"`
	MaxMs       float64        `json:"max_ms"`
	KioskCPU    float64        `json:"kiosk_cpu_s"`
	GCs         int            `json:"gc_cycles"` // during the flood
	GCPerSec    float64        `json:"gc_per_s"`
	GCCPU       float64        `json:"gc_cpu_s"`         // gctrace CPU of those cycles
	GCShare     float64        `json:"gc_share_percent"` // of the kiosk's CPU during the flood
	RSSConnMB   float64        `json:"rss_connected_mb"`
	PeakRSSMB   float64        `json:"peak_rss_mb"` // VmHWM at the end
	CgUsageMB   float64        `json:"cgroup_usage_end_mb"`
	CgPeakMB    float64        `json:"cgroup_peak_mb"`
	Failcnt     int64          `json:"cgroup_failcnt"`
	OOMKills    int64          `json:"oom_kills"`
	Alive       bool           `json:"alive"`
}

// cgroupSection runs the kiosk in a 512 MB memory cgroup on a store
// holding today's 100k tickets, connects a thousand event streams, then
// floods it with joins; it reports whether the kiosk was OOM-killed or
// GC-bound and the joins' latency.
func (e *env) cgroupSection(ctx context.Context) error {
	tickets, subsN, clients, dur := 100_000, 1000, 64, 20*time.Second
	if e.cfg.Quick {
		tickets, subsN, clients, dur = 2_000, 100, 16, time.Second
	}
	if _, _, err := memCgroupBase(); err != nil {
		return skipError{"no writable memory cgroup: " + err.Error()}
	}
	seed, err := e.todayTemplate(tickets)
	if err != nil {
		return err
	}
	sec := &CgroupSection{Tickets: tickets, Subscribers: subsN, Clients: clients}
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
	tr := &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true, ResponseHeaderTimeout: 10 * time.Second}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	subs := make([]*subscriber, subsN)
	var connErrs atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range subs {
		subs[i] = &subscriber{}
		s := subs[i]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			s.listen(sctx, client, p.base+"/api/v1/events", func(err error) {
				if err != nil {
					connErrs.Add(1)
				}
				<-sem
			})
		}()
	}
	defer func() { cancel(); wg.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		c := 0
		for _, s := range subs {
			if s.got.Load() {
				c++
			}
		}
		sec.Connected = c
		if c+int(connErrs.Load()) >= subsN {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if kb, err := p.rssKB(); err == nil {
		sec.RSSConnMB = mb(kb)
	}

	// The flood: as many clients as join.go's highest level, each joining
	// as fast as the kiosk answers, while the streams carry every change.
	load := newJoinLoad(p.base, clients)
	load.gen = newCitizens(0) // seeded citizens start at 30,000,000: no collision
	defer load.close()
	load.warm()
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
	lat, el, errs := load.run(ctx, dur)
	close(stopSample)
	<-sampled
	sec.KioskCPU = round(p.cpuSeconds()-cpu0, 2)
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
	sec.GCPerSec = round(float64(sec.GCs)/el.Seconds(), 2)
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

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
)

// perDay is how many records a seeded kiosk made per evening: a busy
// house with three desks at a few minutes per citizen.
const perDay = 300

// seedClock walks through past evenings so that seeded tickets belong to
// earlier days, as a real log of 100k records does; the kiosk then starts
// with an empty queue for today and the log behind it.
type seedClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *seedClock) Now() (time.Time, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now, record.ClockKiosk
}

func (c *seedClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// seedTemplates makes kiosk data dirs with n records once and hands out
// copies. Seeding runs on tmpfs when there is one: Badger's fsyncs are the
// cost of HTTP seeding, not what the idle measurements are about, and the
// copied files are byte for byte what the kiosk would have written.
type seedTemplates struct {
	dir  string // on tmpfs when possible
	log  *slog.Logger
	done map[int]seeded
}

type seeded struct {
	dir string
	dur time.Duration
}

func newSeedTemplates(fallback string, log *slog.Logger) *seedTemplates {
	t := &seedTemplates{dir: fallback, log: log, done: map[int]seeded{}}
	if fsType("/dev/shm") == "tmpfs" {
		if d, err := os.MkdirTemp("/dev/shm", "kysobench-seed-"); err == nil {
			t.dir = d
		}
	}
	return t
}

func (t *seedTemplates) fs() string { return fsType(t.dir) }

func (t *seedTemplates) close() { os.RemoveAll(t.dir) }

// copyTo puts a kiosk data dir holding n records at dst; it returns how
// long seeding took (0 when the template existed).
func (t *seedTemplates) copyTo(dst string, n int) (time.Duration, error) {
	s, ok := t.done[n]
	var took time.Duration
	if !ok {
		dir := filepath.Join(t.dir, fmt.Sprintf("kiosk-%d", n))
		t0 := time.Now()
		if err := seedKiosk(dir, n); err != nil {
			return 0, err
		}
		took = time.Since(t0)
		s = seeded{dir: dir, dur: took}
		t.done[n] = s
		t.log.Info("seeded", "records", n, "seconds", round(took.Seconds(), 1), "on", fsType(dir))
	}
	return s.dur, copyTree(s.dir, dst)
}

// seedKiosk creates <data>/store with n completion records through package
// queue: each citizen joins and is completed as a walk-in, as the
// volunteer API does, on evenings that ended yesterday.
func seedKiosk(data string, n int) error {
	days := (n + perDay - 1) / perDay
	evening := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -days-1).Add(12 * time.Hour) // 19:00 ICT
	clk := &seedClock{now: evening}
	q, err := queue.Open(queue.Options{Dir: filepath.Join(data, "store"), KioskID: kioskID, Desks: 3, Clock: clk,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	for i := range n {
		clk.set(evening.AddDate(0, 0, i/perDay).Add(time.Duration(i%perDay) * 40 * time.Second))
		c := citizenAt(int64(10_000_000 + i))
		t, err := q.Join(queue.Join{Citizen: c, ConsentVersion: "bench", ConsentBy: "citizen", Token: fmt.Sprint(i)})
		if err != nil {
			q.Close()
			return fmt.Errorf("seed join %d: %w", i, err)
		}
		comp := queue.Completion{Outcome: record.OutcomeActivated, Desk: 1 + i%3, Volunteer: "Bench"}
		if i%7 == 0 {
			comp.Outcome, comp.Reason = record.OutcomeFailed, "no_email"
		}
		if _, err := q.Complete(t.ID, comp); err != nil {
			q.Close()
			return fmt.Errorf("seed complete %d: %w", i, err)
		}
	}
	if got := q.Log().HeadSeq(); got != uint64(n) {
		q.Close()
		return fmt.Errorf("seeded head_seq %d, want %d", got, n)
	}
	// A kiosk that made its records over many evenings has them compacted
	// into the bottom levels; a bulk load leaves a backlog of level-0
	// tables whose one-off compaction at the next start is not "idle".
	if err := q.Compact(); err != nil {
		q.Close()
		return fmt.Errorf("flatten: %w", err)
	}
	return q.Close()
}

func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o700)
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		if err := out.Sync(); err != nil {
			out.Close()
			return err
		}
		// Out of the page cache: the kiosk then starts as after a reboot.
		const fadvDontNeed = 4
		syscall.Syscall6(syscall.SYS_FADVISE64, out.Fd(), 0, 0, fadvDontNeed, 0, 0)
		return out.Close()
	})
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}

// idleSection: a kiosk with nothing to do, as its log grows.
func (e *env) idleSection(ctx context.Context) error {
	counts := []int{0, 10_000, 100_000}
	idle := 5 * time.Second
	httpN := 2000
	if e.cfg.Quick {
		counts, idle, httpN = []int{0, 1000}, time.Second, 100
	}
	sec := &IdleSection{IdleSeconds: idle.Seconds()}
	e.res.Idle = sec
	for _, n := range counts {
		pt := IdlePoint{Records: n, Seed: "none"}
		data := filepath.Join(e.work, fmt.Sprintf("idle-%d", n))
		if n > 0 {
			took, err := e.seedT.copyTo(data, n)
			if err != nil {
				return err
			}
			pt.Seed, pt.SeedS = "queue package on "+e.seedT.fs()+", copied", round(took.Seconds(), 1)
			pt.DataMB = round(float64(dirSize(data))/(1<<20), 1)
		}
		p, err := startProcess(procSpec{name: "kiosk", bin: e.kiosk, args: kioskArgs(data), log: filepath.Join(e.work, fmt.Sprintf("idle-%d.log", n))})
		if err != nil {
			return err
		}
		up, err := p.waitReady(ctx, "/healthz", 2*time.Minute)
		if err != nil {
			p.stop()
			return err
		}
		pt.StartupMs = ms(up)
		if kb, err := p.rssKB(); err == nil {
			pt.RSSReadyMB = mb(kb)
		}
		if err := checkHead(ctx, p.base, n); err != nil {
			p.stop()
			return err
		}
		select {
		case <-ctx.Done():
		case <-time.After(idle):
		}
		if m, err := p.mem(); err == nil {
			pt.RSSIdleMB, pt.AnonMB, pt.FileMB = mb(m["VmRSS"]), mb(m["RssAnon"]), mb(m["RssFile"])
		}
		if n > 0 {
			if err := backupNow(ctx, p, data, &pt, idle); err != nil {
				p.stop()
				return err
			}
		}
		p.stop()
		os.RemoveAll(data)
		sec.Points = append(sec.Points, pt)
		e.log.Info("idle", "records", n, "startup_ms", pt.StartupMs, "rss_mb", pt.RSSIdleMB)
	}
	h, err := e.httpSeedRate(ctx, httpN)
	if err != nil {
		return err
	}
	sec.HTTP = h
	return nil
}

func checkHead(ctx context.Context, base string, want int) error {
	b, err := get(ctx, base+"/healthz")
	if err != nil {
		return err
	}
	var h struct {
		HeadSeq int `json:"head_seq"`
	}
	if err := json.Unmarshal(b, &h); err != nil {
		return err
	}
	if h.HeadSeq != want {
		return fmt.Errorf("kiosk reports head_seq %d, seeded %d", h.HeadSeq, want)
	}
	return nil
}

// volunteerClient is a tablet logged in with the house PIN.
type volunteerClient struct {
	c    *http.Client
	base string
	csrf string
}

func login(ctx context.Context, base string) (*volunteerClient, error) {
	jar, _ := cookiejar.New(nil)
	v := &volunteerClient{c: &http.Client{Jar: jar, Timeout: 30 * time.Second}, base: base}
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	code, err := v.post(ctx, "/api/v1/login", map[string]string{"pin": benchPIN, "volunteer": "Bench"}, &out)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK || out.CSRF == "" {
		return nil, fmt.Errorf("login: %d", code)
	}
	v.csrf = out.CSRF
	return v, nil
}

func (v *volunteerClient) post(ctx context.Context, path string, body, out any) (int, error) {
	b, _ := json.Marshal(body)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, v.base+path, bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if v.csrf != "" {
		req.Header.Set("X-CSRF-Token", v.csrf)
	}
	resp, err := v.c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	rb, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(rb, out); err != nil {
			return resp.StatusCode, err
		}
	}
	return resp.StatusCode, nil
}

// httpSeedRate makes n records the way tablets do: a walk-in join and its
// completion, one after the other, through the real kiosk.
func (e *env) httpSeedRate(ctx context.Context, n int) (*HTTPSeed, error) {
	data := filepath.Join(e.work, "http-seed")
	p, err := startProcess(procSpec{name: "kiosk", bin: e.kiosk, args: kioskArgs(data), log: filepath.Join(e.work, "http-seed.log")})
	if err != nil {
		return nil, err
	}
	defer p.stop()
	if _, err := p.waitReady(ctx, "/healthz", 30*time.Second); err != nil {
		return nil, err
	}
	v, err := login(ctx, p.base)
	if err != nil {
		return nil, err
	}
	gen := newCitizens(20_000_000)
	var comp []time.Duration
	t0 := time.Now()
	for range n {
		var t struct {
			ID string `json:"id"`
		}
		code, err := v.post(ctx, "/api/v1/tickets", joinOf(gen.take()), &t)
		if err != nil || code != http.StatusCreated {
			return nil, fmt.Errorf("walk-in join: %d %v", code, err)
		}
		s := time.Now()
		code, err = v.post(ctx, "/api/v1/tickets/"+t.ID+"/complete", map[string]string{"outcome": "activated"}, nil)
		if err != nil || code != http.StatusCreated {
			return nil, fmt.Errorf("complete: %d %v", code, err)
		}
		comp = append(comp, time.Since(s))
	}
	el := time.Since(t0)
	sortDurations(comp)
	h := &HTTPSeed{Records: n, PerSec: round(float64(n)/el.Seconds(), 1),
		CompleteP50Ms: ms(percentile(comp, .5)), CompleteP99Ms: ms(percentile(comp, .99))}
	h.Est100kMinutes = round(100_000/h.PerSec/60, 1)
	return h, nil
}

// backupNow asks the kiosk for its daily backup (SIGUSR1, as `kiosk backup`
// does) and records the memory it took and what stays after it.
func backupNow(ctx context.Context, p *process, data string, pt *IdlePoint, settle time.Duration) error {
	t0 := time.Now()
	if err := syscall.Kill(p.pid(), syscall.SIGUSR1); err != nil {
		return err
	}
	dir := filepath.Join(data, "backups")
	deadline := t0.Add(5 * time.Minute)
	for {
		var done string
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ".bak") {
				done = filepath.Join(dir, e.Name())
			}
		}
		if done != "" {
			pt.BackupS = round(time.Since(t0).Seconds(), 2)
			if st, err := os.Stat(done); err == nil {
				pt.BackupFileMB = round(float64(st.Size())/(1<<20), 1)
			}
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("no backup after %v; log: %s", time.Since(t0).Round(time.Second), p.tail())
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-ctx.Done():
	case <-time.After(settle):
	}
	m, err := p.mem()
	if err != nil {
		return err
	}
	pt.BackupPeakMB = mb(m["VmHWM"])
	pt.AfterBackupMB, pt.AfterBackupAnon, pt.AfterBackupFile = mb(m["VmRSS"]), mb(m["RssAnon"]), mb(m["RssFile"])
	return nil
}

package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Config is everything a run is told.
type Config struct {
	Out      string        // results file
	Doc      string        // markdown file whose generated block gets the tables (full runs only)
	Quick    bool          // small scale, for the CI smoke test
	BinDir   string        // where kiosk and ward are; built into the work dir when missing
	Build    bool          // always build fresh binaries into the work dir
	Work     string        // parent of the work dir; default: the system temp dir unless it is tmpfs
	Keep     bool          // keep the work dir
	Only     []string      // sections to run; empty: all
	Duration time.Duration // per join run
	Delays   []float64     // fsync delays as multiples of the measured fsync (SD card stand-in)
	Arm64    bool          // build the arm64 binary (default on, off in quick mode)
	Root     string        // module root
}

// sections in the order they run.
var sections = []string{"join", "sse", "idle", "restart", "cgroup", "ward", "pages", "binary"}

// Validate checks the config and fills defaults.
func (c *Config) Validate() error {
	if c.Out == "" {
		return errors.New("-out is required")
	}
	for _, s := range c.Only {
		if !slices.Contains(sections, s) {
			return fmt.Errorf("-only: unknown section %q (have %s)", s, strings.Join(sections, ","))
		}
	}
	if c.Duration <= 0 {
		c.Duration = 10 * time.Second
		if c.Quick {
			c.Duration = time.Second
		}
	}
	if c.Root == "" {
		root, err := moduleRoot()
		if err != nil {
			return err
		}
		c.Root = root
	}
	return nil
}

func (c *Config) wants(section string) bool {
	return len(c.Only) == 0 || slices.Contains(c.Only, section)
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	if len(os.Args) > 1 && os.Args[1] == rawChildCmd {
		if err := rawChild(os.Args[2:], os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "kysobench:", err)
			os.Exit(1)
		}
		return
	}
	cfg, err := parseConfig(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kysobench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if _, err := run(ctx, cfg, os.Stdout, log); err != nil {
		fmt.Fprintln(os.Stderr, "kysobench:", err)
		os.Exit(1)
	}
}

func parseConfig(args []string) (Config, error) {
	var cfg Config
	fs := flag.NewFlagSet("kysobench", flag.ContinueOnError)
	fs.StringVar(&cfg.Out, "out", "bench/results.json", "results file")
	fs.StringVar(&cfg.Doc, "doc", "docs/benchmarks.md", "markdown file to refresh between its kysobench markers (full runs of every section only; empty: none)")
	fs.BoolVar(&cfg.Quick, "quick", false, "small scale, ~15 s: a smoke run, not budget numbers")
	fs.StringVar(&cfg.BinDir, "bin", "bin", "directory holding kiosk and ward (built when missing)")
	fs.BoolVar(&cfg.Build, "build", false, "build fresh binaries into the work dir instead of using -bin")
	fs.StringVar(&cfg.Work, "work", "", "parent directory for data dirs (must be a real disk)")
	fs.BoolVar(&cfg.Keep, "keep", false, "keep the work directory")
	only := fs.String("only", "", "comma-separated sections: "+strings.Join(sections, ","))
	fs.DurationVar(&cfg.Duration, "duration", 0, "per join run (default 10s, quick 1s)")
	delays := fs.String("fsync-delay", "10,100", "SD-card stand-in: fsync delays as multiples of this disk's fsync (empty: none)")
	fs.BoolVar(&cfg.Arm64, "arm64", true, "cross-build the arm64 kiosk for its size (skipped in -quick)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if *only != "" {
		cfg.Only = strings.Split(*only, ",")
	}
	for _, d := range strings.Split(*delays, ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		f, err := strconv.ParseFloat(d, 64)
		if err != nil || f <= 0 {
			return cfg, fmt.Errorf("-fsync-delay: %q is not a positive multiple", d)
		}
		cfg.Delays = append(cfg.Delays, f)
	}
	return cfg, cfg.Validate()
}

// env is what every section gets.
type env struct {
	cfg   Config
	log   *slog.Logger
	work  string
	kiosk string // binary
	ward  string // binary, "" when cmd/ward does not exist yet
	seedT *seedTemplates
	today *todayTemplates // stores holding today's tickets (restart, cgroup)
	fsync time.Duration
	res   *Results
}

// run measures everything asked for and writes the results, also when a
// section failed (it is then listed under "skipped").
func run(ctx context.Context, cfg Config, out io.Writer, log *slog.Logger) (*Results, error) {
	start := time.Now()
	res := &Results{Schema: SchemaVersion, Tool: "kysobench", Quick: cfg.Quick, StartedAt: start.UTC().Truncate(time.Second),
		Skipped: map[string]string{}}
	raiseFDLimit()
	parent := cfg.Work
	if parent == "" {
		parent = os.TempDir()
		if fsType(parent) == "tmpfs" {
			parent = filepath.Join(cfg.Root, "bench", ".work")
		}
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	work, err := os.MkdirTemp(parent, "kysobench-")
	if err != nil {
		return nil, err
	}
	if !cfg.Keep {
		defer os.RemoveAll(work)
	} else {
		log.Info("keeping work dir", "dir", work)
	}
	e := &env{cfg: cfg, log: log, work: work, res: res}
	e.res.Machine = machine(work)
	e.res.Machine.LoadStart = loadAvg()
	if fs := e.res.Machine.FS; fs == "tmpfs" || fs == "ramfs" {
		return nil, fmt.Errorf("work dir %s is on %s: fsync would be free and the numbers meaningless; pass -work on a real disk", work, fs)
	}
	e.fsync = fsyncProbe(work, map[bool]int{true: 50, false: 300}[cfg.Quick])
	e.res.Machine.FsyncMs = ms(e.fsync)
	if err := e.binaries(ctx); err != nil {
		return nil, err
	}
	e.res.Machine.KioskVersion = versionOf(e.kiosk)
	e.seedT = newSeedTemplates(filepath.Join(work, "seeds"), log)
	defer e.seedT.close()
	if e.res.Machine.SeedFS = e.seedT.fs(); e.res.Machine.SeedFS == "" {
		e.res.Machine.SeedFS = e.res.Machine.FS
	}

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"join", e.joinSection}, {"sse", e.sseSection}, {"idle", e.idleSection},
		{"restart", e.restartSection}, {"cgroup", e.cgroupSection},
		{"ward", e.wardSection}, {"pages", e.pagesSection}, {"binary", e.binarySection},
	}
	for _, s := range steps {
		if !cfg.wants(s.name) {
			continue
		}
		if ctx.Err() != nil {
			res.Skipped[s.name] = "interrupted"
			continue
		}
		t0 := time.Now()
		log.Info("section", "name", s.name)
		if err := s.fn(ctx); err != nil {
			var sk skipError
			if errors.As(err, &sk) {
				res.Skipped[s.name] = sk.reason
			} else {
				res.Skipped[s.name] = "failed: " + err.Error()
			}
			log.Warn("section did not complete", "name", s.name, "err", err)
		}
		log.Info("section done", "name", s.name, "seconds", round(time.Since(t0).Seconds(), 1))
	}
	e.judge()
	res.Machine.LoadEnd = loadAvg()
	res.Seconds = round(time.Since(start).Seconds(), 1)
	if len(res.Skipped) == 0 {
		res.Skipped = nil
	}
	if err := writeJSON(cfg.Out, res); err != nil {
		return res, err
	}
	printTable(out, res)
	if cfg.Doc != "" && !cfg.Quick && len(cfg.Only) == 0 {
		doc := cfg.Doc
		if !filepath.IsAbs(doc) {
			doc = filepath.Join(cfg.Root, doc)
		}
		if err := updateDoc(doc, res); err != nil {
			log.Warn("benchmarks doc not updated", "err", err)
		} else {
			fmt.Fprintf(out, "tables refreshed in %s\n", doc)
		}
	}
	fmt.Fprintf(out, "\nresults: %s (%.0f s)\n", cfg.Out, res.Seconds)
	return res, ctx.Err()
}

// skipError marks a section that could not run here, as opposed to one that broke.
type skipError struct{ reason string }

func (s skipError) Error() string { return s.reason }

// binaries finds or builds kiosk and ward.
func (e *env) binaries(ctx context.Context) error {
	dir := e.cfg.BinDir
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(e.cfg.Root, dir)
	}
	hasWard := fileExists(filepath.Join(e.cfg.Root, "cmd", "ward", "main.go"))
	need := []string{"kiosk"}
	if hasWard {
		need = append(need, "ward")
	}
	build := e.cfg.Build
	for _, n := range need {
		if !fileExists(filepath.Join(dir, n)) {
			build = true
		}
	}
	if build {
		dir = filepath.Join(e.work, "bin")
		t0 := time.Now()
		if err := buildBinaries(ctx, e.cfg.Root, dir, need...); err != nil {
			return err
		}
		e.log.Info("built binaries", "dir", dir, "seconds", round(time.Since(t0).Seconds(), 1))
	}
	e.kiosk = filepath.Join(dir, "kiosk")
	if hasWard {
		e.ward = filepath.Join(dir, "ward")
	}
	return nil
}

// buildBinaries builds ./cmd/<name> for this machine into dir, as make build does.
func buildBinaries(ctx context.Context, root, dir string, names ...string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, n := range names {
		if err := goBuild(ctx, root, filepath.Join(dir, n), "./cmd/"+n, nil); err != nil {
			return err
		}
	}
	return nil
}

func goBuild(ctx context.Context, root, out, pkg string, extraEnv []string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w -X main.version=bench", "-o", out, pkg)
	cmd.Dir = root
	cmd.Env = append(append(os.Environ(), "CGO_ENABLED=0"), extraEnv...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %v: %s", pkg, err, strings.TrimSpace(buf.String()))
	}
	return nil
}

func versionOf(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.Contains(b, []byte("module github.com/kyso-vn/kyso\n")) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run kysobench inside the kyso module")
		}
		dir = parent
	}
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// raiseFDLimit lets the tool hold a thousand live streams and more.
func raiseFDLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// machine describes this computer.
func machine(work string) Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), Arch: runtime.GOOS + "/" + runtime.GOARCH, WorkDir: work, FS: fsType(work)}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if rest, ok := strings.CutPrefix(line, "MemTotal:"); ok {
				if f := strings.Fields(rest); len(f) > 0 {
					kb, _ := strconv.Atoi(f[0])
					m.MemMB = kb / 1024
				}
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Disk = diskOf(work)
	return m
}

// fsType names the file system holding path.
func fsType(path string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return "unknown"
	}
	switch uint32(st.Type) {
	case 0x01021994:
		return "tmpfs"
	case 0x858458f6:
		return "ramfs"
	case 0xEF53:
		return "ext4"
	case 0x58465342:
		return "xfs"
	case 0x9123683E:
		return "btrfs"
	case 0x794c7630:
		return "overlayfs"
	}
	return fmt.Sprintf("0x%x", uint32(st.Type))
}

// diskOf finds the block device under path and whether it is rotational.
func diskOf(path string) string {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return "unknown"
	}
	major, minor := (st.Dev>>8)&0xfff, (st.Dev&0xff)|((st.Dev>>12)&0xfff00)
	link, err := os.Readlink(fmt.Sprintf("/sys/dev/block/%d:%d", major, minor))
	if err != nil {
		return fmt.Sprintf("dev %d:%d", major, minor)
	}
	name := filepath.Base(link)
	kind := "non-rotational"
	if b, err := os.ReadFile(filepath.Join("/sys/block", name, "queue", "rotational")); err == nil && strings.TrimSpace(string(b)) == "1" {
		kind = "rotational"
	}
	if strings.HasPrefix(name, "vd") {
		// A virtio disk's rotational flag says nothing about the host's storage.
		kind = "virtio block device, host storage unknown"
	}
	return name + ": " + kind
}

// fsyncProbe times n appends of 300 bytes, each followed by fsync, and
// returns the median: what one durable commit costs this disk.
func fsyncProbe(dir string, n int) time.Duration {
	f, err := os.CreateTemp(dir, "fsync-probe-")
	if err != nil {
		return 0
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := bytes.Repeat([]byte("x"), 300)
	d := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if _, err := f.Write(buf); err != nil {
			return 0
		}
		if err := f.Sync(); err != nil {
			return 0
		}
		d = append(d, time.Since(t0))
	}
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	return d[len(d)/2]
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

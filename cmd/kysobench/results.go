package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// SchemaVersion is bumped when a field of Results changes meaning.
const SchemaVersion = 1

// Results is bench/results.json.
type Results struct {
	Schema    int               `json:"schema"`
	Tool      string            `json:"tool"`
	Quick     bool              `json:"quick"`
	StartedAt time.Time         `json:"started_at"`
	Seconds   float64           `json:"seconds"`
	Machine   Machine           `json:"machine"`
	Join      *JoinSection      `json:"join,omitempty"`
	SSE       *SSESection       `json:"sse,omitempty"`
	Idle      *IdleSection      `json:"idle,omitempty"`
	Restart   *RestartSection   `json:"restart,omitempty"`
	Cgroup    *CgroupSection    `json:"cgroup,omitempty"`
	Ward      *WardSection      `json:"ward,omitempty"`
	Pages     *PagesSection     `json:"pages,omitempty"`
	Binary    *BinarySection    `json:"binary,omitempty"`
	Budgets   []Budget          `json:"budgets"`
	Skipped   map[string]string `json:"skipped,omitempty"`
}

// Machine describes where the numbers were taken.
type Machine struct {
	CPU          string  `json:"cpu"`
	Cores        int     `json:"cores"`
	MemMB        int     `json:"mem_mb"`
	Kernel       string  `json:"kernel"`
	Go           string  `json:"go"`
	Arch         string  `json:"arch"`
	WorkDir      string  `json:"work_dir"`
	FS           string  `json:"fs"`
	Disk         string  `json:"disk"`
	FsyncMs      float64 `json:"fsync_ms"`          // median 300-byte append + fsync in the work dir
	KioskVersion string  `json:"kiosk_version"`     // bin/kiosk --version
	SeedFS       string  `json:"seed_fs,omitempty"` // where large logs were seeded before copying
	LoadStart    string  `json:"loadavg_start"`     // /proc/loadavg: other work on the machine
	LoadEnd      string  `json:"loadavg_end"`
}

// Budget is one line of DESIGN.md's budgets, judged on this run.
type Budget struct {
	ID    string  `json:"id"`
	What  string  `json:"what"`
	Value float64 `json:"value"`
	Unit  string  `json:"unit"`
	Op    string  `json:"op"` // "<=", "<", ">=", "=="
	Limit float64 `json:"limit"`
	Pass  bool    `json:"pass"`
	Note  string  `json:"note,omitempty"`
}

func budget(id, what string, value float64, unit, op string, limit float64, note string) Budget {
	var pass bool
	switch op {
	case "<=":
		pass = value <= limit
	case "<":
		pass = value < limit
	case ">=":
		pass = value >= limit
	case "==":
		pass = value == limit
	}
	return Budget{ID: id, What: what, Value: round(value, 3), Unit: unit, Op: op, Limit: limit, Pass: pass, Note: note}
}

// JoinSection: durable joins through HTTP beside raw Badger sync writes.
type JoinSection struct {
	Seconds float64   `json:"seconds_per_run"`
	Runs    []JoinRun `json:"runs"`
	// Delayed repeats the runs with every fsync/msync of the kiosk (and of
	// the raw baseline) held for FsyncDelayMs, to stand in for an SD card.
	Delayed     []JoinRun `json:"delayed,omitempty"`
	DelayMethod string    `json:"delay_method,omitempty"`
}

// JoinRun is one concurrency level.
type JoinRun struct {
	Clients      int            `json:"clients"`
	FsyncDelayMs float64        `json:"fsync_delay_ms,omitempty"`
	Joins        int            `json:"joins"`
	Errors       map[string]int `json:"errors,omitempty"`
	PerSec       float64        `json:"joins_per_s"`
	P50Ms        float64        `json:"p50_ms"`
	P99Ms        float64        `json:"p99_ms"`
	RawWrites    int            `json:"raw_writes"`
	RawPerSec    float64        `json:"raw_writes_per_s"`
	RawP50Ms     float64        `json:"raw_p50_ms"`
	RawP99Ms     float64        `json:"raw_p99_ms"`
	Ratio        float64        `json:"ratio"`
	KioskCPU     float64        `json:"kiosk_cpu_s"`  // user+sys seconds the kiosk used while joins ran
	ClientCPU    float64        `json:"client_cpu_s"` // and the load generator (this tool), on the same cores
}

// SSESection: one board change fanned out to many live clients.
type SSESection struct {
	Subscribers  int     `json:"subscribers"`
	Connected    int     `json:"connected"`
	ConnectS     float64 `json:"connect_s"`
	Changes      int     `json:"changes"`
	Samples      int     `json:"samples"`
	Missed       int     `json:"missed"`
	P50Ms        float64 `json:"p50_ms"`
	P99Ms        float64 `json:"p99_ms"`
	MaxMs        float64 `json:"max_ms"`
	AllP50Ms     float64 `json:"all_reached_p50_ms"` // per change: when the last subscriber had it
	AllP99Ms     float64 `json:"all_reached_p99_ms"`
	JoinP50Ms    float64 `json:"trigger_join_p50_ms"`
	RSSIdleMB    float64 `json:"rss_idle_mb"`
	RSSConnectMB float64 `json:"rss_connected_mb"`
	RSSAfterMB   float64 `json:"rss_after_changes_mb"`
	BoardBytes   int     `json:"board_bytes"`
	MeasuredFrom string  `json:"measured_from"`
}

// IdleSection: memory and start-up as the record log grows.
type IdleSection struct {
	IdleSeconds float64     `json:"idle_seconds"`
	Points      []IdlePoint `json:"points"`
	HTTP        *HTTPSeed   `json:"http_completions,omitempty"`
}

// IdlePoint is one record count.
type IdlePoint struct {
	Records    int     `json:"records"`
	Seed       string  `json:"seed"`
	SeedS      float64 `json:"seed_s"`
	DataMB     float64 `json:"data_mb"`
	StartupMs  float64 `json:"startup_ms"` // exec to first 200 from /healthz, store not in the page cache
	RSSReadyMB float64 `json:"rss_ready_mb"`
	RSSIdleMB  float64 `json:"rss_idle_mb"` // VmRSS after the idle period: the budget's number
	AnonMB     float64 `json:"rss_anon_mb"` // of which heap, stacks (RssAnon)
	FileMB     float64 `json:"rss_file_mb"` // of which Badger's mmapped tables (RssFile, clean page cache)
	// The daily backup (SIGUSR1 asks for one now): the biggest allocation
	// burst an idle kiosk has.
	BackupS         float64 `json:"backup_s,omitempty"`
	BackupPeakMB    float64 `json:"backup_peak_mb,omitempty"` // VmHWM
	AfterBackupMB   float64 `json:"rss_after_backup_mb,omitempty"`
	AfterBackupAnon float64 `json:"rss_after_backup_anon_mb,omitempty"`
	AfterBackupFile float64 `json:"rss_after_backup_file_mb,omitempty"`
	BackupFileMB    float64 `json:"backup_file_mb,omitempty"`
}

// HTTPSeed is how fast records can be made the way tablets make them.
type HTTPSeed struct {
	Records        int     `json:"records"`
	PerSec         float64 `json:"records_per_s"` // join + complete pairs, one tablet
	CompleteP50Ms  float64 `json:"complete_p50_ms"`
	CompleteP99Ms  float64 `json:"complete_p99_ms"`
	Est100kMinutes float64 `json:"est_100k_minutes"`
}

// WardSection: ingest, progress and a kiosk's backlog.
type WardSection struct {
	Pushers         int     `json:"pushers"`
	Batch           int     `json:"batch"`
	IngestRecords   int     `json:"ingest_records"`
	IngestS         float64 `json:"ingest_s"`
	IngestPerSec    float64 `json:"ingest_per_s"`
	LoadedRecords   int     `json:"loaded_records"`
	LoadS           float64 `json:"load_s"`
	LoadPerSec      float64 `json:"load_per_s"`
	ProgressQueries int     `json:"progress_queries"`
	ProgressFirstMs float64 `json:"progress_first_ms"`
	ProgressP50Ms   float64 `json:"progress_p50_ms"`
	ProgressP99Ms   float64 `json:"progress_p99_ms"`
	ProgressBytes   int     `json:"progress_bytes"`
	WardRSSMB       float64 `json:"ward_rss_mb"`
	WardRSSAnonMB   float64 `json:"ward_rss_anon_mb,omitempty"` // Go heap, stacks
	WardRSSFileMB   float64 `json:"ward_rss_file_mb,omitempty"` // Badger's mapped files
	// Before the exports the tool waits for the RSS to settle (Badger's
	// compactions of the load to end): how long, and the RSS then.
	SettleS          float64 `json:"settle_s,omitempty"`
	SettledRSSMB     float64 `json:"settled_rss_mb,omitempty"`
	SettledRSSAnonMB float64 `json:"settled_rss_anon_mb,omitempty"`
	WardStartupMs    float64 `json:"ward_startup_ms"`
	// Exports of every record, streamed: seconds, bytes and the ward's
	// highest RSS while each ran (sampled every 20 ms).
	ExportCSVS       float64 `json:"export_csv_s,omitempty"`
	ExportCSVMB      float64 `json:"export_csv_mb,omitempty"`
	ExportCSVPeakMB  float64 `json:"export_csv_peak_rss_mb,omitempty"`
	ExportXLSXS      float64 `json:"export_xlsx_s,omitempty"`
	ExportXLSXMB     float64 `json:"export_xlsx_mb,omitempty"`
	ExportXLSXPeakMB float64 `json:"export_xlsx_peak_rss_mb,omitempty"`
	ExportXLSXSheets int     `json:"export_xlsx_sheets,omitempty"`
	// The anonymous part of those peaks (Go heap and stacks; the rest is
	// Badger's mapped files).
	ExportCSVPeakAnonMB  float64 `json:"export_csv_peak_anon_mb,omitempty"`
	ExportXLSXPeakAnonMB float64 `json:"export_xlsx_peak_anon_mb,omitempty"`
	// XLSX past Excel's 1,048,576 rows (full runs only): more sheets, and
	// what LibreOffice made of it.
	BigXLSXRecords    int     `json:"big_xlsx_records,omitempty"`
	BigXLSXS          float64 `json:"big_xlsx_s,omitempty"`
	BigXLSXMB         float64 `json:"big_xlsx_mb,omitempty"`
	BigXLSXPeakMB     float64 `json:"big_xlsx_peak_rss_mb,omitempty"`
	BigXLSXPeakAnonMB float64 `json:"big_xlsx_peak_anon_mb,omitempty"`
	BigXLSXSheets     int     `json:"big_xlsx_sheets,omitempty"`
	LibreOffice       string  `json:"libreoffice,omitempty"`
	LibreOfficeS      float64 `json:"libreoffice_s,omitempty"`
	// A restart on the same data: exec to the first 200 from /healthz.
	RestartRecords   int     `json:"restart_records,omitempty"`
	RestartS         float64 `json:"restart_s,omitempty"`
	RestartRSSMB     float64 `json:"restart_rss_mb,omitempty"`
	RestartRSSAnonMB float64 `json:"restart_rss_anon_mb,omitempty"`
	DrainRecords     int     `json:"drain_records"`
	DrainS           float64 `json:"drain_s"`             // kiosk exec → acked_seq == head_seq
	DrainAfterReadyS float64 `json:"drain_after_ready_s"` // first /healthz → acked_seq == head_seq
}

// PagesSection: what a phone downloads.
type PagesSection struct {
	Pages []Page `json:"pages"`
}

// Page is one document and the same-origin assets it references.
type Page struct {
	Path             string   `json:"path"`
	Requests         int      `json:"requests"`
	Bytes            int      `json:"bytes"` // headers + bodies as transferred
	BodyBytes        int      `json:"body_bytes"`
	Assets           []Asset  `json:"assets"`
	ExternalRequests int      `json:"external_requests"`
	External         []string `json:"external,omitempty"`
	Compressed       bool     `json:"compressed"`
}

// Asset is one fetched resource.
type Asset struct {
	URL      string `json:"url"`
	Bytes    int    `json:"bytes"`
	Body     int    `json:"body_bytes"`
	Type     string `json:"type"`
	Encoding string `json:"encoding,omitempty"`
}

// BinarySection: the arm64 kiosk as shipped.
type BinarySection struct {
	Target  string  `json:"target"`
	Flags   string  `json:"flags"`
	Bytes   int64   `json:"bytes"`
	MB      float64 `json:"mb"`
	WardMB  float64 `json:"ward_mb,omitempty"`
	BuildS  float64 `json:"build_s"`
	AMD64MB float64 `json:"amd64_mb,omitempty"`
}

func round(v float64, digits int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func mb(kb int) float64 { return round(float64(kb)/1024, 1) }

// percentile of sorted durations; q in [0,1].
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func sortDurations(d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
}

// writeJSON writes the results atomically: a reader never sees half a file.
func writeJSON(path string, r *Results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// printTable writes the human summary.
func printTable(w io.Writer, r *Results) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "kysobench %s  %s, %d cores, %s, fsync %.3f ms (%s)%s\n\n",
		r.StartedAt.Format(time.RFC3339), r.Machine.CPU, r.Machine.Cores, r.Machine.Kernel, r.Machine.FsyncMs, r.Machine.FS,
		map[bool]string{true: "  [QUICK: small scale, not budget numbers]", false: ""}[r.Quick])
	if j := r.Join; j != nil {
		fmt.Fprintln(tw, "JOIN (durable)\tclients\tjoins/s\tp50 ms\tp99 ms\traw badger w/s\traw p50 ms\tratio\t")
		for _, x := range append(append([]JoinRun{}, j.Runs...), j.Delayed...) {
			label := ""
			if x.FsyncDelayMs > 0 {
				label = fmt.Sprintf("+%gms fsync", x.FsyncDelayMs)
			}
			fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%.0f\t%.2f\t%.2f\t\n", label, x.Clients, x.PerSec, x.P50Ms, x.P99Ms, x.RawPerSec, x.RawP50Ms, x.Ratio)
		}
		fmt.Fprintln(tw)
	}
	if s := r.SSE; s != nil {
		fmt.Fprintln(tw, "SSE FAN-OUT\tsubscribers\tchanges\tp50 ms\tp99 ms\tall-reached p99 ms\tmissed\tRSS idle MB\tRSS connected MB\t")
		fmt.Fprintf(tw, "\t%d/%d\t%d\t%.1f\t%.1f\t%.1f\t%d\t%.1f\t%.1f\t\n", s.Connected, s.Subscribers, s.Changes, s.P50Ms, s.P99Ms, s.AllP99Ms, s.Missed, s.RSSIdleMB, max(s.RSSConnectMB, s.RSSAfterMB))
		fmt.Fprintln(tw)
	}
	if i := r.Idle; i != nil {
		fmt.Fprintln(tw, "IDLE KIOSK\trecords\tdata MB\tstart-up ms\tRSS idle MB\t(anon+file)\tbackup s\tbackup peak MB\tRSS after backup MB\t(anon+file)\t")
		for _, p := range i.Points {
			fmt.Fprintf(tw, "\t%d\t%.1f\t%.0f\t%.1f\t%.0f+%.0f\t%.1f\t%.0f\t%.0f\t%.0f+%.0f\t\n", p.Records, p.DataMB, p.StartupMs, p.RSSIdleMB, p.AnonMB, p.FileMB,
				p.BackupS, p.BackupPeakMB, p.AfterBackupMB, p.AfterBackupAnon, p.AfterBackupFile)
		}
		fmt.Fprintln(tw)
		if h := i.HTTP; h != nil {
			tw.Flush()
			fmt.Fprintf(w, "records via HTTP: %.0f/s (walk-in join + complete, one tablet); complete p50 %.2f ms; 100k would take %.1f min\n\n", h.PerSec, h.CompleteP50Ms, h.Est100kMinutes)
		}
	}
	printRestart(tw, r)
	if wd := r.Ward; wd != nil {
		fmt.Fprintln(tw, "WARD\tingest rec/s\tprogress @N\tp50 ms\tp99 ms\tdrain N\tdrain s\tward RSS MB\t")
		fmt.Fprintf(tw, "\t%.0f (%d pushers × %d)\t%d\t%.2f\t%.2f\t%d\t%.2f\t%.0f\t\n", wd.IngestPerSec, wd.Pushers, wd.Batch, wd.LoadedRecords, wd.ProgressP50Ms, wd.ProgressP99Ms, wd.DrainRecords, wd.DrainS, wd.WardRSSMB)
		fmt.Fprintln(tw)
	}
	if p := r.Pages; p != nil {
		fmt.Fprintln(tw, "PAGE WEIGHT\tpath\trequests\tKB transferred\texternal\tcompressed\t")
		for _, x := range p.Pages {
			fmt.Fprintf(tw, "\t%s\t%d\t%.1f\t%d\t%v\t\n", x.Path, x.Requests, float64(x.Bytes)/1024, x.ExternalRequests, x.Compressed)
		}
		fmt.Fprintln(tw)
	}
	if b := r.Binary; b != nil {
		fmt.Fprintln(tw, "BINARY\ttarget\tMB\t")
		fmt.Fprintf(tw, "\t%s kiosk\t%.1f\t\n", b.Target, b.MB)
		if b.WardMB > 0 {
			fmt.Fprintf(tw, "\t%s ward\t%.1f\t\n", b.Target, b.WardMB)
		}
		fmt.Fprintln(tw)
	}
	fmt.Fprintln(tw, "BUDGET\tvalue\tlimit\tresult\t")
	for _, b := range r.Budgets {
		res := "PASS"
		if !b.Pass {
			res = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%g %s\t%s %g\t%s\t\n", b.What, b.Value, b.Unit, b.Op, b.Limit, res)
	}
	if len(r.Skipped) > 0 {
		keys := make([]string, 0, len(r.Skipped))
		for k := range r.Skipped {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintln(tw)
		for _, k := range keys {
			fmt.Fprintf(tw, "skipped %s: %s\t\n", k, strings.TrimSpace(r.Skipped[k]))
		}
	}
	tw.Flush()
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/xuri/excelize/v2"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

// wardRecordsEnv sizes the ward section's load (default 1,000,000; -quick
// 20,000), e.g. to profile a smaller ward without editing the tool.
const wardRecordsEnv = "KYSOBENCH_WARD_RECORDS"

// wardSection: push ingest, progress over a million records, and one
// kiosk's backlog drained into that ward.
func (e *env) wardSection(ctx context.Context) error {
	if e.ward == "" {
		return skipError{"cmd/ward does not exist yet: no ward binary to measure"}
	}
	pushers, batch := 4, 500
	measured, total, queries, drainN := 200_000, 1_000_000, 200, 10_000
	if e.cfg.Quick {
		measured, total, queries, drainN = 10_000, 20_000, 20, 1000
	}
	if n, err := strconv.Atoi(os.Getenv(wardRecordsEnv)); err == nil && n > 0 {
		total, measured = n, min(measured, n)
	}
	sec := &WardSection{Pushers: pushers, Batch: batch, DrainRecords: drainN}
	e.res.Ward = sec

	quotas := filepath.Join(e.cfg.Root, "deploy", "examples", "quotas-cam-ngoc-2024.csv")
	args := []string{"--data", filepath.Join(e.work, "ward"), "--quotas", quotas, "--admin-password", "bench-admin-password", "--mdns=false",
		"--kiosk", kioskID + ":" + benchToken}
	for i := range pushers {
		args = append(args, "--kiosk", fmt.Sprintf("push-%d:%s", i+1, pushToken(i)))
	}
	w, err := startProcess(procSpec{name: "ward", bin: e.ward, args: args, log: filepath.Join(e.work, "ward.log")})
	if err != nil {
		return err
	}
	defer w.stop()
	up, err := w.waitReady(ctx, "/healthz", time.Minute)
	if err != nil {
		return err
	}
	sec.WardStartupMs = ms(up)

	// Ingest: bodies encoded before the clock starts, so the tool's JSON
	// work is not counted against the ward.
	per := measured / pushers
	bodies := make([][][]byte, pushers)
	for k := range pushers {
		bodies[k], err = pushBodies(fmt.Sprintf("push-%d", k+1), 1, per, batch, int64(30_000_000+k*2_000_000))
		if err != nil {
			return err
		}
	}
	tokens := make([]string, pushers)
	for k := range tokens {
		tokens[k] = pushToken(k)
	}
	el, err := pushAll(ctx, w.base, tokens, bodies)
	if err != nil {
		return err
	}
	sec.IngestRecords, sec.IngestS = per*pushers, round(el.Seconds(), 2)
	sec.IngestPerSec = round(float64(sec.IngestRecords)/el.Seconds(), 0)
	bodies = nil
	e.log.Info("ward ingest", "records", sec.IngestRecords, "per_s", sec.IngestPerSec)

	// Fill up to total with records made on the fly (not the measured part).
	rest := (total - per*pushers) / pushers
	t0 := time.Now()
	if err := fillWard(ctx, w.base, pushers, batch, per+1, per+rest); err != nil {
		return err
	}
	sec.LoadedRecords = pushers * (per + rest)
	sec.LoadS = round(time.Since(t0).Seconds()+el.Seconds(), 1)
	sec.LoadPerSec = round(float64(sec.LoadedRecords)/sec.LoadS, 0)
	e.log.Info("ward loaded", "records", sec.LoadedRecords, "per_s", sec.LoadPerSec)

	// Progress: what the dashboard and every kiosk poll.
	time.Sleep(time.Second)
	client := &http.Client{Timeout: 30 * time.Second}
	var lat []time.Duration
	for i := range queries + 1 {
		s := time.Now()
		resp, err := client.Get(w.base + "/api/v1/progress")
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(s)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("progress: %s", resp.Status)
		}
		if i == 0 {
			sec.ProgressFirstMs, sec.ProgressBytes = ms(d), len(b)
			if err := checkProgress(b, sec.LoadedRecords); err != nil {
				return err
			}
			continue
		}
		lat = append(lat, d)
	}
	sortDurations(lat)
	sec.ProgressQueries = len(lat)
	sec.ProgressP50Ms, sec.ProgressP99Ms = ms(percentile(lat, .5)), ms(percentile(lat, .99))
	if m, err := w.mem(); err == nil {
		sec.WardRSSMB, sec.WardRSSAnonMB, sec.WardRSSFileMB = mb(m["VmRSS"]), mb(m["RssAnon"]), mb(m["RssFile"])
		e.log.Info("ward memory after load", "rss_mb", sec.WardRSSMB, "anon_mb", sec.WardRSSAnonMB, "file_mb", sec.WardRSSFileMB)
	}
	// Badger compacts a freshly pushed million records for a minute or more
	// after the last push, holding hundreds of MB that then go back:
	// the exports are measured once that is over, so that they show what
	// an export costs; the burst is the RSS after load above.
	// (-quick: 20k records leave nothing to wait for.)
	if !e.cfg.Quick {
		sec.SettleS, sec.SettledRSSMB, sec.SettledRSSAnonMB = settle(ctx, w, filepath.Join(e.work, "ward", "store"), 5*time.Minute)
		e.log.Info("ward settled", "seconds", sec.SettleS, "rss_mb", sec.SettledRSSMB, "anon_mb", sec.SettledRSSAnonMB)
	}
	if err := exportMeasure(ctx, w, sec); err != nil {
		return err
	}
	if !e.cfg.Quick {
		// Past Excel's 1,048,576 rows: the workbook goes on in a second
		// sheet, and LibreOffice must open it.
		more := total / 5 / pushers
		if err := fillWard(ctx, w.base, pushers, batch, per+rest+1, per+rest+more); err != nil {
			return err
		}
		sec.BigXLSXRecords = pushers * (per + rest + more)
		settle(ctx, w, filepath.Join(e.work, "ward", "store"), 5*time.Minute)
		if err := bigXLSX(ctx, w, e.work, sec, e.log); err != nil {
			return err
		}
	}
	// Restart on the same data: what a power cut at the commune office costs.
	if err := w.stop(); err != nil {
		return err
	}
	w, err = startProcess(procSpec{name: "ward", bin: e.ward, args: args, log: filepath.Join(e.work, "ward-restart.log")})
	if err != nil {
		return err
	}
	defer w.stop()
	up, err = w.waitReady(ctx, "/healthz", 5*time.Minute)
	if err != nil {
		return err
	}
	sec.RestartRecords, sec.RestartS = max(sec.LoadedRecords, sec.BigXLSXRecords), round(up.Seconds(), 2)
	if m, err := w.mem(); err == nil {
		sec.RestartRSSMB, sec.RestartRSSAnonMB = mb(m["VmRSS"]), mb(m["RssAnon"])
	}
	e.log.Info("ward restarted", "records", sec.RestartRecords, "seconds", sec.RestartS, "rss_mb", sec.RestartRSSMB)

	// Backlog: a kiosk that was offline comes up with drainN unsent records.
	data := filepath.Join(e.work, "drain")
	if _, err := e.seedT.copyTo(data, drainN); err != nil {
		return err
	}
	k, err := startProcess(procSpec{name: "kiosk", bin: e.kiosk, args: kioskArgs(data, "--ward-url", w.base), log: filepath.Join(e.work, "drain.log")})
	if err != nil {
		return err
	}
	defer k.stop()
	ready, err := k.waitReady(ctx, "/healthz", time.Minute)
	if err != nil {
		return err
	}
	hc := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		var h struct {
			Head  uint64 `json:"head_seq"`
			Acked uint64 `json:"acked_seq"`
		}
		resp, err := hc.Get(k.base + "/healthz")
		if err == nil {
			err = json.NewDecoder(resp.Body).Decode(&h)
			resp.Body.Close()
		}
		if err == nil && h.Head == uint64(drainN) && h.Acked == h.Head {
			d := time.Since(k.started)
			sec.DrainS, sec.DrainAfterReadyS = round(d.Seconds(), 3), round((d-ready).Seconds(), 3)
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("backlog not drained after 2 min (acked %d of %d); kiosk log: %s", h.Acked, h.Head, k.tail())
		}
		time.Sleep(5 * time.Millisecond)
	}
	k.stop()
	os.RemoveAll(data)
	e.log.Info("drain", "records", drainN, "seconds", sec.DrainS)
	return nil
}

// settle waits at least a minute, then until Badger has stopped compacting
// (the store's set of tables unchanged for 30 s) and the ward's RSS has
// stayed within 2% for 30 s (the ward hands idle memory back every 10 s;
// a long compaction changes no table for a while, hence the minute), at
// most limit; it returns how long that took and the RSS then.
func settle(ctx context.Context, w *process, store string, limit time.Duration) (secs, rssMB, anonMB float64) {
	const quiet = 30
	t0 := time.Now()
	var rss []int
	var tables []string
	for time.Since(t0) < limit && ctx.Err() == nil {
		m, err := w.mem()
		if err != nil {
			break
		}
		sst, _ := filepath.Glob(filepath.Join(store, "*.sst"))
		tables = append(tables, strings.Join(sst, ","))
		rss = append(rss, m["VmRSS"])
		rssMB, anonMB = mb(m["VmRSS"]), mb(m["RssAnon"])
		if n := len(rss); n > quiet {
			lo, hi, same := rss[n-quiet-1], rss[n-quiet-1], true
			for i := n - quiet - 1; i < n; i++ {
				lo, hi = min(lo, rss[i]), max(hi, rss[i])
				same = same && tables[i] == tables[n-1]
			}
			if same && float64(hi-lo) <= 0.02*float64(hi) && time.Since(t0) >= time.Minute {
				break
			}
		}
		time.Sleep(time.Second)
	}
	return round(time.Since(t0).Seconds(), 0), rssMB, anonMB
}

// fillWard pushes seqs from..to of every pusher's kiosk, made on the fly
// (not measured).
func fillWard(ctx context.Context, base string, pushers, batch, from, to int) error {
	var wg sync.WaitGroup
	var fillErr atomic.Value
	for k := range pushers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("push-%d", k+1)
			for f := from; f <= to && ctx.Err() == nil; f += batch * 20 {
				n := min(batch*20, to-f+1)
				bs, err := pushBodies(id, uint64(f), n, batch, int64(30_000_000+k*2_000_000+f-1))
				if err == nil {
					_, err = pushAll(ctx, base, []string{pushToken(k)}, [][][]byte{bs})
				}
				if err != nil {
					fillErr.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := fillErr.Load().(error); err != nil {
		return err
	}
	return ctx.Err()
}

// pushBodies encodes n records of kiosk id from seq first as push requests of batch records.
func pushBodies(id string, first uint64, n, batch int, citizenBase int64) ([][]byte, error) {
	var out [][]byte
	now := time.Now().UTC().Truncate(time.Second)
	for off := 0; off < n; off += batch {
		m := min(batch, n-off)
		recs := make([]record.Record, m)
		for i := range recs {
			seq := first + uint64(off+i)
			at := now.Add(-time.Duration(n-off-i) * time.Second)
			r := record.Record{ID: uuid.NewString(), KioskID: id, Seq: seq, Type: record.TypeCompletion,
				Citizen: citizenAt(citizenBase + int64(off+i)), Outcome: record.OutcomeActivated,
				Volunteer: "Bench", Desk: 1 + int(seq%3), ConsentAt: at.Add(-10 * time.Minute), ConsentVersion: "bench",
				ConsentBy: "citizen", RecordedAt: at, Clock: record.ClockKiosk, Ticket: int(seq % 300)}
			if seq%7 == 0 {
				r.Outcome, r.Reason = record.OutcomeFailed, "no_email"
			}
			recs[i] = r
		}
		b, err := json.Marshal(link.PushRequest{KioskID: id, HeadSeq: first + uint64(n) - 1, Version: "bench", Now: &now, Records: recs})
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// pushAll sends each pusher's bodies in order, pushers in parallel, and
// checks every acked_seq.
func pushAll(ctx context.Context, base string, tokens []string, bodies [][][]byte) (time.Duration, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: len(bodies), DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	var wg sync.WaitGroup
	errc := make(chan error, len(bodies))
	t0 := time.Now()
	for k, bs := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, b := range bs {
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/records", bytes.NewReader(b))
				if err != nil {
					errc <- err
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tokens[k])
				resp, err := client.Do(req)
				if err != nil {
					errc <- err
					return
				}
				rb, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errc <- fmt.Errorf("push: %s: %s", resp.Status, bytes.TrimSpace(rb[:min(len(rb), 300)]))
					return
				}
				var ack link.PushResponse
				if err := json.Unmarshal(rb, &ack); err != nil || ack.AckedSeq == 0 {
					errc <- fmt.Errorf("push reply %q: %v", rb[:min(len(rb), 200)], err)
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	close(errc)
	return el, <-errc
}

// checkProgress makes sure the ward counted what was pushed: a fast answer
// about nothing would be no measurement.
func checkProgress(b []byte, pushed int) error {
	var p struct {
		Total struct {
			Done int `json:"done"`
		} `json:"total"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return fmt.Errorf("progress is not JSON: %w", err)
	}
	if p.Total.Done < pushed/2 {
		return fmt.Errorf("progress counts %d done after %d records pushed", p.Total.Done, pushed)
	}
	return nil
}

// pushToken is pusher k's token: the ward tells kiosks apart by token.
func pushToken(k int) string { return fmt.Sprintf("%s-push-%d", benchToken, k+1) }

// exportMeasure downloads the whole evidence list as CSV and as XLSX (all
// attempts) and samples the ward's RSS meanwhile: exports stream, so the
// peak must not grow with the record count.
func exportMeasure(ctx context.Context, w *process, sec *WardSection) error {
	var err error
	if sec.ExportCSVS, sec.ExportCSVMB, sec.ExportCSVPeakMB, sec.ExportCSVPeakAnonMB, _, err = exportOne(ctx, w, "/export/completions.csv?all=1"); err != nil {
		return err
	}
	var xlsx []byte
	if sec.ExportXLSXS, sec.ExportXLSXMB, sec.ExportXLSXPeakMB, sec.ExportXLSXPeakAnonMB, xlsx, err = exportOne(ctx, w, "/export/completions.xlsx?all=1"); err != nil {
		return err
	}
	f, err := excelize.OpenReader(bytes.NewReader(xlsx), excelize.Options{UnzipXMLSizeLimit: 1 << 40, UnzipSizeLimit: 1 << 40})
	if err != nil {
		return fmt.Errorf("the exported workbook does not open: %w", err)
	}
	sec.ExportXLSXSheets = len(f.GetSheetList())
	f.Close()
	return nil
}

// exportOne downloads one export (keeping an XLSX body) while sampling the
// ward's RSS, and its anonymous part (the Go heap; the rest is Badger's
// mapped files, page cache the kernel can take back), every 20 ms.
func exportOne(ctx context.Context, w *process, path string) (secs, mbytes, peak, peakAnon float64, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.base+path, nil)
	if err != nil {
		return 0, 0, 0, 0, nil, err
	}
	req.SetBasicAuth("admin", "bench-admin-password")
	stop := make(chan struct{})
	peakKB, anonKB := 0, 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			if m, err := w.mem(); err == nil {
				peakKB, anonKB = max(peakKB, m["VmRSS"]), max(anonKB, m["RssAnon"])
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	start := time.Now()
	resp, err := (&http.Client{Timeout: 10 * time.Minute}).Do(req)
	var n int64
	if err == nil {
		if strings.Contains(path, ".xlsx") {
			body, err = io.ReadAll(resp.Body)
			n = int64(len(body))
		} else {
			n, err = io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
		if err == nil && resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("%s: %s", path, resp.Status)
		}
	}
	close(stop)
	<-done
	return round(time.Since(start).Seconds(), 2), round(float64(n)/(1<<20), 1), mb(peakKB), mb(anonKB), body, err
}

// bigXLSX exports every record past Excel's row limit as XLSX, checks that
// it went on in a second sheet, and has LibreOffice open it (converting
// its first sheet to CSV, which reads the whole workbook).
func bigXLSX(ctx context.Context, w *process, work string, sec *WardSection, log *slog.Logger) error {
	var body []byte
	var err error
	sec.BigXLSXS, sec.BigXLSXMB, sec.BigXLSXPeakMB, sec.BigXLSXPeakAnonMB, body, err = exportOne(ctx, w, "/export/completions.xlsx?all=1")
	if err != nil {
		return err
	}
	f, err := excelize.OpenReader(bytes.NewReader(body), excelize.Options{UnzipXMLSizeLimit: 1 << 40, UnzipSizeLimit: 1 << 40})
	if err != nil {
		return fmt.Errorf("the %d-record workbook does not open: %w", sec.BigXLSXRecords, err)
	}
	sec.BigXLSXSheets = len(f.GetSheetList())
	f.Close()
	if sec.BigXLSXSheets < 2 {
		return fmt.Errorf("%d records went into %d sheet(s): past 1,048,576 rows the export must go on in another sheet", sec.BigXLSXRecords, sec.BigXLSXSheets)
	}
	dir := filepath.Join(work, "xlsx")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	file := filepath.Join(dir, "completions.xlsx")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		return err
	}
	body = nil
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		sec.LibreOffice = "not checked: soffice is not installed (apt-get install libreoffice-calc-nogui)"
		log.Warn("LibreOffice is not installed: the workbook past Excel's row limit was not opened with it", "install", "apt-get install libreoffice-calc-nogui")
		return nil
	}
	lctx, cancel := context.WithTimeout(ctx, 20*time.Minute)
	defer cancel()
	t0 := time.Now()
	cmd := exec.CommandContext(lctx, soffice, "--headless", "--norestore", "-env:UserInstallation=file://"+filepath.Join(dir, "profile"),
		"--convert-to", "csv", "--outdir", dir, file)
	// soffice is a script that starts soffice.bin: end the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out, err := cmd.CombinedOutput()
	sec.LibreOfficeS = round(time.Since(t0).Seconds(), 1)
	csv := filepath.Join(dir, "completions.csv")
	lines, cerr := countLines(csv)
	if err != nil || cerr != nil || lines == 0 {
		return fmt.Errorf("LibreOffice did not open the %d-record workbook (%v, %v): %s", sec.BigXLSXRecords, err, cerr, bytes.TrimSpace(out))
	}
	sec.LibreOffice = fmt.Sprintf("opened: sheet 1 converted to CSV, %d lines", lines)
	log.Info("LibreOffice opened the workbook", "records", sec.BigXLSXRecords, "sheets", sec.BigXLSXSheets, "sheet1_lines", lines, "seconds", sec.LibreOfficeS)
	os.RemoveAll(dir)
	return nil
}

func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n := 0
	buf := make([]byte, 1<<20)
	for {
		k, err := f.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

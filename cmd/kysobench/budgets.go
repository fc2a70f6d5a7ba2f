package main

import (
	"fmt"
	"strings"
)

// judge turns the measurements into DESIGN.md's budget lines. A section
// that did not run adds no line: absent is not "pass".
func (e *env) judge() {
	r := e.res
	var b []Budget
	quick := ""
	if r.Quick {
		quick = "quick run: small scale"
	}
	if j := r.Join; j != nil {
		for _, x := range j.Runs {
			who := fmt.Sprintf("%d clients", x.Clients)
			if x.Clients == 1 {
				who = "1 client"
			}
			b = append(b, budget(fmt.Sprintf("join_ratio_c%d", x.Clients),
				"durable joins / raw Badger sync writes, "+who, x.Ratio, "×", ">=", 0.5, quick))
		}
	}
	if s := r.SSE; s != nil {
		note := fmt.Sprintf("%d subscribers", s.Connected)
		if s.Missed > 0 {
			note += fmt.Sprintf(", %d arrivals missed", s.Missed)
		}
		b = append(b,
			budget("sse_p99", fmt.Sprintf("board change reaches %d live clients, p99", s.Subscribers), s.P99Ms, "ms", "<=", 200, note),
			budget("sse_rss", fmt.Sprintf("kiosk RSS with %d live clients", s.Subscribers), max(s.RSSConnectMB, s.RSSAfterMB), "MB", "<=", 100, note))
		if s.Connected < s.Subscribers {
			b = append(b, budget("sse_connected", "live clients connected", float64(s.Connected), "", ">=", float64(s.Subscribers), ""))
		}
	}
	if i := r.Idle; i != nil {
		for _, p := range i.Points {
			limit := 40.0
			if p.Records > 10_000 {
				limit = 60
			}
			b = append(b, budget(fmt.Sprintf("idle_rss_%d", p.Records), fmt.Sprintf("idle kiosk RSS, %d records", p.Records), p.RSSIdleMB, "MB", "<=", limit, quick))
		}
	}
	b = append(b, restartBudgets(r, quick)...)
	if w := r.Ward; w != nil {
		if w.IngestPerSec > 0 {
			b = append(b, budget("ward_ingest", "ward push ingest", w.IngestPerSec, "records/s", ">=", 20_000, fmt.Sprintf("%d pushers, %d per request", w.Pushers, w.Batch)))
		}
		if w.ProgressQueries > 0 {
			b = append(b, budget("ward_progress_p99", fmt.Sprintf("/api/v1/progress at %d records, p99", w.LoadedRecords), w.ProgressP99Ms, "ms", "<", 20, quick))
		}
		if w.ExportCSVPeakMB > 0 {
			b = append(b, budget("export_csv_rss", fmt.Sprintf("ward RSS while exporting %d records as CSV", w.LoadedRecords), w.ExportCSVPeakMB, "MB", "<", 400, quick))
		}
		if w.ExportXLSXPeakMB > 0 {
			b = append(b, budget("export_xlsx_rss", fmt.Sprintf("ward RSS while exporting %d records as XLSX", w.LoadedRecords), w.ExportXLSXPeakMB, "MB", "<", 400, quick))
		}
		if w.BigXLSXPeakMB > 0 {
			b = append(b, budget("export_xlsx_big_rss", fmt.Sprintf("ward RSS while exporting %d records as XLSX (%d sheets; LibreOffice %s)", w.BigXLSXRecords, w.BigXLSXSheets, w.LibreOffice), w.BigXLSXPeakMB, "MB", "<", 400, quick))
		}
		if w.DrainS > 0 {
			b = append(b, budget("drain", fmt.Sprintf("%d-record backlog kiosk→ward (from kiosk exec)", w.DrainRecords), w.DrainS, "s", "<", 3, quick))
		}
	}
	if p := r.Pages; p != nil {
		for _, pg := range p.Pages {
			if pg.Path == "/join" {
				b = append(b, budget("join_page_kb", "/join transferred (with its CSS, JS, images)", float64(pg.Bytes)/1024, "KB", "<=", 40, ""))
			}
			b = append(b, budget("external_"+pg.Path, pg.Path+" requests to other origins", float64(pg.ExternalRequests), "", "==", 0, ""))
		}
	}
	if x := r.Binary; x != nil {
		b = append(b, budget("arm64_mb", "kiosk linux/arm64 binary", x.MB, "MB", "<=", 25, ""))
	}
	r.Budgets = b
	if r.Budgets == nil {
		r.Budgets = []Budget{}
	}
}

// restartBudgets are issue 15's: a restart with a long day's tickets within
// 3 s, with the default limit and in a 512 MB cgroup whose limit the kiosk
// takes; in that cgroup under a thousand streams and a join flood, no OOM
// kill, no GC-bound kiosk, joins p99 ≤ 100 ms.
func restartBudgets(r *Results, quick string) []Budget {
	var b []Budget
	if rs := r.Restart; rs != nil {
		for _, p := range rs.Points {
			n := p.Mix.Tickets
			if len(p.Auto) > 0 {
				board, _ := worst(p.Auto)
				b = append(b, budget(fmt.Sprintf("restart_%d", n), fmt.Sprintf("kiosk restart with %d tickets of today, exec → board (worst of %d)", n, len(p.Auto)),
					board/1000, "s", "<=", 3, joinNotes(quick, fmt.Sprintf("memory limit %d MiB", p.Auto[0].LimitMiB))))
			}
			if len(p.InCg) > 0 {
				board, _ := worst(p.InCg)
				b = append(b, budget(fmt.Sprintf("restart_%d_cgroup", n), fmt.Sprintf("the same in a %d MB memory cgroup (worst of %d)", cgroupLimit>>20, len(p.InCg)),
					board/1000, "s", "<=", 3, joinNotes(quick, fmt.Sprintf("memory limit %d MiB", p.InCg[0].LimitMiB))))
				fromCg := 0.0
				for _, x := range p.InCg {
					if x.LimitMiB == cgroupLimit>>21 && strings.Contains(x.LimitWhy, "cgroup") {
						fromCg++
					}
				}
				b = append(b, budget(fmt.Sprintf("restart_%d_cgroup_limit", n), fmt.Sprintf("runs whose kiosk took half the cgroup's %d MiB as its memory limit", cgroupLimit>>20),
					fromCg, "", "==", float64(len(p.InCg)), p.InCg[0].LimitWhy))
			}
		}
	}
	if c := r.Cgroup; c != nil {
		dead := 0.0
		if !c.Alive {
			dead = 1
		}
		b = append(b,
			budget("cgroup_oom", fmt.Sprintf("kiosk OOM-killed or dead in a %d MB cgroup (%d streams, join flood)", cgroupLimit>>20, c.Subscribers), max(float64(c.OOMKills), 0)+dead, "", "==", 0,
				fmt.Sprintf("cgroup peak %.0f MB, failcnt %d", c.CgPeakMB, c.Failcnt)),
			budget("cgroup_gc_share", "its GC's share of the kiosk's CPU during the floods", c.GCShare, "%", "<=", 10,
				fmt.Sprintf("%d cycles, %.1f/s, limit %d MiB", c.GCs, c.GCPerSec, c.LimitMiB)),
			budget("cgroup_join_p99", fmt.Sprintf("join p99 there, %.0f joins/s sent on schedule beside %d streams", c.Rate, c.Connected), c.P99Ms, "ms", "<=", 100,
				joinNotes(quick, fmt.Sprintf("disk fsync p99 meanwhile %.0f ms; saturated: %.0f joins/s, p99 %.0f ms at %d clients", c.FsyncP99Ms, c.SatPerSec, c.SatP99Ms, c.SatClients))))
	}
	return b
}

func joinNotes(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

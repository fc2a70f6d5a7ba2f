package main

import "fmt"

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

package ward

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/tally"
)

// BenchmarkIngestPush measures durable ingest through the real HTTP push
// endpoint, batches of 1000 records (the budget: ≥ 20k records/s).
func BenchmarkIngestPush(b *testing.B) {
	for _, kiosks := range []int{1, 7} {
		b.Run(fmt.Sprintf("kiosks=%d", kiosks), func(b *testing.B) {
			const batch = 1000
			t := &testing.T{}
			cfg := testConfig(t)
			cfg.Data = b.TempDir()
			cfg.Kiosks = nil
			for k := 0; k < kiosks; k++ {
				cfg.Kiosks = append(cfg.Kiosks, KioskCred{ID: fmt.Sprintf("kiosk-%d", k), Token: fmt.Sprintf("token-%d-0123456789abcdef", k)})
			}
			h := &harness{t: t, cfg: cfg, clock: &testClock{}}
			h.open()
			defer h.stop()
			// Bodies are built before the clock starts: only the ward is measured.
			bodies := make([][][]byte, kiosks)
			perKiosk := (b.N + kiosks - 1) / kiosks
			for k := range bodies {
				id := cfg.Kiosks[k].ID
				for i := 0; i < perKiosk; i++ {
					recs := make([]record.Record, batch)
					for j := range recs {
						seq := uint64(i*batch + j + 1)
						recs[j] = rec(id, seq, fmt.Sprintf("%03d%09d", k+1, seq), []string{"Đông Lão", "Song Nga", "Thôn Kim"}[j%3], true)
						recs[j].ID = fmt.Sprintf("%s-%d", id, seq)
					}
					body, _ := json.Marshal(link.PushRequest{KioskID: id, Records: recs})
					bodies[k] = append(bodies[k], body)
				}
			}
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: kiosks}}
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for k := 0; k < kiosks; k++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for _, body := range bodies[k] {
						req, _ := http.NewRequest("POST", h.url+"/api/v1/records", bytes.NewReader(body))
						req.Header.Set("Authorization", "Bearer "+cfg.Kiosks[k].Token)
						res, err := client.Do(req)
						if err != nil {
							b.Error(err)
							return
						}
						res.Body.Close()
						if res.StatusCode != 200 {
							b.Errorf("push: %d", res.StatusCode)
							return
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			n := kiosks * perKiosk * batch
			b.ReportMetric(float64(n)/elapsed.Seconds(), "records/s")
			if got := h.svc.led.tally.Len(); got != n {
				b.Fatalf("held %d records, want %d", got, n)
			}
		})
	}
}

// BenchmarkProgress computes the public progress document (and encodes it)
// with many records held (the budget: < 20 ms at 1M records).
func BenchmarkProgress(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("records=%d", n), func(b *testing.B) {
			t := &testing.T{}
			cfg := testConfig(t)
			cfg.Data = b.TempDir()
			svc, err := New(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer svc.Close()
			villages := []string{"Đông Lão", "Song Nga", "Thôn Sổng", "Thôn PNV", "Thôn Kim", "Thôn Song", "Thôn Sành", "Xã bên"}
			assocs := []string{"", "Hội Phụ nữ", "Hội Nông dân", "Đoàn Thanh niên", "Hội Cựu chiến binh"}
			base := time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)
			items := make([]tally.Item, 0, 10_000)
			for i := 0; i < n; i++ {
				items = append(items, tally.Item{
					Kiosk: fmt.Sprintf("kiosk-%d", i%7), Seq: uint64(i/7 + 1), ID: fmt.Sprint("r", i),
					CCCD: fmt.Sprintf("038%09d", i%(n*9/10)), Village: villages[i%len(villages)], Association: assocs[i%len(assocs)],
					Activated: i%10 != 0, At: base.Add(time.Duration(i%90) * 24 * time.Hour), Hash: uint64(i),
				})
				if len(items) == cap(items) {
					svc.led.tally.Add(items...)
					items = items[:0]
				}
			}
			svc.led.tally.Add(items...)
			b.ResetTimer()
			for b.Loop() {
				p := svc.camp.Progress()
				if _, err := json.Marshal(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

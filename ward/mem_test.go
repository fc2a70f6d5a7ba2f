package ward

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/export"
	"github.com/kyso-vn/kyso/ward/store"
)

// TestMemoryPerRecord is a measurement, not a check: it ingests
// KYSO_WARD_MEM records (e.g. 200000) into a real ward, then reports the
// live heap per record after a GC, restarts the ward and reports the
// start-up time and the heap again. KYSO_WARD_MEMPROF=file writes a heap
// profile after the ingest (`go tool pprof -top file`).
func TestMemoryPerRecord(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("KYSO_WARD_MEM"))
	if n <= 0 {
		t.Skip("a measurement: set KYSO_WARD_MEM=200000 to run it")
	}
	cfg := testConfig(t)
	h := start(t, cfg)
	base := heapInUse()
	const batch = 1000
	villages := []string{"Đông Lão", "Song Nga", "Thôn Kim", "Làng Mới", "Yên Lập", "Cẩm Ngọc"}
	assocs := []string{"Hội Phụ nữ", "Đoàn Thanh niên", "Hội Nông dân", "Hội Cựu chiến binh"}
	t1 := time.Now()
	for from := 1; from <= n; from += batch {
		recs := make([]record.Record, 0, batch)
		for seq := from; seq < from+batch && seq <= n; seq++ {
			r := rec("kiosk-a", uint64(seq), fmt.Sprintf("038%d%02d%06d", seq%2, 50+seq%50, seq/100), villages[seq%len(villages)], seq%7 != 0)
			r.Citizen.Association = assocs[(seq/3)%len(assocs)]
			r.ID = fmt.Sprintf("%08x-%04x-4000-8000-%012x", seq*2654435761%(1<<32), seq%65536, seq)
			recs = append(recs, r)
		}
		_, err := h.svc.led.ingest("kiosk-a", recs, contact{via: store.ViaPush, headSeq: uint64(n)})
		require.NoError(t, err)
	}
	ingest := time.Since(t1)
	if d, err := time.ParseDuration(os.Getenv("KYSO_WARD_MEMWAIT")); err == nil {
		time.Sleep(d) // let Badger's compactions of the load run
	}
	after := heapInUse()
	t.Logf("ingest %d records in %s: heap in use %.1f MB, %.0f bytes/record (base %.1f MB)",
		n, ingest.Round(time.Millisecond), float64(after)/(1<<20), float64(after-base)/float64(n), float64(base)/(1<<20))
	if f := os.Getenv("KYSO_WARD_MEMPROF"); f != "" {
		out, err := os.Create(f)
		require.NoError(t, err)
		require.NoError(t, pprof.Lookup("heap").WriteTo(out, 0))
		out.Close()
	}
	h.stop()
	gone := heapInUse()
	if f := os.Getenv("KYSO_WARD_CPUPROF"); f != "" {
		out, err := os.Create(f)
		require.NoError(t, err)
		require.NoError(t, pprof.StartCPUProfile(out))
		defer out.Close()
	}
	t2 := time.Now()
	h.open()
	took := time.Since(t2)
	pprof.StopCPUProfile()
	again := heapInUse()
	t.Logf("restart with %d records: %s (%.1f µs/record); heap in use %.1f MB, %.0f bytes/record",
		n, took.Round(time.Millisecond), float64(took.Microseconds())/float64(n), float64(again)/(1<<20), float64(again-gone)/float64(n))
	if f := os.Getenv("KYSO_WARD_MEMPROF"); f != "" {
		out, err := os.Create(f + ".restart")
		require.NoError(t, err)
		require.NoError(t, pprof.Lookup("heap").WriteTo(out, 0))
		out.Close()
	}
	require.Equal(t, n, h.svc.led.tally.Len())

	// An export of every record: the heap it adds.
	for _, kind := range []string{"csv", "xlsx"} {
		base := heapInUse()
		var peak uint64
		stop, done := make(chan struct{}), make(chan struct{})
		go func() {
			defer close(done)
			tk := time.NewTicker(5 * time.Millisecond)
			defer tk.Stop()
			for {
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				peak = max(peak, m.HeapInuse)
				select {
				case <-stop:
					return
				case <-tk.C:
				}
			}
		}()
		rows, _ := h.svc.led.CompletionRows(h.svc.camp.Plan(), "", true)
		lines := 0
		counted := func(fn func(export.Completion) error) error {
			return rows(func(c export.Completion) error {
				if lines++; lines == n/2 {
					if f := os.Getenv("KYSO_WARD_MEMPROF"); f != "" {
						out, err := os.Create(f + ".export-" + kind)
						require.NoError(t, err)
						require.NoError(t, pprof.Lookup("heap").WriteTo(out, 0))
						out.Close()
					}
				}
				return fn(c)
			})
		}
		t3 := time.Now()
		var err error
		if kind == "csv" {
			err = export.WriteCompletionsCSV(io.Discard, counted)
		} else {
			err = export.WriteCompletionsXLSX(io.Discard, "DANH SÁCH", "Toàn xã", counted)
		}
		require.NoError(t, err)
		close(stop)
		<-done
		t.Logf("%s export of %d lines in %s: heap in use %.1f MB before, peak %.1f MB", kind, lines, time.Since(t3).Round(time.Millisecond), float64(base)/(1<<20), float64(peak)/(1<<20))
	}
}

func heapInUse() uint64 {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

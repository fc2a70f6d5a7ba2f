package hardening

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

const wardPassword = "mat-khau-quan-tri-2026"

// wardKiosks are the kiosks a test ward knows, with their tokens.
var wardKiosks = []struct{ ID, Token string }{
	{"dong-lao", "token-dong-lao-0123456789abcdef"},
	{"song-nga", "token-song-nga-0123456789abcdef"},
	{"thon-kim", "token-thon-kim-0123456789abcdef"},
}

type wardOpts struct {
	Data  string
	Extra []string
	Bin   string // default bins.ward
}

// startWard runs bin/ward on a free port with the Cẩm Ngọc quotas.
func startWard(t *testing.T, o wardOpts) *proc {
	t.Helper()
	needWard(t)
	if o.Data == "" {
		o.Data = t.TempDir()
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	args := []string{"--listen", addr, "--data", o.Data, "--admin-password", wardPassword, "--mdns=false",
		"--quotas", filepath.Join(moduleRoot(), "deploy", "examples", "quotas-cam-ngoc-2024.csv")}
	for _, k := range wardKiosks {
		args = append(args, "--kiosk", k.ID+":"+k.Token)
	}
	args = append(args, o.Extra...)
	bin := bins.ward
	if o.Bin != "" {
		bin = o.Bin
	}
	p := &proc{t: t, bin: bin, args: args, addr: addr, out: &syncBuffer{}}
	p.start()
	t.Cleanup(p.stop)
	return p
}

// wardRecord is record seq of kiosk k: the same bytes every time it is
// built, as a kiosk re-sending from its log would send them.
func wardRecord(k int, seq uint64) record.Record {
	n := k*100000 + int(seq)
	at := time.Date(2026, 11, 20, 19, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Minute)
	return record.Record{
		ID:      fmt.Sprintf("00000000-0000-4000-8000-%04d%08d", k, seq),
		KioskID: wardKiosks[k].ID, Seq: seq, Type: record.TypeCompletion,
		Citizen: record.Citizen{
			Name:      families[n%len(families)] + " " + middles[(n/8)%len(middles)] + " " + givens[(n/64)%len(givens)] + " " + givens[(n/1024)%len(givens)] + " Ward",
			CCCD:      fmt.Sprintf("0380%02d%06d", 90, n),
			BirthDate: "1990-05-01", Gender: "male", Phone: fmt.Sprintf("03%08d", n),
			Village: "Đông Lão",
		},
		Outcome: record.OutcomeActivated, Volunteer: "Trần Thị Lan", Desk: 1, Ticket: int(seq),
		ConsentAt: at.Add(-time.Hour), ConsentVersion: "v1", ConsentBy: "citizen", RecordedAt: at, Clock: record.ClockKiosk,
	}
}

// push sends records [from, to] of kiosk k; it returns the ward's acked_seq
// on a 2xx.
func push(c *client, k int, from, to uint64) (uint64, resp, error) {
	req := link.PushRequest{KioskID: wardKiosks[k].ID, HeadSeq: to}
	for s := from; s <= to; s++ {
		req.Records = append(req.Records, wardRecord(k, s))
	}
	r, err := c.do("POST", "/api/v1/records", req, "Authorization", "Bearer "+wardKiosks[k].Token)
	if err != nil || r.Status/100 != 2 {
		return 0, r, err
	}
	var pr link.PushResponse
	if err := json.Unmarshal(r.Body, &pr); err != nil {
		return 0, r, err
	}
	return pr.AckedSeq, r, nil
}

func basicAdmin() []string {
	return []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:"+wardPassword))}
}

// wardAcked reads each kiosk's acked_seq from the health list.
func wardAcked(t *testing.T, c *client) map[string]uint64 {
	t.Helper()
	var h struct {
		Kiosks []struct {
			KioskID  string `json:"kiosk_id"`
			AckedSeq uint64 `json:"acked_seq"`
		} `json:"kiosks"`
	}
	if err := json.Unmarshal(c.must(t, "GET", "/api/v1/kiosks", nil).Body, &h); err != nil {
		t.Fatal(err)
	}
	out := map[string]uint64{}
	for _, k := range h.Kiosks {
		out[k.KioskID] = k.AckedSeq
	}
	return out
}

func wardDone(t *testing.T, c *client) int {
	t.Helper()
	var p struct{ Total struct{ Done int } }
	if err := json.Unmarshal(c.must(t, "GET", "/api/v1/progress", nil).Body, &p); err != nil {
		t.Fatal(err)
	}
	return p.Total.Done
}

// TestWardPowerCut kills the ward with SIGKILL at random moments while three
// kiosks push batches concurrently, each from its last acknowledged seq,
// as the kiosk forwarder does. Every acknowledged seq must survive every
// restart; at the end every record is held once and counted once.
func TestWardPowerCut(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level power-cut test")
	}
	p := startWard(t, wardOpts{})
	const perKiosk = 4000
	var mu sync.Mutex
	maxAcked := make([]uint64, len(wardKiosks))
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for k := range wardKiosks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(p.url())
			cursor := uint64(0)
			for {
				select {
				case <-stop:
					return
				default:
				}
				if cursor >= perKiosk {
					time.Sleep(20 * time.Millisecond)
					continue
				}
				to := min(cursor+uint64(1+rand.IntN(50)), perKiosk)
				acked, r, err := push(c, k, cursor+1, to)
				switch {
				case err != nil || r.Status == 503:
					time.Sleep(5 * time.Millisecond)
				case r.Status/100 == 2:
					mu.Lock()
					if acked < maxAcked[k] {
						t.Errorf("kiosk %d: acked_seq went back from %d to %d", k, maxAcked[k], acked)
					}
					maxAcked[k] = max(maxAcked[k], acked)
					mu.Unlock()
					cursor = acked // continue after what the ward holds
				default:
					t.Errorf("push answered %v", r)
					return
				}
			}
		}()
	}
	start := time.Now()
	for range powerCutCycles {
		time.Sleep(time.Duration(50+rand.IntN(351)) * time.Millisecond)
		p.kill()
		mu.Lock()
		before := append([]uint64(nil), maxAcked...) // acknowledged by the process just killed
		mu.Unlock()
		p.start()
		got := wardAcked(t, newClient(p.url()))
		for k, kk := range wardKiosks {
			if got[kk.ID] < before[k] {
				t.Errorf("after a power cut %s has acked_seq %d, but %d was acknowledged", kk.ID, got[kk.ID], before[k])
			}
		}
	}
	close(stop)
	wg.Wait()
	t.Logf("%d cycles in %s; acknowledged %v", powerCutCycles, time.Since(start).Round(time.Millisecond), maxAcked)
	if maxAcked[0]+maxAcked[1]+maxAcked[2] < 300 {
		t.Fatalf("too little ingest to prove anything: %v", maxAcked)
	}
	p.kill()
	p.start()
	c := newClient(p.url())
	// Deliver the rest (and everything again: repeats must be harmless).
	for k := range wardKiosks {
		for from := uint64(1); from <= perKiosk; from += 500 {
			if _, r, err := push(c, k, from, min(from+499, perKiosk)); err != nil || r.Status != 200 {
				t.Fatalf("final push: %v %v", r, err)
			}
		}
	}
	for id, a := range wardAcked(t, c) {
		if a != perKiosk {
			t.Errorf("%s: acked_seq %d, want %d", id, a, perKiosk)
		}
	}
	if done := wardDone(t, c); done != perKiosk*len(wardKiosks) {
		t.Errorf("progress counts %d citizens, want %d (each once)", done, perKiosk*len(wardKiosks))
	}
	c.http.Timeout = time.Minute // a large export under the race detector
	csv := c.must(t, "GET", "/export/completions.csv", nil, basicAdmin()...)
	if csv.Status != 200 {
		t.Fatalf("export: %v", csv.Status)
	}
	for k := range wardKiosks {
		for _, seq := range []uint64{1, maxAcked[k], perKiosk} {
			if seq > 0 && !bytes.Contains(csv.Body, []byte(wardRecord(k, seq).Citizen.CCCD)) {
				t.Errorf("export lacks %s seq %d", wardKiosks[k].ID, seq)
			}
		}
	}
	if q := wardQuarantined(t, c); q != 0 {
		t.Errorf("%d records quarantined: re-sent records were taken for conflicts", q)
	}
	checkNoPII(t, "ward log", p.out.String(), wardRecord(0, 1), wardRecord(1, 7), wardRecord(2, perKiosk))
	p.checkOutput()
}

func wardQuarantined(t *testing.T, c *client) int {
	t.Helper()
	var h struct{ Quarantined int }
	_ = json.Unmarshal(c.must(t, "GET", "/healthz", nil).Body, &h)
	return h.Quarantined
}

func checkNoPII(t *testing.T, where, text string, recs ...record.Record) {
	t.Helper()
	for _, r := range recs {
		for _, s := range []string{r.Citizen.CCCD, r.Citizen.Phone, r.Citizen.Name} {
			if strings.Contains(text, s) {
				t.Errorf("%s contains %q", where, s)
			}
		}
	}
}

// TestWardFullDisk runs the ward on a small tmpfs filled to the last byte:
// pushes are refused with 503 and a Vietnamese message, the dashboard and
// progress keep working, a power cut on the full disk is survived, and
// pushes resume when space returns with nothing lost.
func TestWardFullDisk(t *testing.T) {
	needWard(t)
	mnt := mountTmpfs(t, 160)
	p := startWard(t, wardOpts{Data: filepath.Join(mnt, "ward")})
	c := newClient(p.url())
	if a, r, err := push(c, 0, 1, 50); err != nil || a != 50 {
		t.Fatalf("push before: %v %v", r, err)
	}
	filler := filepath.Join(mnt, "filler")
	fill(t, filler)
	reads := func(stage string) {
		t.Helper()
		for _, path := range []string{"/healthz", "/api/v1/progress", "/api/v1/kiosks", "/login"} {
			if r := c.must(t, "GET", path, nil); r.Status != 200 {
				t.Errorf("%s: GET %s: %d", stage, path, r.Status)
			}
		}
		if r := c.must(t, "GET", "/export/completions.csv", nil, basicAdmin()...); r.Status != 200 {
			t.Errorf("%s: export: %d", stage, r.Status)
		}
		if d := wardDone(t, c); d < 50 {
			t.Errorf("%s: progress counts %d, want ≥ 50", stage, d)
		}
	}
	for i := range 3 {
		_, r, err := push(c, 0, 51, uint64(60+i))
		if err != nil {
			if p.exitedWithin(2*time.Second) && strings.Contains(p.out.String(), "SIGBUS") {
				t.Fatalf("the ward died of SIGBUS on a full disk (Badger writes through mmap and never sees ENOSPC): "+
					"ward/store must check internal/diskguard before every write and call BeforeOpen before badger.Open, "+
					"as queue does (docs/security.md)\n%s", p.tail())
			}
			t.Fatalf("push on a full disk: %v\n%s", err, p.tail())
		}
		code, msg, ok := errorOf(r)
		if r.Status != 503 || !ok || code != "store_unavailable" || !isVietnamese(msg) {
			t.Errorf("push on a full disk: want 503 store_unavailable in Vietnamese, got %v", r)
		}
	}
	reads("full disk")
	if !p.alive() {
		t.Fatalf("the ward died on a full disk:\n%s", p.tail())
	}
	p.kill()
	p.start()
	reads("restarted on a full disk")
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if a, r, err := push(c, 0, 51, 80); err != nil || a != 80 {
		t.Fatalf("push after space returned: acked %d, %v %v", a, r, err)
	}
	reads("space returned")
	p.checkOutput()
}

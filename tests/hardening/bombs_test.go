package hardening

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/link"
)

// rssBudget is what either program may reach, at its peak, while it
// refuses the bombs below (DESIGN.md: < 100 MB with 1,000 live clients).
const rssBudget = 100 << 20

var plain struct {
	once        sync.Once
	kiosk, ward string
	err         error
}

// plainBinaries are the programs without the race detector: its shadow
// memory would make any measure of RSS meaningless. A run without -race
// uses the binaries TestMain built.
func plainBinaries(t *testing.T) (kiosk, ward string) {
	t.Helper()
	needWard(t)
	if !bins.race {
		return bins.kiosk, bins.ward
	}
	plain.once.Do(func() {
		for _, name := range []string{"kiosk", "ward"} {
			out := filepath.Join(bins.dir, "plain-"+name)
			cmd := exec.Command("go", "build", "-o", out, "./cmd/"+name)
			cmd.Dir = moduleRoot()
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if b, err := cmd.CombinedOutput(); err != nil {
				plain.err = fmt.Errorf("go build %s: %v\n%s", name, err, b)
				return
			}
			if name == "kiosk" {
				plain.kiosk = out
			} else {
				plain.ward = out
			}
		}
	})
	if plain.err != nil {
		t.Fatal(plain.err)
	}
	return plain.kiosk, plain.ward
}

// memory reads a field of /proc/PID/status (VmRSS: now; VmHWM: the peak)
// in bytes.
func (p *proc) memory(t *testing.T, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, p.cmd.Process.Pid)
	return 0
}

// checkPeak fails when the process's peak RSS went over the budget.
func (p *proc) checkPeak(t *testing.T, what string) {
	t.Helper()
	hwm, rss := p.memory(t, "VmHWM"), p.memory(t, "VmRSS")
	t.Logf("%s: peak RSS %.1f MB, now %.1f MB", what, float64(hwm)/(1<<20), float64(rss)/(1<<20))
	if hwm > rssBudget {
		t.Errorf("%s: peak RSS %.1f MB, over the %d MB budget", what, float64(hwm)/(1<<20), rssBudget>>20)
	}
}

// gzipOfGzip is n zero bytes compressed twice: about 1 KB for 256 MB, the
// shape of the bomb that took the kiosk to 2.27 GB.
func gzipOfGzip(t *testing.T, n int) []byte {
	t.Helper()
	var inner, outer bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&inner, gzip.BestCompression)
	chunk := make([]byte, 1<<20)
	for range n >> 20 {
		_, _ = zw.Write(chunk)
	}
	_ = zw.Close()
	zw, _ = gzip.NewWriterLevel(&outer, gzip.BestCompression)
	_, _ = zw.Write(inner.Bytes())
	_ = zw.Close()
	return outer.Bytes()
}

// declare opens n connections that each send a request's headers (the
// declared length included) and one byte of body, then wait. It returns
// the connections and, for each, what was answered within wait (0: no
// answer yet; the request is waiting for its body).
func declare(t *testing.T, addr, head string, n int, wait time.Duration) ([]net.Conn, []int) {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.DialTimeout("tcp", addr, 2*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if _, err := io.WriteString(c, head+"{"); err != nil {
			t.Fatal(err)
		}
		conns[i] = c
	}
	status := make([]int, n)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() {
			_ = c.SetReadDeadline(time.Now().Add(wait))
			if res, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				status[i] = res.StatusCode
				res.Body.Close()
			}
		})
	}
	wg.Wait()
	return conns, status
}

func countOf(xs []int, x int) int {
	n := 0
	for _, v := range xs {
		if v == x {
			n++
		}
	}
	return n
}

// TestKioskBombs: a gzip-of-gzip body (256 MB once inflated twice) and 40
// connections declaring 67 MB are refused with a 4xx at once, and the
// kiosk's peak memory stays under 100 MB.
func TestKioskBombs(t *testing.T) {
	kioskBin, _ := plainBinaries(t)
	p := startKiosk(t, kioskOpts{Bin: kioskBin})
	phone, tab := newClient(p.url()), newClient(p.url())
	tab.mustLogin(t)
	j := phone.mustJoin(t, newPerson())
	bomb := gzipOfGzip(t, 256<<20)
	t.Logf("bomb: %d bytes", len(bomb))

	for _, tc := range []struct {
		name, path, encoding string
		c                    *client
	}{
		{"join, gzip of gzip", "/api/v1/tickets", "gzip, gzip", phone},
		{"join, gzip", "/api/v1/tickets", "gzip", phone},
		{"join, deflate", "/api/v1/tickets", "deflate", phone},
		{"join, brotli", "/api/v1/tickets", "br", phone},
		{"volunteer login, gzip of gzip", "/api/v1/login", "gzip, gzip", phone},
		{"completion, gzip of gzip", "/api/v1/tickets/" + j.ID + "/complete", "gzip, gzip", tab},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := tc.c.must(t, "POST", tc.path, bomb, "Content-Encoding", tc.encoding)
			checkRefusal(t, r, []int{415})
		})
	}
	t.Run("raw, encoding spelled in lower case and repeated", func(t *testing.T) {
		status, body := rawHTTP(t, p.addr, "POST /api/v1/tickets HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\n"+
			"content-encoding: GZIP\r\nContent-Encoding: gzip\r\nContent-Length: "+strconv.Itoa(len(bomb))+"\r\n\r\n"+string(bomb))
		checkRefusal(t, resp{Status: status, Body: []byte(body)}, []int{415})
	})

	conns, status := declare(t, p.addr, "POST /api/v1/tickets HTTP/1.1\r\nHost: k\r\nContent-Type: application/json\r\nContent-Length: 67000000\r\n\r\n", 40, 3*time.Second)
	if n := countOf(status, 413); n != len(conns) {
		t.Errorf("declared 67 MB: %d of %d answered 413 at once: %v", n, len(conns), status)
	}
	p.checkPeak(t, "kiosk after the bombs")
	if !p.alive() {
		t.Fatalf("the kiosk died:\n%s", p.tail())
	}
	if r := phone.must(t, "GET", "/api/v1/tickets/"+j.ID, nil, "Authorization", "Bearer "+j.Token); r.Status != 200 {
		t.Errorf("the joined citizen lost their ticket: %v", r)
	}
	phone.mustJoin(t, newPerson())
	p.checkOutput()
}

// emptyRecordsBatch is a batch file of n empty records `{}`: 16 MB for
// 5.6 million, the file that took the ward to 9.5 GB before its 422.
func emptyRecordsBatch(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"format":"kyso-batch/1","kiosk_id":"` + wardKiosks[0].ID + `","head_seq":1,"records":[{}`)
	b.Write(bytes.Repeat([]byte(",{}"), n-1))
	b.WriteString(`],"mac":""}`)
	return b.Bytes()
}

// TestWardBombs: gzip-of-gzip to the unauthenticated push and to the
// import, 40 connections declaring 67 MB (unauthenticated, and signed with
// a known kiosk id, which the ward must read before it can check the
// signature), and a USB batch of millions of empty records: each is
// refused with a 4xx, and the ward's peak memory stays under 100 MB.
func TestWardBombs(t *testing.T) {
	_, wardBin := plainBinaries(t)
	p := startWard(t, wardOpts{Bin: wardBin})
	c := newClient(p.url())
	c.http.Timeout = time.Minute
	if a, r, err := push(c, 0, 1, 5); err != nil || a != 5 {
		t.Fatalf("push: %v %v", r, err)
	}
	bomb := gzipOfGzip(t, 256<<20)
	tok := "Bearer " + wardKiosks[0].Token
	for _, tc := range []struct {
		name, path string
		hdr        []string
	}{
		{"push without a token, gzip of gzip", "/api/v1/records", nil},
		{"push with a token, gzip of gzip", "/api/v1/records", []string{"Authorization", tok}},
		{"admin login, gzip of gzip", "/api/v1/login", nil},
		{"import, gzip of gzip", "/api/v1/import", basicAdmin()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := c.must(t, "POST", tc.path, bomb, append(tc.hdr, "Content-Encoding", "gzip, gzip")...)
			checkRefusal(t, r, []int{415})
		})
	}

	// Declared, not sent: nothing may be reserved for it.
	head := func(path, auth string) string {
		return "POST " + path + " HTTP/1.1\r\nHost: w\r\nContent-Type: application/json\r\nContent-Length: 67000000\r\n" + auth + "\r\n"
	}
	signed := "Authorization: " + link.PushAuthorization("wrong-token", wardKiosks[0].ID, "00112233445566778899aabbccddeeff", []byte("x")) + "\r\n"
	var all []net.Conn
	for _, tc := range []struct {
		name, head string
		want       int
	}{
		// Routes whose body is read after authentication: fasthttp waits
		// for the first 8 KB before any handler runs (0: no answer yet),
		// and nothing is reserved for the rest.
		{"push without a token", head("/api/v1/records", ""), 0},
		{"push signed for a known kiosk", head("/api/v1/records", signed), 0},
		{"import without a login", head("/api/v1/import", ""), 0},
		{"import by the admin", head("/api/v1/import", "Authorization: Basic "+base64.StdEncoding.EncodeToString([]byte("admin:"+wardPassword))+"\r\n"), 0},
		// Every other route: over its limit, refused at once.
		{"admin login", head("/api/v1/login", ""), 413},
	} {
		conns, status := declare(t, p.addr, tc.head, 8, 2*time.Second)
		if n := countOf(status, tc.want); n != len(conns) {
			t.Errorf("declared 67 MB, %s: %v, want all %d", tc.name, status, tc.want)
		}
		all = append(all, conns...)
	}
	p.checkPeak(t, fmt.Sprintf("ward holding %d connections that declared 67 MB", len(all)))
	for _, conn := range all {
		conn.Close()
	}
	// Sent, not only declared, by a stranger: answered 401 unread.
	stranger := newClient(p.url())
	stranger.http.Timeout = time.Minute
	if r, err := stranger.do("POST", "/api/v1/records", bytes.Repeat([]byte("x"), 60<<20)); err == nil {
		checkRefusal(t, r, []int{401})
	} else {
		t.Errorf("60 MB without a token: %v (want the 401, not a reset)", err)
	}
	p.checkPeak(t, "ward after a stranger sent 60 MB")

	// The USB stick: millions of empty records, as a body and as a form.
	file := emptyRecordsBatch(5_600_000)
	t.Logf("batch of empty records: %.1f MB", float64(len(file))/(1<<20))
	admin := newClient(p.url())
	admin.http.Timeout = time.Minute
	r := admin.must(t, "POST", "/api/v1/import", file, append(basicAdmin(), "Content-Type", "application/json")...)
	checkRefusal(t, r, []int{422})
	wantCode(t, "a batch of empty records", r, 422, "invalid_record")
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	fw, _ := mw.CreateFormFile("file", "kyso-batch.json")
	_, _ = fw.Write(file)
	_ = mw.Close()
	r = admin.must(t, "POST", "/api/v1/import", form.Bytes(), append(basicAdmin(), "Content-Type", mw.FormDataContentType())...)
	wantCode(t, "a batch of empty records as a form", r, 422, "invalid_record")
	p.checkPeak(t, "ward after batches of millions of empty records")
	// Records that pass every check, one more than a delivery may hold.
	var many bytes.Buffer
	many.WriteString(`{"format":"kyso-batch/1","kiosk_id":"` + wardKiosks[0].ID + `","records":[`)
	for i := range 50_001 {
		if i > 0 {
			many.WriteByte(',')
		}
		fmt.Fprintf(&many, `{"id":"r%d","kiosk_id":"%s","seq":%d,"type":"completion","outcome":"activated"}`, i, wardKiosks[0].ID, i+1)
	}
	many.WriteString(`],"mac":""}`)
	r = admin.must(t, "POST", "/api/v1/import", many.Bytes(), append(basicAdmin(), "Content-Type", "application/json")...)
	wantCode(t, "a batch over the record cap", r, 413, "too_many_records")
	// Not a bomb: the ward holds up to MaxRecordsPerDelivery records of a
	// real file to check its signature, so this is only reported.
	t.Logf("ward after a batch of 50,001 valid records: peak RSS %.1f MB", float64(p.memory(t, "VmHWM"))/(1<<20))

	if !p.alive() {
		t.Fatalf("the ward died:\n%s", p.tail())
	}
	if d := wardDone(t, c); d != 5 {
		t.Errorf("the bombs changed the count: %d, want 5", d)
	}
	if a, r, err := push(c, 0, 6, 8); err != nil || a != 8 {
		t.Errorf("a kiosk's push after the bombs: %v %v", r, err)
	}
	if strings.Contains(p.out.String(), "request failed") {
		t.Errorf("a bomb was logged as a server failure:\n%s", p.tail())
	}
	p.checkOutput()
}

// storm sends n wrong logins at once from one address and returns the
// statuses.
func storm(t *testing.T, base, ip string, n int, body func(i int) any) []int {
	t.Helper()
	g := newClientFrom(base, ip)
	g.http.Timeout = 30 * time.Second
	tr := g.http.Transport.(*http.Transport)
	tr.MaxIdleConnsPerHost = n
	// 300 connects at once from a client sharing the server's two cores:
	// the client's own dials can wait seconds to be scheduled.
	d := &net.Dialer{Timeout: 20 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	tr.DialContext = d.DialContext
	status := make([]int, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			r, err := g.do("POST", "/api/v1/login", body(i))
			if err != nil {
				t.Errorf("login %d: %v", i, err)
				return
			}
			status[i] = r.Status
		})
	}
	close(start)
	wg.Wait()
	g.http.CloseIdleConnections()
	return status
}

// TestWardLoginStorm: 300 wrong admin passwords at once from one address.
// At most the throttle's budget (10) is evaluated, every other attempt is
// a 429 before any hashing; an official already logged in keeps working
// (no request queued behind the hashing) while the storm runs.
func TestWardLoginStorm(t *testing.T) {
	_, wardBin := plainBinaries(t)
	p := startWard(t, wardOpts{Bin: wardBin})
	admin := newClientFrom(p.url(), "127.0.5.2")
	wardLogin(t, admin)

	stop := make(chan struct{})
	var slowest time.Duration
	var polls int
	var pollErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			for _, path := range []string{"/api/v1/session", "/api/v1/quarantine"} {
				at := time.Now()
				r, err := admin.do("GET", path, nil)
				if err != nil || r.Status != 200 {
					pollErr = fmt.Errorf("%s: %v %v", path, r, err)
					return
				}
				slowest, polls = max(slowest, time.Since(at)), polls+1
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	status := storm(t, p.url(), "127.0.5.1", 300, func(i int) any {
		return map[string]string{"password": fmt.Sprintf("doan-mo-%03d", i)}
	})
	time.Sleep(100 * time.Millisecond)
	close(stop)
	<-done
	admin.http.CloseIdleConnections()

	evaluated, refused := countOf(status, 401), countOf(status, 429)
	t.Logf("300 wrong passwords at once: %d evaluated (401), %d refused (429); the official's %d requests took at most %s", evaluated, refused, polls, slowest)
	if evaluated > 10 || evaluated+refused != len(status) {
		t.Errorf("want at most 10 evaluated and the rest 429: %d evaluated, %d refused, statuses %v", evaluated, refused, status)
	}
	if pollErr != nil {
		t.Errorf("the logged-in official was refused during the storm: %v", pollErr)
	}
	// Not a speed measurement: 300 password hashes queued ahead of the
	// official would take tens of seconds; a few hundred ms is the shared
	// CPU of a loaded test machine.
	if slowest >= 2*time.Second {
		t.Errorf("the logged-in official waited %s during the storm (want < 2 s: not queued behind the hashing)", slowest)
	}
	// A second storm from the same address: the budget is for the
	// address, not for each storm.
	again := storm(t, p.url(), "127.0.5.1", 300, func(i int) any {
		return map[string]string{"password": fmt.Sprintf("doan-lai-%03d", i)}
	})
	if total := evaluated + countOf(again, 401); total > 10 || countOf(again, 429)+countOf(again, 401) != len(again) {
		t.Errorf("two storms: %d evaluated in all (want at most 10); second storm %v", total, again)
	}
	if r := newClientFrom(p.url(), "127.0.5.3").must(t, "POST", "/api/v1/login", map[string]string{"password": wardPassword}); r.Status != 200 {
		t.Errorf("another office computer cannot log in after the storm: %v", r)
	}
	p.checkOutput()
}

// TestKioskPINStorm: 300 wrong PINs at once from one address: at most the
// lockout's five are compared; the rest are 429.
func TestKioskPINStorm(t *testing.T) {
	p := startKiosk(t, kioskOpts{})
	status := storm(t, p.url(), "127.0.6.1", 300, func(i int) any {
		return map[string]string{"pin": fmt.Sprintf("%06d", i), "volunteer": "Trần Thị Lan"}
	})
	evaluated, refused := countOf(status, 401), countOf(status, 429)
	t.Logf("300 wrong PINs at once: %d compared (401), %d refused (429)", evaluated, refused)
	if evaluated > 5 || evaluated+refused != len(status) {
		t.Errorf("want at most 5 compared and the rest 429: %d compared, %d refused", evaluated, refused)
	}
	p.checkOutput()
}

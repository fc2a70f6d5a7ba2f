package hardening

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// secrets are the strings of a person that must not leak: CCCD, phone and
// full name, and the masked forms that lists show (not for the public).
func secrets(p person) []string {
	return []string{p.CCCD, p.Phone, p.Name, "********" + p.CCCD[8:], "******" + p.Phone[6:]}
}

// stream collects the raw bytes of the live board until stopped.
type stream struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	body io.Closer
	done chan struct{}
}

func openStream(t *testing.T, base string) *stream {
	t.Helper()
	res, err := http.Get(base + "/api/v1/events")
	if err != nil {
		t.Fatal(err)
	}
	s := &stream{body: res.Body, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		b := make([]byte, 4096)
		for {
			n, err := res.Body.Read(b)
			s.mu.Lock()
			s.buf.Write(b[:n])
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	return s
}

func (s *stream) close() string {
	s.body.Close()
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

var linkRE = regexp.MustCompile(`(?:href|src|action)="(/[^"#?]*)|url\((/[^)]+)\)|["'](/(?:api|qr|static)/[A-Za-z0-9_./-]*)["']`)

// crawl fetches every same-origin path reachable from start without any
// credential, following links in pages, styles and scripts.
func crawl(t *testing.T, c *client, start []string) map[string]string {
	t.Helper()
	seen := map[string]string{}
	todo := append([]string(nil), start...)
	for len(todo) > 0 && len(seen) < 200 {
		path := todo[0]
		todo = todo[1:]
		if _, ok := seen[path]; ok {
			continue
		}
		if strings.HasSuffix(path, "/events") {
			seen[path] = "" // live streams (the board's, the public progress screen's) are read on their own
			continue
		}
		r := c.must(t, "GET", path, nil)
		if r.Status >= 500 {
			t.Errorf("GET %s: %d", path, r.Status)
		}
		seen[path] = string(r.Body)
		for _, m := range linkRE.FindAllStringSubmatch(string(r.Body), -1) {
			for _, l := range m[1:] {
				if l != "" && !strings.Contains(l, "//") {
					todo = append(todo, strings.TrimRight(l, "/.")+map[bool]string{true: "/", false: ""}[l == "/"])
				}
			}
		}
	}
	return seen
}

// TestKioskPrivacy seeds citizens through every path that takes personal
// data (join, walk-in, correction at the desk, completion, record
// correction), then crawls every public route and the live stream, and
// reads the logs: no CCCD, phone number or full name may appear, not even
// masked. Volunteer lists show CCCDs and phones masked only.
func TestKioskPrivacy(t *testing.T) {
	p := startKiosk(t, kioskOpts{Extra: []string{"--wifi-ssid", "NVH Dong Lao", "--wifi-password", "camngoc2024"}})
	live := openStream(t, p.url())
	phone, tab := newClient(p.url()), newClient(p.url())
	tab.mustLogin(t)

	var people []person
	var tickets []joined
	for range 6 {
		per := newPerson()
		people = append(people, per)
		tickets = append(tickets, phone.mustJoin(t, per))
	}
	walkIn := newPerson()
	people = append(people, walkIn)
	if r := tab.must(t, "POST", "/api/v1/tickets", walkIn.body()); r.Status != 201 {
		t.Fatal(r)
	}
	// A typo fixed at the desk, then a completion; a record corrected later.
	fixed := newPerson()
	people = append(people, fixed)
	next := func(desk string) string {
		r := tab.must(t, "POST", "/api/v1/desks/"+desk+"/next", nil)
		if r.Status != 200 {
			t.Fatal(r)
		}
		var tk struct{ ID string }
		_ = json.Unmarshal(r.Body, &tk)
		return tk.ID
	}
	id := next("1")
	if r := tab.must(t, "PATCH", "/api/v1/tickets/"+id, map[string]any{"citizen": map[string]string{"name": fixed.Name, "phone": fixed.Phone}}); r.Status != 200 {
		t.Fatal(r)
	}
	r := tab.must(t, "POST", "/api/v1/tickets/"+id+"/complete", map[string]any{"outcome": "activated"})
	if r.Status != 201 {
		t.Fatal(r)
	}
	var rec struct{ Record struct{ ID string } }
	_ = json.Unmarshal(r.Body, &rec)
	renamed := newPerson()
	people = append(people, renamed)
	if r := tab.must(t, "POST", "/api/v1/records/"+rec.Record.ID+"/correct", map[string]any{"citizen": map[string]string{"name": renamed.Name}}); r.Status != 201 {
		t.Fatal(r)
	}
	id = next("2")
	if r := tab.must(t, "POST", "/api/v1/tickets/"+id+"/complete", map[string]any{"outcome": "failed", "reason": "other", "note": "máy cũ"}); r.Status != 201 {
		t.Fatal(r)
	}
	next("3") // someone is at a desk while the crawl runs
	if r := tab.must(t, "POST", "/api/v1/tickets/"+tickets[5].ID+"/no-show", nil); r.Status != 200 {
		t.Fatal(r)
	}
	// Rejected input is personal data too: it must not be echoed or logged.
	bad := newPerson()
	people = append(people, bad)
	badBody := bad.body()
	badBody["birth_date"] = "2015-01-01"
	phone.must(t, "POST", "/api/v1/tickets", badBody)

	public := newClient(p.url()) // no cookie, no token
	pages := crawl(t, public, []string{"/", "/join", "/app", "/volunteer", "/healthz", "/metrics",
		"/api/v1/board", "/api/v1/villages", "/api/v1/events", "/qr/join.png", "/qr/app.png", "/qr/wifi.png",
		"/qr/volunteer.png", "/nope", "/api/v1/nope", "/api/v1/records", "/api/v1/queue", "/api/v1/completions",
		"/api/v1/batch", "/api/v1/session"})
	for _, must := range []string{"/static/css/app.css", "/static/js/board.js", "/api/v1/board"} {
		if _, ok := pages[must]; !ok {
			t.Errorf("the crawl did not reach %s: %v", must, keys(pages))
		}
	}
	// A citizen's own ticket page shows numbers, not the citizen.
	for _, j := range tickets {
		pages["ticket "+j.ID] = string(phone.must(t, "GET", "/api/v1/tickets/"+j.ID, nil, "Authorization", "Bearer "+j.Token).Body)
	}
	time.Sleep(300 * time.Millisecond) // the last change reaches the stream
	sse := live.close()
	if strings.Count(sse, "data: ") < 2 {
		t.Fatalf("the stream carried no changes: %q", sse)
	}
	pages["/api/v1/events"] = sse
	for path, body := range pages {
		for _, per := range people {
			for _, s := range secrets(per) {
				if strings.Contains(body, s) {
					t.Errorf("public %s shows %q", path, s)
				}
			}
		}
	}
	if !strings.Contains(pages["/api/v1/board"], `"waiting"`) {
		t.Errorf("the crawl read no real board: %.200s", pages["/api/v1/board"])
	}

	// Volunteer lists: names yes, CCCD and phone only masked.
	for _, path := range []string{"/api/v1/queue", "/api/v1/completions"} {
		body := string(tab.must(t, "GET", path, nil).Body)
		for _, per := range people {
			if strings.Contains(body, per.CCCD) || strings.Contains(body, per.Phone) {
				t.Errorf("volunteer list %s shows a full CCCD or phone", path)
			}
		}
		if !regexp.MustCompile(`"cccd_masked":"\*{8}[0-9]{4}"`).MatchString(body) {
			t.Errorf("volunteer list %s has no masked CCCD: %.300s", path, body)
		}
	}

	// Logs, of a run that also stopped cleanly.
	p.stop()
	out := p.out.String()
	for _, per := range people {
		for _, s := range secrets(per)[:3] {
			if strings.Contains(out, s) {
				t.Errorf("the log contains %q", s)
			}
		}
	}
	if strings.Contains(out, testToken) || strings.Contains(out, testPIN) {
		t.Errorf("the log contains the kiosk token or the PIN")
	}
	p.checkOutput()
}

func keys(m map[string]string) []string {
	var k []string
	for x := range m {
		k = append(k, x)
	}
	return k
}

// filesContaining lists the files under dir whose bytes contain s.
func filesContaining(t *testing.T, dir string, s string) []string {
	t.Helper()
	var hits []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(s)) {
			hits = append(hits, strings.TrimPrefix(path, dir))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hits
}

// TestKioskEncryptionAtRest seeds two kiosks, one with --data-key, and reads
// their data directories byte by byte: after a power cut (raw logs), after a
// clean stop (flushed tables) and after a backup. The plain one must show
// the CCCDs (else this test could not fail); the encrypted one must not,
// anywhere in its data directory.
func TestKioskEncryptionAtRest(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "data.key")
	if err := os.WriteFile(keyFile, []byte("8f1c2b3a4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		key       string
		encrypted bool
	}{
		{"plain store shows what the check looks for", "", false},
		{"encrypted store shows nothing", keyFile, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			p := startKiosk(t, kioskOpts{Data: data, DataKey: tc.key})
			phone, tab := newClient(p.url()), newClient(p.url())
			tab.mustLogin(t)
			var people []person
			for range 4 {
				per := newPerson()
				people = append(people, per)
				phone.mustJoin(t, per)
			}
			r := tab.must(t, "POST", "/api/v1/desks/1/next", nil)
			var tk struct{ ID string }
			_ = json.Unmarshal(r.Body, &tk)
			if r := tab.must(t, "POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]any{"outcome": "activated"}); r.Status != 201 {
				t.Fatal(r)
			}
			check := func(stage string) {
				t.Helper()
				for _, per := range people {
					for _, s := range []string{per.CCCD, per.Phone, per.Name} {
						hits := filesContaining(t, data, s)
						if tc.encrypted && len(hits) > 0 {
							t.Errorf("%s: %q readable in %v", stage, s, hits)
						}
						if !tc.encrypted && s == per.CCCD && len(hits) == 0 {
							t.Errorf("%s: CCCD %q not found in a plain store: the check is blind", stage, s)
						}
					}
				}
			}
			p.kill()
			check("after a power cut")
			p.start()
			// A backup on demand (what `kiosk backup` asks a running kiosk for).
			if err := p.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 10*time.Second, "the backup file", func() bool {
				m, _ := filepath.Glob(filepath.Join(data, "backups", "*"))
				for _, f := range m {
					if !strings.HasSuffix(f, ".part") {
						return true
					}
				}
				return false
			})
			p.stop()
			check("after a clean stop and a backup")
			if !tc.encrypted {
				return
			}
			p.start() // and the key really opens it again
			if page := newClient(p.url()).records(t); len(page.Records) != 1 || page.Records[0].Citizen.CCCD == "" {
				t.Errorf("encrypted store did not read back: %+v", page)
			}
			p.stop()
			// The encrypted backup restores with the key, and only with it.
			backups, _ := filepath.Glob(filepath.Join(data, "backups", "*.bak"))
			if len(backups) != 1 {
				t.Fatalf("backups: %v", backups)
			}
			other := t.TempDir()
			if out, err := runFor(20*time.Second, bins.kiosk, "restore", "--data", other, backups[0]); err == nil {
				t.Errorf("an encrypted backup restored without the key:\n%s", out)
			}
			if m, _ := filepath.Glob(filepath.Join(other, "store*")); len(m) > 0 {
				t.Errorf("a refused restore left %v behind", m)
			}
			if out, err := runFor(20*time.Second, bins.kiosk, "restore", "--data", other, "--data-key", tc.key, backups[0]); err != nil {
				t.Fatalf("restore with the key: %v\n%s", err, out)
			}
			q := startKiosk(t, kioskOpts{Data: other, DataKey: tc.key})
			if page := newClient(q.url()).records(t); len(page.Records) != 1 || page.Records[0].Citizen.CCCD != people[0].CCCD {
				t.Errorf("restored store: %+v", page)
			}
		})
	}
}

// TestKioskWrongDataKey: a wrong or malformed key stops the start with a
// message; it neither crashes nor opens (or damages) the store.
func TestKioskWrongDataKey(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "kiosk")
	good := filepath.Join(dir, "good.key")
	wrong := filepath.Join(dir, "wrong.key")
	short := filepath.Join(dir, "short.key")
	_ = os.WriteFile(good, []byte(strings.Repeat("ab", 32)), 0o600)
	_ = os.WriteFile(wrong, []byte(strings.Repeat("cd", 32)), 0o600)
	_ = os.WriteFile(short, []byte("abcd"), 0o600)
	p := startKiosk(t, kioskOpts{Data: data, DataKey: good})
	j := newClient(p.url()).mustJoin(t, newPerson())
	p.stop()
	for _, key := range []string{wrong, short, filepath.Join(dir, "missing.key"), ""} {
		args := []string{"--listen", "127.0.0.1:0", "--data", data, "--id", testID, "--pin", testPIN, "--mdns=false"}
		if key != "" {
			args = append(args, "--data-key", key)
		}
		out, err := runFor(10*time.Second, bins.kiosk, args...)
		if err == nil {
			t.Errorf("kiosk started with key %q", filepath.Base(key))
		}
		if bytes.Contains(out, []byte("panic")) || bytes.Contains(out, []byte("goroutine ")) {
			t.Errorf("key %q: crashed instead of a message:\n%s", filepath.Base(key), out)
		}
	}
	p.start()
	r := newClient(p.url()).must(t, "GET", "/api/v1/tickets/"+j.ID, nil, "Authorization", "Bearer "+j.Token)
	if r.Status != 200 {
		t.Errorf("the store was damaged by the failed starts: %v", r)
	}
}

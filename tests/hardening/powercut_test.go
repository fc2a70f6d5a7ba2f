package hardening

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/queue"
)

// powerCutCycles is how many times the kiosk is killed (the issue asks ≥ 20).
const powerCutCycles = 24

// ledger is what clients were told with a 2xx: only that is promised.
type ledger struct {
	mu      sync.Mutex
	joins   map[string]joined // ticket id → answer
	records map[string]uint64 // record id → seq
	people  []person          // every citizen sent, answered or not
}

func (l *ledger) addPerson(p person) {
	l.mu.Lock()
	l.people = append(l.people, p)
	l.mu.Unlock()
}

// TestKioskPowerCut kills the kiosk with SIGKILL at random moments while
// phones join and volunteers call and complete, restarts it on the same
// data, and checks that every 2xx answer survived: tickets with their
// numbers, records with their seqs; seqs dense; no number twice.
func TestKioskPowerCut(t *testing.T) {
	if testing.Short() {
		t.Skip("process-level power-cut test")
	}
	p := startKiosk(t, kioskOpts{})
	day := queue.Day(time.Now())
	led := &ledger{joins: map[string]joined{}, records: map[string]uint64{}}
	stop := make(chan struct{})
	stopped := func() bool {
		select {
		case <-stop:
			return true
		default:
			return false
		}
	}
	pause := func() { time.Sleep(5 * time.Millisecond) } // the kiosk is down: do not spin

	var wg sync.WaitGroup
	for range 4 { // phones joining
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient(p.url())
			per := newPerson()
			led.addPerson(per)
			for !stopped() {
				j, r, err := c.join(per)
				switch {
				case err != nil:
					pause() // try the same citizen again: the kiosk is down
					continue
				case r.Status == 201:
					led.mu.Lock()
					led.joins[j.ID] = j
					led.mu.Unlock()
				case r.Status == 409:
					// An earlier try committed but its answer was cut off.
				default:
					t.Errorf("join answered %v", r)
					return
				}
				per = newPerson()
				led.addPerson(per)
			}
		}()
	}
	for desk := 1; desk <= 2; desk++ { // volunteers at two desks
		wg.Add(1)
		go func() {
			defer wg.Done()
			volunteer(t, p.url(), desk, led, stopped)
		}()
	}

	start := time.Now()
	for range powerCutCycles {
		time.Sleep(time.Duration(50+rand.IntN(351)) * time.Millisecond)
		p.kill()
		p.start()
	}
	time.Sleep(200 * time.Millisecond) // a last stretch of work on the final process
	close(stop)
	wg.Wait()
	t.Logf("%d cycles in %s: %d joins and %d completions answered 2xx, %d citizens sent",
		powerCutCycles, time.Since(start).Round(time.Millisecond), len(led.joins), len(led.records), len(led.people))
	if len(led.joins) < 50 || len(led.records) < 10 {
		t.Fatalf("too little work to prove anything: %d joins, %d records", len(led.joins), len(led.records))
	}
	// One more cut with nothing running, so that the check reads what a
	// fresh start restores.
	p.kill()
	p.start()

	ward := newClient(p.url())
	page := ward.records(t)
	bySeq := map[uint64]string{}
	for i, r := range page.Records {
		if r.Seq != uint64(i+1) {
			t.Fatalf("seq not dense: record %d has seq %d", i+1, r.Seq)
		}
		bySeq[r.Seq] = r.ID
	}
	if page.HeadSeq != uint64(len(page.Records)) {
		t.Fatalf("head_seq %d but %d records", page.HeadSeq, len(page.Records))
	}
	for id, seq := range led.records {
		if bySeq[seq] != id {
			t.Errorf("record %s answered with seq %d is lost (seq %d holds %q)", id, seq, seq, bySeq[seq])
		}
	}

	sameDay := queue.Day(time.Now()) == day
	numbers := map[int]string{} // ticket number → ticket id (or record id)
	phone := newClient(p.url())
	for id, j := range led.joins {
		r := phone.must(t, "GET", "/api/v1/tickets/"+id, nil, "Authorization", "Bearer "+j.Token)
		if !sameDay {
			continue // the queue rolled over at midnight: yesterday's tickets are not served
		}
		if r.Status != 200 {
			t.Errorf("ticket %d answered 201 is lost: %v", j.Number, r)
			continue
		}
		var got struct{ Number int }
		_ = json.Unmarshal(r.Body, &got)
		if got.Number != j.Number {
			t.Errorf("ticket %s: number %d, was answered %d", id, got.Number, j.Number)
		}
		if other, dup := numbers[j.Number]; dup {
			t.Errorf("ticket number %d handed out twice (%s and %s)", j.Number, other, id)
		}
		numbers[j.Number] = id
	}
	if sameDay {
		// Beyond the 2xx answers: every ticket the store holds, active or
		// completed, has a number of its own.
		seen := map[int]string{}
		tab := newClient(p.url())
		tab.mustLogin(t)
		var q struct {
			Tickets []struct {
				ID     string `json:"id"`
				Number int    `json:"number"`
			} `json:"tickets"`
		}
		if err := json.Unmarshal(tab.must(t, "GET", "/api/v1/queue", nil).Body, &q); err != nil {
			t.Fatal(err)
		}
		for _, tk := range q.Tickets {
			if other, dup := seen[tk.Number]; dup {
				t.Errorf("number %d held by two tickets (%s, %s)", tk.Number, other, tk.ID)
			}
			seen[tk.Number] = tk.ID
		}
		for _, r := range page.Records {
			key := "record " + r.ID
			if other, dup := seen[r.Ticket]; dup {
				t.Errorf("number %d held twice (%s, %s)", r.Ticket, other, key)
			}
			seen[r.Ticket] = key
		}
	} else {
		t.Log("the Vietnamese day changed during the test: ticket numbers restarted, number checks skipped")
	}

	// The logs of all 25 processes carry no personal data.
	out := p.out.String()
	for _, per := range led.people {
		for _, s := range []string{per.CCCD, per.Phone, per.Name} {
			if strings.Contains(out, s) {
				t.Fatalf("the kiosk logged personal data %q", s)
			}
		}
	}
	p.checkOutput()
}

// volunteer calls the next citizen to desk and records an outcome, logging in
// again whenever a restart dropped the session.
func volunteer(t *testing.T, base string, desk int, led *ledger, stopped func() bool) {
	c := newClient(base)
	pending := "" // a called ticket not yet completed with a 2xx
	n := 0
	for !stopped() {
		if c.csrf == "" {
			if r, err := c.login(testPIN); err != nil || r.Status != 200 {
				if err == nil {
					t.Errorf("login answered %v", r)
					return
				}
				time.Sleep(5 * time.Millisecond)
				continue
			}
		}
		if pending == "" {
			r, err := c.do("POST", fmt.Sprintf("/api/v1/desks/%d/next", desk), nil)
			switch {
			case err != nil:
				time.Sleep(5 * time.Millisecond)
			case r.Status == 401 || r.Status == 403:
				c.csrf = "" // the kiosk restarted: sessions live in memory
			case r.Status == 204:
				time.Sleep(10 * time.Millisecond)
			case r.Status == 200:
				var tk struct{ ID string }
				_ = json.Unmarshal(r.Body, &tk)
				pending = tk.ID
			default:
				t.Errorf("next answered %v", r)
				return
			}
			continue
		}
		n++
		body := map[string]any{"outcome": "activated"}
		if n%3 == 0 {
			body = map[string]any{"outcome": "failed", "reason": "no_email"}
		}
		r, err := c.do("POST", "/api/v1/tickets/"+pending+"/complete", body)
		switch {
		case err != nil:
			time.Sleep(5 * time.Millisecond)
		case r.Status == 401 || r.Status == 403:
			c.csrf = ""
		case r.Status == 201:
			var m struct {
				Record struct {
					ID  string `json:"id"`
					Seq uint64 `json:"seq"`
				} `json:"record"`
			}
			if err := json.Unmarshal(r.Body, &m); err != nil {
				t.Errorf("complete: %v", err)
				return
			}
			led.mu.Lock()
			led.records[m.Record.ID] = m.Record.Seq
			led.mu.Unlock()
			pending = ""
		case r.Status == 409 || r.Status == 404:
			// The completion committed but its answer was cut off (409), or
			// the call itself never committed (404 after a midnight roll).
			pending = ""
		default:
			t.Errorf("complete answered %v", r)
			return
		}
	}
}

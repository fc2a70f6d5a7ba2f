package hardening

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/internal/testenv"
)

// mountTmpfs mounts a tmpfs of size MB at a new directory and unmounts it
// when the test ends.
func mountTmpfs(t *testing.T, sizeMB int) string {
	t.Helper()
	testenv.NeedRoot(t)
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%dm,mode=0700", sizeMB), "tmpfs", dir).CombinedOutput(); err != nil {
		testenv.Missing(t, fmt.Sprintf("cannot mount a tmpfs (%v: %s)", err, out))
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// freeBytes is what an unprivileged writer may still use on dir's file system.
func freeBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return st.Bavail * uint64(st.Bsize)
}

// fill writes a file until the file system refuses another byte.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 1<<20)
	for size := len(buf); size >= 1; {
		_, err := f.Write(buf[:size])
		switch {
		case err == nil:
		case errors.Is(err, syscall.ENOSPC):
			size /= 2
		default:
			t.Fatal(err)
		}
	}
}

// isVietnamese is a cheap check that a message is meant for people here:
// it carries letters with Vietnamese diacritics.
func isVietnamese(s string) bool {
	return strings.ContainsAny(s, "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĐ")
}

// TestKioskFullDisk runs the kiosk on a small tmpfs, fills it to the last
// byte, and checks that writes are refused cleanly while reads go on, that
// the kiosk survives even a power cut on the full disk, and that writes
// resume when space returns, with nothing lost.
func TestKioskFullDisk(t *testing.T) {
	mnt := mountTmpfs(t, 160)
	p := startKiosk(t, kioskOpts{Data: filepath.Join(mnt, "kiosk")})
	phone, tab, ward := newClient(p.url()), newClient(p.url()), newClient(p.url())
	tab.mustLogin(t)

	// Before: tickets and records, all answered 2xx.
	var before []joined
	for range 6 {
		before = append(before, phone.mustJoin(t, newPerson()))
	}
	var recs []string
	for range 2 {
		r := tab.must(t, "POST", "/api/v1/desks/1/next", nil)
		if r.Status != 200 {
			t.Fatalf("next: %v", r)
		}
		var tk struct{ ID string }
		_ = json.Unmarshal(r.Body, &tk)
		r = tab.must(t, "POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]any{"outcome": "activated"})
		if r.Status != 201 {
			t.Fatalf("complete: %v", r)
		}
		recs = append(recs, tk.ID)
	}

	filler := filepath.Join(mnt, "filler")
	fill(t, filler)
	t.Logf("disk full: %d bytes free", freeBytes(t, mnt))

	refused := func(what string, r resp) {
		t.Helper()
		code, msg, ok := errorOf(r)
		if r.Status != 503 || !ok || code != "store_unavailable" || !isVietnamese(msg) {
			t.Errorf("%s on a full disk: want 503 store_unavailable with a Vietnamese message, got %v", what, r)
		}
	}
	checkReads := func(stage string) {
		t.Helper()
		for _, path := range []string{"/", "/join", "/healthz", "/api/v1/board", "/qr/join.png", "/static/css/app.css"} {
			if r := phone.must(t, "GET", path, nil); r.Status != 200 {
				t.Errorf("%s: GET %s: %v", stage, path, r.Status)
			}
		}
		if r := tab.must(t, "GET", "/api/v1/queue", nil); r.Status != 200 {
			t.Errorf("%s: volunteer list: %v", stage, r)
		}
		for _, j := range before {
			if r := phone.must(t, "GET", "/api/v1/tickets/"+j.ID, nil, "Authorization", "Bearer "+j.Token); r.Status != 200 {
				t.Errorf("%s: ticket %d: %v", stage, j.Number, r)
			}
		}
		if page := ward.records(t); len(page.Records) != len(recs) {
			t.Errorf("%s: %d records, want %d", stage, len(page.Records), len(recs))
		}
		checkStream(t, p.url())
	}

	for i := range 5 {
		_, r, err := phone.join(newPerson())
		if err != nil {
			t.Fatalf("join %d on a full disk: %v\n%s", i, err, p.tail())
		}
		refused("join", r)
	}
	refused("call next", tab.must(t, "POST", "/api/v1/desks/2/next", nil))
	refused("leave", phone.must(t, "DELETE", "/api/v1/tickets/"+before[5].ID, nil, "Authorization", "Bearer "+before[5].Token))
	checkReads("full disk")
	if !p.alive() {
		t.Fatalf("the kiosk died on a full disk:\n%s", p.tail())
	}

	// A power cut while the disk is full: the kiosk must come back.
	p.kill()
	p.start()
	tab.mustLogin(t)
	_, r, err := phone.join(newPerson())
	if err != nil {
		t.Fatal(err)
	}
	refused("join after a restart on a full disk", r)
	checkReads("restarted on a full disk")

	// Space returns: writes work again without a restart, nothing was lost.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	after := phone.mustJoin(t, newPerson())
	if after.Number <= before[len(before)-1].Number {
		t.Errorf("number %d after the full disk repeats an earlier one", after.Number)
	}
	r = tab.must(t, "POST", "/api/v1/desks/2/next", nil)
	if r.Status != 200 {
		t.Fatalf("next after space returned: %v", r)
	}
	var tk struct{ ID string }
	_ = json.Unmarshal(r.Body, &tk)
	r = tab.must(t, "POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]any{"outcome": "failed", "reason": "no_network"})
	if r.Status != 201 {
		t.Fatalf("complete after space returned: %v", r)
	}
	recs = append(recs, tk.ID)
	checkReads("space returned")
	page := ward.records(t)
	for i, rec := range page.Records {
		if rec.Seq != uint64(i+1) {
			t.Errorf("seq gap: record %d has seq %d", i+1, rec.Seq)
		}
	}
	if !strings.Contains(p.out.String(), "released the ballast") {
		t.Errorf("the restart on a full disk did not go through the ballast:\n%s", p.tail())
	}
	if _, err := os.Stat(filepath.Join(mnt, "kiosk", "store.ballast")); err != nil {
		t.Errorf("the ballast was not put back once space returned: %v", err)
	}
	p.checkOutput()
}

// checkStream opens the live board and waits for its first event.
func checkStream(t *testing.T, base string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	res, err := c.Get(base + "/api/v1/events")
	if err != nil {
		t.Errorf("live board: %v", err)
		return
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "data: {") {
			return
		}
	}
	t.Errorf("live board: no event (%v)", sc.Err())
}

// Package sync proves the kiosk→ward record sync with the real programs:
// push while the ward comes and goes, pull, USB files, kills mid-push, and
// exactly-once counting.
package sync

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/proctest"
	"github.com/kyso-vn/kyso/internal/testenv"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

const (
	token    = "s3cret-kiosk-token-dong-lao"
	adminPW  = "ward-admin-pw"
	pin      = "246810"
	kioskID  = "dong-lao"
	village  = "Đông Lão"
	quotaCSV = "../../deploy/examples/quotas-cam-ngoc-2024.csv"
)

func startWard(t *testing.T, addr, data string, extra ...string) *proctest.Proc {
	_, ward := proctest.Binaries(t)
	args := append([]string{"--listen", addr, "--data", data, "--quotas", quotaCSV, "--admin-password", adminPW,
		"--kiosk", kioskID + ":" + token, "--mdns=false"}, extra...)
	return proctest.Start(t, ward, addr, args...)
}

func startKiosk(t *testing.T, addr, data string, extra ...string) *proctest.Proc {
	kiosk, _ := proctest.Binaries(t)
	args := append([]string{"--listen", addr, "--data", data, "--id", kioskID, "--village", village, "--pin", pin,
		"--token", token, "--mdns=false", "--join-limit", "0", "--sync-max-delay", "2s"}, extra...)
	return proctest.Start(t, kiosk, addr, args...)
}

// volunteer logs in on a kiosk and returns a client that sends the CSRF token.
func volunteer(t *testing.T, base string) *proctest.Client {
	c := proctest.NewClient(t, base)
	var r struct {
		CSRF string `json:"csrf_token"`
	}
	require.Equal(t, 200, c.JSON("POST", "/api/v1/login", map[string]string{"pin": pin, "volunteer": "Trần Thị Lan"}, &r))
	c.Header.Set("X-CSRF-Token", r.CSRF)
	return c
}

// complete registers citizen i as a walk-in and records an activation.
func complete(t *testing.T, v *proctest.Client, i int) {
	var tk struct {
		ID string `json:"id"`
	}
	require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets", proctest.Citizen(i, village), &tk))
	require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]string{"outcome": "activated"}, nil))
}

type progress struct {
	Total struct {
		Target, Before, Done, Have int
	} `json:"total"`
	Villages []struct {
		Name                       string
		Target, Before, Done, Have int
	} `json:"villages"`
}

func wardProgress(t *testing.T, base string) progress {
	var p progress
	require.Equal(t, 200, proctest.NewClient(t, base).JSON("GET", "/api/v1/progress", nil, &p))
	return p
}

func villageDone(p progress, name string) int {
	for _, v := range p.Villages {
		if v.Name == name {
			return v.Done
		}
	}
	return -1
}

type health struct {
	HeadSeq  uint64 `json:"head_seq"`
	AckedSeq uint64 `json:"acked_seq"`
}

func kioskHealth(t *testing.T, base string) health {
	var h health
	require.Equal(t, 200, proctest.NewClient(t, base).JSON("GET", "/healthz", nil, &h))
	return h
}

func TestWardDownThenBack(t *testing.T) {
	wardAddr, wardData := proctest.FreeAddr(t), t.TempDir()
	ward := startWard(t, wardAddr, wardData)
	ward.Stop() // the commune office is offline tonight
	kiosk := startKiosk(t, proctest.FreeAddr(t), t.TempDir(), "--ward-url", "http://"+wardAddr)
	v := volunteer(t, kiosk.URL)
	for i := range 50 {
		complete(t, v, i)
	}
	h := kioskHealth(t, kiosk.URL)
	assert.Equal(t, uint64(50), h.HeadSeq)
	assert.Equal(t, uint64(0), h.AckedSeq, "nothing is acknowledged while the ward is down")

	ward.Restart() // no manual step on either side
	proctest.Eventually(t, 90*time.Second, "all 50 records acknowledged", func() bool {
		return kioskHealth(t, kiosk.URL).AckedSeq == 50
	})
	p := wardProgress(t, ward.URL)
	assert.Equal(t, 50, villageDone(p, village))
	assert.Equal(t, 50, p.Total.Done)
	assert.Equal(t, 166+50, p.Total.Have)
	assert.Equal(t, 1701, p.Total.Target)
}

func TestPushPullAndFileOverlapCountExactlyOnce(t *testing.T) {
	kioskAddr, wardAddr := proctest.FreeAddr(t), proctest.FreeAddr(t)
	// The kiosk pushes and the ward pulls the same kiosk at the same time.
	kiosk := startKiosk(t, kioskAddr, t.TempDir(), "--ward-url", "http://"+wardAddr)
	v := volunteer(t, kiosk.URL)
	for i := range 30 {
		complete(t, v, i)
	}
	// A USB file of the same records, made before the ward runs.
	code, batch, err := v.Do("GET", "/api/v1/batch?after=0", nil)
	require.NoError(t, err)
	require.Equal(t, 200, code)

	ward := startWard(t, wardAddr, t.TempDir(), "--pull", kioskID+"=http://"+kioskAddr)
	admin := proctest.NewClient(t, ward.URL)
	admin.HTTP.Transport = nil
	var wg gosync.WaitGroup
	for range 3 { // the same file imported three times, concurrently with push and pull
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := proctest.NewClient(t, ward.URL)
			req.Header.Set("Authorization", basic("admin", adminPW))
			code, body, err := req.Do("POST", "/api/v1/import", batch)
			assert.NoError(t, err)
			assert.Equal(t, 200, code, "%s", body)
		}()
	}
	for i := 30; i < 60; i++ { // more completions while all three paths run
		complete(t, v, i)
	}
	wg.Wait()
	proctest.Eventually(t, 60*time.Second, "kiosk fully acknowledged", func() bool {
		return kioskHealth(t, kiosk.URL).AckedSeq == 60
	})
	p := wardProgress(t, ward.URL)
	assert.Equal(t, 60, villageDone(p, village), "each citizen once, whatever the path")
	assert.Equal(t, 60, p.Total.Done)
}

func TestKioskKilledMidPush(t *testing.T) {
	kioskAddr, kioskData := proctest.FreeAddr(t), t.TempDir()
	wardAddr := proctest.FreeAddr(t)
	kiosk := startKiosk(t, kioskAddr, kioskData, "--ward-url", "http://"+wardAddr)
	v := volunteer(t, kiosk.URL)
	const n = 400
	for i := range n {
		complete(t, v, i)
	}
	ward := startWard(t, wardAddr, t.TempDir())
	// Kill the kiosk as soon as the ward holds part of the backlog.
	proctest.Eventually(t, 60*time.Second, "push under way", func() bool {
		return kioskHealth(t, kiosk.URL).AckedSeq > 0
	})
	kiosk.Kill()
	kiosk.Restart()
	proctest.Eventually(t, 60*time.Second, "backlog drained after restart", func() bool {
		return kioskHealth(t, kiosk.URL).AckedSeq == n
	})
	p := wardProgress(t, ward.URL)
	assert.Equal(t, n, villageDone(p, village), "nothing lost, nothing twice")
}

func TestConflictQuarantinedAndTamperedFileRefused(t *testing.T) {
	kioskAddr, wardAddr := proctest.FreeAddr(t), proctest.FreeAddr(t)
	kiosk := startKiosk(t, kioskAddr, t.TempDir(), "--ward-url", "http://"+wardAddr)
	ward := startWard(t, wardAddr, t.TempDir())
	v := volunteer(t, kiosk.URL)
	complete(t, v, 1)
	complete(t, v, 2)
	proctest.Eventually(t, 30*time.Second, "records acknowledged", func() bool {
		return kioskHealth(t, kiosk.URL).AckedSeq == 2
	})

	// The kiosk's own view of record 1.
	w := proctest.NewClient(t, kiosk.URL)
	w.Header.Set("Authorization", "Bearer "+token)
	var page link.Page
	require.Equal(t, 200, w.JSON("GET", "/api/v1/records?after=0", nil, &page))
	require.Len(t, page.Records, 2)

	push := proctest.NewClient(t, ward.URL)
	push.Header.Set("Authorization", "Bearer "+token)
	// A byte-identical repeat is fine.
	require.Equal(t, 200, push.JSON("POST", "/api/v1/records", link.PushRequest{KioskID: kioskID, Records: page.Records[:1]}, nil))
	// Same (kiosk, seq), different content: 409, quarantined, never overwritten.
	forged := page.Records[0]
	forged.Citizen.Name = "Người Khác"
	forged.Citizen.CCCD = "038099123456"
	var reply struct {
		AckedSeq uint64 `json:"acked_seq"`
		Error    struct {
			Code, Message string
		} `json:"error"`
	}
	assert.Equal(t, 409, push.JSON("POST", "/api/v1/records", link.PushRequest{KioskID: kioskID, Records: []record.Record{forged}}, &reply))
	assert.NotEmpty(t, reply.Error.Message)
	admin := proctest.NewClient(t, ward.URL)
	admin.Header.Set("Authorization", basic("admin", adminPW))
	code, q, err := admin.Do("GET", "/api/v1/quarantine", nil)
	require.NoError(t, err)
	require.Equal(t, 200, code)
	assert.Contains(t, string(q), "Người Khác", "the conflicting record is listed for an official")
	assert.Equal(t, 2, wardProgress(t, ward.URL).Total.Done, "the forged record is not counted")

	// A wrong token is refused.
	bad := proctest.NewClient(t, ward.URL)
	bad.Header.Set("Authorization", "Bearer nope")
	assert.Equal(t, 401, bad.JSON("POST", "/api/v1/records", link.PushRequest{KioskID: kioskID}, nil))

	// USB file: a tampered byte, or a file signed with another key, is refused.
	code, batch, err := v.Do("GET", "/api/v1/batch?after=0", nil)
	require.NoError(t, err)
	require.Equal(t, 200, code)
	tampered := []byte(strings.Replace(string(batch), "Công Dân B", "Công Dân Z", 1))
	require.NotEqual(t, batch, tampered)
	code, body, err := admin.Do("POST", "/api/v1/import", tampered)
	require.NoError(t, err)
	assert.Contains(t, []int{400, 403, 422}, code, "%s", body)
	assert.Contains(t, string(body), `"message"`)
	foreign, err := record.SealBatch(record.Batch{KioskID: kioskID, Records: page.Records}, "someone-else")
	require.NoError(t, err)
	code, _, err = admin.Do("POST", "/api/v1/import", foreign)
	require.NoError(t, err)
	assert.Contains(t, []int{400, 403, 422}, code)
	assert.Equal(t, 2, wardProgress(t, ward.URL).Total.Done)
}

func basic(user, pw string) string {
	return "Basic " + b64(user+":"+pw)
}

func TestMain(m *testing.M) {
	if testenv.SkipPackageIfShort("process-level sync tests") {
		os.Exit(0)
	}
	if runtime.GOOS != "linux" {
		fmt.Println("SKIPPED — NOT TESTED: process tests need linux")
		os.Exit(0)
	}
	if _, err := os.Stat(filepath.Clean(quotaCSV)); err != nil {
		fmt.Println("quota CSV missing:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestPairingByShortCode(t *testing.T) {
	ward := startWard(t, proctest.FreeAddr(t), t.TempDir())
	admin := proctest.NewClient(t, ward.URL)
	admin.Header.Set("Authorization", basic("admin", adminPW))
	var pc struct {
		Code string `json:"code"`
	}
	require.Equal(t, 201, admin.JSON("POST", "/api/v1/pairings", map[string]string{"kiosk_id": "song-nga", "name": "Nhà văn hóa thôn Song Nga", "village": "Song Nga"}, &pc))
	require.Len(t, pc.Code, 9, "ABCD-EFGH")

	// A fresh box: no id, token or ward configured.
	kioskBin, _ := proctest.Binaries(t)
	addr := proctest.FreeAddr(t)
	kiosk := proctest.Start(t, kioskBin, addr, "--listen", addr, "--data", t.TempDir(), "--pin", pin, "--mdns=false", "--sync-max-delay", "2s")
	tv := proctest.NewClient(t, kiosk.URL)
	code, page, err := tv.Do("GET", "/", nil)
	require.NoError(t, err)
	require.Equal(t, 200, code)
	assert.Contains(t, string(page), "chưa được ghép", "the TV shows the setup screen")
	assert.NotContains(t, string(page), pin, "never the PIN")

	v := volunteer(t, kiosk.URL)
	var bad struct{ Error struct{ Code string } }
	assert.Equal(t, 422, v.JSON("POST", "/api/v1/setup/pair", map[string]string{"code": "WRONG-CODE", "ward_url": ward.URL}, &bad))
	assert.Equal(t, "invalid_code", bad.Error.Code)
	var paired struct {
		KioskID string `json:"kiosk_id"`
		Village string `json:"village"`
	}
	require.Equal(t, 200, v.JSON("POST", "/api/v1/setup/pair", map[string]string{"code": strings.ToLower(pc.Code), "ward_url": strings.TrimPrefix(ward.URL, "http://")}, &paired))
	assert.Equal(t, "song-nga", paired.KioskID)
	assert.Equal(t, "Song Nga", paired.Village)

	// The kiosk restarts itself with its new identity and pushes to the ward.
	proctest.Eventually(t, 20*time.Second, "kiosk back with its paired id", func() bool {
		var h struct {
			KioskID string `json:"kiosk_id"`
		}
		c, b, err := tv.Do("GET", "/healthz", nil)
		return err == nil && c == 200 && jsonField(b, &h) && h.KioskID == "song-nga"
	})
	v = volunteer(t, kiosk.URL)
	var tk struct{ ID string }
	require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets", proctest.Citizen(7, "Song Nga"), &tk))
	require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]string{"outcome": "activated"}, nil))
	proctest.Eventually(t, 20*time.Second, "the paired kiosk's record counted at the ward", func() bool {
		return villageDone(wardProgress(t, ward.URL), "Song Nga") == 1
	})
	// The code works once.
	assert.Equal(t, 409, v.JSON("POST", "/api/v1/setup/pair", map[string]string{"code": pc.Code, "ward_url": ward.URL}, nil), "already paired")
}

func TestKioskRestartKeepsQueueNumbersAndRecords(t *testing.T) {
	kiosk := startKiosk(t, proctest.FreeAddr(t), t.TempDir())
	v := volunteer(t, kiosk.URL)
	for i := range 3 {
		complete(t, v, i)
	}
	for i := 10; i < 14; i++ {
		require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets", proctest.Citizen(i, village), nil))
	}
	require.Equal(t, 200, v.JSON("POST", "/api/v1/desks/2/next", nil, nil))
	snapshot := func() (string, string, string) {
		w := proctest.NewClient(t, kiosk.URL)
		w.Header.Set("Authorization", "Bearer "+token)
		_, recs, err := w.Do("GET", "/api/v1/records?after=0", nil)
		require.NoError(t, err)
		var q struct {
			Tickets []map[string]any `json:"tickets"`
		}
		require.Equal(t, 200, v.JSON("GET", "/api/v1/queue", nil, &q))
		tickets, _ := jsonMarshal(q.Tickets)
		_, board, err := w.Do("GET", "/api/v1/board", nil)
		require.NoError(t, err)
		var b map[string]any
		require.True(t, jsonField(board, &b))
		delete(b, "time")
		delete(b, "calls") // announcements are not replayed after a restart
		delete(b, "rev")
		boardJSON, _ := jsonMarshal(b)
		return string(recs), tickets, boardJSON
	}
	recs, tickets, board := snapshot()
	_, callsBefore, err := proctest.NewClient(t, kiosk.URL).Do("GET", "/api/v1/board", nil)
	require.NoError(t, err)
	kiosk.Stop()
	kiosk.Restart()
	v = volunteer(t, kiosk.URL)
	recs2, tickets2, board2 := snapshot()
	assert.Equal(t, recs, recs2, "records identical")
	assert.Equal(t, tickets, tickets2, "queue identical")
	assert.JSONEq(t, board, board2, "board identical (desks, next, waiting, counters)")
	// A TV that stayed on remembers the last call id it spoke: new ids must be larger.
	var before, after struct {
		Calls []struct{ ID int64 } `json:"calls"`
	}
	require.True(t, jsonField(callsBefore, &before))
	require.Equal(t, 200, v.JSON("POST", "/api/v1/desks/1/next", nil, nil))
	require.Equal(t, 200, proctest.NewClient(t, kiosk.URL).JSON("GET", "/api/v1/board", nil, &after))
	require.NotEmpty(t, before.Calls)
	require.NotEmpty(t, after.Calls)
	assert.Greater(t, after.Calls[0].ID, before.Calls[len(before.Calls)-1].ID)
	var tk struct{ Number int }
	require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets", proctest.Citizen(20, village), &tk))
	assert.Equal(t, 8, tk.Number, "numbering continues: 3 walk-ins + 4 + this one")
}

func TestReplacedBoxContinuesAfterTheWard(t *testing.T) {
	// The SD card died; a new box is set up under the same id and token.
	// Its records must not reuse the seqs the ward already holds.
	wardAddr := proctest.FreeAddr(t)
	ward := startWard(t, wardAddr, t.TempDir())
	old := startKiosk(t, proctest.FreeAddr(t), t.TempDir(), "--ward-url", "http://"+wardAddr)
	v := volunteer(t, old.URL)
	for i := range 5 {
		complete(t, v, i)
	}
	proctest.Eventually(t, 30*time.Second, "old box acknowledged", func() bool { return kioskHealth(t, old.URL).AckedSeq == 5 })
	old.Kill()

	fresh := startKiosk(t, proctest.FreeAddr(t), t.TempDir(), "--ward-url", "http://"+wardAddr)
	proctest.Eventually(t, 30*time.Second, "new box learns the ward's head", func() bool { return kioskHealth(t, fresh.URL).HeadSeq == 5 })
	v = volunteer(t, fresh.URL)
	complete(t, v, 10)
	complete(t, v, 11)
	proctest.Eventually(t, 30*time.Second, "new records acknowledged", func() bool { return kioskHealth(t, fresh.URL).AckedSeq == 7 })
	assert.Equal(t, 7, wardProgress(t, ward.URL).Total.Done, "nothing quarantined, nothing lost")
	admin := proctest.NewClient(t, ward.URL)
	admin.Header.Set("Authorization", basic("admin", adminPW))
	var q struct {
		Items []any `json:"items"`
	}
	require.Equal(t, 200, admin.JSON("GET", "/api/v1/quarantine", nil, &q))
	assert.Empty(t, q.Items)
}

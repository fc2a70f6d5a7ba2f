package sync

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/proctest"
	"github.com/kyso-vn/kyso/link"
)

// records reads a kiosk's whole log as the ward would (bearer token).
func records(t *testing.T, base string) (int, link.Page, string) {
	w := proctest.NewClient(t, base)
	w.Header.Set("Authorization", "Bearer "+token)
	var p link.Page
	status, body, err := w.Do("GET", "/api/v1/records?after=0&limit=5000", nil)
	require.NoError(t, err)
	if status == 200 {
		require.True(t, jsonField(body, &p), "%s", body)
	}
	return status, p, string(body)
}

type boardAlert struct {
	StoreAlert *struct {
		State   string `json:"state"`
		Message string `json:"message"`
	} `json:"store_alert"`
}

func storeAlert(t *testing.T, base string) (state, message string) {
	var b boardAlert
	require.Equal(t, 200, proctest.NewClient(t, base).JSON("GET", "/api/v1/board", nil, &b))
	if b.StoreAlert == nil {
		return "", ""
	}
	return b.StoreAlert.State, b.StoreAlert.Message
}

// copyDir copies a stopped kiosk's data directory.
func copyDir(t *testing.T, src string) string {
	dst := t.TempDir()
	require.NoError(t, os.CopyFS(dst, os.DirFS(src)))
	return dst
}

// largestSST is the store's biggest table: where the records are.
func largestSST(t *testing.T, data string) string {
	ssts, _ := filepath.Glob(filepath.Join(data, "store", "*.sst"))
	require.NotEmpty(t, ssts, "the stopped kiosk flushed its records to tables")
	sort.Slice(ssts, func(i, j int) bool { return size(ssts[i]) > size(ssts[j]) })
	return ssts[0]
}

func size(p string) int64 { st, _ := os.Stat(p); return st.Size() }

// An SD card that corrupts a table (issue 15, finding 2): the kiosk used to
// start silently and serve part of its log. Now, with the real programs,
// for bytes flipped at several places in a table and for a table cut in
// half: the kiosk starts, says on the TV and the tablet that its store was
// damaged, takes every record back from a real ward on 127.0.0.1 and ends
// with exactly the log it had (dense seqs, nothing twice); the ward shows
// the repair. Without a ward it refuses to pretend: no partial records
// page, a plain message, and the queue still works; the completion made
// meanwhile is numbered after the log once the ward is back.
func TestDamagedStoreRepairsFromTheWard(t *testing.T) {
	const n = 240
	wardAddr := proctest.FreeAddr(t)
	ward := startWard(t, wardAddr, t.TempDir())
	data := t.TempDir()
	orig := startKiosk(t, proctest.FreeAddr(t), data, "--ward-url", "http://"+wardAddr)
	v := volunteer(t, orig.URL)
	for i := range n {
		complete(t, v, i)
	}
	proctest.Eventually(t, 60*time.Second, "every record at the ward", func() bool { return kioskHealth(t, orig.URL).AckedSeq == n })
	status, want, body := records(t, orig.URL)
	require.Equal(t, 200, status, body)
	require.Len(t, want.Records, n)
	orig.Stop()

	damages := []struct {
		name   string
		damage func(b []byte) []byte
	}{
		{"16 bytes flipped early in the table", func(b []byte) []byte { return flip16(b, len(b)/5) }},
		{"16 bytes flipped in the middle", func(b []byte) []byte { return flip16(b, len(b)/2) }},
		{"16 bytes flipped near the end (index)", func(b []byte) []byte { return flip16(b, len(b)*9/10) }},
		{"the table cut in half (a write that never finished)", func(b []byte) []byte { return b[:len(b)/2] }},
	}
	for _, tc := range damages {
		t.Run(tc.name, func(t *testing.T) {
			copyData := copyDir(t, data)
			sst := largestSST(t, copyData)
			b, err := os.ReadFile(sst)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(sst, tc.damage(b), 0o600))

			k := startKiosk(t, proctest.FreeAddr(t), copyData, "--ward-url", "http://"+wardAddr)
			defer k.Stop()
			proctest.Eventually(t, 60*time.Second, "the kiosk repairs itself from the ward", func() bool {
				st, _ := storeAlert(t, k.URL)
				return st == "repaired"
			})
			_, msg := storeAlert(t, k.URL)
			assert.Contains(t, msg, "lấy lại 240 lượt từ xã")
			assert.Contains(t, msg, "không mất lượt nào")
			status, got, body := records(t, k.URL)
			require.Equal(t, 200, status, body)
			assert.Equal(t, uint64(n), got.HeadSeq)
			require.Len(t, got.Records, n, "every record the ward held")
			for i, r := range got.Records {
				assert.Equal(t, uint64(i+1), r.Seq, "dense seqs")
				assert.Equal(t, want.Records[i].ID, r.ID, "the same record under the same seq, nothing twice")
				assert.Equal(t, want.Records[i].Citizen, r.Citizen)
			}
			matches, _ := filepath.Glob(filepath.Join(copyData, "store.damaged-*"))
			assert.Len(t, matches, 1, "the damaged store is kept aside for a technician")

			// The ward's office sees which kiosk rebuilt its store and that nothing is lost.
			proctest.Eventually(t, 30*time.Second, "the ward has the repair's report", func() bool {
				_, from := wardRepairText(t, ward.URL)
				return from == n
			})
			text, _ := wardRepairText(t, ward.URL)
			assert.Contains(t, text, "không mất lượt nào")
		})
	}

	t.Run("without a ward it refuses to pretend", func(t *testing.T) {
		copyData := copyDir(t, data)
		sst := largestSST(t, copyData)
		b, err := os.ReadFile(sst)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(sst, flip16(b, len(b)/2), 0o600))
		dead := proctest.FreeAddr(t) // nothing listens here: the office is offline
		addr := proctest.FreeAddr(t)
		k := startKiosk(t, addr, copyData, "--ward-url", "http://"+dead)
		proctest.Eventually(t, 30*time.Second, "the TV says the store is damaged", func() bool {
			st, msg := storeAlert(t, k.URL)
			return st == "repairing" && msg != ""
		})
		_, msg := storeAlert(t, k.URL)
		assert.Contains(t, msg, "Thẻ nhớ của máy bị hỏng dữ liệu")
		status, _, body := records(t, k.URL)
		assert.Equal(t, 503, status, "no partial records answer")
		assert.Contains(t, body, "store_repairing")
		assert.Contains(t, body, "đang lấy lại")

		// The evening goes on: a citizen is served while the ward is away.
		v := volunteer(t, k.URL)
		complete(t, v, 500)
		k.Stop()

		// The office is back (the kiosk is pointed at it): the repair ends,
		// and the completion made meanwhile comes after the whole log.
		k = startKiosk(t, addr, copyData, "--ward-url", "http://"+wardAddr)
		defer k.Stop()
		proctest.Eventually(t, 60*time.Second, "repaired once the ward answers", func() bool {
			st, _ := storeAlert(t, k.URL)
			return st == "repaired"
		})
		status, got, body := records(t, k.URL)
		require.Equal(t, 200, status, body)
		require.Len(t, got.Records, n+1)
		for i, r := range got.Records[:n] {
			assert.Equal(t, want.Records[i].ID, r.ID)
		}
		assert.Equal(t, uint64(n+1), got.Records[n].Seq, "made during the repair: numbered after the log")
		proctest.Eventually(t, 60*time.Second, "and it reaches the ward", func() bool {
			return kioskHealth(t, k.URL).AckedSeq == n+1
		})
		assert.Equal(t, n+1, villageDone(wardProgress(t, ward.URL), village), "counted once")
	})
}

// wardRepairText is what the ward's kiosk list says of kioskID's repair
// ("" until the report arrives) and how many records it says came back.
func wardRepairText(t *testing.T, base string) (string, uint64) {
	admin := proctest.NewClient(t, base)
	admin.Header.Set("Authorization", basic("admin", adminPW))
	var fleet struct {
		Kiosks []struct {
			KioskID    string `json:"kiosk_id"`
			RepairText string `json:"repair_text"`
			Repair     *struct {
				FromWard uint64 `json:"from_ward"`
			} `json:"repair"`
		} `json:"kiosks"`
	}
	require.Equal(t, 200, admin.JSON("GET", "/api/v1/kiosks", nil, &fleet))
	for _, k := range fleet.Kiosks {
		if k.KioskID == kioskID && k.Repair != nil {
			return k.RepairText, k.Repair.FromWard
		}
	}
	return "", 0
}

func flip16(b []byte, at int) []byte {
	out := append([]byte(nil), b...)
	for i := at; i < at+16 && i < len(out); i++ {
		out[i] ^= 0xA5
	}
	return out
}

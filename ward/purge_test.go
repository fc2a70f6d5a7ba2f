package ward

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/purge"
)

// dirHolds lists the files under dir whose bytes contain s.
func dirHolds(t *testing.T, dir, s string) []string {
	t.Helper()
	var hits []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
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
	}))
	return hits
}

// allVersions lists the keys of the ward's store in data whose values,
// in any version Badger still holds, contain s.
func allVersions(t *testing.T, data, s string) []string {
	t.Helper()
	db, err := badger.Open(badger.DefaultOptions(filepath.Join(data, "store")).WithLogger(nil))
	require.NoError(t, err)
	defer db.Close()
	var hits []string
	require.NoError(t, db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.AllVersions = true
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if bytes.Contains(v, []byte(s)) {
				hits = append(hits, string(it.Item().Key()))
			}
		}
		return nil
	}))
	return hits
}

// progressJSON is the public progress document as the API serves it.
func progressJSON(t *testing.T, h *harness) string {
	t.Helper()
	r := do(t, nil, "GET", h.url+"/api/v1/progress", nil, nil)
	require.Equal(t, 200, r.status)
	return string(r.body)
}

// The purge: personal fields of older records go (from the API, the
// exports, the quarantine and the bytes on disk); the counts, cursors and
// repeat detection stay; a citizen purged earlier still counts once when
// they come again; later records keep their data.
func TestPurge(t *testing.T) {
	cfg := testConfig(t)
	h := start(t, cfg)
	old1 := rec("kiosk-a", 1, cccd(1), "Đông Lão", true)
	old2 := rec("kiosk-a", 2, cccd(2), "Song Nga", false)
	old3 := rec("kiosk-b", 1, cccd(1), "Thôn Kim", true) // the same citizen again: counted once
	old4 := correction("kiosk-b", 2, rec("kiosk-a", 3, cccd(3), "", true), "Thôn Sành", true)
	old5 := rec("kiosk-a", 3, cccd(3), "Đông Lão", true)
	recent := rec("kiosk-a", 40, cccd(40), "Đông Lão", true)
	require.Equal(t, 200, h.push("kiosk-a", tokA, old1, old2, old5, recent).status)
	require.Equal(t, 200, h.push("kiosk-b", tokB, old3, old4).status)
	conflict := old1
	conflict.Citizen.Name = "Người Khác Hẳn"
	require.Equal(t, 409, h.push("kiosk-a", tokA, conflict).status)
	before := progressJSON(t, h)
	acked := h.svc.led.tally.Acked("kiosk-a")
	// The control: the write-ahead log of the running store holds the CCCDs
	// in clear (tables are compressed, so after a clean stop the byte check
	// alone could pass for the wrong reason; allVersions covers that).
	require.NotEmpty(t, dirHolds(t, cfg.Data, cccd(1)), "the check below can fail")
	h.stop()
	require.NotEmpty(t, allVersions(t, cfg.Data, cccd(1)))

	cutoff := old5.RecordedAt.Add(time.Second) // records of minutes 1..3 are old; 40 is recent
	res, err := purge.Purge(purge.Options{Data: cfg.Data, Before: cutoff})
	require.NoError(t, err)
	assert.Equal(t, 5, res.Purged)
	assert.Equal(t, 1, res.Quarantined)
	assert.Equal(t, 6, res.Records)
	for _, dir := range []string{"store.purge-new", "store.purge-old"} {
		assert.NoDirExists(t, filepath.Join(cfg.Data, dir), "nothing left behind")
	}
	for _, r := range []record.Record{old1, old2, old5, conflict} {
		assert.Empty(t, dirHolds(t, cfg.Data, r.Citizen.CCCD), "CCCD of %s/%d on disk", r.KioskID, r.Seq)
		assert.Empty(t, dirHolds(t, cfg.Data, r.Citizen.Name), "name of %s/%d on disk", r.KioskID, r.Seq)
		assert.Empty(t, allVersions(t, cfg.Data, r.Citizen.CCCD), "CCCD of %s/%d in some version of some key", r.KioskID, r.Seq)
	}
	assert.NotEmpty(t, allVersions(t, cfg.Data, recent.Citizen.CCCD), "a recent record keeps its data")

	h.open()
	assert.Equal(t, before, progressJSON(t, h), "the public progress is identical")
	assert.Equal(t, acked, h.svc.led.tally.Acked("kiosk-a"))

	rows, err := collectRows(h.svc.led.CompletionRows(h.svc.camp.Plan(), "", true))
	require.NoError(t, err)
	require.Len(t, rows, 5)
	purged := 0
	for _, r := range rows {
		if strings.Contains(r.Note, purgedNote) {
			purged++
			assert.Empty(t, r.Name+r.CCCD+r.Phone+r.BirthDate, "purged row %+v", r)
			assert.NotEmpty(t, r.Village)
			assert.NotEmpty(t, r.Date)
			assert.Equal(t, "Nữ", r.Gender)
		} else {
			assert.Equal(t, cccd(40), r.CCCD)
		}
	}
	assert.Equal(t, 4, purged)
	csv := do(t, nil, "GET", h.url+"/export/completions.csv", nil, map[string]string{"Authorization": "Basic " + basic("admin", adminPW)})
	require.Equal(t, 200, csv.status)
	assert.NotContains(t, string(csv.body), cccd(1))
	assert.Contains(t, string(csv.body), "Đã xoá thông tin cá nhân")

	q, err := h.svc.led.QuarantineList()
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Contains(t, q[0].Got, "đã xoá thông tin cá nhân")
	assert.Equal(t, "thông tin khác", q[0].Differs, "only the name differed, and it is gone on both sides")

	// A kiosk re-sending the originals: repeats, not conflicts.
	r := h.push("kiosk-a", tokA, old1, old2, old5)
	require.Equal(t, 200, r.status, string(r.body))
	r = h.push("kiosk-a", tokA, conflict)
	assert.Equal(t, 409, r.status)
	q, _ = h.svc.led.QuarantineList()
	assert.Len(t, q, 1, "the known conflicting delivery is not quarantined again (with its personal data)")

	// The same citizen comes again after the purge: still counted once.
	done := h.progress().Total.Done
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 41, cccd(1), "Đông Lão", true)).status)
	assert.Equal(t, done, h.progress().Total.Done, "a purged citizen still counts once")
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 42, cccd(99), "Đông Lão", true)).status)
	assert.Equal(t, done+1, h.progress().Total.Done, "a new citizen counts")

	// Nothing left to do the second time; the same salt is kept.
	h.stop()
	res, err = purge.Purge(purge.Options{Data: cfg.Data, Before: cutoff})
	require.NoError(t, err)
	assert.Zero(t, res.Purged+res.Quarantined)
	res, err = purge.Purge(purge.Options{Data: cfg.Data, Before: time.Now()})
	require.NoError(t, err)
	assert.Equal(t, 3, res.Purged, "40, 41, 42")
	h.open()
	assert.Equal(t, done+1, h.progress().Total.Done, "a second purge with the same salt keeps the counts")
}

// Purge refuses what would hurt: a running ward, a date in the future, a
// wrong key; an empty data directory is nothing to do.
func TestPurgeRefuses(t *testing.T) {
	cfg := testConfig(t)
	h := start(t, cfg)
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 1, cccd(1), "Đông Lão", true)).status)
	cases := []struct {
		name string
		o    purge.Options
		err  string
		why  string
	}{
		{"running", purge.Options{Data: cfg.Data, Before: time.Now()}, "already running", "the ward holds the store: stop it first"},
		{"future", purge.Options{Data: cfg.Data, Before: time.Now().Add(48 * time.Hour)}, "future", "would purge a campaign still running"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := purge.Purge(tc.o)
			require.Error(t, err, tc.why)
			assert.Contains(t, err.Error(), tc.err, tc.why)
		})
	}
	h.stop()
	_, err := purge.Purge(purge.Options{Data: cfg.Data, DataKey: bytes.Repeat([]byte{7}, 32), Before: time.Now()})
	require.ErrorContains(t, err, "data key", "a plain store does not open with a key")
	h.open()
	rows, err := collectRows(h.svc.led.CompletionRows(h.svc.camp.Plan(), "", true))
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, cccd(1), rows[0].CCCD, "nothing was changed")
	h.stop()

	res, err := purge.Purge(purge.Options{Data: filepath.Join(t.TempDir(), "none"), Before: time.Now()})
	require.NoError(t, err)
	assert.True(t, res.NoStore)
}

// An encrypted store is purged into an encrypted store with the same key.
func TestPurgeEncrypted(t *testing.T) {
	cfg := testConfig(t)
	cfg.DataKey = bytes.Repeat([]byte{0x5a}, 32)
	h := start(t, cfg)
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 1, cccd(1), "Đông Lão", true), rec("kiosk-a", 2, cccd(2), "Song Nga", true)).status)
	before := progressJSON(t, h)
	h.stop()
	res, err := purge.Purge(purge.Options{Data: cfg.Data, DataKey: cfg.DataKey, Before: time.Now()})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Purged)
	h.open()
	assert.Equal(t, before, progressJSON(t, h))
	rows, err := collectRows(h.svc.led.CompletionRows(h.svc.camp.Plan(), "", false))
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Empty(t, rows[0].CCCD)
	h.stop()
	plain := cfg
	plain.DataKey = nil
	_, err = New(plain)
	require.ErrorContains(t, err, "data key", "the purged store is still encrypted")
}

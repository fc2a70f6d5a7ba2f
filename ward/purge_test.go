package ward

import (
	"bytes"
	"encoding/json"
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
	db, err := badger.Open(badger.DefaultOptions(filepath.Join(data, storeDir)).WithLogger(nil))
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
	acked := h.svc.tally.Acked("kiosk-a")
	// The control: the write-ahead log of the running store holds the CCCDs
	// in clear (tables are compressed, so after a clean stop the byte check
	// alone could pass for the wrong reason; allVersions covers that).
	require.NotEmpty(t, dirHolds(t, cfg.Data, cccd(1)), "the check below can fail")
	h.stop()
	require.NotEmpty(t, allVersions(t, cfg.Data, cccd(1)))

	cutoff := old5.RecordedAt.Add(time.Second) // records of minutes 1..3 are old; 40 is recent
	res, err := Purge(PurgeOptions{Data: cfg.Data, Before: cutoff})
	require.NoError(t, err)
	assert.Equal(t, 5, res.Purged)
	assert.Equal(t, 1, res.Quarantined)
	assert.Equal(t, 6, res.Records)
	for _, dir := range []string{purgeNewDir, purgeOldDir} {
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
	assert.Equal(t, acked, h.svc.tally.Acked("kiosk-a"))

	rows, err := collectRows(h.svc.CompletionRows("", true))
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

	q, err := h.svc.QuarantineList()
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Contains(t, q[0].Got, "đã xoá thông tin cá nhân")
	assert.Equal(t, "thông tin khác", q[0].Differs, "only the name differed, and it is gone on both sides")

	// A kiosk re-sending the originals: repeats, not conflicts.
	r := h.push("kiosk-a", tokA, old1, old2, old5)
	require.Equal(t, 200, r.status, string(r.body))
	r = h.push("kiosk-a", tokA, conflict)
	assert.Equal(t, 409, r.status)
	q, _ = h.svc.QuarantineList()
	assert.Len(t, q, 1, "the known conflicting delivery is not quarantined again (with its personal data)")

	// The same citizen comes again after the purge: still counted once.
	done := h.progress().Total.Done
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 41, cccd(1), "Đông Lão", true)).status)
	assert.Equal(t, done, h.progress().Total.Done, "a purged citizen still counts once")
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 42, cccd(99), "Đông Lão", true)).status)
	assert.Equal(t, done+1, h.progress().Total.Done, "a new citizen counts")

	// Nothing left to do the second time; the same salt is kept.
	h.stop()
	res, err = Purge(PurgeOptions{Data: cfg.Data, Before: cutoff})
	require.NoError(t, err)
	assert.Zero(t, res.Purged+res.Quarantined)
	res, err = Purge(PurgeOptions{Data: cfg.Data, Before: time.Now()})
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
		o    PurgeOptions
		err  string
		why  string
	}{
		{"running", PurgeOptions{Data: cfg.Data, Before: time.Now()}, "already running", "the ward holds the store: stop it first"},
		{"future", PurgeOptions{Data: cfg.Data, Before: time.Now().Add(48 * time.Hour)}, "future", "would purge a campaign still running"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Purge(tc.o)
			require.Error(t, err, tc.why)
			assert.Contains(t, err.Error(), tc.err, tc.why)
		})
	}
	h.stop()
	_, err := Purge(PurgeOptions{Data: cfg.Data, DataKey: bytes.Repeat([]byte{7}, 32), Before: time.Now()})
	require.ErrorContains(t, err, "data key", "a plain store does not open with a key")
	h.open()
	rows, err := collectRows(h.svc.CompletionRows("", true))
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, cccd(1), rows[0].CCCD, "nothing was changed")
	h.stop()

	res, err := Purge(PurgeOptions{Data: filepath.Join(t.TempDir(), "none"), Before: time.Now()})
	require.NoError(t, err)
	assert.True(t, res.NoStore)
}

// A purge cut short at any step leaves a whole store: the next open
// finishes the swap or undoes it.
func TestFinishPurge(t *testing.T) {
	cases := []struct {
		name     string
		have     []string // directories present, each holding a file named after itself
		wantFrom string   // whose file ends up in store/
		why      string
	}{
		{"copy unfinished", []string{storeDir, purgeNewDir}, storeDir, "the copy may be incomplete: the store in place is kept"},
		{"moved aside", []string{purgeOldDir, purgeNewDir}, purgeNewDir, "the copy was verified before the old store moved"},
		{"new lost", []string{purgeOldDir}, purgeOldDir, "nothing else to keep: the old store goes back"},
		{"swapped", []string{storeDir, purgeOldDir}, storeDir, "only the removal of the old store was left"},
		{"nothing", []string{storeDir}, storeDir, "an ordinary start"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for _, d := range tc.have {
				require.NoError(t, os.MkdirAll(filepath.Join(dir, d), 0o700))
				require.NoError(t, os.WriteFile(filepath.Join(dir, d, d), []byte("x"), 0o600))
			}
			require.NoError(t, finishPurge(dir, nil), tc.why)
			assert.FileExists(t, filepath.Join(dir, storeDir, tc.wantFrom), tc.why)
			assert.NoDirExists(t, filepath.Join(dir, purgeNewDir), tc.why)
			assert.NoDirExists(t, filepath.Join(dir, purgeOldDir), tc.why)
		})
	}
}

func TestParsePurgeDate(t *testing.T) {
	cases := []struct {
		in, want string
		why      string
	}{
		{"2026-11-21", "2026-11-21T00:00:00Z", "a date is 00:00 UTC, the date in recorded_at"},
		{"21/11/2026", "2026-11-21T00:00:00Z", "the Vietnamese way of writing it"},
		{"2026-11-21T00:00:00+07:00", "2026-11-20T17:00:00Z", "a time with a zone, for the exact start of a Vietnamese day"},
		{"mai", "", "not a date"},
		{"31/02/2026", "", "no such day"},
	}
	for _, tc := range cases {
		got, err := ParsePurgeDate(tc.in)
		if tc.want == "" {
			assert.Error(t, err, tc.why)
			continue
		}
		require.NoError(t, err, tc.why)
		assert.Equal(t, tc.want, got.Format(time.RFC3339), tc.why)
	}
}

// Pseudonyms are stable for one salt, differ between salts, and leave
// empty CCCDs and pseudonyms alone; without a salt nothing changes.
func TestPseudonym(t *testing.T) {
	a, b := pseudonymizer{salt: []byte("0123456789abcdef")}, pseudonymizer{salt: []byte("fedcba9876543210")}
	assert.Equal(t, a.key(cccd(1)), a.key(cccd(1)))
	assert.Equal(t, a.key(cccd(1)), a.key(" "+cccd(1)), "spaces do not matter, as in the tally")
	assert.NotEqual(t, a.key(cccd(1)), b.key(cccd(1)))
	assert.NotEqual(t, a.key(cccd(1)), a.key(cccd(2)))
	assert.Len(t, a.key(cccd(1)), len(purgedPrefix)+24)
	assert.Equal(t, a.key(cccd(1)), a.key(a.key(cccd(1))), "a pseudonym is kept")
	assert.Empty(t, a.key(""), "an empty CCCD counts per record, as before")
	assert.Equal(t, cccd(1), pseudonymizer{}.key(cccd(1)), "a ward never purged counts by CCCD")
	js, _ := json.Marshal(a.key(cccd(1)))
	assert.NotContains(t, string(js), cccd(1)[8:])
}

// An encrypted store is purged into an encrypted store with the same key.
func TestPurgeEncrypted(t *testing.T) {
	cfg := testConfig(t)
	cfg.DataKey = bytes.Repeat([]byte{0x5a}, 32)
	h := start(t, cfg)
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 1, cccd(1), "Đông Lão", true), rec("kiosk-a", 2, cccd(2), "Song Nga", true)).status)
	before := progressJSON(t, h)
	h.stop()
	res, err := Purge(PurgeOptions{Data: cfg.Data, DataKey: cfg.DataKey, Before: time.Now()})
	require.NoError(t, err)
	assert.Equal(t, 2, res.Purged)
	h.open()
	assert.Equal(t, before, progressJSON(t, h))
	rows, err := collectRows(h.svc.CompletionRows("", false))
	require.NoError(t, err)
	require.Len(t, rows, 2)
	assert.Empty(t, rows[0].CCCD)
	h.stop()
	plain := cfg
	plain.DataKey = nil
	_, err = New(plain)
	require.ErrorContains(t, err, "data key", "the purged store is still encrypted")
}

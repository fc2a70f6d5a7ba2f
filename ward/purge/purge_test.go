package purge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/outreach"
	"github.com/kyso-vn/kyso/ward/store"
)

func cccd(n int) string { return fmt.Sprintf("0381%08d", n) }

var t0 = time.Date(2024, 6, 5, 1, 0, 0, 0, time.UTC)

// seed writes a ward's data directory as a running ward would have left
// it: one completion record from June 2024, a roster of two residents of
// Đông Lão with a mark on one, a unit head's login and an export log line.
func seed(t *testing.T, data string) (people []outreach.Input) {
	t.Helper()
	st, err := OpenStore(data, store.Options{})
	require.NoError(t, err)
	defer func() { require.NoError(t, st.Close()) }()
	r := record.Record{
		ID: "00000001-0000-4000-8000-000000000001", KioskID: "dong-lao", Seq: 1, Type: record.TypeCompletion, Outcome: record.OutcomeActivated,
		Citizen:   record.Citizen{Name: "Nguyễn Thị Hằng", CCCD: cccd(1), BirthDate: "1990-05-17", Gender: "female", Phone: "0912345678", Village: "Đông Lão"},
		Volunteer: "Đỗ Văn Tình", Desk: 1, ConsentAt: t0.Add(-10 * time.Minute), RecordedAt: t0, Clock: record.ClockKiosk,
	}
	require.NoError(t, st.Write(store.Batch{Records: []store.Stored{{Record: r, Canonical: r.Canonical(), ReceivedAt: t0, Via: store.ViaPush}}}))
	book, err := outreach.Open(st)
	require.NoError(t, err)
	people = []outreach.Input{
		{Name: "Trần Văn Bình", CCCD: cccd(7), BirthDate: "1971-02-03", Gender: "male", Phone: "0987654321", Household: "HK-12", IsHead: true, Village: "Đông Lão", Eligible: true},
		{Name: "Lê Thị Mai", CCCD: cccd(8), BirthDate: "1975-08-09", Gender: "female", Household: "HK-12", Village: "Đông Lão", Eligible: true},
	}
	_, err = book.Import(outreach.KindResidents, people)
	require.NoError(t, err)
	key := book.KeyOf(cccd(7), "", "", "")
	require.NotEmpty(t, key)
	require.NoError(t, book.SetMark(key, "away", "Đi làm ăn xa ở Bình Dương", "truong-thon", t0))
	require.NoError(t, st.PutJSON("user/truong-thon", map[string]string{"login": "truong-thon", "village": "Đông Lão"}))
	require.NoError(t, st.PutJSON("audit/0001", map[string]any{"login": "admin", "export": "outreach.xlsx", "filter": "village=Đông Lão", "rows": 2}))
	return people
}

// anyVersionHolds lists the keys of the store in data whose values, in
// any version Badger still holds, contain s.
func anyVersionHolds(t *testing.T, data, s string) []string {
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

func keysUnder(t *testing.T, data, prefix string) int {
	t.Helper()
	st, err := OpenStore(data, OfflineOptions(nil))
	require.NoError(t, err)
	defer st.Close()
	n, err := countKeys(st, []string{prefix})
	require.NoError(t, err)
	return n
}

// `ward purge` removes the whole roster (persons, marks: their names,
// CCCDs, phones and notes, in every version on disk) together with the
// records' personal fields; the unit logins and the export log stay.
// With KeepRosters the roster stays and only the records are purged.
func TestPurgeRoster(t *testing.T) {
	cases := []struct {
		name       string
		keep       bool
		wantRoster int
		why        string
	}{
		{"roster removed", false, 3, "two persons and one mark"},
		{"roster kept", true, 0, "a purge in the middle of a campaign keeps its working list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			data := t.TempDir()
			people := seed(t, data)
			res, err := Purge(Options{Data: data, Before: t0.Add(time.Hour), KeepRosters: tc.keep, Now: func() time.Time { return t0.Add(24 * time.Hour) }})
			require.NoError(t, err)
			assert.Equal(t, 1, res.Purged, "the record of June 2024")
			assert.Equal(t, tc.wantRoster, res.Roster, tc.why)
			assert.Equal(t, 1, keysUnder(t, data, "user/"), "the unit head's login stays")
			assert.Equal(t, 1, keysUnder(t, data, "audit/"), "the export log stays")
			assert.Empty(t, anyVersionHolds(t, data, cccd(1)), "the record's CCCD is gone")
			for _, p := range people {
				for _, s := range []string{p.CCCD, p.Name} {
					if tc.keep {
						assert.NotEmpty(t, anyVersionHolds(t, data, s), "kept: %s", s)
					} else {
						assert.Empty(t, anyVersionHolds(t, data, s), "in no version of any key: %s", s)
					}
				}
			}
			if !tc.keep {
				assert.Empty(t, anyVersionHolds(t, data, "Bình Dương"), "the mark's note is gone too")
			}
			st, err := OpenStore(data, OfflineOptions(nil))
			require.NoError(t, err)
			defer st.Close()
			book, err := outreach.Open(st)
			require.NoError(t, err)
			_, found := book.Person(book.KeyOf(cccd(7), "", "", ""))
			assert.Equal(t, tc.keep, found, tc.why)
			var list []Entry
			require.NoError(t, st.GetSetting(settingPurges, &list))
			require.Len(t, list, 1)
			assert.Equal(t, tc.wantRoster, list[0].Roster, "the purge list says what went")
		})
	}
}

// A roster alone is reason enough to purge: no record before the date.
func TestPurgeRosterWithoutRecords(t *testing.T) {
	data := t.TempDir()
	seed(t, data)
	res, err := Purge(Options{Data: data, Before: t0.Add(-time.Hour), Now: func() time.Time { return t0.Add(time.Hour) }})
	require.NoError(t, err)
	assert.Zero(t, res.Purged)
	assert.Equal(t, 3, res.Roster)
	assert.Equal(t, 0, keysUnder(t, data, "outreach/person/"))
	js, _ := json.Marshal(res)
	assert.Contains(t, string(js), `"roster":3`)
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

func TestParseDate(t *testing.T) {
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
		got, err := ParseDate(tc.in)
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
	a, b := Pseudonyms{salt: []byte("0123456789abcdef")}, Pseudonyms{salt: []byte("fedcba9876543210")}
	assert.Equal(t, a.Key(cccd(1)), a.Key(cccd(1)))
	assert.Equal(t, a.Key(cccd(1)), a.Key(" "+cccd(1)), "spaces do not matter, as in the tally")
	assert.NotEqual(t, a.Key(cccd(1)), b.Key(cccd(1)))
	assert.NotEqual(t, a.Key(cccd(1)), a.Key(cccd(2)))
	assert.Len(t, a.Key(cccd(1)), len(purgedPrefix)+24)
	assert.Equal(t, a.Key(cccd(1)), a.Key(a.Key(cccd(1))), "a pseudonym is kept")
	assert.Empty(t, a.Key(""), "an empty CCCD counts per record, as before")
	assert.Equal(t, cccd(1), Pseudonyms{}.Key(cccd(1)), "a ward never purged counts by CCCD")
	js, _ := json.Marshal(a.Key(cccd(1)))
	assert.NotContains(t, string(js), cccd(1)[8:])
}

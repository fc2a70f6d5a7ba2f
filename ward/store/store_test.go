package store

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

func rec(kiosk string, seq uint64) record.Record {
	return record.Record{ID: "id", KioskID: kiosk, Seq: seq, Type: record.TypeCompletion, Outcome: record.OutcomeActivated,
		Citizen: record.Citizen{Name: "Nguyễn Văn A", CCCD: "038090000001", Village: "Đông Lão"}}
}

func stored(r record.Record) Stored {
	return Stored{Record: r, Canonical: r.Canonical(), ReceivedAt: time.Unix(1717550000, 5).UTC(), Via: ViaPush}
}

// Survives a reopen, keeps kiosks whose ids prefix each other apart, and
// orders by (kiosk, seq) numerically.
func TestStoreRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	require.NoError(t, err)
	in := []Stored{stored(rec("a", 2)), stored(rec("a", 256)), stored(rec("a", 1)), stored(rec("ab", 1))}
	require.NoError(t, s.Write(Batch{
		Records:    in,
		Quarantine: []Quarantined{{KioskID: "a", Seq: 1, Hash: 9, Via: ViaFile, Record: rec("a", 1).Canonical()}},
		Health:     []Health{{KioskID: "a", HeadSeq: 256, Version: "v1"}},
	}))
	require.NoError(t, s.PutKiosk(Kiosk{ID: "a", Token: "t"}))
	require.NoError(t, s.PutSetting("x", map[string]int{"n": 1}))
	require.NoError(t, s.Close())

	s, err = Open(dir, Options{})
	require.NoError(t, err)
	defer s.Close()
	var got []string
	require.NoError(t, s.EachRecord(func(st Stored) error {
		got = append(got, st.Record.KioskID+"/"+string(rune('0'+st.Record.Seq%10)))
		assert.Equal(t, ViaPush, st.Via)
		assert.Equal(t, st.Record.Canonical(), st.Canonical)
		assert.Equal(t, "Nguyễn Văn A", st.Record.Citizen.Name)
		return nil
	}))
	assert.Equal(t, []string{"a/1", "a/2", "a/6", "ab/1"}, got)
	st, err := s.GetRecord("a", 256)
	require.NoError(t, err)
	assert.Equal(t, time.Unix(1717550000, 5).UTC(), st.ReceivedAt)
	_, err = s.GetRecord("a", 3)
	assert.ErrorIs(t, err, ErrNotFound)
	q, err := s.Quarantine()
	require.NoError(t, err)
	require.Len(t, q, 1)
	assert.Equal(t, ViaFile, q[0].Via)
	h, err := s.Healths()
	require.NoError(t, err)
	assert.Equal(t, "v1", h[0].Version)
	k, err := s.Kiosks()
	require.NoError(t, err)
	assert.Equal(t, "t", k[0].Token)
	var m map[string]int
	require.NoError(t, s.GetSetting("x", &m))
	assert.Equal(t, 1, m["n"])
	assert.ErrorIs(t, s.GetSetting("absent", &m), ErrNotFound)
	require.NoError(t, s.DeleteKiosk("a"))
	k, _ = s.Kiosks()
	assert.Empty(t, k)
}

// filesHold reports whether any file under dir contains s.
func filesHold(t *testing.T, dir, s string) bool {
	t.Helper()
	found := false
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		found = found || bytes.Contains(b, []byte(s))
		return err
	}))
	return found
}

// Every write asks the disk guard first and fails with ErrUnavailable
// wrapping ErrDiskFull; reads never do.
func TestDiskFullGuard(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	require.NoError(t, err)
	require.NoError(t, s.Write(Batch{Records: []Stored{stored(rec("a", 1))}}))
	require.NoError(t, s.PutKiosk(Kiosk{ID: "a", Token: "t"}))
	require.NoError(t, s.Close())

	s, err = Open(dir, Options{MinFree: 1 << 62}) // no reserve can be met
	require.NoError(t, err, "opening needs only a little room")
	writes := map[string]error{
		"Write":       s.Write(Batch{Records: []Stored{stored(rec("a", 2))}}),
		"PutKiosk":    s.PutKiosk(Kiosk{ID: "b", Token: "t"}),
		"PutSetting":  s.PutSetting("x", 1),
		"DeleteKiosk": s.DeleteKiosk("a"),
	}
	for name, err := range writes {
		assert.ErrorIs(t, err, ErrUnavailable, name)
		assert.ErrorIs(t, err, ErrDiskFull, name)
	}
	st, err := s.GetRecord("a", 1)
	require.NoError(t, err, "reads go on")
	assert.Equal(t, uint64(1), st.Record.Seq)
	_, err = s.GetRecord("a", 2)
	assert.ErrorIs(t, err, ErrNotFound)
	k, err := s.Kiosks()
	require.NoError(t, err)
	assert.Len(t, k, 1)
	require.NoError(t, s.Close())
}

// With a key nothing is readable on disk, also in the write-ahead log of a
// store still open; the wrong key (or none) does not open it.
func TestEncryptionAtRest(t *testing.T) {
	key := bytes.Repeat([]byte{0x5a}, 32)
	cases := []struct {
		name  string
		key   []byte
		clear bool
	}{
		{"plain (the control)", nil, true},
		{"encrypted", key, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			s, err := Open(dir, Options{EncryptionKey: tc.key})
			require.NoError(t, err)
			require.NoError(t, s.Write(Batch{Records: []Stored{stored(rec("a", 1))}}))
			assert.Equal(t, tc.clear, filesHold(t, dir, "038090000001"))
			require.NoError(t, s.Close())
			if tc.key == nil {
				return
			}
			for _, other := range [][]byte{nil, bytes.Repeat([]byte{1}, 32)} {
				_, err := Open(dir, Options{EncryptionKey: other})
				assert.ErrorIs(t, err, ErrWrongKey)
			}
			s, err = Open(dir, Options{EncryptionKey: tc.key})
			require.NoError(t, err)
			defer s.Close()
			st, err := s.GetRecord("a", 1)
			require.NoError(t, err)
			assert.Equal(t, "038090000001", st.Record.Citizen.CCCD)
		})
	}
}

// A purged record keeps the hash of what was delivered; an ordinary one
// reads as before (the layouts cannot be confused).
func TestPurgedLayout(t *testing.T) {
	plain := stored(rec("a", 1))
	got, err := decodeStored(encodeStored(plain))
	require.NoError(t, err)
	assert.False(t, got.Purged)
	assert.Equal(t, plain.Canonical, got.Canonical)

	p := stored(rec("a", 1))
	p.Record.Citizen = record.Citizen{CCCD: "purged:0123456789abcdef01234567", Village: "Đông Lão"}
	p.Canonical, p.Purged, p.OrigHash = p.Record.Canonical(), true, 0xfeedface
	got, err = decodeStored(encodeStored(p))
	require.NoError(t, err)
	assert.True(t, got.Purged)
	assert.Equal(t, uint64(0xfeedface), got.OrigHash)
	assert.Equal(t, p.Record, got.Record)
	assert.Equal(t, p.ReceivedAt, got.ReceivedAt)
	assert.Equal(t, ViaPush, got.Via)
}

// CopyTo carries every key, changed where asked, and none of the older
// versions: an overwritten value is gone from the copy's files.
func TestCopyTo(t *testing.T) {
	srcDir := t.TempDir()
	src, err := Open(srcDir, Options{})
	require.NoError(t, err)
	defer src.Close()
	require.NoError(t, src.Write(Batch{
		Records:    []Stored{stored(rec("a", 1)), stored(rec("a", 2))},
		Quarantine: []Quarantined{{KioskID: "a", Seq: 1, Hash: 9, Via: ViaFile, Record: rec("a", 1).Canonical()}},
		Health:     []Health{{KioskID: "a", HeadSeq: 2}},
	}))
	require.NoError(t, src.PutSetting("secret", "old-version-0123"))
	require.NoError(t, src.PutSetting("secret", "new"))
	require.True(t, filesHold(t, srcDir, "old-version-0123"), "the control: the source still holds the old version")
	dstDir := t.TempDir()
	dst, err := Open(dstDir, Options{})
	require.NoError(t, err)
	n, err := src.CopyTo(dst,
		func(st *Stored) error {
			if st.Record.Seq == 2 {
				st.Record.Citizen.CCCD = "purged:x"
				st.Canonical, st.Purged, st.OrigHash = st.Record.Canonical(), true, 7
			}
			return nil
		},
		func(q *Quarantined) error { q.Reason = "changed"; return nil })
	require.NoError(t, err)
	assert.Equal(t, CopyStats{Keys: 5, Records: 2, Quarantined: 1}, n)
	require.NoError(t, dst.Close())
	assert.False(t, filesHold(t, dstDir, "old-version-0123"))

	dst, err = Open(dstDir, Options{})
	require.NoError(t, err)
	defer dst.Close()
	a, _ := src.Count()
	b, _ := dst.Count()
	assert.Equal(t, a, b)
	st, err := dst.GetRecord("a", 2)
	require.NoError(t, err)
	assert.True(t, st.Purged)
	assert.Equal(t, "purged:x", st.Record.Citizen.CCCD)
	st, err = dst.GetRecord("a", 1)
	require.NoError(t, err)
	assert.Equal(t, "038090000001", st.Record.Citizen.CCCD)
	q, _ := dst.Quarantine()
	assert.Equal(t, "changed", q[0].Reason)
	var v string
	require.NoError(t, dst.GetSetting("secret", &v))
	assert.Equal(t, "new", v)
}

// EachRecordBrief gives start-up every field the counts and the outreach
// book read, the stored canonical bytes as they are, and nothing else.
func TestEachRecordBrief(t *testing.T) {
	s, err := Open(t.TempDir(), Options{})
	require.NoError(t, err)
	defer s.Close()
	at := time.Date(2024, 6, 5, 9, 30, 0, 0, time.UTC)
	failed := record.Record{ID: "b7c1e0de-0000-4000-8000-000000000002", KioskID: "dong-lao", Seq: 2, Type: record.TypeCorrection,
		Corrects: "b7c1e0de-0000-4000-8000-000000000001", Outcome: record.OutcomeFailed, Reason: "no_email",
		Citizen: record.Citizen{Name: "Trần Thị Mỹ Dung", CCCD: "038195004217", BirthDate: "1995-02-11", Gender: "female",
			Phone: "0912345678", Village: "Thôn Đông Lão", Association: "Hội Phụ nữ"},
		Volunteer: "Lê Văn Hùng", Desk: 2, ConsentAt: at.Add(-5 * time.Minute), RecordedAt: at, Clock: record.ClockUnsure}
	purged := stored(rec("dong-lao", 1))
	purged.Record.Citizen = record.Citizen{CCCD: "purged:0123456789abcdef01234567", Village: "Thôn Đông Lão"}
	purged.Canonical, purged.Purged, purged.OrigHash = purged.Record.Canonical(), true, 0xfeedface
	require.NoError(t, s.Write(Batch{Records: []Stored{purged, stored(failed)}}))

	var got []Stored
	require.NoError(t, s.EachRecordBrief(func(st Stored) error {
		st.Canonical = bytes.Clone(st.Canonical) // valid only during the call
		got = append(got, st)
		return nil
	}))
	require.Len(t, got, 2)
	assert.True(t, got[0].Purged)
	assert.Equal(t, uint64(0xfeedface), got[0].OrigHash)
	assert.Equal(t, purged.Canonical, got[0].Canonical)

	want := failed
	want.Citizen = record.Citizen{CCCD: "038195004217", Village: "Thôn Đông Lão", Association: "Hội Phụ nữ"}
	want.Volunteer = "" // desk and consent_at stay: the outreach rate measures service times from them
	assert.Equal(t, want, got[1].Record)
	assert.Equal(t, failed.Canonical(), got[1].Canonical)
	assert.Equal(t, time.Unix(1717550000, 5).UTC(), got[1].ReceivedAt)
	assert.Equal(t, ViaPush, got[1].Via)
	assert.False(t, got[1].Purged)
}

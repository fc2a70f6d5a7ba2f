package store

import (
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
	s, err := Open(dir, nil)
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

	s, err = Open(dir, nil)
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

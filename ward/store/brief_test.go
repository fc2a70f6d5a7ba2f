package store

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

// viaJSON is the reference: what encoding/json makes of the same bytes.
func viaJSON(t testing.TB, data []byte) (brief, error) {
	t.Helper()
	var b brief
	err := json.Unmarshal(data, &b)
	return b, err
}

// The fast reader agrees with encoding/json on every canonical record,
// whatever its strings hold (quotes, backslashes, HTML characters that
// json.Marshal escapes, line separators, Vietnamese).
func TestBriefMatchesJSON(t *testing.T) {
	odd := []string{"", "Thôn Đông Lão", `Hội "Phụ nữ"`, `C:\thư mục`, "<b>&amp;</b>", "dòng\u2028mới\ttab", "😀 Nguyễn", "\x7f", "a\\\"b"}
	rng := rand.New(rand.NewPCG(15, 3))
	pick := func() string { return odd[rng.IntN(len(odd))] }
	names := map[string]string{}
	at := time.Date(2024, 6, 5, 8, 30, 15, 123456789, time.FixedZone("ICT", 7*3600))
	for i := 0; i < 2000; i++ {
		r := record.Record{ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", rng.Uint32(), i), KioskID: pick(), Seq: rng.Uint64N(record.MaxSeq) + 1,
			Type: record.TypeCompletion, Outcome: record.OutcomeActivated, Reason: pick(),
			Citizen: record.Citizen{Name: pick(), CCCD: fmt.Sprintf("038%09d", rng.IntN(1e9)), BirthDate: "1990-05-17", Gender: "female",
				Phone: "0912345678", Village: pick(), Association: pick()},
			Volunteer: pick(), Desk: rng.IntN(5), ConsentAt: at, RecordedAt: at.Add(time.Duration(rng.IntN(1e6)) * time.Second), Clock: pick()}
		if i%3 == 0 {
			r.Type, r.Corrects = record.TypeCorrection, pick()
		}
		if i%5 == 0 {
			dt := at.UTC()
			r.DeviceTime = &dt
		}
		data := r.Canonical()
		want, err := viaJSON(t, data)
		require.NoError(t, err)
		var got brief
		require.NoError(t, scanBrief(data, &got, names), "the fast path must take canonical record %s", data)
		require.Equal(t, want, got, "%s", data)
	}
}

func TestBriefCases(t *testing.T) {
	cases := []struct {
		name string
		json string
		fast bool // the fast reader takes it (else it falls back)
	}{
		{name: "other-order-and-spaces", json: ` { "seq" : 7 , "citizen" : { "village" : "Song Nga", "cccd":"038090000001" } , "id":"r1" } `, fast: true},
		{name: "nulls-leave-zero", json: `{"id":null,"seq":null,"citizen":null,"recorded_at":null}`, fast: true},
		{name: "unknown-nested", json: `{"x":{"a":[1,{"b":"}"}],"c":"]"},"y":[true,false,null,-1.5e3],"id":"r2"}`, fast: true},
		{name: "duplicate-key-last-wins", json: `{"id":"a","id":"b","citizen":{"cccd":"1"},"citizen":{"village":"v"}}`, fast: true},
		{name: "escaped-key", json: `{"\u0069d":"r3"}`, fast: true},
		{name: "key-in-other-case", json: `{"ID":"r4","Citizen":{"CCCD":"x"}}`},
		{name: "seq-as-string", json: `{"seq":"7"}`},
		{name: "seq-negative", json: `{"seq":-7}`},
		{name: "seq-float", json: `{"seq":7.5}`},
		{name: "seq-too-big", json: `{"seq":18446744073709551616}`},
		{name: "id-as-number", json: `{"id":5}`},
		{name: "bad-time", json: `{"recorded_at":"hôm qua"}`},
		{name: "trailing-garbage", json: `{"id":"r5"} x`},
		{name: "not-an-object", json: `["id"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want, wantErr := viaJSON(t, []byte(tc.json))
			var fast brief
			assert.Equal(t, tc.fast, scanBrief([]byte(tc.json), &fast, map[string]string{}) == nil)
			var got brief
			err := decodeBrief([]byte(tc.json), &got)
			if wantErr != nil {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, want, got)
		})
	}
}

// FuzzBrief: on valid JSON the result is encoding/json's (stored values are
// json.Marshal output, checksummed by Badger; invalid JSON is not a case).
func FuzzBrief(f *testing.F) {
	f.Add([]byte(rec("dong-lao", 3).Canonical()))
	f.Add([]byte(`{"id":"\ud83d\ude00","citizen":{"cccd":"\"","village":"\\"},"seq":0}`))
	f.Add([]byte(`{"Seq":1,"seq":2,"SEQ":3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if !json.Valid(data) || strings.Count(string(data), "[") > 100 {
			return
		}
		want, wantErr := viaJSON(t, data)
		var got brief
		err := decodeBriefWith(data, &got, map[string]string{})
		if wantErr != nil {
			require.Error(t, err)
			return
		}
		require.NoError(t, err)
		require.Equal(t, want, got)
	})
}

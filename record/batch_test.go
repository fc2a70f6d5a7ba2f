package record

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const batchToken = "token-dong-lao-0123456789abcdef"

func batchRecord(seq uint64) Record {
	at := time.Date(2026, 11, 20, 19, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Minute)
	return Record{
		ID: fmt.Sprintf("00000000-0000-4000-8000-%012d", seq), KioskID: "dong-lao", Seq: seq, Type: TypeCompletion,
		Citizen: Citizen{Name: "Nguyễn Thị Hoa <&>", CCCD: "038190012345", BirthDate: "1990-05-01", Gender: "female",
			Phone: "0912345678", Village: "Đông Lão"},
		Outcome: OutcomeActivated, Volunteer: "Trần Thị Lan", Desk: 1, ConsentAt: at, RecordedAt: at, Clock: ClockKiosk,
	}
}

func tokens(id string) (string, bool) { return batchToken, id == "dong-lao" }

// The MAC computed record by record is the MAC of the whole canonical JSON
// (what kiosks and wards of earlier versions compute).
func TestBatchMACUnchanged(t *testing.T) {
	for _, n := range []int{0, 1, 3} {
		b := Batch{Format: BatchFormat, KioskID: "dong-lao", After: 2, HeadSeq: 9, CreatedAt: time.Date(2026, 11, 20, 21, 0, 0, 0, time.UTC), Records: []Record{}}
		for i := range n {
			b.Records = append(b.Records, batchRecord(uint64(i+1)))
		}
		whole, err := json.Marshal(b)
		require.NoError(t, err)
		m := hmac.New(sha256.New, []byte(batchToken))
		m.Write(whole)
		assert.Equal(t, hex.EncodeToString(m.Sum(nil)), b.mac(batchToken), "%d records", n)
	}
}

func TestReadBatch(t *testing.T) {
	good, err := SealBatch(Batch{KioskID: "dong-lao", HeadSeq: 3, Records: []Record{batchRecord(1), batchRecord(2), batchRecord(3)}}, batchToken)
	require.NoError(t, err)
	b, err := ReadBatch(bytes.NewReader(good), tokens, 3)
	require.NoError(t, err)
	assert.Len(t, b.Records, 3)
	assert.Equal(t, uint64(3), b.HeadSeq)

	var reordered bytes.Buffer // keys in another order: the MAC still holds
	require.NoError(t, json.Unmarshal(good, &b))
	fmt.Fprintf(&reordered, `{"mac":%q,"records":`, b.MAC)
	recs, _ := json.Marshal(b.Records)
	reordered.Write(recs)
	fmt.Fprintf(&reordered, `,"created_at":%q,"head_seq":3,"after":0,"kiosk_id":"dong-lao","format":%q}`, b.CreatedAt.Format(time.RFC3339Nano), BatchFormat)
	_, err = ReadBatch(&reordered, tokens, 0)
	assert.NoError(t, err)

	var foreign Batch
	require.NoError(t, json.Unmarshal(good, &foreign))
	foreign.Records[1].KioskID = "song-nga"
	smuggled, _ := json.Marshal(foreign)
	empties := `{"format":"kyso-batch/1","kiosk_id":"dong-lao","records":[{}` + strings.Repeat(`,{}`, 100_000) + `],"mac":""}`
	cases := []struct {
		name  string
		file  string
		limit int
		want  error
	}{
		{"over the record cap", string(good), 2, ErrBatchTooLarge},
		{"empty records: refused at the first", empties, 0, (*RecordError)(nil)},
		{"not JSON", "STT,Họ và tên\n1,A\n", 0, ErrBatchFormat},
		{"another format", `{"format":"csv","records":[]}`, 0, ErrBatchFormat},
		{"unknown key", `{"format":"kyso-batch/1","kiosk_id":"dong-lao","x":"` + strings.Repeat("a", 100) + `"}`, 0, ErrBatchFormat},
		{"repeated key", `{"format":"kyso-batch/1","records":[],"records":[]}`, 0, ErrBatchFormat},
		{"two documents", string(good) + "{}", 0, ErrBatchFormat},
		{"unknown kiosk", `{"format":"kyso-batch/1","kiosk_id":"song-nga","records":[]}`, 0, ErrBatchUnknown},
		{"record of another kiosk", string(smuggled), 0, ErrBatchTampered},
		{"tampered", strings.Replace(string(good), "Đông Lão", "Song Nga", 1), 0, ErrBatchTampered},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := &countingReader{r: strings.NewReader(tc.file)}
			_, err := ReadBatch(r, tokens, tc.limit)
			if tc.want == error((*RecordError)(nil)) {
				var re *RecordError
				require.ErrorAs(t, err, &re)
				assert.Equal(t, 0, re.Index)
				assert.Less(t, r.n, 64<<10, "read no further than the first bad record")
				return
			}
			assert.ErrorIs(t, err, tc.want)
		})
	}
}

// A reader that fails (an upload over its limit) is not a malformed file.
func TestReadBatchKeepsReaderErrors(t *testing.T) {
	errLimit := errors.New("too large")
	_, err := ReadBatch(io.MultiReader(strings.NewReader(`{"format":"kyso-batch/1","records":[`), errReader{errLimit}), tokens, 0)
	assert.ErrorIs(t, err, ErrBatchFormat)
	assert.ErrorIs(t, err, errLimit)
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

package record

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// BatchFormat names the version of the USB batch file.
const BatchFormat = "kyso-batch/1"

// Batch is the file a volunteer carries from a kiosk to the ward when there
// is no network. MAC is HMAC-SHA256, keyed by the kiosk's token, over the
// canonical JSON of the batch with MAC empty.
type Batch struct {
	Format    string    `json:"format"`
	KioskID   string    `json:"kiosk_id"`
	After     uint64    `json:"after"`
	HeadSeq   uint64    `json:"head_seq"`
	CreatedAt time.Time `json:"created_at"`
	Records   []Record  `json:"records"`
	MAC       string    `json:"mac"`
}

// Errors returned by OpenBatch; callers map them to user-facing messages.
var (
	ErrBatchFormat   = errors.New("not a kyso batch file")
	ErrBatchUnknown  = errors.New("batch from an unknown kiosk")
	ErrBatchTampered = errors.New("batch signature does not match")
)

func (b Batch) mac(token string) string {
	b.MAC = ""
	body, err := json.Marshal(b)
	if err != nil {
		panic(err) // only plain data inside
	}
	m := hmac.New(sha256.New, []byte(token))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// SealBatch signs b with token and returns the file bytes.
func SealBatch(b Batch, token string) ([]byte, error) {
	if token == "" {
		return nil, errors.New("no kiosk token: cannot sign a batch")
	}
	b.Format = BatchFormat
	if b.Records == nil {
		b.Records = []Record{}
	}
	b.MAC = b.mac(token)
	return json.MarshalIndent(b, "", " ")
}

// OpenBatch parses and verifies a batch file. tokenFor looks up the token the
// ward holds for a kiosk id. Every record must belong to the batch's kiosk.
func OpenBatch(data []byte, tokenFor func(kioskID string) (string, bool)) (Batch, error) {
	var b Batch
	if err := json.Unmarshal(data, &b); err != nil || b.Format != BatchFormat {
		return Batch{}, ErrBatchFormat
	}
	token, ok := tokenFor(b.KioskID)
	if !ok || token == "" {
		return Batch{}, ErrBatchUnknown
	}
	want := b.mac(token)
	if !hmac.Equal([]byte(want), []byte(b.MAC)) {
		return Batch{}, ErrBatchTampered
	}
	for _, r := range b.Records {
		if r.KioskID != b.KioskID {
			return Batch{}, fmt.Errorf("%w: record %d of kiosk %q", ErrBatchTampered, r.Seq, r.KioskID)
		}
	}
	return b, nil
}

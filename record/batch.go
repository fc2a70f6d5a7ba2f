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

// mac is HMAC-SHA256 over json.Marshal(b) with MAC empty, computed record
// by record: the canonical bytes of a large batch are never held whole.
func (b Batch) mac(token string) string {
	head := b
	head.MAC, head.Records = "", []Record{}
	hb, err := json.Marshal(head)
	if err != nil {
		panic(err) // only plain data inside
	}
	// A quote inside a JSON string is escaped, so this is the field itself.
	const field = `"records":[`
	i := bytes.LastIndex(hb, []byte(field)) + len(field)
	m := hmac.New(sha256.New, []byte(token))
	m.Write(hb[:i])
	for k, r := range b.Records {
		if k > 0 {
			m.Write([]byte{','})
		}
		m.Write(r.Canonical())
	}
	m.Write(hb[i:])
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

// ErrBatchTooLarge: a batch file holds more records than a delivery may.
var ErrBatchTooLarge = errors.New("batch holds too many records")

// RecordError is a record of a batch that the ward cannot use (Check).
type RecordError struct {
	Index int    // 0-based, in file order
	Seq   uint64 // as the file says
	Err   error
}

func (e *RecordError) Error() string {
	return fmt.Sprintf("record %d (seq %d): %v", e.Index, e.Seq, e.Err)
}

func (e *RecordError) Unwrap() error { return e.Err }

// OpenBatch parses and verifies a batch file held in memory (ReadBatch
// without a record cap).
func OpenBatch(data []byte, tokenFor func(kioskID string) (string, bool)) (Batch, error) {
	return ReadBatch(bytes.NewReader(data), tokenFor, 0)
}

// ReadBatch parses and verifies a batch file as it is read: records are
// decoded one by one, each checked as soon as it is seen (structure, and
// the batch's kiosk when known), and more than maxRecords (0: no cap) is
// refused with ErrBatchTooLarge without reading further. A file of
// millions of empty records costs one record. tokenFor looks up the token
// the ward holds for a kiosk id. On error the returned Batch holds what
// was read of its header (KioskID, for the message).
func ReadBatch(r io.Reader, tokenFor func(kioskID string) (string, bool), maxRecords int) (Batch, error) {
	var b Batch
	if err := decodeBatch(json.NewDecoder(r), &b, maxRecords); err != nil {
		return Batch{KioskID: b.KioskID}, err
	}
	if b.Format != BatchFormat {
		return Batch{KioskID: b.KioskID}, ErrBatchFormat
	}
	token, ok := tokenFor(b.KioskID)
	if !ok || token == "" {
		return Batch{KioskID: b.KioskID}, ErrBatchUnknown
	}
	for _, r := range b.Records {
		if r.KioskID != b.KioskID {
			return Batch{KioskID: b.KioskID}, fmt.Errorf("%w: record %d of kiosk %q", ErrBatchTampered, r.Seq, r.KioskID)
		}
	}
	if !hmac.Equal([]byte(b.mac(token)), []byte(b.MAC)) {
		return Batch{KioskID: b.KioskID}, ErrBatchTampered
	}
	return b, nil
}

// decodeBatch reads one batch object. Unknown or repeated keys are not a
// batch: they would be held in memory for nothing.
func decodeBatch(dec *json.Decoder, b *Batch, maxRecords int) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return formatErr(err)
	}
	seen := map[string]bool{}
	for dec.More() {
		t, err := dec.Token()
		key, isKey := t.(string)
		if err != nil || !isKey || seen[key] {
			return formatErr(err)
		}
		seen[key] = true
		switch key {
		case "format":
			err = dec.Decode(&b.Format)
			if err == nil && b.Format != BatchFormat {
				return ErrBatchFormat // not ours: read no further
			}
		case "kiosk_id":
			err = dec.Decode(&b.KioskID)
		case "after":
			err = dec.Decode(&b.After)
		case "head_seq":
			err = dec.Decode(&b.HeadSeq)
		case "created_at":
			err = dec.Decode(&b.CreatedAt)
		case "mac":
			err = dec.Decode(&b.MAC)
		case "records":
			if err := decodeRecords(dec, b, maxRecords); err != nil {
				return err
			}
		default:
			return ErrBatchFormat
		}
		if err != nil {
			return formatErr(err)
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return formatErr(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return ErrBatchFormat // something after the batch
	}
	return nil
}

func decodeRecords(dec *json.Decoder, b *Batch, maxRecords int) error {
	t, err := dec.Token()
	if err != nil {
		return formatErr(err)
	}
	if t == nil { // "records": null, as an old kiosk may write for none
		return nil
	}
	if t != json.Delim('[') {
		return ErrBatchFormat
	}
	b.Records = []Record{}
	for i := 0; dec.More(); i++ {
		if maxRecords > 0 && i >= maxRecords {
			return ErrBatchTooLarge
		}
		var r Record
		if err := dec.Decode(&r); err != nil {
			return formatErr(err)
		}
		if err := r.Check(); err != nil {
			return &RecordError{Index: i, Seq: r.Seq, Err: err}
		}
		if b.KioskID != "" && r.KioskID != b.KioskID {
			return fmt.Errorf("%w: record %d of kiosk %q", ErrBatchTampered, r.Seq, r.KioskID)
		}
		b.Records = append(b.Records, r)
	}
	if t, err := dec.Token(); err != nil || t != json.Delim(']') {
		return formatErr(err)
	}
	return nil
}

// formatErr is ErrBatchFormat, still carrying what the reader failed
// with (an upload over its limit is not a malformed file).
func formatErr(err error) error {
	if err == nil {
		return ErrBatchFormat
	}
	return fmt.Errorf("%w: %w", ErrBatchFormat, err)
}

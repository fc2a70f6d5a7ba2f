package ward

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/kyso-vn/kyso/record"
)

// FuzzImportBatch offers arbitrary files to the import path, and the same
// content re-signed with the right token so that ingest itself is reached.
// Nothing may panic, and bad input is a 4xx, never a 5xx.
func FuzzImportBatch(f *testing.F) {
	good, err := record.SealBatch(record.Batch{KioskID: "kiosk-a", HeadSeq: 2, Records: []record.Record{
		rec("kiosk-a", 1, cccd(1), "Đông Lão", true), rec("kiosk-a", 2, cccd(2), "Song Nga", false),
	}}, tokA)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"format":"kyso-batch/1","kiosk_id":"kiosk-a","records":[],"mac":""}`))
	t := &testing.T{}
	cfg := testConfig(t)
	cfg.Data = f.TempDir()
	svc, err := New(cfg)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { svc.Close() })
	check := func(t *testing.T, err error) {
		if err == nil {
			return
		}
		var ae *apiError
		if !errors.As(err, &ae) || ae.Status >= 500 || ae.Message == "" {
			t.Fatalf("bad input must be a 4xx with a message, got %v", err)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		_, err := svc.led.ImportBatch(bytes.NewReader(data))
		check(t, err)
		var b record.Batch
		if json.Unmarshal(data, &b) != nil || len(b.Records) > 200 {
			return
		}
		b.KioskID = "kiosk-a"
		resealed, err := record.SealBatch(b, tokA)
		if err != nil {
			return
		}
		res, err := svc.led.ImportBatch(bytes.NewReader(resealed))
		check(t, err)
		if err == nil && res.New+res.Duplicates+len(res.Conflicts) != len(b.Records) {
			t.Fatalf("every record is new, a repeat or a conflict: %+v", res)
		}
		k := svc.led.tally.Kiosk("kiosk-a")
		if k.Acked > k.MaxSeq || svc.led.tally.Snapshot(svc.cfg.Now(), 7).Done > svc.led.tally.Len() {
			t.Fatalf("inconsistent tally: %+v", k)
		}
	})
}

package roster_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/roster"
)

// FuzzParse: any bytes give a Result or an *Error, never a panic, and a
// Result keeps the row accounting and the CCCD rule.
func FuzzParse(f *testing.F) {
	f.Add(layoutMembersCSV())
	f.Add([]byte("Họ và tên,Ngày sinh,Số CCCD,Quan hệ với chủ hộ,Mã hộ\nA B,1980,038080000001,Chủ hộ,1\nC D,,,Con,\n,Cộng,,,\n"))
	f.Add([]byte("STT;Họ tên;Ngày sinh\n;Nam;Nữ\n1;Lê Văn A;01/01/1970\nTổ 2\n"))
	f.Add([]byte("sep=,\nHọ và tên,Chủ hộ\nA B,x\nC D,A B\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		defer func() {
			if d := time.Since(start); d > 2*time.Second {
				t.Fatalf("slow: %v for %d bytes", d, len(data))
			}
		}()
		opts := roster.Options{ReferenceDate: refDay, MaxRows: 1000, Mapping: nil}
		r, err := roster.Parse(bytes.NewReader(data), "f.csv", opts)
		if err != nil {
			if _, ok := roster.AsError(err); !ok {
				t.Fatalf("not an *Error: %T %v", err, err)
			}
			return
		}
		if r.Rows != len(r.People)+len(r.Merged)+len(r.Skipped) {
			t.Fatalf("rows %d != %d people + %d merged + %d skipped", r.Rows, len(r.People), len(r.Merged), len(r.Skipped))
		}
		for _, p := range r.People {
			if p.CCCD != "" && (len(p.CCCD) != 12 || p.Key != "cccd:"+p.CCCD) {
				t.Fatalf("bad CCCD kept: %q", p.CCCD)
			}
			if p.Household == "" || p.Key == "" {
				t.Fatalf("no key: %+v", p)
			}
		}
		if _, err := roster.ParseVNPT(bytes.NewReader(data), "f.csv", opts); err != nil {
			if _, ok := roster.AsError(err); !ok {
				t.Fatalf("VNPT: not an *Error: %T %v", err, err)
			}
		}
	})
}

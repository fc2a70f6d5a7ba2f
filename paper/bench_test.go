package paper_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/kyso-vn/kyso/announce"
	"github.com/kyso-vn/kyso/paper"
)

func BenchmarkDoc120Rows(b *testing.B) {
	var rows [][]string
	for i := 0; i < 120; i++ {
		rows = append(rows, []string{fmt.Sprint(i + 1), "Nguyễn Thị Ngọc Ánh", fmt.Sprintf("0381950%05d", i), "Đã kích hoạt"})
	}
	d := villageList(rows)
	var buf bytes.Buffer
	if err := d.WritePDF(&buf); err != nil {
		b.Skip(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := d.WritePDF(io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

func BenchmarkInvitations40(b *testing.B) {
	var hh []announce.Household
	for i := 0; i < 40; i++ {
		hh = append(hh, announce.Household{Head: fmt.Sprintf("Nguyễn Văn An %d", i), HeadGender: "male", Members: []string{"Phạm Thị Mai", "Nguyễn Văn Bảo"}})
	}
	inv := paper.InvitationSet{Unit: "UBND xã Quảng Phú\nThôn Đông Lão", JoinURL: joinURL, Households: hh,
		Session: announce.Session{Village: "Đông Lão", Date: day(2026, time.November, 20), Start: "19:00"}}
	var buf bytes.Buffer
	if err := paper.Invitations(&buf, inv); err != nil {
		b.Skip(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := paper.Invitations(io.Discard, inv); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "pdf-bytes")
}

package ward

import (
	"encoding/json"
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/purge"
	"github.com/kyso-vn/kyso/ward/store"
)

// QuarantineItem is a quarantined delivery as the admin list shows it:
// names, CCCD masked, phone never.
type QuarantineItem struct {
	KioskID    string    `json:"kiosk_id"`
	Seq        uint64    `json:"seq"`
	ReceivedAt time.Time `json:"received_at"`
	Via        string    `json:"via"`
	Reason     string    `json:"reason"`
	Held       string    `json:"held"`
	Got        string    `json:"got"`
	Differs    string    `json:"differs"`
}

var outcomeText = map[string]string{record.OutcomeActivated: "Đã kích hoạt", record.OutcomeFailed: "Không thành công"}

func summary(r record.Record) string {
	parts := []string{}
	if r.Type == record.TypeCorrection {
		parts = append(parts, "bản sửa")
	}
	if purge.Purged(r.Citizen) {
		parts = append(parts, outcomeText[r.Outcome], "đã xoá thông tin cá nhân", r.Citizen.Village)
	} else {
		parts = append(parts, outcomeText[r.Outcome], r.Citizen.Name, "CCCD "+citizen.MaskCCCD(r.Citizen.CCCD), r.Citizen.Village)
	}
	if !r.RecordedAt.IsZero() {
		parts = append(parts, r.RecordedAt.In(clock.Vietnam).Format("15:04 02/01/2006"))
	}
	return strings.Join(parts, " · ")
}

func differs(a, b record.Record) string {
	var d []string
	add := func(cond bool, label string) {
		if cond {
			d = append(d, label)
		}
	}
	add(a.ID != b.ID, "mã bản ghi")
	add(a.Type != b.Type || a.Corrects != b.Corrects, "loại")
	add(a.Citizen.Name != b.Citizen.Name, "họ tên")
	add(a.Citizen.CCCD != b.Citizen.CCCD, "CCCD")
	add(a.Citizen.BirthDate != b.Citizen.BirthDate, "ngày sinh")
	add(a.Citizen.Gender != b.Citizen.Gender, "giới tính")
	add(a.Citizen.Phone != b.Citizen.Phone, "số điện thoại")
	add(a.Citizen.Village != b.Citizen.Village, "thôn")
	add(a.Citizen.Association != b.Citizen.Association, "đoàn thể")
	add(a.Outcome != b.Outcome || a.Reason != b.Reason, "kết quả")
	add(a.Volunteer != b.Volunteer || a.Desk != b.Desk, "người hỗ trợ")
	add(!a.RecordedAt.Equal(b.RecordedAt), "thời điểm")
	if len(d) == 0 {
		d = append(d, "thông tin khác")
	}
	return strings.Join(d, ", ")
}

// QuarantineList describes every quarantined delivery against what is held.
func (l *ledger) QuarantineList() ([]QuarantineItem, error) {
	l.mu.RLock()
	q := append([]store.Quarantined(nil), l.quarantine...)
	l.mu.RUnlock()
	sort.Slice(q, func(i, j int) bool { return q[i].ReceivedAt.After(q[j].ReceivedAt) })
	out := make([]QuarantineItem, 0, len(q))
	for _, x := range q {
		if l.resolved != nil && l.resolved(x.KioskID, x.Seq, x.Hash) {
			continue // settled by the office (office_fix.go)
		}
		it := QuarantineItem{KioskID: x.KioskID, Seq: x.Seq, ReceivedAt: x.ReceivedAt, Via: viaText[x.Via], Reason: x.Reason}
		var got record.Record
		_ = json.Unmarshal(x.Record, &got)
		it.Got = summary(got)
		if held, err := l.store.GetRecord(x.KioskID, x.Seq); err == nil {
			it.Held = summary(held.Record)
			cmp := got
			if held.Purged || purge.Purged(got.Citizen) {
				// Compare what is left: the personal fields of one side
				// are gone, the CCCD only as its pseudonym.
				h := held.Record.Citizen
				cmp.Citizen.CCCD = l.pseudo.Key(cmp.Citizen.CCCD)
				cmp.Citizen.Name, cmp.Citizen.Phone, cmp.Citizen.BirthDate = h.Name, h.Phone, h.BirthDate
				held.Record.Citizen.CCCD = l.pseudo.Key(h.CCCD)
			}
			it.Differs = differs(held.Record, cmp)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

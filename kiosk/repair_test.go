package kiosk

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
)

// What the TV and the tablet say at each point of a repair: plain words,
// counts and seq ranges only.
func TestStoreAlertWords(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "store")
	q, err := queue.Open(queue.Options{Dir: dir, KioskID: "dong-lao"})
	require.NoError(t, err)
	require.NoError(t, q.Close())
	now := time.Date(2026, 11, 23, 12, 30, 0, 0, time.UTC)
	q, err = queue.Rebuild(queue.Options{Dir: dir, KioskID: "dong-lao"}, queue.ErrDamaged, filepath.Join(t.TempDir(), "none"), now)
	require.NoError(t, err)
	defer q.Close()

	r := &repairer{log: q.Log(), changed: func() {}, now: func() time.Time { return now.Add(time.Hour) }}
	a := r.alert()
	require.NotNil(t, a)
	assert.Equal(t, "repairing", a.State)
	assert.Contains(t, a.Message, "Hàng chờ vẫn hoạt động")

	r.setErr(errNoWard)
	assert.Contains(t, r.alert().Message, "chưa ghép với xã", "an unpaired box cannot repair: say who to call")
	r.setErr(errors.New("dial tcp: connection refused"))
	assert.Contains(t, r.alert().Message, "chưa kết nối được với xã")
	assert.NotContains(t, r.alert().Message, "dial tcp", "no technical words on the TV")

	// The ward held 1–1,871 except 1,201–1,250, and there was no backup.
	var recs []record.Record
	for seq := uint64(1); seq <= 1871; seq++ {
		if seq < 1201 || seq > 1250 {
			recs = append(recs, record.Record{ID: "r" + num(seq), KioskID: "dong-lao", Seq: seq, Type: record.TypeCompletion,
				Outcome: record.OutcomeFailed, RecordedAt: now, Clock: record.ClockKiosk})
		}
	}
	require.NoError(t, q.Log().PutRecovered(recs))
	_, err = q.Log().FinishRepair(1871, []link.Range{{From: 1201, To: 1250}}, now)
	require.NoError(t, err)
	a = r.alert()
	assert.Equal(t, "lost", a.State)
	assert.Equal(t, "Đã khôi phục dữ liệu sau sự cố thẻ nhớ: lấy lại 1.821 lượt từ xã. Không lấy lại được 50 lượt (số ghi sổ 1.201–1.250): hãy báo xã để ghi bù từ sổ giấy.", a.Message)
	assert.Equal(t, []record.SeqRange{{From: 1201, To: 1250}}, a.Lost)

	r.now = func() time.Time { return now.Add(25 * time.Hour) }
	assert.Nil(t, r.alert(), "a day later the tablet is clear again")
}

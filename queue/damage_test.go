package queue

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/kv"
	"github.com/kyso-vn/kyso/record"
)

// seedLog writes n completion records straight into a store.
func seedLog(t *testing.T, dir string, n int) {
	t.Helper()
	db, err := kv.Open(Options{Dir: dir}.kv())
	require.NoError(t, err)
	defer db.Close()
	at := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	require.NoError(t, db.WriteBatch(func(wb kv.Batch) error {
		for i := 1; i <= n; i++ {
			r := record.Record{
				ID: uuid.NewString(), KioskID: "dong-lao", Seq: uint64(i), Type: record.TypeCompletion,
				Citizen: citizen(i), Outcome: record.OutcomeActivated, Volunteer: "Bàn 1", Desk: 1,
				RecordedAt: at, Clock: record.ClockKiosk,
			}
			v, err := json.Marshal(r)
			if err != nil {
				return err
			}
			if err := wb.Set(recordKey(r.Seq), v); err != nil {
				return err
			}
		}
		return nil
	}))
}

// A card that goes bad under a running kiosk: the records page is refused
// whole (ErrDamaged, also ErrUnavailable for a 503), never answered with
// part of the log while head_seq claims all of it (issue 15: 1,464 of
// 1,871 records were served).
func TestDamageUnderARunningKioskIsNeverServed(t *testing.T) {
	for _, at := range []float64{0.2, 0.5, 0.8} {
		dir := t.TempDir()
		seedLog(t, dir, 1871)
		q := open(t, dir, evening())
		require.Equal(t, uint64(1871), q.Log().HeadSeq())
		ssts, _ := filepath.Glob(filepath.Join(dir, "*.sst"))
		require.NotEmpty(t, ssts)
		for _, p := range ssts {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			off := int(float64(len(b)) * at)
			for i := off; i < off+16; i++ {
				b[i] ^= 0x5a
			}
			f, err := os.OpenFile(p, os.O_WRONLY, 0) // in place: Badger reads the file through mmap
			require.NoError(t, err)
			_, err = f.WriteAt(b[off:off+16], int64(off))
			require.NoError(t, err)
			f.Close()
		}
		walkLog(t, q, at)
		require.NoError(t, q.Close())

		// The next start either refuses the store or (when a compaction
		// rewrote the table from blocks read before the flip) holds it all.
		q, err := Open(Options{Dir: dir, KioskID: "dong-lao", Desks: 3, Clock: evening()})
		if err != nil {
			assert.ErrorIs(t, err, ErrDamaged, "flip at %.0f%%: the next start says so", at*100)
			continue
		}
		walkLog(t, q, at)
		require.NoError(t, q.Close())
	}
}

// walkLog walks the whole log: every record, or ErrDamaged (also
// ErrUnavailable, for a 503) — never a part of the log as if it were all.
func walkLog(t *testing.T, q *Queue, at float64) {
	t.Helper()
	var got int
	var err error
	for after := uint64(0); ; {
		var page []record.Record
		page, _, err = q.Log().Records(after, 500)
		if err != nil || len(page) == 0 {
			break
		}
		got += len(page)
		after = page[len(page)-1].Seq
	}
	t.Logf("flip at %.0f%%: %d records served, err %v", at*100, got, err)
	if err == nil {
		assert.Equal(t, 1871, got, "flip at %.0f%%: every record, or an error", at*100)
	} else {
		assert.True(t, errors.Is(err, ErrDamaged) && errors.Is(err, ErrUnavailable), "flip at %.0f%%: %v", at*100, err)
	}
}

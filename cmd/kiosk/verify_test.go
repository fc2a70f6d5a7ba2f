package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
)

// `kiosk verify DIR` reads a stopped kiosk's store whole: a sound one is
// reported with its counts, a damaged one exits non-zero saying so.
func TestVerifyCommand(t *testing.T) {
	data := t.TempDir()
	q, err := queue.Open(queue.Options{Dir: filepath.Join(data, "store"), KioskID: "dong-lao", Desks: 2})
	require.NoError(t, err)
	for i := range 3 {
		tk, err := q.Join(queue.Join{Citizen: record.Citizen{
			Name: "Trần Thị Hương", CCCD: "03819000000" + string(rune('1'+i)), BirthDate: "1990-05-02", Gender: "female",
			Phone: "091234567" + string(rune('1'+i)), Village: "Đông Lão",
		}, ConsentVersion: "v1", ConsentBy: "citizen", Token: "tok"})
		require.NoError(t, err)
		_, err = q.Complete(tk.ID, queue.Completion{Outcome: record.OutcomeActivated, Desk: 1})
		require.NoError(t, err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var out bytes.Buffer
	err = realMain(context.Background(), []string{"verify", data}, &out, log)
	require.ErrorIs(t, err, queue.ErrLocked, "the service holds the store")
	require.NoError(t, q.Close())

	out.Reset()
	require.NoError(t, realMain(context.Background(), []string{"verify", data}, &out, log))
	assert.Contains(t, out.String(), "NGUYÊN VẸN: 3 bản ghi (seq cao nhất 3), 3 phiếu")

	ssts, err := filepath.Glob(filepath.Join(data, "store", "*.sst"))
	require.NoError(t, err)
	require.NotEmpty(t, ssts)
	b, err := os.ReadFile(ssts[0])
	require.NoError(t, err)
	for i := len(b) / 3; i < len(b)/3+16; i++ {
		b[i] ^= 0xff
	}
	require.NoError(t, os.WriteFile(ssts[0], b, 0o600))
	out.Reset()
	err = realMain(context.Background(), []string{"verify", data}, &out, log)
	require.Error(t, err)
	assert.Contains(t, out.String(), "HỎNG: kho dữ liệu")
}

package kiosk

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/internal/backoff"
	"github.com/kyso-vn/kyso/internal/vnnum"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
)

// recoverPage is how many records one recovery call asks the ward for.
const recoverPage = 5000

// repairer brings back the completion log of a store rebuilt after damage
// (queue.Rebuild): the ward is the kiosk's backup. It takes back every
// record the ward holds for this kiosk, page by page, then ends the repair
// (what only the local backup had stays, what nobody had is reported lost,
// completions made meanwhile are numbered after) and reports the outcome
// to the ward. It retries with backoff while the ward is away; without a
// ward the log stays closed rather than answer in part.
type repairer struct {
	log     *queue.Log
	ward    func() *link.WardClient // nil when the kiosk is not paired
	logger  *slog.Logger
	changed func() // the board shows the repair's state
	now     func() time.Time

	mu      sync.Mutex
	lastErr error
}

var errNoWard = errors.New("not paired with a ward")

// Run repairs, if there is anything to repair, then waits for ctx.
func (r *repairer) Run(ctx context.Context) error {
	fails := 0
	for {
		st, ok := r.log.Repair()
		if !ok || (st.Done && st.Reported) {
			<-ctx.Done()
			return nil
		}
		err := r.step(ctx, st)
		r.setErr(err)
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		r.logger.Warn("store repair waits for the ward", "err", err)
		if errors.Is(err, errNoWard) {
			<-ctx.Done() // pairing restarts the process
			return nil
		}
		fails++
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff.Delay(fails, 2*time.Second, time.Minute)):
		}
	}
}

func (r *repairer) setErr(err error) {
	r.mu.Lock()
	changed := (err == nil) != (r.lastErr == nil)
	r.lastErr = err
	r.mu.Unlock()
	if changed {
		r.changed()
	}
}

// step takes the log back and ends the repair, or reports a finished one.
func (r *repairer) step(ctx context.Context, st queue.RepairState) error {
	wc := r.ward()
	if wc == nil {
		return errNoWard
	}
	if !st.Done {
		var after, head uint64
		var missing []record.SeqRange
		for {
			page, err := wc.Recover(ctx, after, recoverPage)
			if err != nil {
				return err
			}
			head = page.HeadSeq
			missing = append(missing, page.Missing...)
			if err := r.log.PutRecovered(page.Page.Records); err != nil {
				return err
			}
			n := len(page.Page.Records)
			if n == 0 {
				break
			}
			if after = page.Page.Records[n-1].Seq; after >= head {
				break
			}
		}
		var err error
		if st, err = r.log.FinishRepair(head, missing, r.now()); err != nil {
			return err
		}
		r.logger.Info("store repaired from the ward", "ward_head", st.WardHead, "from_ward", st.FromWard,
			"from_backup", st.FromBackup, "pending", st.Pending, "head", st.Head, "lost", fmt.Sprint(st.Lost))
		r.changed()
	}
	err := wc.ReportRepair(ctx, link.RepairReport{
		DamagedAt: st.Since, RepairedAt: st.DoneAt, Damage: st.Damage, FromWard: st.FromWard,
		FromBackup: st.FromBackup, Pending: st.Pending, HeadSeq: st.Head, Lost: st.Lost,
	})
	if err != nil {
		return err
	}
	return r.log.MarkRepairReported()
}

// storeAlert is the repair's state in plain Vietnamese for the TV and the
// tablet: counts and seq ranges only, nothing personal.
type storeAlert struct {
	// State is "repairing" (the old log is not back yet), "damaged" (found
	// under a running kiosk: a restart rebuilds), "lost" (repaired, but some
	// records came back from nowhere) or "repaired".
	State   string            `json:"state"`
	Message string            `json:"message"`
	Lost    []record.SeqRange `json:"lost,omitempty"`
}

// alertShownFor is how long a finished repair stays on the tablet.
const alertShownFor = 24 * time.Hour

// alert is what the TV and the tablet say about the store, or nil.
func (r *repairer) alert() *storeAlert {
	st, ok := r.log.Repair()
	if !ok {
		return nil
	}
	r.mu.Lock()
	lastErr := r.lastErr
	r.mu.Unlock()
	if !st.Done {
		msg := "Thẻ nhớ của máy bị hỏng dữ liệu. Hàng chờ vẫn hoạt động bình thường; máy đang lấy lại các lượt đã ghi từ xã."
		switch {
		case errors.Is(lastErr, errNoWard):
			msg = "Thẻ nhớ của máy bị hỏng dữ liệu. Hàng chờ vẫn hoạt động, nhưng máy chưa ghép với xã nên chưa lấy lại được các lượt đã ghi. Hãy báo cán bộ kỹ thuật."
		case lastErr != nil:
			msg = "Thẻ nhớ của máy bị hỏng dữ liệu. Hàng chờ vẫn hoạt động; máy chưa kết nối được với xã để lấy lại các lượt đã ghi và sẽ tự thử lại."
		}
		return &storeAlert{State: "repairing", Message: msg}
	}
	if r.now().Sub(st.DoneAt) > alertShownFor {
		return nil
	}
	back := "lấy lại " + num(st.FromWard) + " lượt từ xã"
	if st.FromBackup > 0 {
		back += " và " + num(st.FromBackup) + " lượt từ bản sao lưu trên máy"
	}
	if len(st.Lost) == 0 {
		return &storeAlert{State: "repaired", Message: "Đã khôi phục dữ liệu sau sự cố thẻ nhớ: " + back + ", không mất lượt nào."}
	}
	var n uint64
	ranges := make([]string, 0, len(st.Lost))
	for _, l := range st.Lost {
		n += l.Count()
		if l.From == l.To {
			ranges = append(ranges, num(l.From))
		} else {
			ranges = append(ranges, num(l.From)+"–"+num(l.To))
		}
	}
	return &storeAlert{State: "lost", Lost: st.Lost, Message: "Đã khôi phục dữ liệu sau sự cố thẻ nhớ: " + back +
		". Không lấy lại được " + num(n) + " lượt (số ghi sổ " + strings.Join(ranges, ", ") + "): hãy báo xã để ghi bù từ sổ giấy."}
}

// num writes a count the Vietnamese way: 1.871.
func num(n uint64) string { return vnnum.Int(int64(n)) }

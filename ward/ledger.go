package ward

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/purge"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/ward/tally"
)

// ledger is the only writer of records: every push, pulled page and USB
// file goes through ingest, which keeps each (kiosk, seq) once, quarantines
// a different delivery at a held key, and keeps the counts (package tally)
// in step with the store.
type ledger struct {
	store  *store.Store
	tally  *tally.Tally
	pseudo purge.Pseudonyms // the keys the tally counts CCCDs by (package purge)
	met    *metrics
	log    *slog.Logger
	now    func() time.Time

	// tokens is the registry's lookup: a batch file is signed with its
	// kiosk's token.
	tokens func(kioskID string) (string, bool)
	// contacts is the fleet: each delivery is a contact with its kiosk,
	// written in the same batch as the records.
	contacts contacts
	// outcome hears of every record held (the outreach book notes failures).
	outcome func(r *record.Record, st *store.Stored)
	// resolved names quarantined deliveries the office settled (office_fix.go).
	resolved func(kiosk string, seq, hash uint64) bool

	// ingestMu serialises every ingest: the check for a held (kiosk, seq)
	// and the write that follows must not interleave with another.
	ingestMu sync.Mutex

	mu         sync.RWMutex
	quarantine []store.Quarantined
	qSeen      map[qKey]bool
}

// contacts keeps each kiosk's health as deliveries tell it (the fleet).
type contacts interface {
	// touch returns the kiosk's health updated by a contact, unpublished.
	touch(kiosk string, c contact) store.Health
	// commit publishes it once the batch holding it is written.
	commit(h store.Health)
}

type qKey struct {
	kiosk string
	seq   uint64
	hash  uint64
}

// Conflict names a delivery that differed from the record held at its key.
type Conflict = link.Conflict

// IngestResult says what one delivery did.
type IngestResult struct {
	KioskID    string     `json:"kiosk_id"`
	Records    int        `json:"records"`
	New        int        `json:"new"`
	Duplicates int        `json:"duplicates"`
	Conflicts  []Conflict `json:"conflicts"`
	AckedSeq   uint64     `json:"acked_seq"`
	HeadSeq    uint64     `json:"head_seq"`
}

// contact is what a delivery tells about its kiosk.
type contact struct {
	via       string
	headSeq   uint64
	version   string
	kioskTime *time.Time // the kiosk's clock when it answered or sent
	at        time.Time  // the ward's clock at that moment
}

// errStore marks a failure to write: the client should retry later (503).
var errStore = errors.New("store unavailable")

// MaxRecordsPerDelivery bounds one push, page or file.
const MaxRecordsPerDelivery = 50_000

// rebuild indexes every stored record and the quarantine.
func (l *ledger) rebuild() error {
	start := time.Now()
	batch := make([]tally.Item, 0, 1024)
	// Only the fields the counts and the outreach book need are decoded;
	// the content hash is taken of the stored canonical bytes as they are.
	err := l.store.EachRecordBrief(func(st store.Stored) error {
		l.outcome(&st.Record, &st)
		batch = append(batch, l.pseudo.StoredItem(&st))
		if len(batch) == cap(batch) {
			l.tally.Add(batch...)
			batch = batch[:0]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading records: %w", err)
	}
	l.tally.Add(batch...)
	q, err := l.store.Quarantine()
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.quarantine = q
	for _, x := range q {
		l.qSeen[qKey{x.KioskID, x.Seq, x.Hash}] = true
	}
	l.mu.Unlock()
	l.log.Info("ward store opened", "records", l.tally.Len(), "quarantined", len(q), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// checkRecords refuses deliveries with records the ward cannot use. A kiosk
// may only deliver its own records: its token speaks for its id only.
func checkRecords(kiosk string, recs []record.Record) error {
	if len(recs) > MaxRecordsPerDelivery {
		return newErr(413, "too_many_records", "records", fmt.Sprintf("Quá nhiều bản ghi trong một lần gửi (tối đa %d).", MaxRecordsPerDelivery))
	}
	for i, r := range recs {
		if r.KioskID != kiosk {
			return newErr(403, "foreign_record", fmt.Sprintf("records[%d].kiosk_id", i),
				fmt.Sprintf("Bản ghi số %d thuộc điểm «%s», không phải điểm «%s» đang gửi.", r.Seq, r.KioskID, kiosk))
		}
		if err := r.Check(); err != nil {
			return newErr(422, "invalid_record", fmt.Sprintf("records[%d]", i),
				fmt.Sprintf("Bản ghi số %d không hợp lệ (%s).", r.Seq, err.Error()))
		}
	}
	return nil
}

// ingest stores the new records of one delivery, quarantines conflicting
// ones and records the contact. It is the only writer of records.
func (l *ledger) ingest(kiosk string, recs []record.Record, c contact) (IngestResult, error) {
	start := time.Now()
	res := IngestResult{KioskID: kiosk, Records: len(recs), Conflicts: []Conflict{}, HeadSeq: c.headSeq}
	if err := checkRecords(kiosk, recs); err != nil {
		return res, err
	}
	// Canonical bytes and hashes outside the lock: they are the CPU cost.
	canon := make([][]byte, len(recs))
	hashes := make([]uint64, len(recs))
	for i := range recs {
		canon[i] = recs[i].Canonical()
		hashes[i] = store.ContentHash(canon[i])
	}

	l.ingestMu.Lock()
	defer l.ingestMu.Unlock()
	now := l.now().UTC()
	if c.at.IsZero() {
		c.at = now
	}
	var b store.Batch
	items := make([]tally.Item, 0, len(recs))
	inBatch := make(map[uint64]uint64, len(recs))
	var newQ []store.Quarantined
	for i := range recs {
		r := &recs[i]
		held, ok := l.tally.Lookup(kiosk, r.Seq)
		if !ok {
			held, ok = inBatch[r.Seq]
		}
		switch {
		case ok && held == hashes[i]:
			res.Duplicates++
			continue
		case ok:
			res.Conflicts = append(res.Conflicts, Conflict{KioskID: kiosk, Seq: r.Seq})
			k := qKey{kiosk, r.Seq, hashes[i]}
			if !l.qSeenHas(k) {
				newQ = append(newQ, store.Quarantined{
					KioskID: kiosk, Seq: r.Seq, Hash: hashes[i], ReceivedAt: now, Via: c.via,
					Reason: "Nội dung khác với bản ghi đã lưu cùng số thứ tự", Record: canon[i],
				})
			}
			continue
		}
		inBatch[r.Seq] = hashes[i]
		b.Records = append(b.Records, store.Stored{Record: *r, Canonical: canon[i], ReceivedAt: now, Via: c.via})
		items = append(items, l.pseudo.Item(r, now, hashes[i]))
	}
	b.Quarantine = newQ
	h := l.contacts.touch(kiosk, c)
	b.Health = []store.Health{h}
	if err := l.store.Write(b); err != nil {
		if errors.Is(err, store.ErrDiskFull) {
			// Expected while an official frees space; the kiosk retries.
			l.log.Warn("ingest refused: disk almost full", "kiosk", kiosk, "via", c.via, "err", err)
		} else {
			l.log.Error("ingest write failed", "kiosk", kiosk, "via", c.via, "err", err)
		}
		l.met.ingestErrors.WithLabelValues(c.via).Inc()
		return res, fmt.Errorf("%w: %v", errStore, err)
	}
	l.tally.Add(items...)
	for i := range b.Records {
		l.outcome(&b.Records[i].Record, nil)
	}
	l.contacts.commit(h)
	if len(newQ) > 0 {
		l.mu.Lock()
		for _, q := range newQ {
			l.qSeen[qKey{q.KioskID, q.Seq, q.Hash}] = true
			l.quarantine = append(l.quarantine, q)
		}
		l.mu.Unlock()
		l.log.Warn("conflicting records quarantined", "kiosk", kiosk, "via", c.via, "count", len(newQ))
	}
	res.New = len(items)
	res.AckedSeq = l.tally.Acked(kiosk)
	l.met.observe(c.via, res, time.Since(start))
	return res, nil
}

func (l *ledger) qSeenHas(k qKey) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return l.qSeen[k]
}

// quarantined counts the quarantined deliveries, per kiosk and in all.
func (l *ledger) quarantined() (perKiosk map[string]int, total int) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	perKiosk = map[string]int{}
	for _, q := range l.quarantine {
		perKiosk[q.KioskID]++
	}
	return perKiosk, len(l.quarantine)
}

// ImportBatch verifies a USB batch file against the token of the kiosk it
// names and ingests its records. A file that is not a batch, that names an
// unregistered kiosk, or whose signature does not match (tampered, or from
// another commune's kiosk with the same id) is refused whole. The file is
// decoded as it is read: an unusable record, or one past
// MaxRecordsPerDelivery, ends the reading at once.
func (l *ledger) ImportBatch(file io.Reader) (IngestResult, error) {
	b, err := record.ReadBatch(file, l.tokens, MaxRecordsPerDelivery)
	if err != nil {
		l.met.imports.WithLabelValues("refused").Inc()
		return IngestResult{}, batchError(b.KioskID, err)
	}
	res, err := l.ingest(b.KioskID, b.Records, contact{via: store.ViaFile, headSeq: b.HeadSeq})
	if err != nil {
		l.met.imports.WithLabelValues("failed").Inc()
		return res, err
	}
	l.met.imports.WithLabelValues("ok").Inc()
	l.log.Info("batch imported", "kiosk", b.KioskID, "records", res.Records, "new", res.New, "conflicts", len(res.Conflicts))
	return res, nil
}

// batchError explains a refused file in words an official can act on.
func batchError(claim string, err error) error {
	who := "không rõ"
	if link.ValidKioskID(claim) {
		who = claim
	}
	var re *record.RecordError
	var he *httpx.Error
	switch {
	case errors.As(err, &he):
		return he // reading the upload failed (too large, broken off)
	case errors.Is(err, record.ErrBatchTooLarge):
		return newErr(413, "too_many_records", "file", fmt.Sprintf("Tệp có quá nhiều bản ghi (tối đa %d trong một tệp). Không nhập bản ghi nào.", MaxRecordsPerDelivery))
	case errors.As(err, &re):
		return newErr(422, "invalid_record", "file", fmt.Sprintf("Bản ghi thứ %d trong tệp của điểm «%s» không hợp lệ (%s). Không nhập bản ghi nào. Hãy tải lại tệp từ máy điểm cài đặt.", re.Index+1, who, re.Err.Error()))
	case errors.Is(err, record.ErrBatchFormat):
		return newErr(400, "invalid_batch", "file", "Tệp này không phải là tệp dữ liệu của điểm cài đặt kyso (kyso-batch/1). Không nhập bản ghi nào.")
	case errors.Is(err, record.ErrBatchUnknown):
		return newErr(422, "unknown_kiosk", "file", fmt.Sprintf("Tệp của điểm cài đặt «%s» chưa được đăng ký với máy chủ xã. Không nhập bản ghi nào. Hãy đăng ký điểm (mục Cài đặt → Thêm điểm cài đặt) rồi nhập lại.", who))
	case errors.Is(err, record.ErrBatchTampered):
		return newErr(422, "tampered_batch", "file", fmt.Sprintf("Tệp của điểm «%s» đã bị sửa đổi hoặc hỏng, hoặc được tạo bằng mã truy cập khác (điểm của xã khác). Chữ ký không khớp nên không nhập bản ghi nào. Hãy tải lại tệp từ máy điểm cài đặt.", who))
	}
	return newErr(400, "invalid_batch", "file", "Không đọc được tệp dữ liệu.")
}

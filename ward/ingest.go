package ward

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/ward/tally"
)

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
func (s *Service) ingest(kiosk string, recs []record.Record, c contact) (IngestResult, error) {
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
		hashes[i] = contentHash(canon[i])
	}

	s.ingestMu.Lock()
	defer s.ingestMu.Unlock()
	now := s.cfg.Now().UTC()
	if c.at.IsZero() {
		c.at = now
	}
	var b store.Batch
	items := make([]tally.Item, 0, len(recs))
	inBatch := make(map[uint64]uint64, len(recs))
	var newQ []store.Quarantined
	for i := range recs {
		r := &recs[i]
		held, ok := s.tally.Lookup(kiosk, r.Seq)
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
			if !s.qSeenHas(k) {
				newQ = append(newQ, store.Quarantined{
					KioskID: kiosk, Seq: r.Seq, Hash: hashes[i], ReceivedAt: now, Via: c.via,
					Reason: "Nội dung khác với bản ghi đã lưu cùng số thứ tự", Record: canon[i],
				})
			}
			continue
		}
		inBatch[r.Seq] = hashes[i]
		b.Records = append(b.Records, store.Stored{Record: *r, Canonical: canon[i], ReceivedAt: now, Via: c.via})
		items = append(items, s.itemOf(r, now, hashes[i]))
	}
	b.Quarantine = newQ
	h := s.touchHealth(kiosk, c)
	b.Health = []store.Health{h}
	if err := s.store.Write(b); err != nil {
		if errors.Is(err, store.ErrDiskFull) {
			// Expected while an official frees space; the kiosk retries.
			s.log.Warn("ingest refused: disk almost full", "kiosk", kiosk, "via", c.via, "err", err)
		} else {
			s.log.Error("ingest write failed", "kiosk", kiosk, "via", c.via, "err", err)
		}
		s.met.ingestErrors.WithLabelValues(c.via).Inc()
		return res, fmt.Errorf("%w: %v", errStore, err)
	}
	s.tally.Add(items...)
	for i := range b.Records {
		s.noteOutcome(&b.Records[i].Record, nil)
	}
	s.commitHealth(h)
	if len(newQ) > 0 {
		s.mu.Lock()
		for _, q := range newQ {
			s.qSeen[qKey{q.KioskID, q.Seq, q.Hash}] = true
			s.quarantine = append(s.quarantine, q)
		}
		s.mu.Unlock()
		s.log.Warn("conflicting records quarantined", "kiosk", kiosk, "via", c.via, "count", len(newQ))
	}
	res.New = len(items)
	res.AckedSeq = s.tally.Acked(kiosk)
	s.met.observe(c.via, res, time.Since(start))
	return res, nil
}

func (s *Service) qSeenHas(k qKey) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.qSeen[k]
}

// touchHealth returns the kiosk's health updated by a contact, without
// publishing it: it is published once the batch holding it is written.
func (s *Service) touchHealth(kiosk string, c contact) store.Health {
	s.mu.RLock()
	var h store.Health
	if cur := s.health[kiosk]; cur != nil {
		h = cur.Health
	}
	s.mu.RUnlock()
	h.KioskID = kiosk
	reached := make(map[string]time.Time, len(h.Reached)+1)
	for k, v := range h.Reached {
		reached[k] = v
	}
	reached[c.via] = c.at
	h.Reached = reached
	h.LastContact, h.LastVia = c.at, c.via
	if c.headSeq > 0 && (c.via != store.ViaFile || c.headSeq > h.HeadSeq) {
		// A file may be days old: it never lowers what a live contact said.
		h.HeadSeq = c.headSeq
	}
	if c.version != "" {
		h.Version = c.version
	}
	if c.kioskTime != nil && !c.kioskTime.IsZero() {
		skew := c.kioskTime.Sub(c.at).Seconds()
		h.SkewSeconds, h.SkewAt = &skew, c.at
	}
	return h
}

func (s *Service) commitHealth(h store.Health) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.healthLocked(h.KioskID)
	st.Health = h
}

// pushAuth is how a push proved its kiosk: the token and the request's
// nonce sign the reply. The contract's Bearer form has no nonce; its reply
// goes unsigned (our kiosk never sends it).
type pushAuth struct {
	kioskID, token, nonce string
}

// openPush authenticates a push before parsing it (a stranger's body costs
// nothing) and returns its request. Our kiosks sign and seal (the token
// never travels; see link/sign.go); the contract's Bearer push with a plain
// JSON body stays accepted.
func (s *Service) openPush(c *fiber.Ctx, unverified *httpx.Budget) (link.PushRequest, pushAuth, error) {
	var req link.PushRequest
	var auth pushAuth
	var body []byte
	if id, nonce, sig, signed := link.ParsePushAuthorization(c.Get(fiber.HeaderAuthorization)); signed {
		// Our kiosks sign and seal (the token never travels). A known id
		// is needed before any byte is read; the signature is checked on
		// a body read within a budget shared by all unverified pushes.
		tok, known := s.tokenFor(id)
		if !known {
			return req, auth, errBadToken
		}
		b, err := httpx.BodyWithin(c, unverified)
		if err != nil {
			return req, auth, err
		}
		if !link.VerifyPush(tok, id, nonce, sig, b) {
			return req, auth, errBadToken
		}
		body = b
		plain, err := link.OpenPayload(tok, nonce, body)
		if err != nil {
			return req, auth, errBadJSON
		}
		auth, body = pushAuth{kioskID: id, token: tok, nonce: nonce}, plain
	} else {
		id, ok := s.kioskByToken(bearer(c))
		if !ok {
			return req, auth, errBadToken
		}
		b, err := httpx.Body(c)
		if err != nil {
			return req, auth, err
		}
		auth.kioskID, body = id, b
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return req, auth, errBadJSON
	}
	if req.KioskID == "" {
		return req, auth, errNoKioskID
	}
	if req.KioskID != auth.kioskID {
		return req, auth, errBadToken
	}
	return req, auth, nil
}

// replyPush answers a push with the ward's acked_seq and time, signed for
// the kiosk: the kiosk moves its cursor only on a reply it can verify.
func (s *Service) replyPush(c *fiber.Ctx, auth pushAuth, res IngestResult) error {
	resp := link.PushResponse{AckedSeq: res.AckedSeq, WardTime: s.cfg.Now().UTC()}
	status := fiber.StatusOK
	if len(res.Conflicts) > 0 {
		// The good records are kept; the conflicting ones are quarantined.
		status, resp.Conflicts, resp.Error = fiber.StatusConflict, res.Conflicts, link.ReasonConflict
	}
	return sendSigned(c, status, resp, auth.token, link.ReplyPush, auth.kioskID, auth.nonce)
}

// sendSigned sends v as JSON with the link's reply signature when key and
// nonce are known.
func sendSigned(c *fiber.Ctx, status int, v any, key, kind, kioskID, nonce string) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if key != "" && nonce != "" {
		c.Set(link.ReplyHeader, link.SignReply(key, kind, kioskID, nonce, status, b))
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Status(status).Send(b)
}

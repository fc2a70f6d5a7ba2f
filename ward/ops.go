package ward

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/httpx"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
)

// ImportBatch verifies a USB batch file against the token of the kiosk it
// names and ingests its records. A file that is not a batch, that names an
// unregistered kiosk, or whose signature does not match (tampered, or from
// another commune's kiosk with the same id) is refused whole. The file is
// decoded as it is read: an unusable record, or one past
// MaxRecordsPerDelivery, ends the reading at once.
func (s *Service) ImportBatch(file io.Reader) (IngestResult, error) {
	b, err := record.ReadBatch(file, s.tokenFor, MaxRecordsPerDelivery)
	if err != nil {
		s.met.imports.WithLabelValues("refused").Inc()
		return IngestResult{}, batchError(b.KioskID, err)
	}
	res, err := s.ingest(b.KioskID, b.Records, contact{via: store.ViaFile, headSeq: b.HeadSeq})
	if err != nil {
		s.met.imports.WithLabelValues("failed").Inc()
		return res, err
	}
	s.met.imports.WithLabelValues("ok").Inc()
	s.log.Info("batch imported", "kiosk", b.KioskID, "records", res.Records, "new", res.New, "conflicts", len(res.Conflicts))
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

func quotaErr(err error) error {
	var qe *quota.Error
	if errors.As(err, &qe) {
		return newErr(422, "invalid_csv", "file", qe.Error())
	}
	return err
}

// SetVillages replaces the village quotas with a CSV in the appendix format.
func (s *Service) SetVillages(csv []byte) (quota.Villages, error) {
	if isXLSX(csv) { // office_quotas.go
		var err error
		if csv, err = xlsxAsCSV(csv); err != nil {
			return quota.Villages{}, err
		}
	}
	v, err := quota.ParseVillages(bytes.NewReader(csv), quota.DefaultRateBP)
	if err != nil {
		return v, quotaErr(err)
	}
	if err := s.updatePlan(func(p *quota.Plan) { p.Villages = v }); err != nil {
		return v, fmt.Errorf("%w: %v", errStore, err)
	}
	s.log.Info("village quotas replaced", "villages", len(v.Rows))
	return v, nil
}

// SetAssociations replaces the association quotas; empty text clears them.
func (s *Service) SetAssociations(csv []byte) ([]quota.Association, error) {
	var a []quota.Association
	if len(bytes.TrimSpace(csv)) > 0 {
		var err error
		if a, err = quota.ParseAssociations(bytes.NewReader(csv)); err != nil {
			return nil, quotaErr(err)
		}
	}
	if err := s.updatePlan(func(p *quota.Plan) { p.Associations = a }); err != nil {
		return nil, fmt.Errorf("%w: %v", errStore, err)
	}
	return a, nil
}

// SetRounds replaces the rounds; empty text clears them.
func (s *Service) SetRounds(csv []byte) ([]quota.Round, error) {
	var r []quota.Round
	if len(bytes.TrimSpace(csv)) > 0 {
		var err error
		if r, err = quota.ParseRounds(bytes.NewReader(csv)); err != nil {
			return nil, quotaErr(err)
		}
	}
	if err := s.updatePlan(func(p *quota.Plan) { p.Rounds = r }); err != nil {
		return nil, fmt.Errorf("%w: %v", errStore, err)
	}
	return r, nil
}

// SetDeadline sets (or with "" clears) the date targets must be met by.
func (s *Service) SetDeadline(date string) (string, error) {
	d := ""
	if strings.TrimSpace(date) != "" {
		var ok bool
		if d, ok = quota.ParseDate(date); !ok {
			return "", errBadDeadline
		}
	}
	if err := s.updatePlan(func(p *quota.Plan) { p.Deadline = d }); err != nil {
		return "", fmt.Errorf("%w: %v", errStore, err)
	}
	return d, nil
}

// AddUIPull adds a pull target from the dashboard, kept across restarts.
func (s *Service) AddUIPull(kioskID, rawURL string) (PullTarget, error) {
	kioskID = strings.TrimSpace(kioskID)
	if !link.ValidKioskID(kioskID) {
		return PullTarget{}, errBadKioskID
	}
	u, err := normalizeURL(rawURL)
	if err != nil {
		return PullTarget{}, errBadURL
	}
	t := PullTarget{KioskID: kioskID, URL: u, Source: SourceUI}
	if err := s.saveUIPulls(func(l []PullTarget) []PullTarget {
		l = removePull(l, kioskID)
		return append(l, t)
	}); err != nil {
		return t, err
	}
	s.RemovePullTarget(kioskID, "")
	s.AddPullTarget(t)
	return t, nil
}

// RemoveUIPull stops pulling a kiosk and forgets the dashboard's target.
func (s *Service) RemoveUIPull(kioskID string) error {
	if err := s.saveUIPulls(func(l []PullTarget) []PullTarget { return removePull(l, kioskID) }); err != nil {
		return err
	}
	s.RemovePullTarget(kioskID, "")
	return nil
}

func removePull(l []PullTarget, id string) []PullTarget {
	out := l[:0:0]
	for _, p := range l {
		if p.KioskID != id {
			out = append(out, p)
		}
	}
	return out
}

func (s *Service) saveUIPulls(change func([]PullTarget) []PullTarget) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := change(append([]PullTarget(nil), s.uiPulls...))
	if err := s.store.PutSetting(settingPulls, l); err != nil {
		return fmt.Errorf("%w: %v", errStore, err)
	}
	s.uiPulls = l
	return nil
}

// KioskHealth is the public health of one kiosk: no personal data.
type KioskHealth struct {
	KioskID     string               `json:"kiosk_id"`
	Registered  bool                 `json:"registered"`
	Status      string               `json:"status"` // never | ok | pending | late | silent
	StatusText  string               `json:"status_text"`
	LastContact *time.Time           `json:"last_contact"`
	LastVia     string               `json:"last_via,omitempty"`
	Reached     map[string]time.Time `json:"reached"` // push | pull | file → last time
	ReachedText string               `json:"reached_text"`
	AckedSeq    uint64               `json:"acked_seq"` // highest contiguous seq held
	MaxSeq      uint64               `json:"max_seq"`   // highest seq held
	HeadSeq     uint64               `json:"head_seq"`  // the kiosk's last known head
	Pending     uint64               `json:"pending"`   // head − acked: not at the ward yet
	Records     int                  `json:"records"`
	SkewSeconds *float64             `json:"clock_skew_seconds"` // kiosk clock − ward clock
	SkewText    string               `json:"skew_text"`
	Version     string               `json:"version,omitempty"`
	PullURL     string               `json:"pull_url,omitempty"`
	PullSource  string               `json:"pull_source,omitempty"`
	PullError   string               `json:"pull_error,omitempty"`
	LastPull    *time.Time           `json:"last_pull,omitempty"`
	Quarantined int                  `json:"quarantined"`
	// LAN is what mDNS says of the kiosk (absent when never seen there);
	// LANText says it in words.
	LAN     *LANState `json:"lan,omitempty"`
	LANText string    `json:"lan_text"`
}

var viaText = map[string]string{store.ViaPush: "tự gửi lên", store.ViaPull: "xã kéo về", store.ViaFile: "tệp USB"}

// KioskHealth lists every kiosk the ward knows: registered, heard from, or
// pulled from.
func (s *Service) KioskHealth() []KioskHealth {
	now := s.cfg.Now()
	s.mu.RLock()
	ids := map[string]bool{}
	for id := range s.kiosks {
		ids[id] = true
	}
	for id := range s.health {
		ids[id] = true
	}
	delete(ids, wardKioskID) // the office's own records: not a kiosk
	qCount := map[string]int{}
	for _, q := range s.quarantine {
		qCount[q.KioskID]++
	}
	out := make([]KioskHealth, 0, len(ids))
	for id := range ids {
		_, reg := s.kiosks[id]
		k := KioskHealth{KioskID: id, Registered: reg, Reached: map[string]time.Time{}, Quarantined: qCount[id]}
		if h := s.health[id]; h != nil {
			if !h.LastContact.IsZero() {
				lc := h.LastContact
				k.LastContact = &lc
			}
			k.LastVia, k.HeadSeq, k.Version, k.SkewSeconds = h.LastVia, h.HeadSeq, h.Version, h.SkewSeconds
			for via, t := range h.Reached {
				k.Reached[via] = t
			}
			k.PullURL, k.PullSource, k.PullError = h.pullURL, h.pullSource, h.pullError
			if !h.pullOK.IsZero() {
				po := h.pullOK
				k.LastPull = &po
			}
			if h.lan != nil {
				l := *h.lan
				l.Addrs = slices.Clone(l.Addrs)
				k.LAN = &l
			}
		}
		out = append(out, k)
	}
	s.mu.RUnlock()
	for i := range out {
		k := &out[i]
		c := s.tally.Kiosk(k.KioskID)
		k.AckedSeq, k.MaxSeq, k.Records = c.Acked, c.MaxSeq, c.Records
		if k.HeadSeq < k.MaxSeq {
			k.HeadSeq = k.MaxSeq
		}
		k.Pending = k.HeadSeq - k.AckedSeq
		var vias []string
		for _, via := range []string{store.ViaPush, store.ViaPull, store.ViaFile} {
			if _, ok := k.Reached[via]; ok {
				vias = append(vias, viaText[via])
			}
		}
		k.ReachedText = strings.Join(vias, ", ")
		k.SkewText = skewText(k.SkewSeconds)
		k.LANText = lanText(k.LAN, now)
		if k.LAN != nil {
			if k.Version == "" {
				k.Version = k.LAN.Version
			}
			if k.LAN.State == "gone" {
				k.LAN.StateText = "Không còn thấy trên mạng"
			} else {
				k.LAN.StateText = "Đang thấy trên mạng"
			}
		}
		switch {
		case !k.Registered && k.LastContact == nil:
			// Seen on the LAN or named in a pull target, but the ward has
			// no token for it: nothing can arrive until an official
			// registers it.
			k.Status, k.StatusText = "unregistered", "Chưa đăng ký: chưa có mã truy cập"
		case k.LastContact == nil:
			k.Status, k.StatusText = "never", "Chưa liên lạc"
		case k.Pending > 0:
			k.Status, k.StatusText = "pending", fmt.Sprintf("Còn %d bản ghi chưa về xã", k.Pending)
		case now.Sub(*k.LastContact) < 10*time.Minute:
			k.Status, k.StatusText = "ok", "Bình thường"
		case now.Sub(*k.LastContact) < 2*time.Hour:
			k.Status, k.StatusText = "late", "Lâu chưa liên lạc"
		default:
			k.Status, k.StatusText = "silent", "Mất liên lạc"
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].KioskID < out[j].KioskID })
	return out
}

func skewText(s *float64) string {
	if s == nil {
		return "—"
	}
	v := *s
	if math.Abs(v) < 5 {
		return "đúng giờ"
	}
	word := "nhanh"
	if v < 0 {
		word, v = "chậm", -v
	}
	switch {
	case v < 120:
		return fmt.Sprintf("%s %d giây", word, int(v))
	case v < 2*3600:
		return fmt.Sprintf("%s %d phút", word, int(v/60))
	case v < 2*86400:
		return fmt.Sprintf("%s %d giờ", word, int(v/3600))
	}
	return fmt.Sprintf("%s %d ngày", word, int(v/86400))
}

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

// MaskCCCD shows only the last four digits.
func MaskCCCD(c string) string {
	if len(c) <= 4 {
		return strings.Repeat("*", len(c))
	}
	return strings.Repeat("*", len(c)-4) + c[len(c)-4:]
}

var outcomeText = map[string]string{record.OutcomeActivated: "Đã kích hoạt", record.OutcomeFailed: "Không thành công"}

func summary(r record.Record) string {
	parts := []string{}
	if r.Type == record.TypeCorrection {
		parts = append(parts, "bản sửa")
	}
	if purgedCitizen(r.Citizen) {
		parts = append(parts, outcomeText[r.Outcome], "đã xoá thông tin cá nhân", r.Citizen.Village)
	} else {
		parts = append(parts, outcomeText[r.Outcome], r.Citizen.Name, "CCCD "+MaskCCCD(r.Citizen.CCCD), r.Citizen.Village)
	}
	if !r.RecordedAt.IsZero() {
		parts = append(parts, r.RecordedAt.In(quota.Location).Format("15:04 02/01/2006"))
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
func (s *Service) QuarantineList() ([]QuarantineItem, error) {
	s.mu.RLock()
	q := append([]store.Quarantined(nil), s.quarantine...)
	s.mu.RUnlock()
	sort.Slice(q, func(i, j int) bool { return q[i].ReceivedAt.After(q[j].ReceivedAt) })
	out := make([]QuarantineItem, 0, len(q))
	for _, x := range q {
		if s.off.resolved(x.KioskID, x.Seq, x.Hash) {
			continue // settled by the office (office_fix.go)
		}
		it := QuarantineItem{KioskID: x.KioskID, Seq: x.Seq, ReceivedAt: x.ReceivedAt, Via: viaText[x.Via], Reason: x.Reason}
		var got record.Record
		_ = json.Unmarshal(x.Record, &got)
		it.Got = summary(got)
		if held, err := s.store.GetRecord(x.KioskID, x.Seq); err == nil {
			it.Held = summary(held.Record)
			cmp := got
			if held.Purged || purgedCitizen(got.Citizen) {
				// Compare what is left: the personal fields of one side
				// are gone, the CCCD only as its pseudonym.
				h := held.Record.Citizen
				cmp.Citizen.CCCD = s.pseudo.key(cmp.Citizen.CCCD)
				cmp.Citizen.Name, cmp.Citizen.Phone, cmp.Citizen.BirthDate = h.Name, h.Phone, h.BirthDate
				held.Record.Citizen.CCCD = s.pseudo.key(h.CCCD)
			}
			it.Differs = differs(held.Record, cmp)
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		out = append(out, it)
	}
	return out, nil
}

package ward

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/store"
)

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
	// Repair: the kiosk's store was damaged and rebuilt from the ward;
	// RepairText says what came back and what is lost, in words.
	Repair     *link.RepairReport `json:"repair,omitempty"`
	RepairText string             `json:"repair_text,omitempty"`
}

var viaText = map[string]string{store.ViaPush: "tự gửi lên", store.ViaPull: "xã kéo về", store.ViaFile: "tệp USB"}

// KioskHealth lists every kiosk the ward knows: registered, heard from, or
// pulled from.
func (f *fleet) KioskHealth() []KioskHealth {
	now := f.cfg.Now()
	reg := map[string]bool{}
	ids := map[string]bool{}
	for _, id := range f.reg.ids() {
		reg[id], ids[id] = true, true
	}
	qCount, _ := f.led.quarantined()
	f.mu.RLock()
	for id := range f.health {
		ids[id] = true
	}
	delete(ids, wardKioskID) // the office's own records: not a kiosk
	out := make([]KioskHealth, 0, len(ids))
	for id := range ids {
		k := KioskHealth{KioskID: id, Registered: reg[id], Reached: map[string]time.Time{}, Quarantined: qCount[id]}
		if h := f.health[id]; h != nil {
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
			if h.Repair != nil {
				r := *h.Repair
				k.Repair, k.RepairText = &r, repairText(r)
			}
			if h.lan != nil {
				l := *h.lan
				l.Addrs = slices.Clone(l.Addrs)
				k.LAN = &l
			}
		}
		out = append(out, k)
	}
	f.mu.RUnlock()
	for i := range out {
		k := &out[i]
		c := f.led.tally.Kiosk(k.KioskID)
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

// touch returns the kiosk's health updated by a contact, without
// publishing it: it is published (commit) once the batch holding it is
// written.
func (f *fleet) touch(kiosk string, c contact) store.Health {
	f.mu.RLock()
	var h store.Health
	if cur := f.health[kiosk]; cur != nil {
		h = cur.Health
	}
	f.mu.RUnlock()
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

// repaired keeps a kiosk's repair report with its health, durably.
func (f *fleet) repaired(id string, r link.RepairReport) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.healthLocked(id)
	h := st.Health
	h.Repair = &r
	if err := f.store.Write(store.Batch{Health: []store.Health{h}}); err != nil {
		return err
	}
	st.Health = h
	return nil
}

// repairText says a repair's outcome for the office.
func repairText(r link.RepairReport) string {
	at := r.RepairedAt.In(clock.Vietnam).Format("15:04 02/01/2006")
	s := fmt.Sprintf("Thẻ nhớ hỏng, đã tự khôi phục lúc %s: %d lượt từ xã, %d từ bản sao lưu trên máy", at, r.FromWard, r.FromBackup)
	if len(r.Lost) == 0 {
		return s + "; không mất lượt nào."
	}
	var n uint64
	parts := make([]string, 0, len(r.Lost))
	for _, l := range r.Lost {
		n += l.Count()
		parts = append(parts, fmt.Sprintf("%d–%d", l.From, l.To))
	}
	return s + fmt.Sprintf("; MẤT %d lượt (số ghi sổ %s): cần ghi bù từ sổ giấy.", n, strings.Join(parts, ", "))
}

func (f *fleet) commit(h store.Health) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := f.healthLocked(h.KioskID)
	if h.Repair == nil {
		// h was read (touch) before a repair report arrived and is committed
		// after it: the report is never withdrawn, so it stays (the next
		// contact writes it to the store again).
		h.Repair = st.Repair
	}
	st.Health = h
}

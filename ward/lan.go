package ward

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/web/wardweb"
)

// Sighting is what the LAN browser (mDNS, package discovery) reports about
// one kiosk: found, changed (address, port, announced seq), or gone. All of
// it was announced by whoever is on the LAN and is unauthenticated: it says
// where to try, never who is there (the pull's token and kiosk-id check do
// that).
type Sighting struct {
	KioskID  string    // TXT id
	Instance string    // DNS-SD instance name, e.g. "Nhà văn hóa thôn Đông Lão (dong-lao)"
	Village  string    // TXT village
	Version  string    // TXT v
	Addrs    []string  // announced addresses, IPv4 first
	URL      string    // HTTP base URL on the first IPv4 address; "" when none
	Seq      uint64    // TXT seq: the kiosk's head seq when it last re-announced
	Gone     bool      // not heard from for the browser's GoneAfter
	LastSeen time.Time // when an announcement or answer last arrived
}

// LANState is the mDNS part of a kiosk's health row: whether it is on the
// ward's LAN now, where, and what it announced.
type LANState struct {
	State     string    `json:"state"` // seen | gone
	StateText string    `json:"state_text"`
	Instance  string    `json:"instance"`
	Village   string    `json:"village,omitempty"`
	Version   string    `json:"version,omitempty"`
	Addrs     []string  `json:"addrs"`
	URL       string    `json:"url,omitempty"`
	Seq       uint64    `json:"seq"` // announced head seq (unauthenticated; head_seq is not taken from it)
	LastSeen  time.Time `json:"last_seen"`
}

// maxLANOnly bounds the health rows made only by mDNS sightings of
// unregistered kiosks: anyone on the LAN can announce any number of ids.
const maxLANOnly = 64

// Sighted records what the LAN browser saw of a kiosk and follows it: a
// kiosk in sight becomes an mDNS pull target at its announced URL (a
// registered one is then pulled at once; an unregistered one is listed
// with "chưa đăng ký" until an official registers it), a new address
// redirects the puller, and a kiosk gone from the LAN stops being pulled.
// A target from --pull or the dashboard is never replaced or removed.
func (f *fleet) Sighted(x Sighting) {
	if !link.ValidKioskID(x.KioskID) {
		f.log.Warn("mdns: kiosk with an unusable id ignored", "id", x.KioskID, "instance", x.Instance)
		return
	}
	lan := &LANState{
		State: "seen", Instance: x.Instance, Village: x.Village, Version: x.Version,
		Addrs: slices.Clone(x.Addrs), URL: x.URL, Seq: x.Seq, LastSeen: x.LastSeen.UTC(),
	}
	if x.Gone {
		lan.State = "gone"
	}
	f.mu.Lock()
	if _, known := f.health[x.KioskID]; !known {
		if !f.reg.registered(x.KioskID) && f.lanOnlyLocked() >= maxLANOnly {
			f.mu.Unlock()
			f.log.Warn("mdns: too many unregistered kiosks on the LAN; ignoring", "id", x.KioskID)
			return
		}
	}
	f.healthLocked(x.KioskID).lan = lan
	f.mu.Unlock()

	if x.Gone || x.URL == "" {
		f.RemovePullTarget(x.KioskID, SourceMDNS)
		return
	}
	f.AddPullTarget(PullTarget{KioskID: x.KioskID, URL: x.URL, Source: SourceMDNS})
}

// lanOnlyLocked counts health rows that exist only because of mDNS; f.mu
// is held (the registry's lock is taken inside it, never the other way).
func (f *fleet) lanOnlyLocked() int {
	n := 0
	for id, h := range f.health {
		if h.lan != nil && h.LastContact.IsZero() && !f.reg.registered(id) {
			n++
		}
	}
	return n
}

// lanText says in a few words where the kiosk is on the LAN.
func lanText(l *LANState, now time.Time) string {
	if l == nil {
		return "—"
	}
	where := strings.Join(l.Addrs, ", ")
	if where == "" {
		where = "chưa có địa chỉ IPv4"
	}
	if l.State == "gone" {
		return fmt.Sprintf("Không còn thấy trên mạng (lần cuối %s; %s)", wardweb.Ago(&l.LastSeen, now), where)
	}
	return fmt.Sprintf("Đang thấy trên mạng: %s, số cuối %d", where, l.Seq)
}

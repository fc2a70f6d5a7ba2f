package kiosk

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/queue"
)

// boardState is the public state of the house: the queue's numbers, what
// the ward said about villages and quotas, and the live stream that carries
// them to every TV and phone.
type boardState struct {
	cfg    Config
	q      *queue.Queue
	clock  Clock
	log    *slog.Logger
	broker *broker
	notify chan struct{} // coalesced "the queue changed"
	tally  *villageTally

	mu   sync.Mutex
	info wardInfo
	// tonight counts today's invited households and those that came
	// (invitations); nil when the kiosk is not paired.
	tonight func() (invited, arrived int)
	// alert says what a damaged store's repair is doing (repair.go)
	alert func() *storeAlert
	// tvSpeech is what the TV said of its voices: "vi", "none", or "" when
	// it has not said.
	tvSpeech string
}

// wardInfo is what the kiosk learned from the ward: villages and quotas.
type wardInfo struct {
	Villages     []string        `json:"villages"`
	Associations []string        `json:"associations"`
	Progress     []villageTarget `json:"progress"`
	At           time.Time       `json:"at"`
}

type villageTarget struct {
	Name   string  `json:"name"`
	Target int     `json:"target"`
	Before int     `json:"before"`
	Have   int     `json:"have"`
	Pct    float64 `json:"percent"`
}

func newBoardState(cfg Config, q *queue.Queue, clk Clock, log *slog.Logger) *boardState {
	b := &boardState{cfg: cfg, q: q, clock: clk, log: log, broker: newBroker(), notify: make(chan struct{}, 1), tally: newVillageTally()}
	b.load()
	return b
}

// changed tells the board the queue changed; cheap and non-blocking.
func (b *boardState) changed() {
	select {
	case b.notify <- struct{}{}:
	default:
	}
}

// board is the public state on the TV: numbers, counts, no personal data.
type board struct {
	KioskID string `json:"kiosk_id"`
	Name    string `json:"name"`
	Village string `json:"village"`
	queue.Snapshot
	Progress boardProgress `json:"progress"`
	// InvitedToday is "Hôm nay mời N hộ · đã đến M": counts only, no
	// names. (Not "tonight": that is the queue's counters.)
	InvitedToday *boardTonight `json:"invited_today,omitempty"`
	HasWifi      bool          `json:"has_wifi"`
	// TVSpeech: "vi" when the TV speaks calls, "none" when it only chimes.
	TVSpeech string `json:"tv_speech,omitempty"`
	// StoreAlert: the store was damaged and is being (or was) repaired.
	StoreAlert *storeAlert `json:"store_alert,omitempty"`
	Time       time.Time   `json:"time"`
}

// boardTonight counts the households invited today and those that came.
type boardTonight struct {
	Invited int `json:"invited_households"`
	Arrived int `json:"arrived_households"`
}

// boardProgress is the host village's progress. It counts by the
// citizen's village, not the house's (issue 11): Activated is this house's
// activations of citizens of the host village; the house's activations of
// other villages are OtherVillagesDone (total) and OtherVillages (each).
type boardProgress struct {
	Village           string         `json:"village"`
	Activated         int            `json:"activated"`
	Target            int            `json:"target"`
	Before            int            `json:"before"`
	Have              int            `json:"have"`
	Percent           float64        `json:"percent"`
	HouseActivated    int            `json:"house_activated"`     // every activation recorded at this house
	OtherVillagesDone int            `json:"other_villages_done"` // of those, citizens of other villages
	OtherVillages     []villageCount `json:"other_villages"`      // by village the ward lists, largest first
}

func (b *boardState) build() board {
	snap := b.q.Snapshot()
	now, _ := b.clock.Now()
	out := board{KioskID: b.cfg.ID, Name: b.cfg.Name, Village: b.cfg.Village, Snapshot: snap, HasWifi: b.cfg.WifiSSID != "", Time: now.UTC()}
	tallyErr := b.tally.catchUp(b.q.Log())
	if tallyErr != nil && !errors.Is(tallyErr, queue.ErrRepairing) {
		b.log.Warn("village counts not updated", "err", tallyErr)
	}
	host, others := b.tally.split(b.cfg.Village)
	out.Progress = boardProgress{Village: b.cfg.Village, Activated: host, HouseActivated: snap.ActivatedTotal, OtherVillages: []villageCount{}}
	b.mu.Lock()
	known := map[string]bool{}
	for _, v := range b.info.Villages {
		known[villageKey(v)] = true
	}
	for _, o := range others {
		out.Progress.OtherVillagesDone += o.Activated
		// A village is typed by the citizen: only names the ward's list
		// holds go on the TV (a name typed there must never be shown).
		if known[villageKey(o.Name)] {
			out.Progress.OtherVillages = append(out.Progress.OtherVillages, o)
		}
	}
	for _, v := range b.info.Progress {
		if villageKey(v.Name) == villageKey(b.cfg.Village) && v.Target > 0 {
			out.Progress.Target, out.Progress.Before = v.Target, v.Before
			// The ward's count already holds what it received from us; add
			// only what it lacks, and only this village's citizens.
			out.Progress.Have = max(v.Have, v.Before+host)
			out.Progress.Percent = math.Round(1000*float64(out.Progress.Have)/float64(v.Target)) / 10 // as the ward rounds
		}
	}
	tonight, alert := b.tonight, b.alert
	out.TVSpeech = b.tvSpeech
	b.mu.Unlock()
	if alert != nil {
		out.StoreAlert = alert()
	}
	if out.StoreAlert == nil && errors.Is(tallyErr, queue.ErrDamaged) {
		// The card went bad under the running kiosk: the log is refused
		// (never served in part); a restart rebuilds it from the ward.
		out.StoreAlert = &storeAlert{State: "damaged", Message: "Thẻ nhớ của máy bị hỏng dữ liệu. Hãy tắt máy rồi bật lại để máy tự lấy lại dữ liệu từ xã, và báo cán bộ kỹ thuật."}
	}
	if tonight != nil {
		if inv, arr := tonight(); inv > 0 {
			out.InvitedToday = &boardTonight{Invited: inv, Arrived: arr}
		}
	}
	return out
}

func (b *boardState) json() []byte {
	j, err := json.Marshal(b.build())
	if err != nil {
		panic(err) // plain data only
	}
	return j
}

// publishLoop rebuilds the board after changes, at most every 50 ms, and
// fans it out. Coalescing keeps a burst of joins from flooding 1,000 phones.
func (b *boardState) publishLoop(ctx context.Context) error {
	tick := time.NewTicker(30 * time.Second) // refresh time-derived fields
	defer tick.Stop()
	defer b.tally.save(b.q.Log()) // the next start reads only what is newer
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-b.notify:
		case <-tick.C:
		}
		b.broker.publish(b.json())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// villages is what the join form offers.
func (b *boardState) villages() (villages, associations []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	villages = append(villages, b.info.Villages...)
	if len(villages) == 0 && b.cfg.Village != "" {
		villages = []string{b.cfg.Village}
	}
	associations = append(associations, b.info.Associations...)
	if len(associations) == 0 {
		associations = defaultAssociations
	}
	return villages, associations
}

// The mass organisations named in the campaign plans.
var defaultAssociations = []string{
	"Hội Cựu chiến binh", "Hội Phụ nữ", "Hội Nông dân", "Đoàn Thanh niên", "Hội Người cao tuổi", "Mặt trận Tổ quốc",
}

// SetWardInfo stores what the ward told us and keeps it for offline
// restarts (the forwarder's InfoSink).
func (b *boardState) SetWardInfo(info wardInfo) {
	b.mu.Lock()
	b.info = info
	b.mu.Unlock()
	if j, err := json.Marshal(info); err == nil {
		path := filepath.Join(b.cfg.Data, "ward-info.json")
		tmp := path + ".tmp"
		if os.WriteFile(tmp, j, 0o600) == nil {
			_ = os.Rename(tmp, path)
		}
	}
	b.changed()
}

func (b *boardState) load() {
	j, err := os.ReadFile(filepath.Join(b.cfg.Data, "ward-info.json"))
	if err != nil {
		return
	}
	var info wardInfo
	if json.Unmarshal(j, &info) == nil {
		b.info = info
	}
}

// setSpeech records what the TV said of its voices and republishes.
func (b *boardState) setSpeech(available bool) {
	v := "none"
	if available {
		v = "vi"
	}
	b.mu.Lock()
	changed := b.tvSpeech != v
	b.tvSpeech = v
	b.mu.Unlock()
	if changed {
		b.changed()
	}
}

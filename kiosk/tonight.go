package kiosk

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/link"
)

// invitations is the kiosk's copy of today's invited households of its
// village, as the ward last said (names and masked CCCDs, and a keyed
// match of each CCCD): shown on the tablet, counted on the board, and
// used to mark an invited citizen arrived when they join. It holds
// nothing when the kiosk is not paired.
type invitations struct {
	token    string
	village  string
	wc       func() *link.WardClient // nil: not paired
	log      *slog.Logger
	every    time.Duration
	onChange func()

	wake chan struct{}

	mu      sync.Mutex
	fetched time.Time // when the list last came from the ward
	list    link.Tonight
	arrived map[string]string // person key → how, seen here (kept until the list says so)
	pending []link.Arrival    // not yet told to the ward
}

func newInvitations(token, village string, wc func() *link.WardClient, log *slog.Logger, onChange func()) *invitations {
	return &invitations{token: token, village: village, wc: wc, log: log, every: time.Minute, onChange: onChange,
		wake: make(chan struct{}, 1), arrived: map[string]string{}}
}

// Run fetches the list every minute and reports arrivals as they come,
// until ctx ends.
func (v *invitations) Run(ctx context.Context) error {
	for {
		v.sync(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-v.wake:
		case <-time.After(v.every):
		}
	}
}

func (v *invitations) sync(ctx context.Context) {
	wc := v.wc()
	if wc == nil || wc.URL == "" {
		return
	}
	v.mu.Lock()
	pending := append([]link.Arrival(nil), v.pending...)
	v.mu.Unlock()
	if len(pending) > 0 {
		if err := wc.Report(ctx, pending); err != nil {
			v.log.Warn("arrivals not reported", "reason", link.ReasonOf(err).Code, "err", err)
		} else {
			v.mu.Lock()
			v.pending = v.pending[len(pending):]
			v.mu.Unlock()
		}
	}
	t, err := wc.Tonight(ctx, v.village)
	if err != nil {
		v.log.Warn("tonight's list not taken", "reason", link.ReasonOf(err).Code, "err", err)
		return
	}
	v.set(t)
}

// set replaces the list (tests and sync).
func (v *invitations) set(t link.Tonight) {
	v.mu.Lock()
	v.list, v.fetched = t, time.Now()
	v.mu.Unlock()
	if v.onChange != nil {
		v.onChange()
	}
}

// joined marks the invited person with this CCCD arrived, if any, and has
// the ward told at once.
func (v *invitations) joined(cccd string) {
	if cccd == "" || v.token == "" {
		return
	}
	m := link.CCCDMatch(v.token, cccd)
	v.mu.Lock()
	key := ""
	for _, s := range v.list.Sessions {
		for _, h := range s.Households {
			for _, p := range h.Members {
				if p.Match == m {
					key = p.Key
				}
			}
		}
	}
	v.mu.Unlock()
	if key != "" {
		v.arrive(key, "join")
	}
}

// arrive marks a person arrived (how: "join" or "hand") and wakes the sync.
func (v *invitations) arrive(key, how string) bool {
	v.mu.Lock()
	found := false
	for _, s := range v.list.Sessions {
		for _, h := range s.Households {
			for _, p := range h.Members {
				found = found || p.Key == key
			}
		}
	}
	if found {
		if _, seen := v.arrived[key]; !seen {
			v.arrived[key] = how
			v.pending = append(v.pending, link.Arrival{Person: key, How: how})
		}
	}
	v.mu.Unlock()
	if !found {
		return false
	}
	select {
	case v.wake <- struct{}{}:
	default:
	}
	if v.onChange != nil {
		v.onChange()
	}
	return true
}

// TonightView is what the tablet shows: no CCCD match, masked CCCDs only.
type TonightView struct {
	Date     string           `json:"date"`
	Sessions []TonightSession `json:"sessions"`
	Invited  int              `json:"invited_households"`
	Arrived  int              `json:"arrived_households"`
	Paired   bool             `json:"paired"`
}

// TonightSession is one session of the day on the tablet.
type TonightSession struct {
	Place      string             `json:"place"`
	Start      string             `json:"start"`
	End        string             `json:"end"`
	Households []TonightHousehold `json:"households"`
}

// TonightHousehold is one invited household on the tablet.
type TonightHousehold struct {
	Head    string          `json:"head"`
	Arrived bool            `json:"arrived"`
	Members []TonightMember `json:"members"`
}

// TonightMember is one invited person on the tablet.
type TonightMember struct {
	Key        string `json:"key"`
	Name       string `json:"name"`
	CCCDMasked string `json:"cccd_masked"`
	Arrived    bool   `json:"arrived"`
}

func (v *invitations) view() TonightView {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := TonightView{Date: v.list.Date, Sessions: []TonightSession{}, Paired: v.token != ""}
	for _, s := range v.list.Sessions {
		ts := TonightSession{Place: s.Place, Start: s.Start, End: s.End, Households: []TonightHousehold{}}
		for _, h := range s.Households {
			th := TonightHousehold{Head: h.Head}
			for _, p := range h.Members {
				_, here := v.arrived[p.Key]
				m := TonightMember{Key: p.Key, Name: p.Name, CCCDMasked: p.CCCDMasked, Arrived: p.Arrived || here}
				th.Arrived = th.Arrived || m.Arrived
				th.Members = append(th.Members, m)
			}
			out.Invited++
			if th.Arrived {
				out.Arrived++
			}
			ts.Households = append(ts.Households, th)
		}
		out.Sessions = append(out.Sessions, ts)
	}
	return out
}

// counts is what the board shows: "Hôm nay mời N hộ · đã đến M".
func (v *invitations) counts() (invited, arrived int) {
	t := v.view()
	return t.Invited, t.Arrived
}

// ---- handlers (volunteer session) ----

type tonightAPI struct{ v *invitations }

func (t *tonightAPI) get(c *fiber.Ctx) error {
	// A tablet looking at the list wants it fresh: a household the village
	// head added a minute ago should be there.
	t.v.mu.Lock()
	stale := time.Since(t.v.fetched) > 10*time.Second
	t.v.mu.Unlock()
	if stale {
		select {
		case t.v.wake <- struct{}{}:
		default:
		}
	}
	return c.JSON(t.v.view())
}

func (t *tonightAPI) arrived(c *fiber.Ctx) error {
	if !t.v.arrive(c.Params("key"), "hand") {
		return errNotFound
	}
	return c.JSON(t.v.view())
}

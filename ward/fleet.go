package ward

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/store"
)

// fleet watches the kiosks: their health as contacts and mDNS tell it, the
// pull targets (from --pull, the dashboard or mDNS) and the pullers that
// drain them into the ledger.
type fleet struct {
	cfg   Config // PullInterval, PullPage, Version, Now
	log   *slog.Logger
	met   *metrics
	store *store.Store
	led   *ledger
	reg   *registry

	mu      sync.RWMutex
	health  map[string]*kioskState
	pulls   map[string]*puller
	uiPulls []PullTarget
	runCtx  context.Context // set by start: pullers added later start at once
	wg      sync.WaitGroup  // pullers
}

// kioskState is the ward's view of one kiosk's health.
type kioskState struct {
	store.Health
	pullURL    string
	pullSource string
	pullError  string
	pullErrAt  time.Time
	pullOK     time.Time
	lan        *LANState // what mDNS last said; nil when never seen on the LAN
}

// load reads the stored health rows and the dashboard's pull targets, and
// adds the targets of --pull and the dashboard.
func (f *fleet) load(flagPulls []PullTarget) error {
	hs, err := f.store.Healths()
	if err != nil {
		return err
	}
	f.mu.Lock()
	for _, h := range hs {
		f.health[h.KioskID] = &kioskState{Health: h}
	}
	err = f.store.GetSetting(settingPulls, &f.uiPulls)
	ui := append([]PullTarget(nil), f.uiPulls...)
	f.mu.Unlock()
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	for _, p := range flagPulls {
		p.Source = SourceFlag
		f.AddPullTarget(p)
	}
	for _, p := range ui {
		f.AddPullTarget(p)
	}
	return nil
}

// start runs the pullers under ctx, and those added later; wait waits for
// them after ctx ended.
func (f *fleet) start(ctx context.Context) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runCtx = ctx
	for _, p := range f.pulls {
		f.startPuller(p)
	}
}

func (f *fleet) wait() { f.wg.Wait() }

// registered restarts the puller of a kiosk that was just registered or
// re-keyed: one already seen on the LAN (or given a pull target) was being
// pulled in vain, backing off for minutes.
func (f *fleet) registered(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pulls[id]
	if !ok || f.runCtx == nil {
		return
	}
	p.cancel()
	np := &puller{target: p.target, cancel: func() {}}
	f.pulls[id] = np
	f.healthLocked(id).pullError = ""
	f.startPuller(np)
}

// AddPullTarget starts (or redirects) pulling from a kiosk. A target from
// --pull or the dashboard is not replaced by one found by mDNS.
func (f *fleet) AddPullTarget(t PullTarget) {
	u, err := normalizeURL(t.URL)
	if err != nil || !link.ValidKioskID(t.KioskID) {
		f.log.Warn("pull target ignored", "kiosk", t.KioskID, "url", t.URL)
		return
	}
	t.URL = u
	if t.Source == "" {
		t.Source = SourceMDNS
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if p, ok := f.pulls[t.KioskID]; ok {
		if p.target.URL == t.URL || (t.Source == SourceMDNS && p.target.Source != SourceMDNS) {
			return
		}
		p.cancel()
		delete(f.pulls, t.KioskID)
	}
	p := &puller{target: t, cancel: func() {}}
	f.pulls[t.KioskID] = p
	h := f.healthLocked(t.KioskID)
	h.pullURL, h.pullSource, h.pullError = t.URL, t.Source, ""
	if f.runCtx != nil {
		f.startPuller(p)
	}
}

// RemovePullTarget stops pulling from a kiosk, when its current target
// came from source ("" removes whatever it is).
func (f *fleet) RemovePullTarget(kioskID, source string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.pulls[kioskID]
	if !ok || (source != "" && p.target.Source != source) {
		return
	}
	p.cancel()
	delete(f.pulls, kioskID)
	if h := f.health[kioskID]; h != nil {
		h.pullURL, h.pullSource = "", ""
	}
}

// PullTargets lists the current pull targets.
func (f *fleet) PullTargets() []PullTarget {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]PullTarget, 0, len(f.pulls))
	for _, p := range f.pulls {
		out = append(out, p.target)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].KioskID < out[j].KioskID })
	return out
}

func (f *fleet) healthLocked(id string) *kioskState {
	h := f.health[id]
	if h == nil {
		h = &kioskState{Health: store.Health{KioskID: id}}
		f.health[id] = h
	}
	return h
}

// AddUIPull adds a pull target from the dashboard, kept across restarts.
func (f *fleet) AddUIPull(kioskID, rawURL string) (PullTarget, error) {
	kioskID = strings.TrimSpace(kioskID)
	if !link.ValidKioskID(kioskID) {
		return PullTarget{}, errBadKioskID
	}
	u, err := normalizeURL(rawURL)
	if err != nil {
		return PullTarget{}, errBadURL
	}
	t := PullTarget{KioskID: kioskID, URL: u, Source: SourceUI}
	if err := f.saveUIPulls(func(l []PullTarget) []PullTarget {
		l = removePull(l, kioskID)
		return append(l, t)
	}); err != nil {
		return t, err
	}
	f.RemovePullTarget(kioskID, "")
	f.AddPullTarget(t)
	return t, nil
}

// RemoveUIPull stops pulling a kiosk and forgets the dashboard's target.
func (f *fleet) RemoveUIPull(kioskID string) error {
	if err := f.saveUIPulls(func(l []PullTarget) []PullTarget { return removePull(l, kioskID) }); err != nil {
		return err
	}
	f.RemovePullTarget(kioskID, "")
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

func (f *fleet) saveUIPulls(change func([]PullTarget) []PullTarget) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	l := change(append([]PullTarget(nil), f.uiPulls...))
	if err := f.store.PutSetting(settingPulls, l); err != nil {
		return fmt.Errorf("%w: %v", errStore, err)
	}
	f.uiPulls = l
	return nil
}

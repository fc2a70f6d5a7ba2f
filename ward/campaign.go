package ward

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/ward/outreach"
	"github.com/kyso-vn/kyso/ward/quota"
	"github.com/kyso-vn/kyso/ward/store"
	"github.com/kyso-vn/kyso/ward/tally"
)

// campaign is the plan (village and association quotas, rounds, deadline)
// and the progress against it.
type campaign struct {
	store      *store.Store
	tally      *tally.Tally
	book       *outreach.Book // VNPT confirmations; nil until outreach opens
	log        *slog.Logger
	now        func() time.Time
	recentDays int

	mu   sync.RWMutex
	plan quota.Plan
}

// Settings names in the store.
const (
	settingPlan  = "plan"
	settingPulls = "pulls"
)

// load reads the stored plan and applies the files and deadline of the
// configuration.
func (p *campaign) load(cfg Config) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.store.GetSetting(settingPlan, &p.plan); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	changed := false
	if f := cfg.QuotasFile; f != "" {
		v, err := readFile(f, func(r *os.File) (quota.Villages, error) { return quota.ParseVillages(r, quota.DefaultRateBP) })
		if err != nil {
			return fmt.Errorf("--quotas %s: %w", f, err)
		}
		p.plan.Villages, changed = v, true
	}
	if f := cfg.AssociationsFile; f != "" {
		a, err := readFile(f, func(r *os.File) ([]quota.Association, error) { return quota.ParseAssociations(r) })
		if err != nil {
			return fmt.Errorf("--associations %s: %w", f, err)
		}
		p.plan.Associations, changed = a, true
	}
	if f := cfg.RoundsFile; f != "" {
		r, err := readFile(f, func(r *os.File) ([]quota.Round, error) { return quota.ParseRounds(r) })
		if err != nil {
			return fmt.Errorf("--rounds %s: %w", f, err)
		}
		p.plan.Rounds, changed = r, true
	}
	if cfg.Deadline != "" {
		p.plan.Deadline, _ = quota.ParseDate(cfg.Deadline)
		changed = true
	}
	if changed {
		err := p.store.PutSetting(settingPlan, p.plan)
		if errors.Is(err, store.ErrDiskFull) {
			// The flags are read again at every start, so the plan in
			// memory is what the next start would store: serve it, with
			// reads, rather than refuse to start on a full disk.
			p.log.Warn("disk almost full: the plan from the command line is used but not stored", "err", err)
			return nil
		}
		return err
	}
	return nil
}

func readFile[T any](path string, parse func(*os.File) (T, error)) (T, error) {
	f, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, err
	}
	defer f.Close()
	return parse(f)
}

// Plan returns the current plan.
func (p *campaign) Plan() quota.Plan {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.plan
}

// update changes the plan durably.
func (p *campaign) update(change func(*quota.Plan)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := p.plan
	change(&n)
	if err := p.store.PutSetting(settingPlan, n); err != nil {
		return fmt.Errorf("%w: %v", errStore, err)
	}
	p.plan = n
	return nil
}

// Progress computes the public progress document.
func (p *campaign) Progress() tally.Progress {
	now := p.now()
	doc := tally.Compute(p.Plan(), p.tally.Snapshot(now, p.recentDays), now)
	if p.book != nil {
		v, a := p.book.ConfirmedCounts()
		doc.SetConfirmed(v, a)
	}
	return doc
}

func quotaErr(err error) error {
	var qe *quota.Error
	if errors.As(err, &qe) {
		return newErr(422, "invalid_csv", "file", qe.Error())
	}
	return err
}

// SetVillages replaces the village quotas with a CSV in the appendix format.
func (p *campaign) SetVillages(csv []byte) (quota.Villages, error) {
	if isXLSX(csv) { // office_quotas.go: officials keep quotas in Excel
		var err error
		if csv, err = xlsxAsCSV(csv); err != nil {
			return quota.Villages{}, err
		}
	}
	v, err := quota.ParseVillages(bytes.NewReader(csv), quota.DefaultRateBP)
	if err != nil {
		return v, quotaErr(err)
	}
	if err := p.update(func(pl *quota.Plan) { pl.Villages = v }); err != nil {
		return v, err
	}
	p.log.Info("village quotas replaced", "villages", len(v.Rows))
	return v, nil
}

// SetAssociations replaces the association quotas; empty text clears them.
func (p *campaign) SetAssociations(csv []byte) ([]quota.Association, error) {
	var a []quota.Association
	if len(bytes.TrimSpace(csv)) > 0 {
		var err error
		if a, err = quota.ParseAssociations(bytes.NewReader(csv)); err != nil {
			return nil, quotaErr(err)
		}
	}
	if err := p.update(func(pl *quota.Plan) { pl.Associations = a }); err != nil {
		return nil, err
	}
	return a, nil
}

// SetRounds replaces the rounds; empty text clears them.
func (p *campaign) SetRounds(csv []byte) ([]quota.Round, error) {
	var r []quota.Round
	if len(bytes.TrimSpace(csv)) > 0 {
		var err error
		if r, err = quota.ParseRounds(bytes.NewReader(csv)); err != nil {
			return nil, quotaErr(err)
		}
	}
	if err := p.update(func(pl *quota.Plan) { pl.Rounds = r }); err != nil {
		return nil, err
	}
	return r, nil
}

// SetDeadline sets (or with "" clears) the date targets must be met by.
func (p *campaign) SetDeadline(date string) (string, error) {
	d := ""
	if strings.TrimSpace(date) != "" {
		var ok bool
		if d, ok = quota.ParseDate(date); !ok {
			return "", errBadDeadline
		}
	}
	if err := p.update(func(pl *quota.Plan) { pl.Deadline = d }); err != nil {
		return "", err
	}
	return d, nil
}

// names lists the plan's villages, associations and rounds for kiosks'
// join forms.
func (p *campaign) names() (villages, associations []string, rounds []quota.Round, deadline string) {
	pl := p.Plan()
	villages = make([]string, 0, len(pl.Villages.Rows))
	for _, r := range pl.Villages.Rows {
		villages = append(villages, r.Name)
	}
	associations = make([]string, 0, len(pl.Associations))
	for _, r := range pl.Associations {
		associations = append(associations, r.Name)
	}
	rounds = pl.Rounds
	if rounds == nil {
		rounds = []quota.Round{}
	}
	return villages, associations, rounds, pl.Deadline
}

package ward

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/internal/diskguard"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/ward/quota"
)

// Config is everything the ward needs; cmd/ward fills it from flags and
// their KYSO_* environment twins.
type Config struct {
	Listen           string        // --listen, default :8090
	Data             string        // --data, default ./data/ward
	QuotasFile       string        // --quotas: village quotas CSV, imported at start
	AssociationsFile string        // --associations: association quotas CSV
	RoundsFile       string        // --rounds: rounds CSV
	Deadline         string        // --deadline: YYYY-MM-DD or dd/mm/yyyy
	Commune          string        // --commune: the commune's name on papers ("Cẩm Ngọc")
	AdminPassword    string        // --admin-password: generated when empty and none is stored
	Kiosks           []KioskCred   // --kiosk ID:TOKEN
	Pulls            []PullTarget  // --pull ID=URL
	MDNS             bool          // --mdns: wired by cmd/ward (discovery), unused here
	PullInterval     time.Duration // pause between pulls of one kiosk when it is drained
	PullPage         int           // records asked per pull request
	RecentDays       int           // forecast window
	Version          string
	// DataKey (16, 24 or 32 bytes; cmd/ward reads it from --data-key)
	// encrypts the store at rest with AES. nil: plain.
	DataKey []byte
	// BallastBytes is the size of <data>/store.ballast, space given back
	// when the disk is too full for the store to open (cmd/ward: 32 MB).
	BallastBytes int64
	// MinFreeBytes is the space kept free under the store: writes are
	// refused (503 store_unavailable) below it, because Badger dies of
	// SIGBUS on a full disk. 0: 64 MB; negative: no guard.
	MinFreeBytes int64

	// Sources find pull targets (mDNS browse); Run runs them.
	Sources []TargetSource
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Now is the ward's clock (tests); time.Now when nil.
	Now func() time.Time
	// passwordIterations lowers PBKDF2 cost in tests only.
	passwordIterations int
}

// DefaultBallastBytes is the ballast cmd/ward keeps next to the store.
const DefaultBallastBytes = diskguard.DefaultBallast

// KioskCred registers a kiosk and its token.
type KioskCred struct {
	ID    string
	Token string
}

// Sources of pull targets.
const (
	SourceFlag = "flag" // --pull
	SourceUI   = "ui"   // added on the dashboard (kept in the store)
	SourceMDNS = "mdns" // found by discovery
)

// PullTarget is a kiosk the ward pulls from.
type PullTarget struct {
	KioskID string `json:"kiosk_id"`
	URL     string `json:"url"`
	Source  string `json:"source"`
}

// Defaults returns the documented defaults.
func Defaults() Config {
	return Config{
		Listen: ":8090", Data: "./data/ward", MDNS: true,
		PullInterval: 15 * time.Second, PullPage: 1000, RecentDays: 7, Version: "dev",
	}
}

// ParseKiosk reads "ID:TOKEN".
func ParseKiosk(s string) (KioskCred, error) {
	id, tok, ok := strings.Cut(strings.TrimSpace(s), ":")
	switch {
	case !ok || tok == "":
		return KioskCred{}, fmt.Errorf("--kiosk %q: want ID:TOKEN", s)
	case !link.ValidKioskID(id):
		return KioskCred{}, fmt.Errorf("--kiosk %q: %s", s, link.KioskIDRule)
	case len(tok) < 16:
		return KioskCred{}, fmt.Errorf("--kiosk %q: token shorter than 16 characters (use `ward kiosk add %s`)", id, id)
	}
	return KioskCred{ID: id, Token: tok}, nil
}

// ParsePull reads "ID=URL".
func ParsePull(s string) (PullTarget, error) {
	id, u, ok := strings.Cut(strings.TrimSpace(s), "=")
	if !ok || !link.ValidKioskID(id) {
		return PullTarget{}, fmt.Errorf("--pull %q: want ID=URL with a kiosk id", s)
	}
	u, err := normalizeURL(u)
	if err != nil {
		return PullTarget{}, fmt.Errorf("--pull %q: %w", s, err)
	}
	return PullTarget{KioskID: id, URL: u, Source: SourceFlag}, nil
}

func normalizeURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", errors.New("URL must be http(s)://host[:port]")
	}
	u.RawQuery, u.Fragment = "", ""
	return strings.TrimRight(u.String(), "/"), nil
}

// Validate reports every configuration problem at once.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("--listen is empty"))
	}
	if c.Data == "" {
		errs = append(errs, errors.New("--data is empty"))
	}
	if c.Deadline != "" {
		if _, ok := quota.ParseDate(c.Deadline); !ok {
			errs = append(errs, fmt.Errorf("--deadline %q: want YYYY-MM-DD or dd/mm/yyyy", c.Deadline))
		}
	}
	if c.AdminPassword != "" && len(c.AdminPassword) < 8 {
		errs = append(errs, errors.New("--admin-password: at least 8 characters"))
	}
	seen := map[string]bool{}
	for _, k := range c.Kiosks {
		if !link.ValidKioskID(k.ID) || len(k.Token) < 16 {
			errs = append(errs, fmt.Errorf("--kiosk %q: bad id or token shorter than 16", k.ID))
		}
		if seen[k.ID] {
			errs = append(errs, fmt.Errorf("--kiosk %q given twice", k.ID))
		}
		seen[k.ID] = true
	}
	for _, p := range c.Pulls {
		if !link.ValidKioskID(p.KioskID) {
			errs = append(errs, fmt.Errorf("--pull %q: %s", p.KioskID, link.KioskIDRule))
		}
		if _, err := normalizeURL(p.URL); err != nil {
			errs = append(errs, fmt.Errorf("--pull %s: %w", p.KioskID, err))
		}
	}
	if n := len(c.DataKey); n != 0 && n != 16 && n != 24 && n != 32 {
		errs = append(errs, errors.New("--data-key: the key must be 16, 24 or 32 bytes (32, 48 or 64 hex digits)"))
	}
	if c.PullInterval < 0 || c.PullPage < 0 || c.RecentDays < 0 {
		errs = append(errs, errors.New("negative pull interval, page or recent days"))
	}
	return errors.Join(errs...)
}

func (c Config) withDefaults() Config {
	d := Defaults()
	if c.PullInterval == 0 {
		c.PullInterval = d.PullInterval
	}
	if c.PullPage == 0 {
		c.PullPage = d.PullPage
	}
	if c.RecentDays == 0 {
		c.RecentDays = d.RecentDays
	}
	if c.Version == "" {
		c.Version = d.Version
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.passwordIterations == 0 {
		c.passwordIterations = 100_000
	}
	return c
}

package kiosk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kyso-vn/kyso/link"
)

// Pairing is what a kiosk receives from the ward when a volunteer enters the
// short code the ward shows: identity and secret arrive together, so nobody
// types a token on a tablet.
type Pairing struct {
	KioskID  string    `json:"kiosk_id"`
	Name     string    `json:"name"`
	Village  string    `json:"village"`
	WardURL  string    `json:"ward_url"`
	Token    string    `json:"token"`
	PairedAt time.Time `json:"paired_at"`
}

func pairingPath(data string) string { return filepath.Join(data, "pairing.json") }

// LoadPairing reads the stored pairing, if any.
func LoadPairing(data string) (Pairing, bool, error) {
	b, err := os.ReadFile(pairingPath(data))
	if errors.Is(err, os.ErrNotExist) {
		return Pairing{}, false, nil
	}
	if err != nil {
		return Pairing{}, false, err
	}
	var p Pairing
	if err := json.Unmarshal(b, &p); err != nil {
		return Pairing{}, false, fmt.Errorf("%s: %w", pairingPath(data), err)
	}
	return p, p.Token != "", nil
}

// Apply fills what the operator left unset with the pairing's values.
func (p Pairing) Apply(cfg *Config, idExplicit bool) {
	if cfg.Token != "" {
		return // configured by hand: the env file wins
	}
	cfg.Token, cfg.WardURL = p.Token, p.WardURL
	if !idExplicit && p.KioskID != "" {
		cfg.ID = p.KioskID
	}
	if cfg.Village == "" {
		cfg.Village = p.Village
	}
	if p.Name != "" && (cfg.Name == "" || strings.HasPrefix(cfg.Name, "Nhà văn hóa") && cfg.Village == p.Village) {
		cfg.Name = p.Name
	}
}

func savePairing(data string, p Pairing) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	tmp := pairingPath(data) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err = f.Write(b); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp, pairingPath(data))
}

// The pairing's failures, worded once in link.Reasons (the ward uses the
// same list).
var (
	errPairURL    = reasonErr(link.ReasonBadWardURL)
	errPairedOnce = reasonErr(link.ReasonAlreadyPaired)
)

func reasonErr(r *link.Reason) *apiError { return newErr(r.Status, r.Code, r.Field, r.Message) }

// pairer exchanges a ward's short code for this kiosk's identity and
// token; after it the App restarts (ErrRestart).
type pairer struct {
	d *deps
}

// pair exchanges a ward's short code for this kiosk's identity and token.
func (p *pairer) pair(c *fiber.Ctx) error {
	s := p.d
	if s.isPaired() {
		return errPairedOnce
	}
	var b struct {
		WardURL string `json:"ward_url"`
		Code    string `json:"code"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	if strings.TrimSpace(b.WardURL) == "" && s.findWard != nil {
		b.WardURL = s.findWard()
	}
	wardURL, err := link.ParseWardURL(b.WardURL)
	if err != nil {
		return errPairURL
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 10*time.Second)
	defer cancel()
	w := &link.WardClient{URL: wardURL, Version: s.cfg.Version, HTTP: &http.Client{}}
	got, err := w.Pair(ctx, b.Code, s.cfg.PublicURL)
	if err != nil {
		r := link.ReasonOf(err)
		s.log.Warn("pairing failed", "ward", wardURL, "reason", r.Code, "err", err)
		return reasonErr(r)
	}
	pg := Pairing{KioskID: got.KioskID, Name: got.Name, Village: got.Village, WardURL: got.WardURL, Token: got.Token}
	if s.q.Log().HeadSeq() > 0 && pg.KioskID != s.cfg.ID {
		// Records already carry this id; renaming the kiosk would split its log.
		return newErr(409, "kiosk_id_conflict", "", "Máy đã có dữ liệu với mã "+s.cfg.ID+"; hãy tạo mã ghép ở xã với đúng mã máy này.")
	}
	pg.PairedAt = time.Now().UTC()
	if err := savePairing(s.cfg.Data, pg); err != nil {
		return errUnavailable
	}
	s.log.Info("paired with ward", "kiosk_id", pg.KioskID, "ward", pg.WardURL)
	if s.paired != nil {
		go s.paired()
	}
	return c.JSON(fiber.Map{"kiosk_id": pg.KioskID, "village": pg.Village, "name": pg.Name, "ward_url": pg.WardURL})
}

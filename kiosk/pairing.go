package kiosk

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
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

// Paired reports whether the kiosk can talk to a ward.
func (s *Server) Paired() bool { return s.cfg.Token != "" }

// SetOnPaired sets what happens after a successful pairing (cmd/kiosk
// restarts the process so every part picks up the new identity).
func (s *Server) SetOnPaired(fn func()) { s.onPaired = fn }

var (
	errPairCode   = newErr(422, "invalid_code", "code", "Mã ghép không đúng hoặc đã hết hạn. Vui lòng xin mã mới ở xã.")
	errPairWard   = newErr(502, "ward_unreachable", "ward_url", "Không kết nối được máy chủ xã. Kiểm tra địa chỉ và mạng.")
	errPairURL    = newErr(422, "invalid_ward_url", "ward_url", "Địa chỉ máy chủ xã không đúng (ví dụ: http://192.168.1.10:8090).")
	errPairedOnce = newErr(409, "already_paired", "", "Máy đã được ghép với xã.")
)

// pair exchanges a ward's short code for this kiosk's identity and token.
func (s *Server) pair(c *fiber.Ctx) error {
	if s.Paired() {
		return errPairedOnce
	}
	var b struct {
		WardURL string `json:"ward_url"`
		Code    string `json:"code"`
	}
	if err := decode(c, &b); err != nil {
		return err
	}
	b.WardURL = strings.TrimRight(strings.TrimSpace(b.WardURL), "/")
	if b.WardURL == "" && s.findWard != nil {
		b.WardURL = s.findWard()
	}
	if b.WardURL != "" && !strings.Contains(b.WardURL, "://") {
		b.WardURL = "http://" + b.WardURL // typed on a tablet: the scheme is noise
	}
	u, err := url.Parse(b.WardURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errPairURL
	}
	code := strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(strings.TrimSpace(b.Code), "-", ""), " ", ""))
	if len(code) < 4 || len(code) > 16 {
		return errPairCode
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 10*time.Second)
	defer cancel()
	body, _ := json.Marshal(map[string]string{"code": code, "version": s.cfg.Version, "public_url": s.cfg.PublicURL})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.WardURL+"/api/v1/pair", bytes.NewReader(body))
	if err != nil {
		return errPairURL
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.log.Warn("pairing: ward unreachable", "ward", b.WardURL, "err", err)
		return errPairWard
	}
	defer res.Body.Close()
	rb, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		return errPairCode
	}
	var p Pairing
	if err := json.Unmarshal(rb, &p); err != nil || p.Token == "" || !slugRE.MatchString(p.KioskID) {
		return errPairWard
	}
	if p.WardURL == "" {
		p.WardURL = b.WardURL
	}
	if s.q.HeadSeq() > 0 && p.KioskID != s.cfg.ID {
		// Records already carry this id; renaming the kiosk would split its log.
		return newErr(409, "kiosk_id_conflict", "", "Máy đã có dữ liệu với mã "+s.cfg.ID+"; hãy tạo mã ghép ở xã với đúng mã máy này.")
	}
	p.PairedAt = time.Now().UTC()
	if err := savePairing(s.cfg.Data, p); err != nil {
		return errUnavailable
	}
	s.log.Info("paired with ward", "kiosk_id", p.KioskID, "ward", p.WardURL)
	if s.onPaired != nil {
		go s.onPaired()
	}
	return c.JSON(fiber.Map{"kiosk_id": p.KioskID, "village": p.Village, "name": p.Name, "ward_url": p.WardURL})
}

package kiosk

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kyso-vn/kyso/internal/memlimit"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/queue"
)

// Config is everything the kiosk is told at start. cmd/kiosk fills it from
// flags and KYSO_* environment variables.
type Config struct {
	Listen        string
	Data          string
	ID            string
	Name          string
	Village       string
	Desks         int
	PIN           string
	PublicURL     string
	PublicURLAuto bool // derived from the LAN address, re-read while running
	WardURL       string
	Token         string
	MDNS          bool
	MDNSIfaces    []string
	WifiSSID      string
	WifiPassword  string
	AppURLAndroid string
	AppURLIOS     string
	AppURL        string
	JoinLimit     int
	DataKeyFile   string
	BackupKeep    int
	SyncMaxDelay  time.Duration // longest wait between pushes while the ward is unreachable
	MemoryLimit   string        // the runtime's soft limit: auto (half the machine's memory), off, or a size
	Version       string
	BuildTime     time.Time
	BallastBytes  int64        // space kept in reserve next to the store (queue.Options.BallastBytes); 0: none
	Logger        *slog.Logger // default slog.Default()
}

// Official VNPT SmartCA pages; configurable because links change.
const (
	DefaultAppURL        = "https://smartca.vnpt.vn/"
	DefaultAppURLAndroid = "https://play.google.com/store/apps/details?id=com.vnpt.smartca"
	DefaultAppURLIOS     = "https://apps.apple.com/vn/app/vnpt-smartca/id1513470788"
)

// Defaults returns a Config with the contract's defaults.
func Defaults() Config {
	return Config{
		Listen: ":8080", Data: "./data/kiosk", Desks: 3, MDNS: true, JoinLimit: 6, BackupKeep: 7, SyncMaxDelay: 30 * time.Second, MemoryLimit: "auto",
		AppURL: DefaultAppURL, AppURLAndroid: DefaultAppURLAndroid, AppURLIOS: DefaultAppURLIOS,
		Version: "dev", BallastBytes: queue.DefaultBallastBytes,
	}
}

// Validate checks the config and fills what can be derived.
func (c *Config) Validate() error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("--listen %q: %v", c.Listen, err))
	}
	if c.Data == "" {
		errs = append(errs, errors.New("--data is empty"))
	}
	if !link.ValidKioskID(c.ID) {
		errs = append(errs, fmt.Errorf("--id %q: %s", c.ID, link.KioskIDRule))
	}
	if c.Desks < 1 || c.Desks > 50 {
		errs = append(errs, fmt.Errorf("--desks %d: between 1 and 50", c.Desks))
	}
	if c.PIN != "" && (len(c.PIN) < 4 || len(c.PIN) > 12 || strings.Trim(c.PIN, "0123456789") != "") {
		errs = append(errs, errors.New("--pin: 4 to 12 digits"))
	}
	if c.SyncMaxDelay < time.Second || c.SyncMaxDelay > time.Hour {
		errs = append(errs, errors.New("--sync-max-delay: between 1s and 1h"))
	}
	if _, err := memlimit.Parse(c.MemoryLimit); err != nil {
		errs = append(errs, fmt.Errorf("--memory-limit %w", err))
	}
	if c.JoinLimit < 0 {
		errs = append(errs, errors.New("--join-limit must be ≥ 0"))
	}
	if utf8.RuneCountInString(c.Name) > 120 || utf8.RuneCountInString(c.Village) > 100 {
		errs = append(errs, errors.New("--name or --village too long"))
	}
	for flag, u := range map[string]string{"--public-url": c.PublicURL, "--ward-url": c.WardURL, "--app-url": c.AppURL, "--app-url-android": c.AppURLAndroid, "--app-url-ios": c.AppURLIOS} {
		if u == "" {
			continue
		}
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q: need an http(s) URL", flag, u))
		}
	}
	if c.WardURL != "" && c.Token == "" {
		errs = append(errs, errors.New("--ward-url needs --token (from `ward kiosk add ID`)"))
	}
	if c.Name == "" {
		c.Name = "Nhà văn hóa"
		if c.Village != "" {
			c.Name = "Nhà văn hóa thôn " + c.Village
		}
	}
	c.PublicURL = strings.TrimRight(c.PublicURL, "/")
	c.WardURL = strings.TrimRight(c.WardURL, "/")
	return errors.Join(errs...)
}

// DefaultPublicURL is http://<LAN IPv4>:<port>: phones on the house Wi-Fi
// reach the IP even where .local names fail.
func DefaultPublicURL(listen string) string {
	_, port, err := net.SplitHostPort(listen)
	if err != nil || port == "" {
		port = "8080"
	}
	ip := LANIPv4()
	if ip == "" {
		ip = "127.0.0.1"
	}
	if port == "80" {
		return "http://" + ip
	}
	return "http://" + net.JoinHostPort(ip, port)
}

// LANIPv4 returns the first private IPv4 address of an up, non-loopback
// interface, preferring wlan/eth over container bridges.
func LANIPv4() string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	best, bestRank := "", 99
	for _, ifc := range ifs {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		rank := 5
		switch {
		case strings.HasPrefix(ifc.Name, "docker"), strings.HasPrefix(ifc.Name, "br-"), strings.HasPrefix(ifc.Name, "veth"), strings.HasPrefix(ifc.Name, "virbr"), strings.HasPrefix(ifc.Name, "cni"):
			continue
		case strings.HasPrefix(ifc.Name, "wl"):
			rank = 1
		case strings.HasPrefix(ifc.Name, "e"):
			rank = 2
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok || n.IP.To4() == nil || n.IP.IsLinkLocalUnicast() {
				continue
			}
			if rank < bestRank {
				best, bestRank = n.IP.String(), rank
			}
		}
	}
	return best
}

// atoiDefault parses a query number, falling back to def.
func atoiDefault(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	return strconv.Atoi(s)
}

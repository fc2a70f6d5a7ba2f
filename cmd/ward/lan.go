package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/discovery"
	"github.com/kyso-vn/kyso/internal/slug"
	"github.com/kyso-vn/kyso/ward"
)

// lanConfig is the ward's mDNS part (--mdns and friends).
type lanConfig struct {
	Name    string        // --name: human name announced, e.g. "UBND xã Cẩm Ngọc"
	ID      string        // --id: ward id (slug), unique on the LAN
	Ifaces  []string      // --mdns-iface; empty: every suitable interface
	Window  time.Duration // --mdns-window: one browse; a silent kiosk is gone after three
	Version string
}

const defaultWardName = "UBND xã"

// apiBase is the HTTP API base path, the ward's and the only kiosk one the
// ward speaks.
const apiBase = "/api/v1"

func (c lanConfig) advertiser(port int, log *slog.Logger) discovery.AdvertiserConfig {
	return discovery.AdvertiserConfig{
		Type: discovery.WardService,
		Service: discovery.Service{
			Name: c.Name, ID: c.ID, Version: c.Version, API: apiBase, Port: port,
		},
		Interfaces: c.Ifaces,
		Logger:     log,
	}
}

func (c lanConfig) browser(onChange func(discovery.Peer), log *slog.Logger) discovery.BrowserConfig {
	return discovery.BrowserConfig{
		Type: discovery.KioskService, Interfaces: c.Ifaces, Window: c.Window, OnChange: onChange, Logger: log,
	}
}

// Validate checks what can be checked before the port is known, so that a
// bad --id or --mdns-iface stops the program at start instead of being
// logged by a background part.
func (c lanConfig) Validate() error {
	if c.Window < time.Second {
		return fmt.Errorf("--mdns-window %v: at least 1s", c.Window)
	}
	return errors.Join(c.advertiser(1, nil).Validate(), c.browser(nil, nil).Validate())
}

// lanSource is the ward's ward.TargetSource when --mdns is on: it announces
// _kyso-ward._tcp (kiosks without --ward-url find the ward by it, then make
// it prove it holds their token) and browses _kyso-kiosk._tcp, handing
// every sighting to the service, which lists the kiosk and pulls from it
// when it is registered.
type lanSource struct {
	cfg lanConfig
	log *slog.Logger
}

// Run advertises and browses until ctx ends. Both parts only return early
// for a configuration that can never work; then the other is stopped too.
func (l *lanSource) Run(ctx context.Context, s *ward.Service) error {
	port, err := portOf(s.Addr())
	if err != nil {
		return err
	}
	adv := discovery.NewAdvertiser(l.cfg.advertiser(port, l.log))
	var br *discovery.Browser
	// OnChange runs on the browser's goroutine after the browser has taken
	// in the change and released its lock, so Peers is current and safe.
	br = discovery.NewBrowser(l.cfg.browser(func(p discovery.Peer) {
		s.Sighted(sightingOf(kioskView(br.Peers(), p)))
	}, l.log))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 2)
	for _, run := range []func(context.Context) error{adv.Run, br.Run} {
		go func() {
			err := run(ctx)
			cancel()
			errc <- err
		}()
	}
	return errors.Join(<-errc, <-errc)
}

func portOf(a net.Addr) (int, error) {
	_, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(p)
}

// kioskView is what the ward should believe about changed's kiosk id when
// several instances announce it: a kiosk renamed (its instance name
// changes with --name, or after pairing) leaves its old instance behind,
// and when that one goes gone the kiosk must not be dropped while the new
// one is in sight. The best instance is one in sight, with an IPv4 URL,
// heard from last.
func kioskView(peers []discovery.Peer, changed discovery.Peer) discovery.Peer {
	best := changed
	rank := func(p discovery.Peer) int {
		r := 0
		if !p.Gone {
			r += 2
		}
		if p.URL() != "" {
			r++
		}
		return r
	}
	for _, p := range peers {
		if p.ID != changed.ID {
			continue
		}
		if rank(p) > rank(best) || (rank(p) == rank(best) && p.LastSeen.After(best.LastSeen)) {
			best = p
		}
	}
	return best
}

// sightingOf turns a browsed kiosk into what the service keeps. A kiosk
// announcing another API base is listed but not pulled (no URL): the ward
// would not understand it.
func sightingOf(p discovery.Peer) ward.Sighting {
	addrs := make([]string, len(p.Addrs))
	for i, a := range p.Addrs {
		addrs[i] = a.String()
	}
	url := p.URL()
	if p.API != "" && strings.TrimRight(p.API, "/") != apiBase {
		url = ""
	}
	return ward.Sighting{
		KioskID: p.ID, Instance: p.Instance, Village: p.Village, Version: p.Version,
		Addrs: addrs, URL: url, Seq: p.Seq, Gone: p.Gone, LastSeen: p.LastSeen,
	}
}

// hostSlug makes a ward id from the host name: lower-case letters, digits
// and single hyphens.
func hostSlug(host string) string {
	host, _, _ = strings.Cut(host, ".")
	if id := slug.Make(host); id != "" {
		return id
	}
	return "ward"
}

// Command mdnstool runs one discovery Advertiser or Browser and reports on
// stdout as JSON lines. It exists for the network-namespace tests, which
// start it inside a namespace with `ip netns exec`; a process cannot move
// its goroutines between namespaces safely, a child process can simply be
// in one.
//
//	mdnstool advertise -id dong-lao -name "Nhà văn hóa" -port 8080 [-iface veth0] ...
//	    stdin: "seq N" lines call SetSeq. SIGTERM stops it (with a goodbye).
//	    stdout: {"event":"started",...}, then {"event":"stopped"}.
//	mdnstool browse [-type _kyso-ward._tcp] [-window 1s] [-gone-after 3s] ...
//	    stdout: {"event":"peer","peer":{...}} for every change.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kyso-vn/kyso/discovery"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: mdnstool advertise|browse [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	out := &reporter{w: os.Stdout}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var err error
	switch os.Args[1] {
	case "advertise":
		err = advertise(ctx, os.Args[2:], os.Stdin, out, log)
	case "browse":
		err = browse(ctx, os.Args[2:], out, log)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mdnstool:", err)
		os.Exit(1)
	}
}

// reporter writes one JSON object per line, from any goroutine.
type reporter struct {
	mu sync.Mutex
	w  io.Writer
}

func (r *reporter) emit(v any) {
	b, _ := json.Marshal(v)
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, "%s\n", b)
}

func ifaceList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func advertise(ctx context.Context, args []string, in io.Reader, out *reporter, log *slog.Logger) error {
	fs := flag.NewFlagSet("advertise", flag.ContinueOnError)
	var (
		cfg    discovery.AdvertiserConfig
		ifaces string
	)
	fs.StringVar(&cfg.Type, "type", discovery.KioskService, "service type")
	fs.StringVar(&cfg.Service.Name, "name", "", "human name")
	fs.StringVar(&cfg.Service.ID, "id", "", "id")
	fs.StringVar(&cfg.Service.Village, "village", "", "village")
	fs.StringVar(&cfg.Service.Version, "version", "test", "version")
	fs.StringVar(&cfg.Service.API, "api", "/api/v1", "API base path")
	fs.IntVar(&cfg.Service.Port, "port", 8080, "port")
	fs.Uint64Var(&cfg.Service.Seq, "seq", 0, "initial head seq")
	fs.StringVar(&ifaces, "iface", "", "comma-separated interfaces (default rule when empty)")
	fs.DurationVar(&cfg.PollInterval, "poll", time.Second, "interface poll interval")
	fs.DurationVar(&cfg.SeqInterval, "seq-interval", time.Second, "least time between seq re-registrations")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Interfaces = ifaceList(ifaces)
	cfg.Logger = log
	if err := cfg.Validate(); err != nil {
		return err
	}
	a := discovery.NewAdvertiser(cfg)
	go func() {
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 2 && f[0] == "seq" {
				if n, err := strconv.ParseUint(f[1], 10, 64); err == nil {
					a.SetSeq(n)
				}
			}
		}
	}()
	out.emit(map[string]any{"event": "started", "instance": a.Instance(), "pid": os.Getpid(), "uid": os.Getuid()})
	err := a.Run(ctx)
	out.emit(map[string]any{"event": "stopped"})
	return err
}

// peerJSON is discovery.Peer as the tests read it.
type peerJSON struct {
	Instance string   `json:"instance"`
	Host     string   `json:"host"`
	ID       string   `json:"id"`
	Village  string   `json:"village"`
	Version  string   `json:"version"`
	API      string   `json:"api"`
	Seq      uint64   `json:"seq"`
	Addrs    []string `json:"addrs"`
	Port     int      `json:"port"`
	Gone     bool     `json:"gone"`
	URL      string   `json:"url"`
}

func toJSON(p discovery.Peer) peerJSON {
	j := peerJSON{Instance: p.Instance, Host: p.Host, ID: p.ID, Village: p.Village, Version: p.Version,
		API: p.API, Seq: p.Seq, Port: p.Port, Gone: p.Gone, URL: p.URL()}
	for _, a := range p.Addrs {
		j.Addrs = append(j.Addrs, a.String())
	}
	return j
}

func browse(ctx context.Context, args []string, out *reporter, log *slog.Logger) error {
	fs := flag.NewFlagSet("browse", flag.ContinueOnError)
	var (
		cfg    discovery.BrowserConfig
		ifaces string
	)
	fs.StringVar(&cfg.Type, "type", discovery.KioskService, "service type")
	fs.StringVar(&ifaces, "iface", "", "comma-separated interfaces (default rule when empty)")
	fs.DurationVar(&cfg.Window, "window", time.Second, "browse window")
	fs.DurationVar(&cfg.GoneAfter, "gone-after", 3*time.Second, "unseen this long means gone")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg.Interfaces = ifaceList(ifaces)
	cfg.Logger = log
	var b *discovery.Browser
	cfg.OnChange = func(p discovery.Peer) {
		ev := map[string]any{"event": "peer", "peer": toJSON(p)}
		if cfg.Type == discovery.WardService {
			if w, ok := discovery.PickWard(b.Peers()); ok {
				ev["ward_url"] = w.URL()
			}
		}
		out.emit(ev)
	}
	b = discovery.NewBrowser(cfg)
	out.emit(map[string]any{"event": "started", "pid": os.Getpid(), "uid": os.Getuid()})
	err := b.Run(ctx)
	out.emit(map[string]any{"event": "stopped"})
	if errors.Is(err, context.Canceled) {
		err = nil
	}
	return err
}

// Command ward runs the commune office's server: it receives completion
// records from the kiosks (push, pull, USB file), counts each citizen once
// against the village and association quotas, and serves the dashboard and
// the evidence exports. With --mdns it announces itself to kiosks on the
// LAN and lists, and pulls from, the kiosks it finds there (lan.go). See
// ../../ward/README.md and ../../../shared/DESIGN.md.
//
//	ward [flags]                 serve
//	ward kiosk add ID            register a kiosk and print its new token
//	ward kiosk list              list registered kiosks
//	ward purge --before DATE     remove personal data of older records (ward stopped)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/discovery"
	"github.com/kyso-vn/kyso/internal/flagenv"
	"github.com/kyso-vn/kyso/internal/keyfile"
	"github.com/kyso-vn/kyso/ward"
	"github.com/kyso-vn/kyso/ward/purge"
)

var version = "dev"

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := realMain(ctx, os.Args[1:], os.Stdout, os.Stderr, flagenv.OSLookup, log); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "ward:", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context, args []string, out, errOut io.Writer, lookup func(string) (string, bool), log *slog.Logger) error {
	if len(args) > 0 && args[0] == "kiosk" {
		return kioskCmd(args[1:], out, errOut, lookup)
	}
	if len(args) > 0 && args[0] == "purge" {
		return purgeCmd(args[1:], out, lookup, log)
	}
	cfg, showVersion, err := parseConfig(args, lookup)
	if err != nil {
		return err
	}
	if showVersion {
		fmt.Fprintln(out, "ward", version)
		return nil
	}
	cfg.Logger = log
	return run(ctx, cfg, out)
}

// config is the ward's configuration and the mDNS part that cmd/ward wires
// (the ward package does not import discovery).
type config struct {
	ward.Config
	LAN         lanConfig
	DataKeyFile string // --data-key: read by run
}

func parseConfig(args []string, lookup func(string) (string, bool)) (config, bool, error) {
	host, _ := os.Hostname()
	cfg := config{Config: ward.Defaults(), LAN: lanConfig{Name: defaultWardName, ID: hostSlug(host), Window: discovery.DefaultWindow, Version: version}}
	cfg.Version = version
	fs := flag.NewFlagSet("ward", flag.ContinueOnError)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "address to serve on")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "data directory (Badger store, admin password hash, kiosk tokens)")
	fs.StringVar(&cfg.QuotasFile, "quotas", "", "village quotas CSV in the plan's appendix format, imported at start")
	fs.StringVar(&cfg.AssociationsFile, "associations", "", "association quotas CSV (Đoàn thể,Chỉ tiêu), imported at start")
	fs.StringVar(&cfg.RoundsFile, "rounds", "", "rounds CSV (Đợt,Từ ngày,Đến ngày), imported at start")
	fs.StringVar(&cfg.Deadline, "deadline", "", "date the targets must be met by (dd/mm/yyyy or YYYY-MM-DD)")
	fs.StringVar(&cfg.Commune, "commune", "", "the commune's name printed on papers, e.g. \"Cẩm Ngọc\"")
	fs.StringVar(&cfg.DataKeyFile, "data-key", "", "file with a key (32, 48 or 64 hex digits) that encrypts the store at rest (AES)")
	fs.StringVar(&cfg.AdminPassword, "admin-password", "", "admin password (generated and printed once when empty; a hash is kept in the data directory)")
	var kiosks, pulls flagenv.List
	fs.Var(&kiosks, "kiosk", "register a kiosk: ID:TOKEN (repeatable; env comma-separated)")
	fs.Var(&pulls, "pull", "pull from a kiosk: ID=URL (repeatable; env comma-separated)")
	fs.BoolVar(&cfg.MDNS, "mdns", cfg.MDNS, "announce the ward and browse for kiosks by mDNS; pull from registered ones")
	var ifaces flagenv.List
	fs.Var(&ifaces, "mdns-iface", "interface for mDNS (repeatable; env comma-separated; default: every suitable one)")
	fs.DurationVar(&cfg.LAN.Window, "mdns-window", cfg.LAN.Window, "length of one mDNS browse: a kiosk's new address shows within one, a stopped kiosk is marked gone after three")
	fs.StringVar(&cfg.LAN.Name, "name", cfg.LAN.Name, "name announced by mDNS, e.g. \"UBND xã Cẩm Ngọc\"")
	fs.StringVar(&cfg.LAN.ID, "id", cfg.LAN.ID, "ward id announced by mDNS (slug, default from the host name)")
	fs.DurationVar(&cfg.PullInterval, "pull-interval", cfg.PullInterval, "pause between pulls of a drained kiosk")
	if err := flagenv.Parse(fs, args, lookup); err != nil {
		return cfg, false, err
	}
	cfg.LAN.Ifaces = ifaces
	if fs.NArg() > 0 {
		return cfg, false, fmt.Errorf("unexpected argument %q (subcommands: kiosk add ID, kiosk list, purge --before DATE)", fs.Arg(0))
	}
	for _, k := range kiosks {
		c, err := ward.ParseKiosk(k)
		if err != nil {
			return cfg, false, err
		}
		cfg.Kiosks = append(cfg.Kiosks, c)
	}
	for _, p := range pulls {
		t, err := ward.ParsePull(p)
		if err != nil {
			return cfg, false, err
		}
		cfg.Pulls = append(cfg.Pulls, t)
	}
	if *showVersion {
		return cfg, true, nil
	}
	err := cfg.Validate()
	if cfg.MDNS {
		err = errors.Join(err, cfg.LAN.Validate())
	}
	return cfg, false, err
}

// run serves until ctx ends. With --mdns the ward announces itself and
// follows the kiosks on the LAN (lanSource).
func run(ctx context.Context, cfg config, out io.Writer) error {
	key, err := readKey(cfg.DataKeyFile)
	if err != nil {
		return err
	}
	cfg.DataKey, cfg.BallastBytes = key, ward.DefaultBallastBytes
	if cfg.MDNS {
		cfg.Sources = append(cfg.Sources, &lanSource{cfg: cfg.LAN, log: cfg.Logger})
	}
	svc, err := ward.New(cfg.Config)
	if err != nil {
		return err
	}
	defer svc.Close()
	if pw := svc.GeneratedPassword(); pw != "" {
		fmt.Fprintf(out, "Mật khẩu quản trị (admin password), chỉ in lần này — hãy ghi lại: %s\n", pw)
	}
	go func() {
		select {
		case <-svc.Ready():
			fmt.Fprintf(out, "ward %s: http://%s/ (tiến độ), dữ liệu ở %s\n", version, svc.Addr(), cfg.Data)
		case <-ctx.Done():
		}
	}()
	return svc.Run(ctx)
}

func kioskCmd(args []string, out, errOut io.Writer, lookup func(string) (string, bool)) error {
	usage := errors.New("usage: ward kiosk add ID [--data DIR] [--data-key FILE] | ward kiosk list [--data DIR] [--data-key FILE]")
	if len(args) == 0 {
		return usage
	}
	fs := flag.NewFlagSet("ward kiosk", flag.ContinueOnError)
	data := fs.String("data", ward.Defaults().Data, "data directory")
	keyFile := fs.String("data-key", "", "key file when the store is encrypted")
	// Flags may come before or after the id.
	var rest []string
	pending := args
	for {
		if err := flagenv.Parse(fs, pending, lookup); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		pending = fs.Args()[1:]
	}
	if len(rest) == 0 {
		return usage
	}
	key, err := readKey(*keyFile)
	if err != nil {
		return err
	}
	switch rest[0] {
	case "add":
		if len(rest) != 2 {
			return usage
		}
		id := rest[1]
		tok, replaced, err := ward.AddKioskOffline(*data, id, key)
		if err != nil {
			return err
		}
		if replaced {
			fmt.Fprintf(errOut, "kiosk %s already had a token: it is replaced (the old one stops working)\n", id)
		}
		fmt.Fprintln(out, tok)
		fmt.Fprintf(errOut, "on the kiosk: --token %s   (or KYSO_TOKEN=%s)\n", tok, tok)
		return nil
	case "list":
		if len(rest) != 1 {
			return usage
		}
		ids, err := ward.ListKiosksOffline(*data, key)
		if err != nil {
			return err
		}
		for _, id := range ids {
			fmt.Fprintln(out, id)
		}
		return nil
	}
	return usage
}

// readKey reads the --data-key file (see internal/keyfile).
func readKey(path string) ([]byte, error) { return keyfile.Read(path) }

// purgeCmd is `ward purge --before DATE`: with the ward stopped, it removes
// the personal fields of the records made before DATE and keeps the counts.
func purgeCmd(args []string, out io.Writer, lookup func(string) (string, bool), log *slog.Logger) error {
	usage := errors.New("usage: ward purge --before DATE [--data DIR] [--data-key FILE] [--keep-rosters]   (DATE: YYYY-MM-DD or dd/mm/yyyy = 00:00 UTC, or an RFC 3339 time; stop the ward first)")
	fs := flag.NewFlagSet("ward purge", flag.ContinueOnError)
	data := fs.String("data", ward.Defaults().Data, "data directory")
	keyFile := fs.String("data-key", "", "key file when the store is encrypted")
	before := fs.String("before", "", "records made before this date lose name, CCCD, phone and birth date")
	keepRosters := fs.Bool("keep-rosters", false, "keep the outreach roster (persons, marks, invitations, arrivals, VNPT rows); by default the purge removes all of it")
	if err := flagenv.Parse(fs, args, lookup); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%w", fs.Arg(0), usage)
	}
	if *before == "" {
		return usage
	}
	cutoff, err := purge.ParseDate(*before)
	if err != nil {
		return err
	}
	key, err := readKey(*keyFile)
	if err != nil {
		return err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	start := time.Now()
	res, err := purge.Purge(purge.Options{Data: *data, DataKey: key, Before: cutoff, KeepRosters: *keepRosters, Logger: log})
	if err != nil {
		return err
	}
	when := fmt.Sprintf("%s (%s giờ Việt Nam)", cutoff.UTC().Format("2006-01-02 15:04 UTC"), cutoff.In(clock.Vietnam).Format("15:04 02/01/2006"))
	switch {
	case res.NoStore:
		fmt.Fprintf(out, "Không có dữ liệu ở %s: không có gì để xoá. (no store in %s: nothing to purge)\n", *data, *data)
	case res.Purged == 0 && res.Quarantined == 0 && res.Roster == 0:
		fmt.Fprintf(out, "Không có bản ghi nào trước %s còn thông tin cá nhân. (nothing to purge before %s)\n", when, when)
	default:
		fmt.Fprintf(out, "Đã xoá thông tin cá nhân của %d bản ghi (và %d bản giữ riêng) trước %s; số liệu giữ nguyên: %d người đã kích hoạt trong %d bản ghi. (%s)\n",
			res.Purged, res.Quarantined, when, res.Done, res.Records, time.Since(start).Round(time.Millisecond))
		if res.Roster > 0 {
			fmt.Fprintf(out, "Đã xoá danh sách vận động (%d mục: người, ghi chú, giấy mời, lượt đến, dòng đối soát VNPT). (roster removed)\n", res.Roster)
		}
	}
	return nil
}

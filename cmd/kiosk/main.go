// Command kiosk runs a cultural house's queue, TV board and record log.
// See README.md and ../../docs/kiosk-api.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/internal/flagenv"
	"github.com/kyso-vn/kyso/internal/keyfile"
	_ "github.com/kyso-vn/kyso/internal/kv/badgerkv" // the store under the queue
	"github.com/kyso-vn/kyso/internal/memlimit"
	"github.com/kyso-vn/kyso/kiosk"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/queue"
)

var version = "dev"

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	setMemoryLimit("auto") // the subcommands too: a backup streams the whole store
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := realMain(ctx, os.Args[1:], os.Stdout, log); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "kiosk:", err)
		os.Exit(1)
	}
}

func realMain(ctx context.Context, args []string, out io.Writer, log *slog.Logger) error {
	if len(args) > 0 {
		switch args[0] {
		case "backup":
			return backupCmd(args[1:], out)
		case "restore":
			return restoreCmd(args[1:], out)
		case "verify":
			return verifyCmd(args[1:], out)
		}
	}
	cfg, showVersion, err := parseConfig(args)
	if err != nil {
		return err
	}
	if showVersion {
		fmt.Fprintln(out, "kiosk", version)
		return nil
	}
	if n, why := setMemoryLimit(cfg.MemoryLimit); n > 0 {
		log.Info("memory limit", "mib", n>>20, "why", why)
	}
	err = run(ctx, cfg, out, log)
	if errors.Is(err, errRestart) {
		// Paired: start again as a new process so every part sees the new identity.
		self, perr := os.Executable()
		if perr != nil {
			return perr
		}
		log.Info("restarting after pairing")
		return syscall.Exec(self, os.Args, os.Environ())
	}
	return err
}

var errRestart = errors.New("restart requested")

// storeError says what to do about a store that does not open.
func storeError(err error, data string) error {
	switch {
	case errors.Is(err, queue.ErrLocked):
		return fmt.Errorf("%w\nkiosk đang chạy với thư mục %s / another kiosk process holds %s", err, data, data)
	case errors.Is(err, queue.ErrWrongKey):
		return fmt.Errorf("%w\nsai khóa dữ liệu: dùng đúng --data-key đã tạo kho / give the --data-key the store was made with (nothing was changed)", err)
	case errors.Is(err, queue.ErrDamaged):
		// The kiosk rebuilds a damaged store by itself; this is a rebuild
		// that failed too (e.g. the card refuses writes).
		return fmt.Errorf("%w\nkho dữ liệu bị hỏng và không dựng lại được (thẻ nhớ lỗi?): kiểm tra bằng `kiosk verify %s`, thay thẻ nhớ rồi khôi phục bằng `kiosk restore` từ %s / the store is damaged and could not be rebuilt: nothing was served from it", err, data, kiosk.BackupDir(data))
	}
	return err
}

// setMemoryLimit sets the runtime's soft memory limit from --memory-limit.
// Badger's compactions and the daily backup allocate in bursts of hundreds
// of MB that GOGC pacing lets the heap grow into, and an idle kiosk would
// never hand them back; with a limit the runtime collects and returns them
// (docs/benchmarks.md: backup peak 573 → 146 MB at 100k records). The limit
// is sized to the machine (internal/memlimit): a fixed 64 MiB sent a kiosk
// with a long day's tickets into a GC death spiral (issue 15). GOMEMLIMIT
// in the environment wins over "auto".
// It returns the limit set (0: none set) and why.
func setMemoryLimit(setting string) (int64, string) {
	n, err := memlimit.Parse(setting)
	if err != nil {
		return 0, "" // Validate reports it
	}
	why := "--memory-limit"
	switch {
	case n == 0 && os.Getenv("GOMEMLIMIT") != "":
		return 0, "GOMEMLIMIT"
	case n == 0:
		n, why = memlimit.Auto()
	case n < 0:
		debug.SetMemoryLimit(math.MaxInt64)
		return 0, "--memory-limit off"
	}
	debug.SetMemoryLimit(n)
	return n, why
}

func parseConfig(args []string) (kiosk.Config, bool, error) {
	cfg := kiosk.Defaults()
	cfg.Version = version
	host, _ := os.Hostname()
	fs := flag.NewFlagSet("kiosk", flag.ContinueOnError)
	showVersion := fs.Bool("version", false, "print the version and exit")
	fs.StringVar(&cfg.Listen, "listen", cfg.Listen, "address to serve on")
	fs.StringVar(&cfg.Data, "data", cfg.Data, "data directory (Badger store, PIN, backups)")
	fs.StringVar(&cfg.ID, "id", link.KioskIDFrom(host), "kiosk id (slug), shared with the ward")
	fs.StringVar(&cfg.Name, "name", "", "house name, e.g. \"Nhà văn hóa thôn Đông Lão\"")
	fs.StringVar(&cfg.Village, "village", "", "the village this house serves")
	fs.IntVar(&cfg.Desks, "desks", cfg.Desks, "number of volunteer desks")
	fs.StringVar(&cfg.PIN, "pin", "", "volunteer PIN (generated and printed once when empty)")
	fs.StringVar(&cfg.PublicURL, "public-url", "", "base URL in QR codes (default http://<LAN IPv4>:<port>)")
	fs.StringVar(&cfg.WardURL, "ward-url", "", "ward server URL (empty: a ward found by mDNS)")
	fs.StringVar(&cfg.Token, "token", "", "this kiosk's secret shared with the ward")
	fs.BoolVar(&cfg.MDNS, "mdns", cfg.MDNS, "advertise by mDNS and look for a ward")
	var ifaces flagenv.List
	fs.Var(&ifaces, "mdns-iface", "interface to advertise on (repeatable; default: every suitable one)")
	fs.StringVar(&cfg.WifiSSID, "wifi-ssid", "", "house Wi-Fi name for the Wi-Fi QR code")
	fs.StringVar(&cfg.WifiPassword, "wifi-password", "", "house Wi-Fi password for the Wi-Fi QR code")
	fs.StringVar(&cfg.AppURLAndroid, "app-url-android", cfg.AppURLAndroid, "SmartCA on Google Play")
	fs.StringVar(&cfg.AppURLIOS, "app-url-ios", cfg.AppURLIOS, "SmartCA on the App Store")
	fs.StringVar(&cfg.AppURL, "app-url", cfg.AppURL, "SmartCA page for other phones")
	fs.IntVar(&cfg.JoinLimit, "join-limit", cfg.JoinLimit, "joins per client address per minute (0: no limit)")
	fs.StringVar(&cfg.DataKeyFile, "data-key", "", "file with a 32-byte key (hex) to encrypt the store at rest")
	fs.IntVar(&cfg.BackupKeep, "backup-keep", cfg.BackupKeep, "daily backups to keep under <data>/backups")
	fs.DurationVar(&cfg.SyncMaxDelay, "sync-max-delay", cfg.SyncMaxDelay, "longest wait between pushes while the ward is unreachable")
	fs.StringVar(&cfg.MemoryLimit, "memory-limit", cfg.MemoryLimit, "Go soft memory limit: auto (half the machine's or cgroup's memory, ≥ 64 MiB), off, or a size like 512MiB")
	if err := flagenv.Parse(fs, args, flagenv.OSLookup); err != nil {
		return cfg, false, err
	}
	cfg.MDNSIfaces = ifaces
	if *showVersion {
		return cfg, true, nil
	}
	_, idFromEnv := os.LookupEnv(flagenv.EnvName("id"))
	idExplicit := idFromEnv
	fs.Visit(func(f *flag.Flag) { idExplicit = idExplicit || f.Name == "id" })
	if p, ok, err := kiosk.LoadPairing(cfg.Data); err != nil {
		return cfg, false, err
	} else if ok {
		p.Apply(&cfg, idExplicit)
	}
	if cfg.PublicURL == "" {
		cfg.PublicURL, cfg.PublicURLAuto = kiosk.DefaultPublicURL(cfg.Listen), true
	}
	cfg.BuildTime = clock.BuildTime()
	return cfg, false, cfg.Validate()
}

// loadPIN fills cfg.PIN (kiosk.EnsurePIN): a new one is printed once.
func loadPIN(cfg *kiosk.Config, out io.Writer) error { return kiosk.EnsurePIN(cfg, out) }

// run wires the kiosk: the PIN, the app, SIGUSR1 for `kiosk backup`.
func run(ctx context.Context, cfg kiosk.Config, out io.Writer, log *slog.Logger) error {
	if err := loadPIN(&cfg, out); err != nil {
		return err
	}
	cfg.Logger = log
	app, err := kiosk.New(cfg)
	if err != nil {
		return storeError(err, cfg.Data)
	}
	defer app.Close()
	// `kiosk backup` while the service runs asks it, by SIGUSR1, for a fresh backup.
	usr1 := make(chan os.Signal, 1)
	signal.Notify(usr1, syscall.SIGUSR1)
	defer signal.Stop(usr1)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-usr1:
				app.BackupNow()
			}
		}
	}()
	err = app.Run(ctx)
	if errors.Is(err, kiosk.ErrRestart) {
		return errRestart
	}
	return err
}

// readKey reads the --data-key file (see internal/keyfile).
func readKey(path string) ([]byte, error) { return keyfile.Read(path) }

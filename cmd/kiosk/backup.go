package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kyso-vn/kyso/internal/flagenv"
	"github.com/kyso-vn/kyso/kiosk"
	"github.com/kyso-vn/kyso/queue"
)

// backupCmd writes a backup while the service is stopped (the running
// service makes its own daily backups under <data>/backups).
func backupCmd(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("kiosk backup", flag.ContinueOnError)
	data := fs.String("data", "./data/kiosk", "data directory")
	keep := fs.Int("keep", 7, "backups to keep")
	keyFile := fs.String("data-key", "", "key file when the store is encrypted")
	if err := flagenv.Parse(fs, args, flagenv.OSLookup); err != nil {
		return err
	}
	key, err := readKey(*keyFile)
	if err != nil {
		return err
	}
	q, err := queue.Open(queue.Options{Dir: filepath.Join(*data, "store"), KioskID: "backup", EncryptionKey: key})
	if err != nil {
		if errors.Is(err, queue.ErrLocked) {
			name, rerr := askRunningKiosk(*data, 2*time.Minute)
			if rerr != nil {
				return fmt.Errorf("the kiosk service is running and did not write a backup: %w", rerr)
			}
			fmt.Fprintln(out, name)
			return nil
		}
		return err
	}
	defer q.Close()
	name, err := q.WriteBackup(kiosk.BackupDir(*data), *keep, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintln(out, name)
	return nil
}

// restoreCmd replaces the store with a backup; the service must be stopped.
func restoreCmd(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("kiosk restore", flag.ContinueOnError)
	data := fs.String("data", "./data/kiosk", "data directory")
	keyFile := fs.String("data-key", "", "key file when the store is encrypted")
	if err := flagenv.Parse(fs, args, flagenv.OSLookup); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: kiosk restore [--data DIR] FILE  (stop the service first)")
	}
	key, err := readKey(*keyFile)
	if err != nil {
		return err
	}
	aside, err := queue.Restore(fs.Arg(0), filepath.Join(*data, "store"), key)
	if err != nil {
		return err
	}
	if aside != "" {
		fmt.Fprintf(out, "previous store kept at %s\n", aside)
	}
	fmt.Fprintf(out, "restored %s into %s\n", fs.Arg(0), *data)
	return nil
}

// askRunningKiosk signals the running service (pid in <data>/kiosk.pid) to
// write a backup now and waits for the new file.
func askRunningKiosk(data string, timeout time.Duration) (string, error) {
	b, err := os.ReadFile(filepath.Join(data, "kiosk.pid"))
	if err != nil {
		return "", err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return "", err
	}
	before := ""
	if l := kiosk.Backups(kiosk.BackupDir(data)); len(l) > 0 {
		before = l[0]
	}
	if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
		return "", err
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if l := kiosk.Backups(kiosk.BackupDir(data)); len(l) > 0 && l[0] != before {
			return l[0], nil
		}
		time.Sleep(200 * time.Millisecond)
	}
	return "", errors.New("timed out")
}

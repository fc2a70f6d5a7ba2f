package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
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
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return errors.New("the kiosk service is running: it writes daily backups itself under " + kiosk.BackupDir(*data) + " (or stop it first: systemctl stop kyso-kiosk)")
		}
		return err
	}
	defer q.Close()
	name, err := kiosk.WriteBackup(q.DB(), kiosk.BackupDir(*data), *keep, time.Now())
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
	aside, err := kiosk.Restore(fs.Arg(0), filepath.Join(*data, "store"), key)
	if err != nil {
		return err
	}
	if aside != "" {
		fmt.Fprintf(out, "previous store kept at %s\n", aside)
	}
	fmt.Fprintf(out, "restored %s into %s\n", fs.Arg(0), *data)
	return nil
}

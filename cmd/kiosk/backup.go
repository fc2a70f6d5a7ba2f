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

// verifyCmd checks a store offline: every table block and value against its
// checksum, and the log's seqs. It changes nothing; the service must be
// stopped. A damaged store exits non-zero with what was found.
func verifyCmd(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("kiosk verify", flag.ContinueOnError)
	keyFile := fs.String("data-key", "", "key file when the store is encrypted")
	if err := flagenv.Parse(fs, args, flagenv.OSLookup); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("usage: kiosk verify [--data-key FILE] DIR  (the data directory or its store/; stop the service first)")
	}
	key, err := readKey(*keyFile)
	if err != nil {
		return err
	}
	dir := fs.Arg(0)
	if st, err := os.Stat(filepath.Join(dir, "store")); err == nil && st.IsDir() {
		dir = filepath.Join(dir, "store")
	}
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("không có kho dữ liệu ở %s / no store at %s: %w", dir, dir, err)
	}
	c, err := queue.Verify(dir, key)
	switch {
	case errors.Is(err, queue.ErrDamaged):
		fmt.Fprintf(out, "HỎNG: kho dữ liệu %s bị hỏng (thẻ nhớ lỗi?). Khôi phục từ bản sao lưu hoặc từ máy chủ xã.\n", dir)
		fmt.Fprintf(out, "DAMAGED: %v\n", err)
		return errors.New("the store is damaged")
	case errors.Is(err, queue.ErrLocked):
		return fmt.Errorf("kiosk đang chạy, hãy dừng dịch vụ trước / the kiosk service is running: stop it first (%w)", err)
	case errors.Is(err, queue.ErrWrongKey):
		return fmt.Errorf("sai khóa dữ liệu / %w: give the --data-key the store was made with", err)
	case err != nil:
		return err
	}
	fmt.Fprintf(out, "NGUYÊN VẸN: %d bản ghi (seq cao nhất %d), %d phiếu; mọi khối đều đúng mã kiểm tra.\n", c.Records, c.Head, c.Tickets)
	fmt.Fprintf(out, "OK: %s: %d records (head seq %d, taken over from the ward up to %d), %d tickets; every block and value passed its checksum\n",
		dir, c.Records, c.Head, c.Floor, c.Tickets)
	if r := c.Repair; r != nil && !r.Done {
		fmt.Fprintf(out, "ĐANG KHÔI PHỤC: kho được dựng lại lúc %s sau khi thẻ nhớ hỏng; nhật ký chưa đủ cho đến khi lấy lại được từ xã (kho hỏng giữ ở %s).\n",
			r.Since.Format(time.RFC3339), r.DamagedDir)
		fmt.Fprintf(out, "REPAIRING: rebuilt at %s after damage; the log is partial until the ward gives it back (damaged store kept at %s)\n", r.Since.Format(time.RFC3339), r.DamagedDir)
	} else if r != nil {
		fmt.Fprintf(out, "ĐÃ KHÔI PHỤC lúc %s: %d bản ghi từ xã, %d từ bản sao lưu, %d ghi trong lúc khôi phục; mất: %v\n", r.DoneAt.Format(time.RFC3339), r.FromWard, r.FromBackup, r.Pending, r.Lost)
	}
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

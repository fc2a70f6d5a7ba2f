package main

import (
	"context"
	"fmt"
	"log/slog"
	"io"
	"net"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/kiosk"
	"github.com/kyso-vn/kyso/queue"
)

func main() {
	dir, _ := os.MkdirTemp("/tmp", "prof-")
	defer os.RemoveAll(dir)
	cfg := kiosk.Defaults()
	cfg.Data, cfg.ID, cfg.PIN, cfg.Token, cfg.JoinLimit, cfg.MDNS = dir, "bench", "123456", "tok", 0, false
	cfg.Listen = "127.0.0.1:18080"
	cfg.PublicURL = "http://127.0.0.1:18080"
	if err := cfg.Validate(); err != nil { panic(err) }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if len(os.Args) > 2 { log = slog.New(slog.NewTextHandler(os.Stderr, nil)) }
	clk := clock.New(time.Now(), time.Now)
	var srv *kiosk.Server
	q, err := queue.Open(queue.Options{Dir: filepath.Join(dir, "store"), KioskID: "bench", Desks: 3, Clock: clk, Logger: log, OnChange: func() { if srv != nil { srv.Changed() } }})
	if err != nil { panic(err) }
	srv, err = kiosk.New(cfg, q, clk, log)
	if err != nil { panic(err) }
	ln, _ := net.Listen("tcp", cfg.Listen)
	f, _ := os.Create(os.Args[1])
	pprof.StartCPUProfile(f)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
	defer cancel()
	srv.Run(ctx, ln)
	pprof.StopCPUProfile()
	fmt.Println("done")
}

package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
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
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if len(os.Args) > 2 {
		log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	clk := clock.New(time.Now(), time.Now)
	var srv *kiosk.Server
	q, err := queue.Open(queue.Options{Dir: filepath.Join(dir, "store"), KioskID: "bench", Desks: 3, Clock: clk, Logger: log, OnChange: func() {
		if srv != nil {
			srv.Changed()
		}
	}})
	if err != nil {
		panic(err)
	}
	srv, err = kiosk.New(cfg, q, clk, log)
	if err != nil {
		panic(err)
	}
	ln, _ := net.Listen("tcp", cfg.Listen)
	f, _ := os.Create(os.Args[1])
	pprof.StartCPUProfile(f)
	ctx, cancel := context.WithTimeout(context.Background(), 12*time.Second)
	defer cancel()
	go load(ctx)
	srv.Run(ctx, ln)
	pprof.StopCPUProfile()
	fmt.Println("done")
}

func load(ctx context.Context) {
	time.Sleep(200 * time.Millisecond)
	n := 0
	done := make(chan int)
	for w := 0; w < 16; w++ {
		go func() {
			c := &http.Client{}
			k := 0
			for i := w; ctx.Err() == nil; i += 16 {
				year := 1950 + i%50
				fem := (i / 50) % 2
				body := fmt.Sprintf(`{"name":"Nguyễn Văn An","phone":"09%08d","cccd":"038%d%02d%06d","birth_date":"%d-01-01","gender":"%s","village":"Đông Lão","consent":true}`, i, fem, year%100, i/100, year, map[int]string{0: "male", 1: "female"}[fem])
				resp, err := c.Post("http://127.0.0.1:18080/api/v1/tickets", "application/json", strings.NewReader(body))
				if err != nil {
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 201 {
					k++
				}
			}
			done <- k
		}()
	}
	for w := 0; w < 16; w++ {
		n += <-done
	}
	fmt.Println("joins", n)
}

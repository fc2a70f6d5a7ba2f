package kiosk

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/internal/backoff"
)

// NewPIN returns a random 6-digit volunteer PIN.
func NewPIN() string {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		panic(err)
	}
	return fmt.Sprintf("%06d", n.Int64())
}

// RunAll runs main and the background parts until ctx ends or main
// returns. A background part that fails is restarted with backoff; every
// part gets the same cancelled context and RunAll waits for all of them.
func RunAll(ctx context.Context, log *slog.Logger, main func(context.Context) error, parts ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fails := 0
			for ctx.Err() == nil {
				err := safeRun(ctx, p)
				if ctx.Err() != nil {
					return
				}
				fails++
				d := restartDelay(fails)
				log.Error("background part stopped; restarting", "part", i, "err", err, "in", d.Round(time.Millisecond))
				select {
				case <-ctx.Done():
				case <-time.After(d):
				}
			}
		}()
	}
	err := main(ctx)
	cancel()
	wg.Wait()
	return err
}

// restartDelay spaces the restarts of a failing background part: the same
// rule as the pushes, capped at a minute.
func restartDelay(fails int) time.Duration { return backoff.Delay(fails, time.Second, time.Minute) }

func safeRun(ctx context.Context, p func(context.Context) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	if err = p(ctx); err == nil {
		err = fmt.Errorf("returned early")
	}
	return err
}

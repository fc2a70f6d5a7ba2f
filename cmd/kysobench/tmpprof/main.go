package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/queue"
	"github.com/kyso-vn/kyso/record"
)

type clk struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clk) Now() (time.Time, string) { c.mu.Lock(); defer c.mu.Unlock(); return c.now, "kiosk" }

func main() {
	data := os.Args[1]
	n := 100000
	c := &clk{now: time.Now().AddDate(0, 0, -400)}
	q, err := queue.Open(queue.Options{Dir: filepath.Join(data, "store"), KioskID: "bench", Desks: 3, Clock: c, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	base := c.now
	for i := 0; i < n; i++ {
		c.mu.Lock()
		c.now = base.AddDate(0, 0, i/300).Add(time.Duration(i%300) * 40 * time.Second)
		c.mu.Unlock()
		y := 1950 + i%50
		f := (i / 50) % 2
		cit := record.Citizen{Name: "Nguyễn Văn An", CCCD: fmt.Sprintf("038%d%02d%06d", f, y%100, i/100), BirthDate: fmt.Sprintf("%d-01-01", y), Gender: "male", Phone: fmt.Sprintf("09%08d", i), Village: "Đông Lão"}
		t, err := q.Join(queue.Join{Citizen: cit, ConsentVersion: "b", ConsentBy: "citizen", Token: "x"})
		if err != nil {
			panic(err)
		}
		if _, err := q.Complete(t.ID, queue.Completion{Outcome: "activated", Desk: 1}); err != nil {
			panic(err)
		}
	}
	fmt.Println(q.DB().Flatten(1))
	fmt.Println(q.DB().LevelsToString())
	fmt.Println(q.HeadSeq(), q.Close())
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/kyso-vn/kyso/kiosk"
	"github.com/kyso-vn/kyso/queue"
)

func main() {
	data := os.Args[1]
	q, err := queue.Open(queue.Options{Dir: filepath.Join(data, "store"), KioskID: "bench", Desks: 3})
	if err != nil {
		panic(err)
	}
	time.Sleep(3 * time.Second)
	runtime.GC()
	done := make(chan bool)
	go func() {
		var m runtime.MemStats
		for {
			select {
			case <-done:
				return
			case <-time.After(300 * time.Millisecond):
			}
			runtime.ReadMemStats(&m)
			fmt.Println("heap", m.HeapAlloc>>20, m.HeapInuse>>20, m.NumGC)
		}
	}()
	t0 := time.Now()
	f, _ := os.Create(os.Args[2])
	pprof.StartCPUProfile(f)
	name, err := kiosk.WriteBackup(q.DB(), filepath.Join(data, "backups"), 2, time.Now())
	pprof.StopCPUProfile()
	close(done)
	fmt.Println(name, err, time.Since(t0))
	h, _ := os.Create(os.Args[3])
	pprof.Lookup("allocs").WriteTo(h, 0)
	q.Close()
}

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/kyso-vn/kyso/queue"
)

func main() {
	data := os.Args[1]
	q, err := queue.Open(queue.Options{Dir: filepath.Join(data, "store"), KioskID: "bench", Desks: 3})
	if err != nil {
		panic(err)
	}
	var m runtime.MemStats
	for i := 0; i < 30; i++ {
		runtime.ReadMemStats(&m)
		fmt.Println(i, m.HeapAlloc>>20, m.HeapInuse>>20, m.NumGC)
		time.Sleep(500 * time.Millisecond)
		if i == 20 {
			runtime.GC()
		}
	}
	fmt.Println("levels", q.DB().LevelsToString())
	f, _ := os.Create(os.Args[2])
	pprof.Lookup("heap").WriteTo(f, 0)
	f.Close()
	q.Close()
}

package tally

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeKeys is a hand-written keyed: entry i's key is keys[i], hashed with a
// tiny range so that probe chains are long and deletions shift entries.
type fakeKeys struct {
	keys []uint64
	mod  uint64
}

func (k fakeKeys) hashOf(i int32) uint64 { return k.keys[i] % k.mod }

func TestIndexAgainstMap(t *testing.T) {
	cases := []struct {
		name string
		mod  uint64 // hash range: small means many collisions
		ops  int
	}{
		{name: "colliding-hashes", mod: 7, ops: 3000},
		{name: "spread-hashes", mod: 1 << 62, ops: 20000},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(tc.ops)))
			k := fakeKeys{mod: tc.mod}
			var x index
			want := map[uint64]int32{} // key → entry number
			for op := 0; op < tc.ops; op++ {
				key := rng.Uint64N(500)
				h := key % tc.mod
				eq := func(j int32) bool { return k.keys[j] == key }
				if rng.IntN(3) == 0 {
					x.del(h, eq, k)
					delete(want, key)
				} else {
					k.keys = append(k.keys, key)
					i := int32(len(k.keys) - 1)
					x.put(h, i, eq, k)
					want[key] = i
				}
				require.Equal(t, len(want), x.n, "op %d", op)
			}
			for key := uint64(0); key < 500; key++ {
				got, ok := x.get(key%tc.mod, func(j int32) bool { return k.keys[j] == key })
				w, wok := want[key]
				require.Equal(t, wok, ok, "key %d", key)
				if ok {
					assert.Equal(t, w, got, "key %d", key)
				}
			}
			seen := 0
			x.each(func(int32) { seen++ })
			assert.Equal(t, len(want), seen)
		})
	}
}

// TestMemoryPerRecord guards the tally's footprint: at a district's
// millions of records every byte per record is a megabyte per million.
// It was 157 bytes a record here with Go maps and a growing slice; now
// 76–80 depending on how full the hash indexes are.
func TestMemoryPerRecord(t *testing.T) {
	require.Equal(t, uintptr(56), unsafe.Sizeof(entry{}), "an entry is 56 bytes; a new field must not pad it")
	n := 200_000
	if testing.Short() {
		n = 50_000
	}
	villages := []string{"Đông Lão", "Song Nga", "Thôn Kim", "Yên Lập"}
	items := make([]Item, n)
	for i := range items {
		seq := uint64(i/5 + 1) // five kiosks, each with dense seqs
		items[i] = Item{Kiosk: fmt.Sprintf("kiosk-%d", i%5), Seq: seq, ID: fmt.Sprintf("%08x-0000-4000-8000-%012x", i*2654435761%(1<<32), i),
			CCCD: fmt.Sprintf("038%d%02d%06d", i%2, 50+i%50, i/100), Village: villages[i%len(villages)], Association: "Hội Phụ nữ",
			Activated: i%7 != 0, At: t0.Add(time.Duration(i) * time.Second), Hash: seq}
	}
	before := heapNow()
	tl := New()
	for from := 0; from < n; from += 1000 {
		tl.Add(items[from:min(from+1000, n)]...)
	}
	after := heapNow()
	per := float64(after-before) / float64(n)
	t.Logf("%d records: %.0f bytes a record", n, per)
	require.Equal(t, n, tl.Len())
	// 56 for the entry, 4 for its seq's page, 6–11 for the id index and
	// 3–6 for the CCCD index (each 4 bytes a slot, half to three quarters
	// full); the old layout measured 157 here.
	assert.Less(t, per, 81.0)
	if f := os.Getenv("KYSO_TALLY_MEMPROF"); f != "" {
		out, err := os.Create(f)
		require.NoError(t, err)
		require.NoError(t, pprof.Lookup("heap").WriteTo(out, 0))
		require.NoError(t, out.Close())
	}
	runtime.KeepAlive(tl)
	runtime.KeepAlive(items)
}

func heapNow() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

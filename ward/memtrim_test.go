package ward

import (
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/stretchr/testify/assert"
)

var sink [][]byte

// heapSpare sees garbage that no collection has taken yet (an idle ward
// after a burst), and nothing once it is collected and returned.
func TestHeapSpareSeesUncollectedGarbage(t *testing.T) {
	old := debug.SetGCPercent(-1) // no collection while the garbage is made
	defer debug.SetGCPercent(old)
	debug.FreeOSMemory()
	for range 200 {
		sink = append(sink, make([]byte, 1<<20))
	}
	sink = nil
	assert.Greater(t, heapSpare(), uint64(150<<20), "200 MB of garbage held")
	debug.FreeOSMemory()
	assert.Less(t, heapSpare(), uint64(trimThreshold), "collected and returned")
	runtime.KeepAlive(sink)
}

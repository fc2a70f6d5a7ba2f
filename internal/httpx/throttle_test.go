package httpx

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 11, 20, 19, 0, 0, 0, time.UTC)

func TestThrottleSequential(t *testing.T) {
	th := NewThrottle(3, 5*time.Minute, 5*time.Minute)
	try := func(client string, at time.Time, ok bool) error {
		done, err := th.Begin(client, at)
		if err == nil {
			done(ok)
		}
		return err
	}
	for range 3 {
		require.NoError(t, try("127.0.0.10", t0, false))
	}
	assert.ErrorIs(t, try("127.0.0.10", t0, true), ErrLocked, "the right secret after the budget")
	assert.NoError(t, try("127.0.0.11", t0, true), "another client is not locked")
	assert.ErrorIs(t, try("127.0.0.10", t0.Add(4*time.Minute), true), ErrLocked)
	assert.NoError(t, try("127.0.0.10", t0.Add(5*time.Minute+time.Second), true), "the lock ends")

	// A success forgets earlier failures; failures spread over more than
	// the window do not add up.
	require.NoError(t, try("127.0.0.12", t0, false))
	require.NoError(t, try("127.0.0.12", t0, false))
	require.NoError(t, try("127.0.0.12", t0, true))
	require.NoError(t, try("127.0.0.12", t0, false))
	require.NoError(t, try("127.0.0.12", t0, false))
	require.NoError(t, try("127.0.0.12", t0.Add(6*time.Minute), false))
	require.NoError(t, try("127.0.0.12", t0.Add(6*time.Minute), false))
}

func TestThrottleOverall(t *testing.T) {
	th := NewThrottle(5, 10*time.Minute, 5*time.Minute)
	th.Overall, th.OverallLockFor = 6, time.Minute
	for i := range 6 {
		done, err := th.Begin("127.0.1."+string(rune('0'+i)), t0)
		require.NoError(t, err)
		done(false)
	}
	_, err := th.Begin("127.0.1.9", t0)
	assert.ErrorIs(t, err, ErrLocked, "everyone waits after a spread-out attack")
	_, err = th.Begin("127.0.1.9", t0.Add(61*time.Second))
	assert.NoError(t, err)
}

// 300 attempts at once from one address, each evaluation slow: at most
// the budget is evaluated, the rest refused at once, and evaluations never
// overlap beyond the in-flight bounds.
func TestThrottleCountsAttemptsInFlight(t *testing.T) {
	th := NewThrottle(10, 5*time.Minute, 5*time.Minute)
	th.InFlightPerClient, th.InFlight = 2, 4
	var evaluated, refused, running, most atomic.Int32
	start := make(chan struct{})
	var wg sync.WaitGroup
	for range 300 {
		wg.Go(func() {
			<-start
			for {
				done, err := th.Begin("127.0.0.66", t0)
				if err == ErrBusy {
					time.Sleep(time.Millisecond) // a persistent attacker comes back
					continue
				}
				if err != nil {
					refused.Add(1)
					return
				}
				n := running.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(5 * time.Millisecond) // a slow hash
				running.Add(-1)
				evaluated.Add(1)
				done(false)
				return
			}
		})
	}
	close(start)
	wg.Wait()
	assert.Equal(t, int32(10), evaluated.Load(), "the budget, no more")
	assert.Equal(t, int32(290), refused.Load())
	assert.LessOrEqual(t, most.Load(), int32(2), "evaluations at once from one client")
}

// Three requests at once with the right secret (a script): each waits for
// its turn rather than being refused.
func TestThrottleWaitsForATurn(t *testing.T) {
	th := NewThrottle(10, 5*time.Minute, 5*time.Minute)
	var wg sync.WaitGroup
	var served atomic.Int32
	for range 3 {
		wg.Go(func() {
			done, err := th.Begin("127.0.0.1", t0)
			if !assert.NoError(t, err) {
				return
			}
			time.Sleep(20 * time.Millisecond)
			done(true)
			served.Add(1)
		})
	}
	wg.Wait()
	assert.Equal(t, int32(3), served.Load())
}

func TestThrottleBoundsEvaluationsOverall(t *testing.T) {
	th := NewThrottle(10, 5*time.Minute, 5*time.Minute)
	th.InFlightPerClient, th.InFlight, th.Wait = 1, 2, 0
	d1, err := th.Begin("a", t0)
	require.NoError(t, err)
	_, err = th.Begin("a", t0)
	assert.ErrorIs(t, err, ErrBusy, "one at a time per client")
	d2, err := th.Begin("b", t0)
	require.NoError(t, err)
	_, err = th.Begin("c", t0)
	assert.ErrorIs(t, err, ErrBusy, "two at a time overall")
	d1(true)
	d1(false) // a second call is ignored
	d3, err := th.Begin("c", t0)
	require.NoError(t, err)
	d2(true)
	d3(true)
}

func TestSessions(t *testing.T) {
	s := NewSessions("kyso_test", time.Hour, 2)
	id1, s1 := s.Create("Trần Thị Lan", t0)
	got, ok := s.Get(id1, t0.Add(time.Minute))
	require.True(t, ok)
	assert.Equal(t, s1, got)
	assert.Equal(t, "Trần Thị Lan", got.Who)
	assert.NotEqual(t, id1, s1.CSRF)
	_, ok = s.Get(id1, t0.Add(2*time.Hour))
	assert.False(t, ok, "expired")
	_, ok = s.Get("", t0)
	assert.False(t, ok)

	a, _ := s.Create("A", t0)
	b, _ := s.Create("B", t0.Add(time.Second))
	c, _ := s.Create("C", t0.Add(2*time.Second))
	_, ok = s.Get(a, t0.Add(3*time.Second))
	assert.False(t, ok, "the oldest goes when full")
	for _, id := range []string{b, c} {
		_, ok = s.Get(id, t0.Add(3*time.Second))
		assert.True(t, ok)
	}
	s.Drop(b)
	_, ok = s.Get(b, t0.Add(3*time.Second))
	assert.False(t, ok)
}

func TestThrottleLockedAndForget(t *testing.T) {
	th := NewThrottle(2, 5*time.Minute, 5*time.Minute)
	assert.NoError(t, th.Locked("a", t0))
	done, err := th.Begin("a", t0)
	require.NoError(t, err)
	done(false)
	done, err = th.Begin("a", t0)
	require.NoError(t, err)
	assert.ErrorIs(t, th.Locked("a", t0), ErrLocked, "budget taken: one failure, one in flight")
	done(false)
	assert.ErrorIs(t, th.Locked("a", t0), ErrLocked)

	done, err = th.Begin("b", t0)
	require.NoError(t, err)
	done(false)
	th.Forget("b") // proved its secret by a cheap check
	for range 2 {
		done, err = th.Begin("b", t0)
		require.NoError(t, err)
		done(false)
	}
	assert.ErrorIs(t, th.Locked("b", t0), ErrLocked)
}

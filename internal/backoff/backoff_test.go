package backoff

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestDelayNeverExceedsMax(t *testing.T) {
	cases := []struct {
		name      string
		attempt   int
		base, max time.Duration
		lo, hi    time.Duration
	}{
		{"first retry", 1, time.Second, 30 * time.Second, 500 * time.Millisecond, time.Second},
		{"second retry doubles", 2, time.Second, 30 * time.Second, time.Second, 2 * time.Second},
		{"fifth retry", 5, time.Second, 30 * time.Second, 8 * time.Second, 16 * time.Second},
		{"sixth retry reaches the cap: jitter stays under it", 6, time.Second, 30 * time.Second, 15 * time.Second, 30 * time.Second},
		{"the attempt that logged 44.255 s before", 9, time.Second, 30 * time.Second, 15 * time.Second, 30 * time.Second},
		{"attempt count beyond any shift", 10_000, time.Second, 30 * time.Second, 15 * time.Second, 30 * time.Second},
		{"smallest --sync-max-delay", 3, time.Second, time.Second, 500 * time.Millisecond, time.Second},
		{"largest --sync-max-delay", 40, time.Second, time.Hour, 30 * time.Minute, time.Hour},
		{"attempt 0 is the first", 0, time.Second, time.Minute, 500 * time.Millisecond, time.Second},
		{"base above max is capped", 1, time.Minute, 10 * time.Second, 5 * time.Second, 10 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for range 2000 { // the jitter is random: sample it
				d := Delay(tc.attempt, tc.base, tc.max)
				assert.GreaterOrEqual(t, d, tc.lo)
				if !assert.LessOrEqual(t, d, tc.hi) {
					return
				}
			}
		})
	}
}

func TestDelayJitters(t *testing.T) {
	seen := map[time.Duration]bool{}
	for range 50 {
		seen[Delay(6, time.Second, 30*time.Second)] = true
	}
	assert.Greater(t, len(seen), 10, "kiosks coming back together must not retry in step")
}

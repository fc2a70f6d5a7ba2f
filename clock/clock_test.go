package clock

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

// fakeTime is a box whose wall clock can be stepped apart from its monotonic
// clock, as NTP or `date -s` does on a real board.
type fakeTime struct {
	mu   sync.Mutex
	wall time.Time
	mono time.Duration
}

func (f *fakeTime) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.wall
}

func (f *fakeTime) Mono() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mono
}

// advance lets time pass: both clocks move.
func (f *fakeTime) advance(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wall = f.wall.Add(d)
	f.mono += d
}

// set steps the wall clock only.
func (f *fakeTime) set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wall = t
}

var (
	build   = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	evening = time.Date(2026, 4, 21, 19, 5, 0, 0, time.UTC) // an evening session
	epoch   = time.Date(1970, 1, 1, 0, 0, 42, 0, time.UTC)  // a Pi without RTC or network
)

type step func(c *Clock, f *fakeTime)

func ward(t time.Time, rtt time.Duration) step {
	return func(c *Clock, _ *fakeTime) { c.ObserveWard(t, rtt) }
}
func tablet(t time.Time) step      { return func(c *Clock, _ *fakeTime) { c.ObserveTablet(t) } }
func advance(d time.Duration) step { return func(_ *Clock, f *fakeTime) { f.advance(d) } }
func stepWall(t time.Time) step    { return func(_ *Clock, f *fakeTime) { f.set(t) } }

func TestClockRules(t *testing.T) {
	cases := []struct {
		name      string
		why       string
		build     time.Time
		box       time.Time
		steps     []step
		source    string
		want      time.Time
		plausible bool
		reason    string // substring of Status.Reason
	}{
		{
			name: "1970 boot, no reference", why: "the bug this package exists for: never stamp 1970 silently",
			build: build, box: epoch,
			source: record.ClockUnsure, want: epoch, reason: "before the build date",
		},
		{
			name: "1970 boot then ward time adopted", why: "a push reply fixes the stamps; half the round trip is added",
			build: build, box: epoch,
			steps:  []step{ward(evening, 400*time.Millisecond), advance(10 * time.Second)},
			source: record.ClockWard, want: evening.Add(10*time.Second + 200*time.Millisecond), reason: "using the ward's time",
		},
		{
			name: "plausible box, tablet 5 h off ignored", why: "tablets are often wrong (time zone, manual time); one must not move a good clock",
			build: build, box: evening,
			steps:  []step{tablet(evening.Add(5 * time.Hour))},
			source: record.ClockKiosk, want: evening, plausible: true, reason: "ignored",
		},
		{
			name: "implausible box, tablet adopted", why: "a tablet is better than 1970 while the ward is unreachable",
			build: build, box: epoch,
			steps:  []step{tablet(evening), advance(3 * time.Second)},
			source: record.ClockTablet, want: evening.Add(3 * time.Second), reason: "tablets' time",
		},
		{
			name: "ward overrides tablet", why: "the ward is the reference for every kiosk of the commune",
			build: build, box: epoch,
			steps:  []step{tablet(evening.Add(5 * time.Hour)), ward(evening, 0)},
			source: record.ClockWard, want: evening,
		},
		{
			name: "ward overrides a later tablet", why: "order of observations must not matter",
			build: build, box: epoch,
			steps:  []step{ward(evening, 0), tablet(evening.Add(-3 * time.Hour))},
			source: record.ClockWard, want: evening,
		},
		{
			name: "plausible box but ward says 10 min off", why: "fake-hwclock or a stale RTC: after the build date yet wrong",
			build: build, box: evening,
			steps:  []step{ward(evening.Add(10*time.Minute), 0)},
			source: record.ClockWard, want: evening.Add(10 * time.Minute), reason: "off the ward's",
		},
		{
			name: "small skew within MaxSkew keeps the kiosk clock", why: "network delay and drift must not flip the source",
			build: build, box: evening,
			steps:  []step{ward(evening.Add(30*time.Second), 0)},
			source: record.ClockKiosk, want: evening, plausible: true, reason: "agrees with the ward",
		},
		{
			name: "box a few hours behind the build time is plausible", why: "builds are stamped in UTC; a box set to UTC+7 by hand must not be called wrong",
			build: build, box: build.Add(-7 * time.Hour),
			source: record.ClockKiosk, want: build.Add(-7 * time.Hour), plausible: true,
		},
		{
			name: "unknown build time falls back to the fixed floor", why: "dev builds carry no vcs.time; 1970 must still be caught",
			build: time.Time{}, box: epoch,
			source: record.ClockUnsure, want: epoch,
		},
		{
			name: "one wrong tablet outvoted by the median", why: "several tablets: one with a wrong time zone must not win",
			build: build, box: epoch,
			steps:  []step{tablet(evening), tablet(evening.Add(5 * time.Hour)), tablet(evening.Add(time.Second))},
			source: record.ClockTablet, want: evening.Add(time.Second),
		},
		{
			name: "tablet in 1970 is not adopted", why: "a reference before the build date is as wrong as the box",
			build: build, box: epoch,
			steps:  []step{tablet(epoch.Add(time.Hour))},
			source: record.ClockUnsure, want: epoch,
		},
		{
			name: "ward in 1970 is not adopted and said so", why: "the ward PC may have a flat CMOS battery too",
			build: build, box: epoch,
			steps:  []step{ward(epoch, 0)},
			source: record.ClockUnsure, want: epoch, reason: "ward's clock",
		},
		{
			name: "NTP steps the box clock after the ward was adopted", why: "references ride the monotonic clock, so a wall step does not corrupt them",
			build: build, box: epoch,
			steps:  []step{ward(evening, 0), advance(time.Minute), stepWall(evening.Add(time.Minute + time.Second))},
			source: record.ClockKiosk, want: evening.Add(time.Minute + time.Second), plausible: true,
		},
		{
			name: "operator sets a wrong date after the ward was adopted", why: "a wall step away from the ward is caught at the next reading",
			build: build, box: evening,
			steps:  []step{ward(evening, 0), stepWall(evening.Add(-24 * time.Hour)), advance(5 * time.Second)},
			source: record.ClockWard, want: evening.Add(5 * time.Second),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeTime{wall: tc.box}
			c := newClock(tc.build, f.Now, f.Mono)
			for _, s := range tc.steps {
				s(c, f)
			}
			got, source := c.Now()
			assert.Equal(t, tc.source, source, tc.why)
			assert.True(t, tc.want.Equal(got), "want %s, got %s (%s)", tc.want, got, tc.why)
			assert.Equal(t, time.UTC, got.Location())

			st := c.Status()
			assert.Equal(t, tc.source, st.Source)
			assert.True(t, st.Now.Equal(got))
			assert.Equal(t, tc.plausible, st.Plausible)
			assert.InDelta(t, got.Sub(f.Now()).Seconds(), st.OffsetSeconds, 0.001)
			assert.NotEmpty(t, st.Reason)
			assert.NotEmpty(t, st.Message)
			if tc.reason != "" {
				assert.Contains(t, st.Reason, tc.reason)
			}
		})
	}
}

// The unsure status must tell the operator what is wrong and what to do,
// in words a volunteer can act on.
func TestUnsureStatusIsClear(t *testing.T) {
	f := &fakeTime{wall: epoch}
	c := newClock(build, f.Now, f.Mono)
	st := c.Status()
	require.Equal(t, record.ClockUnsure, st.Source)
	assert.False(t, st.Plausible)
	assert.Contains(t, st.Reason, "1970-01-01T00:00:42Z")
	assert.Contains(t, st.Reason, "2026-03-01")
	assert.Contains(t, st.Reason, "unsure")
	assert.Contains(t, st.Message, "máy chủ xã/phường")
	assert.Zero(t, st.OffsetSeconds)
}

// New derives the monotonic clock from now: with time.Now in production the
// readings carry a monotonic part; with a fake they follow the fake.
func TestNewWithTimeNow(t *testing.T) {
	c := New(time.Time{}, time.Now)
	got, source := c.Now()
	assert.Equal(t, record.ClockKiosk, source)
	assert.WithinDuration(t, time.Now(), got, time.Second)

	c.ObserveWard(time.Now().Add(time.Hour), 0)
	got, source = c.Now()
	assert.Equal(t, record.ClockWard, source)
	assert.WithinDuration(t, time.Now().Add(time.Hour), got, time.Second)

	f := &fakeTime{wall: epoch}
	c = New(build, f.Now)
	c.ObserveTablet(evening)
	f.advance(time.Minute)
	got, source = c.Now()
	assert.Equal(t, record.ClockTablet, source)
	assert.True(t, evening.Add(time.Minute).Equal(got), "got %s", got)
}

func TestBuildTime(t *testing.T) {
	// Test binaries carry no vcs.time; the function must not invent one.
	b := BuildTime()
	if !b.IsZero() {
		assert.True(t, b.After(time.Unix(floorUnix, 0)), "vcs.time %s", b)
	}
}

// Handlers observe and stamp from many goroutines at once.
func TestConcurrentUse(t *testing.T) {
	f := &fakeTime{wall: epoch}
	c := newClock(build, f.Now, f.Mono)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				switch (i + j) % 4 {
				case 0:
					c.ObserveTablet(evening)
				case 1:
					c.ObserveWard(evening, time.Millisecond)
				case 2:
					c.Now()
				default:
					c.Status()
				}
			}
		}()
	}
	wg.Wait()
	_, source := c.Now()
	assert.Equal(t, record.ClockWard, source)
}

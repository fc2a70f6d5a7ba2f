package clock

import (
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"sync"
	"time"

	"github.com/kyso-vn/kyso/record"
)

// MaxSkew is how far the box clock may be from the ward's before the ward's
// time is used instead. Two minutes absorbs network delay and the drift of a
// day without NTP, and is still far below anything an evidence list cares about.
const MaxSkew = 2 * time.Minute

// buildSlack lets a box set to local time, or built and flashed the same day,
// count as plausible: the build time is in UTC and Vietnam is UTC+7.
const buildSlack = 24 * time.Hour

// floorUnix is 2025-01-01T00:00:00Z, the earliest plausible time when the
// build time is unknown (a dev build, or a build outside a git checkout).
const floorUnix = 1735689600

// tabletWindow is how many recent tablet readings are kept for the median.
const tabletWindow = 5

// Status describes the clock for /healthz and the volunteer page.
type Status struct {
	Source        string    `json:"source"`         // record.ClockKiosk | ClockWard | ClockTablet | ClockUnsure
	Now           time.Time `json:"now"`            // the time Now would return
	OffsetSeconds float64   `json:"offset_seconds"` // Now minus the box's own clock
	Plausible     bool      `json:"plausible"`      // whether the box's own clock is trusted
	Reason        string    `json:"reason"`         // English, for operators and logs
	Message       string    `json:"message"`        // Vietnamese, for the volunteer page
}

// anchor is a reference time and the monotonic instant at which it held.
type anchor struct {
	ref time.Time
	at  time.Duration
}

func (a anchor) project(mono time.Duration) time.Time { return a.ref.Add(mono - a.at) }

// Clock stamps records. Plausible if local now >= build time - 1 day and,
// when the ward's time is known, within MaxSkew of it.
type Clock struct {
	now   func() time.Time
	mono  func() time.Duration
	floor time.Time

	mu       sync.Mutex
	ward     *anchor
	wardRTT  time.Duration
	wardBad  string // why the last ward time was rejected, when no good one is known
	tablets  []anchor
	tabletAt int // next slot to overwrite once tablets is full
}

// New returns a Clock for a binary built at build (zero when unknown). now is
// time.Now in production; its monotonic readings anchor the references.
func New(build time.Time, now func() time.Time) *Clock {
	base := now()
	// Sub of two time.Now readings uses their monotonic parts, so this is a
	// monotonic elapsed time that ignores steps of the wall clock.
	return newClock(build, now, func() time.Duration { return now().Sub(base) })
}

// newClock lets tests step the wall clock without moving the monotonic one,
// which readings from time.Now cannot express.
func newClock(build time.Time, now func() time.Time, mono func() time.Duration) *Clock {
	floor := time.Unix(floorUnix, 0).UTC()
	if !build.IsZero() && build.After(floor) {
		floor = build.UTC()
	}
	return &Clock{now: now, mono: mono, floor: floor.Add(-buildSlack)}
}

// BuildTime returns the commit time the running binary was built from (Go's
// vcs.time build setting), or the zero time when the build carries none.
func BuildTime() time.Time {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return time.Time{}
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.time" {
			t, err := time.Parse(time.RFC3339, s.Value)
			if err == nil {
				return t
			}
		}
	}
	return time.Time{}
}

// Now returns the time to stamp a record with and the clock it came from.
func (c *Clock) Now() (t time.Time, source string) {
	d := c.decide()
	return d.t, d.source
}

// Status reports the current decision and why it was taken.
func (c *Clock) Status() Status {
	d := c.decide()
	return Status{
		Source:        d.source,
		Now:           d.t,
		OffsetSeconds: math.Round(d.t.Sub(d.local).Seconds()*1000) / 1000,
		Plausible:     d.plausible,
		Reason:        d.reason,
		Message:       message(d.source),
	}
}

// ObserveWard records the ward's time from a push reply or a pairing. rtt is
// the round trip of that request: the ward stamped its reply about half-way.
// A zero wardTime (an older ward that sends none) is ignored.
func (c *Clock) ObserveWard(wardTime time.Time, rtt time.Duration) {
	if wardTime.IsZero() {
		return
	}
	rtt = max(rtt, 0)
	ref := wardTime.Add(rtt / 2).UTC()
	m := c.mono()
	c.mu.Lock()
	defer c.mu.Unlock()
	if ref.Before(c.floor) {
		if c.ward == nil {
			c.wardBad = fmt.Sprintf("the ward's clock (%s) is implausible too", ref.Format(time.RFC3339))
		}
		return
	}
	c.ward = &anchor{ref: ref, at: m}
	c.wardRTT = rtt
	c.wardBad = ""
}

// ObserveTablet records a volunteer tablet's device_time. It only matters
// while the box clock is implausible and no ward time is known.
func (c *Clock) ObserveTablet(deviceTime time.Time) {
	if deviceTime.IsZero() {
		return
	}
	ref := deviceTime.UTC()
	m := c.mono()
	c.mu.Lock()
	defer c.mu.Unlock()
	if ref.Before(c.floor) {
		return
	}
	a := anchor{ref: ref, at: m}
	if len(c.tablets) < tabletWindow {
		c.tablets = append(c.tablets, a)
		return
	}
	c.tablets[c.tabletAt] = a
	c.tabletAt = (c.tabletAt + 1) % tabletWindow
}

type decision struct {
	t, local  time.Time
	source    string
	plausible bool
	reason    string
}

func (c *Clock) decide() decision {
	local := c.now().UTC()
	m := c.mono()
	c.mu.Lock()
	defer c.mu.Unlock()

	afterFloor := !local.Before(c.floor)
	box := local.Format(time.RFC3339)
	early := fmt.Sprintf("box clock %s is before the build date %s", box, c.floor.Add(buildSlack).Format(time.DateOnly))

	if c.ward != nil {
		w := c.ward.project(m)
		skew := local.Sub(w)
		if afterFloor && skew.Abs() <= MaxSkew {
			return decision{t: local, local: local, source: record.ClockKiosk, plausible: true,
				reason: fmt.Sprintf("box clock agrees with the ward's (off by %s, within %s)", round(skew), MaxSkew)}
		}
		why := early
		if afterFloor {
			why = fmt.Sprintf("box clock is %s off the ward's (more than %s)", round(skew), MaxSkew)
		}
		return decision{t: w, local: local, source: record.ClockWard,
			reason: fmt.Sprintf("%s; using the ward's time (last seen %s ago, round trip %s)", why, round(m-c.ward.at), round(c.wardRTT))}
	}

	var tablet time.Time
	if len(c.tablets) > 0 {
		tablet = local.Add(c.tabletOffset(local, m))
	}
	if !afterFloor {
		if !tablet.IsZero() {
			return decision{t: tablet, local: local, source: record.ClockTablet,
				reason: fmt.Sprintf("%s and no ward time is known; using the volunteer tablets' time (median of %d readings)", early, len(c.tablets))}
		}
		reason := early + " and neither the ward nor a volunteer tablet has given the time: records are stamped \"unsure\""
		if c.wardBad != "" {
			reason += "; " + c.wardBad
		}
		return decision{t: local, local: local, source: record.ClockUnsure, reason: reason}
	}
	reason := "box clock is plausible (not before the build date); no ward time yet"
	if !tablet.IsZero() {
		if off := tablet.Sub(local); off.Abs() > MaxSkew {
			reason += fmt.Sprintf("; volunteer tablets say %s off, ignored: a tablet only wins over an implausible box clock", round(off))
		}
	}
	return decision{t: local, local: local, source: record.ClockKiosk, plausible: true, reason: reason}
}

// tabletOffset is the median of the tablets' readings projected to now,
// relative to the box clock. Caller holds c.mu.
func (c *Clock) tabletOffset(local time.Time, m time.Duration) time.Duration {
	offs := make([]time.Duration, len(c.tablets))
	for i, a := range c.tablets {
		offs[i] = a.project(m).Sub(local)
	}
	slices.Sort(offs)
	n := len(offs)
	if n%2 == 1 {
		return offs[n/2]
	}
	return offs[n/2-1] + (offs[n/2]-offs[n/2-1])/2
}

func round(d time.Duration) time.Duration {
	if d.Abs() >= time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Millisecond)
}

func message(source string) string {
	switch source {
	case record.ClockKiosk:
		return "Đồng hồ của máy đúng."
	case record.ClockWard:
		return "Đồng hồ của máy bị sai; đang dùng giờ của máy chủ xã/phường."
	case record.ClockTablet:
		return "Đồng hồ của máy bị sai; đang tạm dùng giờ của máy tính bảng tình nguyện viên."
	default:
		return "Đồng hồ của máy bị sai và chưa lấy được giờ đúng. Hãy kết nối mạng tới máy chủ xã/phường hoặc đăng nhập từ máy tính bảng."
	}
}

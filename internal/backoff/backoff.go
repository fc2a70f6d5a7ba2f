// Package backoff is the one retry-delay rule: exponential from a base,
// capped, with jitter that stays under the cap.
//
// Invariants:
//   - Delay(n, base, max) is never above max and never below base/2
//     (nor below max/2 once the doubling reached max), jitter included:
//     a flag such as --sync-max-delay is a promise to the operator.
//   - The jitter is "equal jitter": half the step is fixed, half random, so
//     many kiosks coming back after an outage do not hit the ward in step.
package backoff

import (
	"math/rand/v2"
	"time"
)

// Delay is the wait before retry number attempt (1 for the first retry):
// base doubled per attempt, capped at limit, then a random point in its upper
// half. A non-positive base or limit stands in for the other.
func Delay(attempt int, base, limit time.Duration) time.Duration {
	if limit <= 0 {
		limit = base
	}
	if base <= 0 || base > limit {
		base = limit
	}
	if limit <= 0 {
		return 0
	}
	d := base << min(max(attempt-1, 0), 40)
	if d > limit || d <= 0 {
		d = limit
	}
	half := d / 2
	return d - half + rand.N(half+1)
}

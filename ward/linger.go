package ward

import "time"

// Refused requests are answered, then their connection closes lingering
// (httpx.LingerListener) so that a kiosk still sending a body that was
// refused unread (too large, wrong token) reads the answer, not a reset.
const (
	lingerTime  = 10 * time.Second
	lingerBytes = 2 * maxBody
)

package ward

import "time"

// Refused requests are answered, then their connection closes lingering
// (internal/linger) so that a kiosk still sending a too-large body reads
// the 413 instead of a reset.
const (
	lingerTime  = 10 * time.Second
	lingerBytes = 2 * maxBody
)

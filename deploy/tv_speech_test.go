package deploy_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTVScriptSpeech: the TV's Chromium is started so that the board can
// speak the calls with no one touching the TV. Without
// --enable-speech-dispatcher Chromium on Linux lists no voice at all, and
// without the autoplay policy speech and the chime wait for a tap.
func TestTVScriptSpeech(t *testing.T) {
	r := startTV(t, "60")
	r.health.Store("v1")
	require.Eventually(t, func() bool { return len(r.launches()) == 1 }, 10*time.Second, 50*time.Millisecond)
	args := strings.Fields(r.launches()[0])
	assert.Contains(t, args, "--enable-speech-dispatcher")
	assert.Contains(t, args, "--autoplay-policy=no-user-gesture-required")
	assert.NotContains(t, args, "--mute-audio")
}

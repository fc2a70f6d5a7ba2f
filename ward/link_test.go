package ward

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

// The ward's side of the link seen through the kiosk's own client: every
// reply that moves kiosk state verifies, so the kiosk's checks never refuse
// the real ward.
func TestLinkClientAgainstTheRealWard(t *testing.T) {
	h := start(t, testConfig(t))
	ctx := context.Background()
	w := &link.WardClient{URL: h.url, KioskID: "kiosk-a", Token: tokA, Version: "test-1"}

	t.Run("push: signed reply, acked_seq", func(t *testing.T) {
		log := kioskLog("kiosk-a", 3)
		a, err := w.Push(ctx, link.PushRequest{KioskID: "kiosk-a", HeadSeq: 3, Records: log}, 0)
		require.NoError(t, err)
		assert.Equal(t, uint64(3), a.Acked)
		assert.Zero(t, a.WardHead)
		assert.False(t, a.WardTime.IsZero())
	})
	t.Run("push: a conflict is signed too, acked_seq kept", func(t *testing.T) {
		changed := kioskLog("kiosk-a", 3)[2]
		changed.Citizen.Name = "Người Khác"
		a, err := w.Push(ctx, link.PushRequest{KioskID: "kiosk-a", HeadSeq: 3, Records: []record.Record{changed}}, 2)
		require.NoError(t, err)
		assert.Equal(t, uint64(3), a.Acked)
		assert.Equal(t, []link.Conflict{{KioskID: "kiosk-a", Seq: 3}}, a.Conflicts)
	})
	t.Run("push: a restored box learns the ward holds more", func(t *testing.T) {
		a, err := w.Push(ctx, link.PushRequest{KioskID: "kiosk-a", HeadSeq: 1}, 1)
		require.NoError(t, err)
		assert.Equal(t, uint64(3), a.WardHead)
	})
	t.Run("push: another kiosk's token is refused", func(t *testing.T) {
		bad := &link.WardClient{URL: h.url, KioskID: "kiosk-a", Token: tokB}
		_, err := bad.Push(ctx, link.PushRequest{KioskID: "kiosk-a"}, 0)
		assert.Equal(t, link.ReasonTokenRefused, link.ReasonOf(err))
	})
	t.Run("prove", func(t *testing.T) {
		require.NoError(t, w.Prove(ctx))
		other := &link.WardClient{URL: h.url, KioskID: "kiosk-a", Token: "not-the-token-0123456789"}
		assert.Equal(t, link.ReasonNotProven, link.ReasonOf(other.Prove(ctx)))
	})
	t.Run("progress: signed for the kiosk, plain for everyone else", func(t *testing.T) {
		info, err := w.Info(ctx)
		require.NoError(t, err)
		assert.NotEmpty(t, info.Villages)
		res, err := http.Get(h.url + link.PathProgress)
		require.NoError(t, err)
		res.Body.Close()
		assert.Equal(t, 200, res.StatusCode)
		assert.Empty(t, res.Header.Get(link.ReplyHeader))
	})
	t.Run("pair: by a proof of the code, reply signed with it", func(t *testing.T) {
		code, _, err := h.svc.reg.NewPairing("song-nga", "Nhà văn hóa thôn Song Nga", "Song Nga")
		require.NoError(t, err)
		p := &link.WardClient{URL: h.url, Version: "test-1"}
		_, err = p.Pair(ctx, "ZZZZ-ZZZZ", "")
		assert.Equal(t, link.ReasonBadCode, link.ReasonOf(err))
		got, err := p.Pair(ctx, FormatPairCode(code), "http://192.168.1.21:8080")
		require.NoError(t, err)
		assert.Equal(t, "song-nga", got.KioskID)
		assert.Equal(t, "Song Nga", got.Village)
		assert.Equal(t, h.url, got.WardURL)
		_, err = p.Pair(ctx, code, "")
		assert.Equal(t, link.ReasonBadCode, link.ReasonOf(err), "once")
	})
	t.Run("pairing refuses an id outside the rule, in the rule's words", func(t *testing.T) {
		for _, id := range []string{"Dong-Lao", "dong_lao"} {
			_, _, err := h.svc.reg.NewPairing(id, "", "Đông Lão")
			var ae *apiError
			require.ErrorAs(t, err, &ae, id)
			assert.Equal(t, link.KioskIDRule, ae.Message)
		}
	})
}

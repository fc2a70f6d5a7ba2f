package sync

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/proctest"
	"github.com/kyso-vn/kyso/link"
)

type apiErr struct {
	Error struct {
		Code, Message string
	} `json:"error"`
}

// Issue 10: the ward once accepted `Dong-Lao` and `dong_lao`, and the kiosk
// then failed its pairing with "ward unreachable". Now there is one rule
// (link.ValidKioskID): both programs refuse such an id, with the same words.
func TestKioskIDOneRuleBothSides(t *testing.T) {
	ward := startWard(t, proctest.FreeAddr(t), t.TempDir())
	admin := proctest.NewClient(t, ward.URL)
	admin.Header.Set("Authorization", basic("admin", adminPW))

	for _, id := range []string{"Dong-Lao", "dong_lao", "dong.lao"} {
		t.Run("ward refuses "+id, func(t *testing.T) {
			var e apiErr
			assert.Equal(t, 422, admin.JSON("POST", "/api/v1/pairings", map[string]string{"kiosk_id": id, "name": "Nhà văn hóa thôn Đông Lão", "village": "Đông Lão"}, &e))
			assert.Equal(t, "invalid_kiosk_id", e.Error.Code)
			assert.Equal(t, link.KioskIDRule, e.Error.Message)
			e = apiErr{}
			assert.Equal(t, 422, admin.JSON("POST", "/api/v1/kiosks", map[string]string{"id": id}, &e))
			assert.Equal(t, link.KioskIDRule, e.Error.Message)
		})
	}

	// A ward that still hands out such an id (an older one, or a machine
	// that learned the code): the kiosk refuses it with the same words, not
	// "ward unreachable".
	const code = "ABCD-EFGH"
	old := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req link.PairRequest
		if r.URL.Path != link.PathPair || json.NewDecoder(r.Body).Decode(&req) != nil {
			http.NotFound(w, r)
			return
		}
		body, _ := json.Marshal(link.PairResponse{KioskID: "Dong-Lao", Name: "Nhà văn hóa thôn Đông Lão", Village: "Đông Lão", Token: "a-token-of-twenty-chars"})
		w.Header().Set(link.ReplyHeader, link.SignReply(link.NormalizePairCode(code), link.ReplyPair, "", req.Nonce, 200, body))
		_, _ = w.Write(body)
	}))
	defer old.Close()
	kioskBin, wardBin := proctest.Binaries(t)
	addr := proctest.FreeAddr(t)
	kiosk := proctest.Start(t, kioskBin, addr, "--listen", addr, "--data", t.TempDir(), "--pin", pin, "--mdns=false")
	v := volunteer(t, kiosk.URL)
	var e apiErr
	assert.Equal(t, 422, v.JSON("POST", "/api/v1/setup/pair", map[string]string{"code": code, "ward_url": old.URL}, &e))
	assert.Equal(t, "invalid_kiosk_id", e.Error.Code)
	assert.Equal(t, link.KioskIDRule, e.Error.Message)
	var s struct {
		Paired bool `json:"paired"`
	}
	require.Equal(t, 200, v.JSON("GET", "/api/v1/session", nil, &s))
	assert.False(t, s.Paired, "nothing stored")

	// The command lines refuse it the same way.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, kioskBin, "--id", "Dong-Lao", "--data", t.TempDir(), "--listen", proctest.FreeAddr(t), "--mdns=false").CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(out), link.KioskIDRule)
	out, err = exec.CommandContext(ctx, wardBin, "--kiosk", "dong_lao:a-token-of-twenty-chars", "--data", t.TempDir(), "--listen", proctest.FreeAddr(t), "--mdns=false").CombinedOutput()
	assert.Error(t, err)
	assert.Contains(t, string(out), link.KioskIDRule)
}

package ward

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/link"
)

func postJSON(t *testing.T, url string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	res, err := http.Post(url, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return res.StatusCode, m
}

func TestPairingCodes(t *testing.T) {
	h := start(t, testConfig(t))
	h.clock.Set(t0)
	code, _, err := h.svc.reg.NewPairing("kim", "Nhà văn hóa thôn Kim", "Thôn Kim")
	require.NoError(t, err)
	assert.Len(t, code, pairLen)
	assert.Equal(t, "", strings.Trim(code, pairAlphabet), "only unambiguous characters")

	cases := []struct {
		name   string
		code   string
		status int
	}{
		{"a wrong code is refused", "AAAA-AAAA", 422},
		{"typed in lower case with a dash: accepted once", strings.ToLower(FormatPairCode(code)), 200},
		{"a used code does not work twice", code, 422},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, m := postJSON(t, h.url+"/api/v1/pair", map[string]string{"code": tc.code})
			require.Equal(t, tc.status, st, "%v", m)
			if st == 200 {
				assert.Equal(t, "kim", m["kiosk_id"])
				assert.Equal(t, "Thôn Kim", m["village"])
				assert.GreaterOrEqual(t, len(m["token"].(string)), 16)
			}
		})
	}

	// Expired after 30 minutes.
	code, _, err = h.svc.reg.NewPairing("kim", "", "Thôn Kim")
	require.NoError(t, err)
	h.clock.Set(t0.Add(31 * time.Minute))
	st, _ := postJSON(t, h.url+"/api/v1/pair", map[string]string{"code": code})
	assert.Equal(t, 422, st)

	// Guessing is rate limited per address.
	for range 10 {
		postJSON(t, h.url+"/api/v1/pair", map[string]string{"code": "BBBBBBBB"})
	}
	st, m := postJSON(t, h.url+"/api/v1/pair", map[string]string{"code": "BBBBBBBB"})
	assert.Equal(t, 429, st, "%v", m)
}

func TestProveHoldsToken(t *testing.T) {
	h := start(t, testConfig(t))
	nonce := "0123456789abcdef0123"
	res, err := http.Get(h.url + "/api/v1/prove?kiosk_id=kiosk-a&nonce=" + nonce)
	require.NoError(t, err)
	var b struct{ Proof string }
	require.NoError(t, json.NewDecoder(res.Body).Decode(&b))
	res.Body.Close()
	assert.Equal(t, link.WardProof(tokA, "kiosk-a", nonce), b.Proof, "the real ward proves it knows the token")
	assert.NotEqual(t, link.WardProof(tokB, "kiosk-a", nonce), b.Proof)
	for _, q := range []string{"kiosk_id=nobody&nonce=" + nonce, "kiosk_id=kiosk-a&nonce=short"} {
		res, err := http.Get(h.url + "/api/v1/prove?" + q)
		require.NoError(t, err)
		res.Body.Close()
		assert.Contains(t, []int{400, 404}, res.StatusCode, q)
	}
}

func TestSignedSealedPush(t *testing.T) {
	h := start(t, testConfig(t))
	plain, err := json.Marshal(link.PushRequest{KioskID: "kiosk-a", Records: kioskLog("kiosk-a", 3)})
	require.NoError(t, err)
	send := func(sealed []byte, auth string) int {
		req, _ := http.NewRequest("POST", h.url+"/api/v1/records", bytes.NewReader(sealed))
		req.Header.Set("Content-Type", link.SealedType)
		req.Header.Set("Authorization", auth)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	sealed, err := link.SealPayload(tokA, "nonce-1", plain)
	require.NoError(t, err)
	forged := append([]byte{}, sealed...)
	forged[20] ^= 1
	cases := []struct {
		name   string
		body   []byte
		auth   string
		status int
	}{
		{"signed with another kiosk's token", sealed, link.PushAuthorization(tokB, "kiosk-a", "nonce-1", sealed), 401},
		{"claims to be another kiosk", sealed, link.PushAuthorization(tokA, "kiosk-b", "nonce-1", sealed), 401},
		{"body changed after signing", forged, link.PushAuthorization(tokA, "kiosk-a", "nonce-1", sealed), 401},
		{"the real kiosk", sealed, link.PushAuthorization(tokA, "kiosk-a", "nonce-1", sealed), 200},
		{"a captured push replayed is only a repeat", sealed, link.PushAuthorization(tokA, "kiosk-a", "nonce-1", sealed), 200},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.status, send(tc.body, tc.auth))
		})
	}
	assert.Equal(t, uint64(3), h.svc.led.tally.Acked("kiosk-a"))
}

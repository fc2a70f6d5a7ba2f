package link

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignedPull(t *testing.T) {
	h := PullAuthorization("tok", "GET", "/api/v1/records?after=3&limit=10", "n1")
	nonce, sig, ok := ParsePullAuthorization(h)
	require.True(t, ok)
	assert.Equal(t, "n1", nonce)
	assert.Equal(t, PullSignature("tok", "GET", "/api/v1/records?after=3&limit=10", "n1"), sig)
	assert.NotContains(t, h, "tok", "the token itself never travels")
	cases := []struct{ name, token, pq, nonce string }{
		{"another token", "other", "/api/v1/records?after=3&limit=10", "n1"},
		{"another cursor: a replay cannot ask for more", "tok", "/api/v1/records?after=0&limit=10", "n1"},
		{"another nonce", "tok", "/api/v1/records?after=3&limit=10", "n2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.NotEqual(t, sig, PullSignature(tc.token, "GET", tc.pq, tc.nonce))
		})
	}
	_, _, ok = ParsePullAuthorization("Bearer tok")
	assert.False(t, ok)
}

func TestSealedPayload(t *testing.T) {
	plain := []byte(`{"records":[{"citizen":{"cccd":"038090012345"}}]}`)
	sealed, err := SealPayload("tok", "n1", plain)
	require.NoError(t, err)
	assert.NotContains(t, string(sealed), "038090012345", "a relay sees no personal data")
	got, err := OpenPayload("tok", "n1", sealed)
	require.NoError(t, err)
	assert.Equal(t, plain, got)
	_, err = OpenPayload("other", "n1", sealed)
	assert.Error(t, err, "only the token holder opens it")
	_, err = OpenPayload("tok", "n2", sealed)
	assert.Error(t, err, "bound to its nonce")
	sealed[len(sealed)-1] ^= 1
	_, err = OpenPayload("tok", "n1", sealed)
	assert.Error(t, err, "tampering is detected")
}

func TestSignedPush(t *testing.T) {
	body := []byte("sealed bytes")
	h := PushAuthorization("tok", "dong-lao", "n1", body)
	k, n, sig, ok := ParsePushAuthorization(h)
	require.True(t, ok)
	assert.Equal(t, "dong-lao", k)
	assert.True(t, VerifyPush("tok", k, n, sig, body))
	assert.False(t, VerifyPush("other", k, n, sig, body), "another token")
	assert.False(t, VerifyPush("tok", "song-nga", n, sig, body), "another kiosk")
	assert.False(t, VerifyPush("tok", k, n, sig, []byte("forged bytes")), "another body")
	assert.NotContains(t, h, "tok ")
}

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

func TestSignedReply(t *testing.T) {
	body := []byte(`{"acked_seq":3,"ward_time":"2024-09-12T12:30:00Z"}`)
	sig := SignReply("tok", ReplyPush, "dong-lao", "n1", 200, body)
	assert.True(t, VerifyReply("tok", ReplyPush, "dong-lao", "n1", 200, body, sig))
	cases := []struct {
		name          string
		key, kind, id string
		nonce         string
		status        int
		body          []byte
		sig           string
	}{
		{"unsigned", "tok", ReplyPush, "dong-lao", "n1", 200, body, ""},
		{"signed by a fake ward with another key", "tok", ReplyPush, "dong-lao", "n1", 200, body, SignReply("guess", ReplyPush, "dong-lao", "n1", 200, body)},
		{"a real reply replayed to another request", "tok", ReplyPush, "dong-lao", "n2", 200, body, sig},
		{"body changed: acked_seq raised", "tok", ReplyPush, "dong-lao", "n1", 200, []byte(`{"acked_seq":1000,"ward_time":"2024-09-12T12:30:00Z"}`), sig},
		{"another kiosk's reply", "tok", ReplyPush, "song-nga", "n1", 200, body, sig},
		{"a 409 passed off as a 200", "tok", ReplyPush, "dong-lao", "n1", 409, body, sig},
		{"a progress signature used as a push reply", "tok", ReplyPush, "dong-lao", "n1", 200, body, SignReply("tok", ReplyInfo, "dong-lao", "n1", 200, body)},
		{"no key: never verifies", "", ReplyPush, "dong-lao", "n1", 200, body, SignReply("", ReplyPush, "dong-lao", "n1", 200, body)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.False(t, VerifyReply(tc.key, tc.kind, tc.id, tc.nonce, tc.status, tc.body, tc.sig))
		})
	}
}

func TestSameSecret(t *testing.T) {
	cases := []struct {
		name string
		a, b string
		want bool
	}{
		{"equal", "kiosk-secret-token", "kiosk-secret-token", true},
		{"different", "kiosk-secret-token", "kiosk-secret-tokeN", false},
		{"a prefix", "kiosk-secret", "kiosk-secret-token", false},
		{"empty presented", "", "kiosk-secret-token", false},
		{"empty expected: an unset PIN or token admits nobody", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, SameSecret(tc.a, tc.b)) })
	}
}

func TestPairCodeProof(t *testing.T) {
	p := PairCodeProof("ABCD-EFGH", "n1")
	assert.Equal(t, p, PairCodeProof(" abcd efgh ", "n1"), "read as the ward reads a typed code")
	assert.NotEqual(t, p, PairCodeProof("ABCDEFGJ", "n1"))
	assert.NotEqual(t, p, PairCodeProof("ABCDEFGH", "n2"))
	assert.NotContains(t, p, "ABCDEFGH", "the code does not travel")
}

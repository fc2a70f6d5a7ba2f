package link

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testToken = "kiosk-secret-token-dong-lao"
	testKiosk = "dong-lao"
)

// fakeWard answers pushes with reply(nonce) after checking what a real
// ward checks; it stands for anyone answering at the ward's address.
func fakeWard(t *testing.T, reply func(w http.ResponseWriter, nonce string)) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id, nonce, sig, ok := ParsePushAuthorization(r.Header.Get("Authorization"))
		require.True(t, ok)
		assert.Equal(t, testKiosk, id)
		assert.True(t, VerifyPush(testToken, id, nonce, sig, body))
		plain, err := OpenPayload(testToken, nonce, body)
		require.NoError(t, err)
		var req PushRequest
		require.NoError(t, json.Unmarshal(plain, &req))
		reply(w, nonce)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func signed(key string, status int, body string) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, nonce string) {
		w.Header().Set(ReplyHeader, SignReply(key, ReplyPush, testKiosk, nonce, status, []byte(body)))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestWardClientPushRefusesForgedReplies(t *testing.T) {
	req := PushRequest{KioskID: testKiosk, HeadSeq: 3, Records: recs(1, 2, 3)}
	cases := []struct {
		name   string
		reply  func(http.ResponseWriter, string)
		reason *Reason
		acked  uint64
	}{
		{"the real ward", signed(testToken, 200, `{"acked_seq":3,"ward_time":"2024-09-12T12:30:00Z"}`), nil, 3},
		{"unsigned 2^64-1", func(w http.ResponseWriter, _ string) {
			_, _ = io.WriteString(w, `{"acked_seq":18446744073709551615}`)
		}, ReasonForgedReply, 0},
		{"unsigned 1000", func(w http.ResponseWriter, _ string) { _, _ = io.WriteString(w, `{"acked_seq":1000}`) }, ReasonForgedReply, 0},
		{"signed with a guessed token", signed("guess", 200, `{"acked_seq":1000}`), ReasonForgedReply, 0},
		{"a captured real reply replayed", func(w http.ResponseWriter, _ string) {
			signed(testToken, 200, `{"acked_seq":1000}`)(w, "captured-nonce-0001")
		}, ReasonForgedReply, 0},
		{"a signed 2^64-1 still wraps: refused", signed(testToken, 200, `{"acked_seq":18446744073709551615}`), ReasonImplausible, 0},
		{"an unsigned 409 with an acked_seq", func(w http.ResponseWriter, _ string) {
			w.WriteHeader(409)
			_, _ = io.WriteString(w, `{"acked_seq":1000}`)
		}, ReasonForgedReply, 0},
		{"a signed conflict", signed(testToken, 409, `{"acked_seq":2,"conflicts":[{"kiosk_id":"dong-lao","seq":3}]}`), nil, 2},
		{"a full ward", func(w http.ResponseWriter, _ string) { w.WriteHeader(503) }, ReasonWardFull, 0},
		{"a token the ward does not know", func(w http.ResponseWriter, _ string) { w.WriteHeader(401) }, ReasonTokenRefused, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeWard(t, tc.reply)
			w := &WardClient{URL: srv.URL, KioskID: testKiosk, Token: testToken, Version: "test"}
			a, err := w.Push(context.Background(), req, 0)
			if tc.reason != nil {
				require.Error(t, err)
				assert.Equal(t, tc.reason, ReasonOf(err), "%v", err)
				assert.Equal(t, Ack{}, a)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.acked, a.Acked)
			assert.Zero(t, a.WardHead)
		})
	}
}

func TestWardClientUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	w := &WardClient{URL: url, KioskID: testKiosk, Token: testToken, HTTP: &http.Client{Timeout: 2 * time.Second}}
	_, err := w.Push(context.Background(), PushRequest{KioskID: testKiosk}, 0)
	assert.Equal(t, ReasonUnreachable, ReasonOf(err))
	assert.Equal(t, ReasonUnreachable, ReasonOf(w.Prove(context.Background())))
}

func TestWardClientInfoMustBeSigned(t *testing.T) {
	const doc = `{"villages":[{"name":"Đông Lão","target":320,"before":41,"have":97,"percent":30.3}],"associations":[{"name":"Hội Phụ nữ"}]}`
	var sign bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, PathProgress, r.URL.Path)
		if sign {
			w.Header().Set(ReplyHeader, SignReply(testToken, ReplyInfo, r.URL.Query().Get("kiosk_id"), r.URL.Query().Get("nonce"), 200, []byte(doc)))
		}
		_, _ = io.WriteString(w, doc)
	}))
	defer srv.Close()
	w := &WardClient{URL: srv.URL, KioskID: testKiosk, Token: testToken}
	_, err := w.Info(context.Background())
	assert.Equal(t, ReasonForgedReply, ReasonOf(err), "made-up targets never reach the TV")
	sign = true
	info, err := w.Info(context.Background())
	require.NoError(t, err)
	require.Len(t, info.Villages, 1)
	assert.Equal(t, VillageProgress{Name: "Đông Lão", Target: 320, Before: 41, Have: 97, Percent: 30.3}, info.Villages[0])
	assert.Equal(t, "Hội Phụ nữ", info.Associations[0].Name)
}

func TestWardClientPair(t *testing.T) {
	const code = "ABCDEFGH"
	cases := []struct {
		name   string
		key    string // what the fake signs with ("" unsigned)
		id     string
		status int
		reason *Reason
	}{
		{"the ward that made the code", code, "song-nga", 200, nil},
		{"an unsigned reply: a machine that never saw the code", "", "song-nga", 200, ReasonPairForged},
		{"signed with a guess", "ZZZZZZZZ", "song-nga", 200, ReasonPairForged},
		{"an id outside the rule: refused with the rule's words", code, "Dong-Lao", 200, ReasonBadKioskID},
		{"a wrong code", "", "", 422, ReasonBadCode},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var req PairRequest
				require.NoError(t, json.NewDecoder(r.Body).Decode(&req))
				assert.Empty(t, req.Code, "the code itself does not travel")
				if tc.status != 200 {
					w.WriteHeader(tc.status)
					_, _ = io.WriteString(w, `{"error":{"code":"invalid_code","field":"code","message":"Mã ghép không đúng."}}`)
					return
				}
				assert.Equal(t, PairCodeProof(code, req.Nonce), req.CodeProof)
				body, _ := json.Marshal(PairResponse{KioskID: tc.id, Name: "Nhà văn hóa thôn Song Nga", Village: "Song Nga", Token: "new-token-0123456789"})
				if tc.key != "" {
					w.Header().Set(ReplyHeader, SignReply(tc.key, ReplyPair, "", req.Nonce, 200, body))
				}
				_, _ = w.Write(body)
			}))
			defer srv.Close()
			w := &WardClient{URL: srv.URL, Version: "test"}
			p, err := w.Pair(context.Background(), "abcd-efgh", "http://192.168.1.20:8080")
			if tc.reason != nil {
				assert.Equal(t, tc.reason, ReasonOf(err), "%v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, "song-nga", p.KioskID)
			assert.Equal(t, srv.URL, p.WardURL, "the address the kiosk used when the ward names none")
		})
	}
}

func TestParseWardURL(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"typed without a scheme", "192.168.1.10:8090", "http://192.168.1.10:8090"},
		{"trailing slash", "http://192.168.1.10:8090/", "http://192.168.1.10:8090"},
		{"https", "https://xa-cam-ngoc.local", "https://xa-cam-ngoc.local"},
		{"nonsense", "ftp://x", ""},
		{"empty", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWardURL(tc.in)
			if tc.want == "" {
				assert.ErrorIs(t, err, ReasonBadWardURL)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

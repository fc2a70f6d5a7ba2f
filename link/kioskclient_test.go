package link

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeKiosk serves a challenge and a page the way answer says.
func fakeKiosk(t *testing.T, answer func(w http.ResponseWriter, nonce string, page []byte)) *httptest.Server {
	const nonce = "0123456789abcdef0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case PathChallenge:
			_ = json.NewEncoder(w).Encode(Challenge{Nonce: nonce})
		case PathRecords:
			got, ok := VerifyPull(testToken, r.Method, r.URL.RequestURI(), r.Header.Get("Authorization"))
			if !ok || got != nonce {
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			page, _ := json.Marshal(Page{KioskID: testKiosk, HeadSeq: 3, Records: recs(1, 2, 3)})
			answer(w, nonce, page)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestKioskClientPage(t *testing.T) {
	sealed := func(w http.ResponseWriter, nonce string, page []byte) {
		b, _ := SealPayload(testToken, nonce, page)
		w.Header().Set("Content-Type", SealedType)
		_, _ = w.Write(b)
	}
	cases := []struct {
		name   string
		answer func(http.ResponseWriter, string, []byte)
		ok     bool
	}{
		{"the kiosk seals its page", sealed, true},
		{"a page in the clear is refused: the records must not cross a relay readable", func(w http.ResponseWriter, _ string, page []byte) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(page)
		}, false},
		{"sealed with another token", func(w http.ResponseWriter, nonce string, page []byte) {
			b, _ := SealPayload("another-token", nonce, page)
			w.Header().Set("Content-Type", SealedType)
			_, _ = w.Write(b)
		}, false},
		{"another kiosk's page", func(w http.ResponseWriter, nonce string, _ []byte) {
			page, _ := json.Marshal(Page{KioskID: "song-nga"})
			sealed(w, nonce, page)
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := fakeKiosk(t, tc.answer)
			k := &KioskClient{URL: srv.URL, KioskID: testKiosk, Token: testToken}
			p, err := k.Page(context.Background(), 0, 100)
			if !tc.ok {
				assert.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, uint64(3), p.HeadSeq)
			assert.Len(t, p.Records, 3)
			assert.NotNil(t, p.KioskTime, "the Date header gives the kiosk's clock")
		})
	}
	srv := fakeKiosk(t, sealed)
	wrong := &KioskClient{URL: srv.URL, KioskID: testKiosk, Token: "not-the-token"}
	_, err := wrong.Page(context.Background(), 0, 100)
	assert.ErrorContains(t, err, "401")
}

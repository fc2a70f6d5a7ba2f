package sync

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	gosync "sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/proctest"
	"github.com/kyso-vn/kyso/link"
)

// forgingWard stands at the ward's address: a machine on the house Wi-Fi
// answering pushes with a forged acknowledgement, until the test hands the
// address over to the real ward (a plain relay that changes nothing).
type forgingWard struct {
	mu     gosync.Mutex
	forge  func(w http.ResponseWriter, nonce string) // nil: relay to the real ward
	pushes int
	relay  http.Handler
}

func (f *forgingWard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	forge := f.forge
	if r.Method == http.MethodPost && r.URL.Path == link.PathPush {
		f.pushes++
	}
	f.mu.Unlock()
	if forge == nil {
		f.relay.ServeHTTP(w, r)
		return
	}
	_, nonce, _, _ := link.ParsePushAuthorization(r.Header.Get("Authorization"))
	_, _ = io.Copy(io.Discard, r.Body)
	forge(w, nonce)
}

func (f *forgingWard) set(forge func(http.ResponseWriter, string)) {
	f.mu.Lock()
	f.forge = forge
	f.mu.Unlock()
}

func (f *forgingWard) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pushes
}

func answer(body string) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, _ string) { _, _ = io.WriteString(w, body) }
}

func signedAnswer(key, body string) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, nonce string) {
		w.Header().Set(link.ReplyHeader, link.SignReply(key, link.ReplyPush, kioskID, nonce, 200, []byte(body)))
		_, _ = io.WriteString(w, body)
	}
}

// completeSeq records an activation and returns the seq the kiosk gave it.
func completeSeq(t *testing.T, v *proctest.Client, i int) uint64 {
	var tk struct {
		ID string `json:"id"`
	}
	require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets", proctest.Citizen(i, village), &tk))
	var done struct {
		Record struct {
			Seq uint64 `json:"seq"`
		} `json:"record"`
	}
	require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]string{"outcome": "activated"}, &done))
	return done.Record.Seq
}

// Issue 10: a forged push reply must change no kiosk state. Before, the
// reply {"acked_seq":18446744073709551615} gave the next completions seq 0
// (one key, in no batch) and {"acked_seq":1000} stalled sync for good.
func TestForgedAcksChangeNothing(t *testing.T) {
	ward := startWard(t, proctest.FreeAddr(t), t.TempDir())
	real, err := url.Parse(ward.URL)
	require.NoError(t, err)
	fake := &forgingWard{relay: httputil.NewSingleHostReverseProxy(real)}
	srv := httptest.NewServer(fake) // 127.0.0.1, like a laptop on the house Wi-Fi
	defer srv.Close()
	kiosk := startKiosk(t, proctest.FreeAddr(t), t.TempDir(), "--ward-url", srv.URL, "--sync-max-delay", "1s")
	v := volunteer(t, kiosk.URL)

	forgeries := []struct {
		name  string
		reply func(http.ResponseWriter, string)
	}{
		{"2^64-1, unsigned", answer(`{"acked_seq":18446744073709551615,"ward_time":"2030-01-01T00:00:00Z"}`)},
		{"1000, unsigned", answer(`{"acked_seq":1000}`)},
		{"1000, signed with a guessed token", signedAnswer("guessed-token-0123456789", `{"acked_seq":1000}`)},
		{"a real signature replayed from another push", func(w http.ResponseWriter, _ string) {
			signedAnswer(token, `{"acked_seq":1000}`)(w, "nonce-of-an-earlier-push")
		}},
		{"2^64-1 even with the kiosk's token: a seq never wraps", signedAnswer(token, `{"acked_seq":18446744073709551615}`)},
	}
	var want uint64
	i := 0
	for _, fg := range forgeries {
		fake.set(fg.reply)
		for range 2 {
			want++
			assert.Equal(t, want, completeSeq(t, v, i), "%s: seqs stay dense", fg.name)
			i++
		}
		// Let the kiosk push twice into the forgery after the last completion.
		n := fake.count()
		proctest.Eventually(t, 30*time.Second, fg.name+": two pushes answered", func() bool { return fake.count() >= n+2 })
		h := kioskHealth(t, kiosk.URL)
		assert.Equal(t, want, h.HeadSeq, fg.name)
		assert.Zero(t, h.AckedSeq, "%s: nothing acknowledged by a forged reply", fg.name)
	}
	assert.Contains(t, kiosk.Output(), "forged_reply", "the forged replies are logged")
	assert.Contains(t, kiosk.Output(), "implausible_reply")

	// The kiosk's log as the ward will pull it: 1..10, no seq twice, no 0.
	w := proctest.NewClient(t, kiosk.URL)
	w.Header.Set("Authorization", "Bearer "+token)
	var page link.Page
	require.Equal(t, 200, w.JSON("GET", "/api/v1/records?after=0", nil, &page))
	require.Len(t, page.Records, int(want))
	for k, r := range page.Records {
		assert.Equal(t, uint64(k+1), r.Seq)
	}

	// The real ward takes the address back: everything arrives, once.
	fake.set(nil)
	proctest.Eventually(t, 30*time.Second, "all records acknowledged by the real ward", func() bool {
		return kioskHealth(t, kiosk.URL).AckedSeq == want
	})
	assert.Equal(t, int(want), villageDone(wardProgress(t, ward.URL), village))
	admin := proctest.NewClient(t, ward.URL)
	admin.Header.Set("Authorization", basic("admin", adminPW))
	var q struct {
		Items []any `json:"items"`
	}
	require.Equal(t, 200, admin.JSON("GET", "/api/v1/quarantine", nil, &q))
	assert.Empty(t, q.Items, "no conflicting seq reached the ward")

	// And the next completion continues densely.
	want++
	assert.Equal(t, want, completeSeq(t, v, i))
	proctest.Eventually(t, 30*time.Second, "the next record arrives", func() bool {
		return kioskHealth(t, kiosk.URL).AckedSeq == want
	})
}

package ward

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

func TestPushAckedIsContiguous(t *testing.T) {
	h := start(t, testConfig(t))
	steps := []struct {
		name string
		seqs []uint64
		want uint64
		why  string
	}{
		{"first-three", []uint64{1, 2, 3}, 3, "a dense batch"},
		{"gap", []uint64{5}, 3, "seq 4 missing: the kiosk must send it again"},
		{"fill", []uint64{4}, 5, "the gap filled"},
		{"repeat", []uint64{1, 2, 3, 4, 5}, 5, "repeats are acknowledged, not counted"},
		{"empty", nil, 5, "an empty push is a heartbeat that learns the cursor"},
	}
	for _, s := range steps {
		var recs []record.Record
		for _, q := range s.seqs {
			recs = append(recs, rec("kiosk-a", q, cccd(int(q)), "Đông Lão", true))
		}
		r := h.push("kiosk-a", tokA, recs...)
		require.Equal(t, 200, r.status, "%s: %s", s.name, r.body)
		var pr link.PushResponse
		r.json(t, &pr)
		assert.Equal(t, s.want, pr.AckedSeq, "%s: %s", s.name, s.why)
		assert.False(t, pr.WardTime.IsZero())
	}
	assert.Equal(t, 5, h.progress().village("Đông Lão").Done)
}

func TestPushRefused(t *testing.T) {
	h := start(t, testConfig(t))
	good := rec("kiosk-a", 1, cccd(1), "Đông Lão", true)
	bad := good
	bad.Outcome = "maybe"
	cases := []struct {
		name   string
		kiosk  string
		token  string
		body   []byte
		status int
		code   string
		why    string
	}{
		{"wrong-token", "kiosk-a", "nope-nope-nope-nope", nil, 401, "unauthorized", "an unknown token"},
		{"other-kiosks-token", "kiosk-a", tokB, nil, 401, "unauthorized", "kiosk b cannot speak for kiosk a"},
		{"no-token", "kiosk-a", "", nil, 401, "unauthorized", "no Authorization header"},
		{"bad-json", "kiosk-a", tokA, []byte(`{"kiosk_id":`), 400, "invalid_json", "a truncated body"},
		{"no-kiosk-id", "", tokA, []byte(`{"records":[]}`), 422, "invalid_kiosk_id", "kiosk_id is required"},
		{"foreign-record", "kiosk-a", tokA, mustJSON(t, link.PushRequest{KioskID: "kiosk-a", Records: []record.Record{rec("kiosk-b", 1, cccd(1), "X", true)}}), 403, "foreign_record", "a kiosk may only deliver its own records"},
		{"invalid-record", "kiosk-a", tokA, mustJSON(t, link.PushRequest{KioskID: "kiosk-a", Records: []record.Record{bad}}), 422, "invalid_record", "an outcome the ward does not know"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := tc.body
			if body == nil {
				body = mustJSON(t, link.PushRequest{KioskID: tc.kiosk, Records: []record.Record{good}})
			}
			hdr := map[string]string{"Content-Type": "application/json"}
			if tc.token != "" {
				hdr["Authorization"] = "Bearer " + tc.token
			}
			r := do(t, nil, "POST", h.url+"/api/v1/records", bytes.NewReader(body), hdr)
			assert.Equal(t, tc.status, r.status, "%s: %s", tc.why, r.body)
			assert.Equal(t, tc.code, r.errCode(t), tc.why)
		})
	}
	assert.Equal(t, 0, h.progress().Total.Done, "nothing refused was stored")
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// A fake kiosk serving a fixed log over the kiosk's ward-facing API, with
// the real pull protocol: one-time nonce, signed request, sealed answer.
type fakeKiosk struct {
	id     string
	mu     sync.Mutex
	token  string
	log    []record.Record
	calls  int
	nonces map[string]bool
	issued int // nonces handed out: never len(nonces), which shrinks as they are used
	// tokenOf, when set, reads the token live (a kiosk being registered).
	tokenOf func() string
}

func (k *fakeKiosk) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	k.mu.Lock()
	defer k.mu.Unlock()
	switch r.URL.Path {
	case "/healthz":
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "ok", "version": "fake-1", "kiosk_id": k.id, "head_seq": len(k.log)})
		return
	case "/api/v1/challenge":
		k.issued++
		n := fmt.Sprintf("nonce-%016d", k.issued)
		if k.nonces == nil {
			k.nonces = map[string]bool{}
		}
		k.nonces[n] = true
		_ = json.NewEncoder(w).Encode(map[string]string{"nonce": n})
		return
	}
	if k.tokenOf != nil {
		k.token = k.tokenOf()
	}
	nonce, sig, ok := link.ParsePullAuthorization(r.Header.Get("Authorization"))
	if r.URL.Path != "/api/v1/records" || !ok || !k.nonces[nonce] || sig != link.PullSignature(k.token, r.Method, r.URL.RequestURI(), nonce) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":"unauthorized","message":"Mã truy cập không đúng."}}`))
		return
	}
	delete(k.nonces, nonce)
	after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
	limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
	if limit <= 0 || limit > 3 {
		limit = 3 // small pages make the puller page
	}
	k.calls++
	page := link.Page{KioskID: k.id, HeadSeq: uint64(len(k.log)), Records: []record.Record{}}
	for _, x := range k.log {
		if x.Seq > after && len(page.Records) < limit {
			page.Records = append(page.Records, x)
		}
	}
	plain, _ := json.Marshal(page)
	sealed, err := link.SealPayload(k.token, nonce, plain)
	if err != nil {
		w.WriteHeader(500)
		return
	}
	w.Header().Set("Content-Type", link.SealedType)
	_, _ = w.Write(sealed)
}

func newFakeKiosk(t *testing.T, id, token string, log []record.Record) (*fakeKiosk, string) {
	k := &fakeKiosk{id: id, token: token, log: log}
	srv := httptest.NewServer(k) // listens on 127.0.0.1
	t.Cleanup(srv.Close)
	return k, srv.URL
}

// The same records through push, pull and file, many times, in random
// order, concurrently: each stored once, each citizen counted once.
func TestExactlyOnceAcrossPaths(t *testing.T) {
	h := start(t, testConfig(t))
	var log []record.Record
	for i := 1; i <= 12; i++ {
		log = append(log, rec("kiosk-a", uint64(i), cccd(i%9), []string{"Đông Lão", "Song Nga", "Thôn Kim"}[i%3], i%4 != 0))
	}
	// Citizens: cccd 0..8; activated unless i%4==0. Expected distinct
	// activated CCCDs:
	want := map[string]bool{}
	for _, r := range log {
		if r.Outcome == record.OutcomeActivated {
			want[r.Citizen.CCCD] = true
		}
	}
	_, kioskURL := newFakeKiosk(t, "kiosk-a", tokA, log)
	file, err := record.SealBatch(record.Batch{KioskID: "kiosk-a", HeadSeq: 12, Records: log}, tokA)
	require.NoError(t, err)

	var wg sync.WaitGroup
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for round := 0; round < 4; round++ {
				switch rng.IntN(3) {
				case 0: // a real HTTP push of a shuffled subset
					sub := append([]record.Record(nil), log...)
					rng.Shuffle(len(sub), func(i, j int) { sub[i], sub[j] = sub[j], sub[i] })
					sub = sub[:1+rng.IntN(len(sub))]
					body, _ := json.Marshal(link.PushRequest{KioskID: "kiosk-a", Records: sub})
					req, _ := http.NewRequest("POST", h.url+"/api/v1/records", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+tokA)
					res, err := http.DefaultClient.Do(req)
					if assert.NoError(t, err) {
						res.Body.Close()
						assert.Equal(t, 200, res.StatusCode)
					}
				case 1:
					assert.NoError(t, h.svc.fleet.PullOnce(t.Context(), http.DefaultClient, PullTarget{KioskID: "kiosk-a", URL: kioskURL}))
				case 2:
					_, err := h.svc.led.ImportBatch(bytes.NewReader(file))
					assert.NoError(t, err)
				}
			}
		}()
	}
	wg.Wait()
	// And once more by HTTP push, whole.
	r := h.push("kiosk-a", tokA, log...)
	require.Equal(t, 200, r.status, string(r.body))

	p := h.progress()
	assert.Equal(t, len(want), p.Total.Done, "each CCCD once")
	assert.Equal(t, 12, p.Records, "each (kiosk, seq) once")
	assert.Equal(t, uint64(12), h.svc.led.tally.Acked("kiosk-a"))
	q, err := h.svc.led.QuarantineList()
	require.NoError(t, err)
	assert.Empty(t, q, "identical repeats are never conflicts")
}

func TestSameCitizenTwoKiosks(t *testing.T) {
	h := start(t, testConfig(t))
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 1, cccd(1), "Đông Lão", true)).status)
	require.Equal(t, 200, h.push("kiosk-b", tokB, rec("kiosk-b", 1, cccd(1), "Song Nga", true)).status)
	p := h.progress()
	assert.Equal(t, 1, p.Total.Done, "one citizen, helped at two houses")
	assert.Equal(t, 1, p.village("Đông Lão").Done, "counted where first activated")
	assert.Equal(t, 0, p.village("Song Nga").Done)
	assert.Equal(t, 2, p.Records)
}

func TestConflictQuarantinedAndListed(t *testing.T) {
	h := start(t, testConfig(t))
	orig := rec("kiosk-a", 1, cccd(1), "Đông Lão", true)
	require.Equal(t, 200, h.push("kiosk-a", tokA, orig).status)

	changed := orig
	changed.Citizen.Village = "Song Nga"
	r := h.push("kiosk-a", tokA, changed, rec("kiosk-a", 2, cccd(2), "Thôn Kim", true))
	require.Equal(t, 409, r.status, string(r.body))
	assert.Equal(t, "conflicting_record", r.errCode(t))
	var body struct {
		AckedSeq  uint64     `json:"acked_seq"`
		Conflicts []Conflict `json:"conflicts"`
	}
	r.json(t, &body)
	assert.Equal(t, uint64(2), body.AckedSeq, "the good record was stored and the cursor moves past the conflict")
	assert.Equal(t, []Conflict{{KioskID: "kiosk-a", Seq: 1}}, body.Conflicts)

	// The same conflicting content again: still 409, listed once.
	require.Equal(t, 409, h.push("kiosk-a", tokA, changed).status)

	p := h.progress()
	assert.Equal(t, 1, p.village("Đông Lão").Done, "never silently overwritten")
	assert.Equal(t, 0, p.village("Song Nga").Done, "quarantined records do not count")
	assert.Equal(t, 1, p.village("Thôn Kim").Done)

	a := h.login()
	qr := do(t, a.c, "GET", h.url+"/api/v1/quarantine", nil, nil)
	require.Equal(t, 200, qr.status)
	var q struct {
		Items []QuarantineItem `json:"items"`
	}
	qr.json(t, &q)
	require.Len(t, q.Items, 1)
	assert.Equal(t, "kiosk-a", q.Items[0].KioskID)
	assert.Equal(t, "thôn", q.Items[0].Differs)
	assert.Contains(t, q.Items[0].Held, "********0001", "CCCD masked in lists")
	assert.NotContains(t, string(qr.body), cccd(1), "never the full CCCD")
	assert.NotContains(t, string(qr.body), "0912345678", "never the phone")

	// Public health shows the count, not the content.
	kr := do(t, nil, "GET", h.url+"/api/v1/kiosks", nil, nil)
	assert.Contains(t, string(kr.body), `"quarantined":1`)
	assert.NotContains(t, string(kr.body), "Nguyễn")
}

func TestCorrectionsReplaceInCounts(t *testing.T) {
	h := start(t, testConfig(t))
	orig := rec("kiosk-a", 1, cccd(1), "Đông Lão", true)
	fix := correction("kiosk-a", 2, orig, "Song Nga", true)
	// Correction first, then its original: order must not matter.
	require.Equal(t, 200, h.push("kiosk-a", tokA, fix).status)
	require.Equal(t, 200, h.push("kiosk-a", tokA, orig).status)
	p := h.progress()
	assert.Equal(t, 1, p.Total.Done)
	assert.Equal(t, 0, p.village("Đông Lão").Done, "the corrected village no longer counts")
	assert.Equal(t, 1, p.village("Song Nga").Done)

	withdraw := correction("kiosk-a", 3, fix, "Song Nga", false)
	require.Equal(t, 200, h.push("kiosk-a", tokA, withdraw).status)
	assert.Equal(t, 0, h.progress().Total.Done, "an activation corrected to failed is withdrawn")

	// A later failure of another citizen does not undo an activation.
	require.Equal(t, 200, h.push("kiosk-a", tokA, rec("kiosk-a", 4, cccd(4), "Thôn Kim", true), rec("kiosk-a", 5, cccd(4), "Thôn Kim", false)).status)
	assert.Equal(t, 1, h.progress().village("Thôn Kim").Done)
}

package kiosk

import (
	"bufio"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
)

func TestPublicRoutes(t *testing.T) {
	cfg := testConfig(t)
	cfg.WifiSSID = "NVH Dong Lao"
	cfg.WifiPassword = "camngoc2024"
	h := start(t, cfg)
	c := h.client()
	cases := []struct {
		name, path, ctype string
		status            int
	}{
		{"TV board page", "/", "text/html", 200},
		{"citizen join page", "/join", "text/html", 200},
		{"install page", "/app", "text/html", 200},
		{"tablet page", "/volunteer", "text/html", 200},
		{"join QR", "/qr/join.png", "image/png", 200},
		{"app QR", "/qr/app.png", "image/png", 200},
		{"wifi QR when configured", "/qr/wifi.png", "image/png", 200},
		{"health", "/healthz", "application/json", 200},
		{"metrics for Prometheus", "/metrics", "text/plain", 200},
		{"board JSON", "/api/v1/board", "application/json", 200},
		{"villages for the form", "/api/v1/villages", "application/json", 200},
		{"stylesheet", "/static/css/app.css", "text/css", 200},
		{"unknown page is a Vietnamese 404 page", "/nope", "text/html", 404},
		{"unknown API is a JSON 404", "/api/v1/nope", "application/json", 404},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("GET", tc.path, nil)
			assert.Equal(t, tc.status, r.Status)
			assert.Contains(t, r.Header.Get("Content-Type"), tc.ctype)
			assert.Contains(t, r.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'")
			assert.NotContains(t, r.Header.Get("Content-Security-Policy"), "unsafe-inline")
			assert.Equal(t, "nosniff", r.Header.Get("X-Content-Type-Options"))
			assert.Equal(t, "no-referrer", r.Header.Get("Referrer-Policy"))
		})
	}
	hz := c.do("GET", "/healthz", nil).JSON(t)
	for _, k := range []string{"status", "version", "kiosk_id", "head_seq", "acked_seq"} {
		assert.Contains(t, hz, k)
	}
	assert.Equal(t, "ok", hz["status"])
	assert.Equal(t, "dong-lao", hz["kiosk_id"])
}

func TestWifiQRAbsentWithoutWifi(t *testing.T) {
	h := start(t, testConfig(t))
	r := h.client().do("GET", "/qr/wifi.png", nil)
	assert.Equal(t, 404, r.Status)
}

func TestJoinValidation(t *testing.T) {
	h := start(t, testConfig(t))
	c := h.client()
	c.join(people[0])
	with := func(k string, v any) map[string]any {
		b := people[1].body()
		b[k] = v
		return b
	}
	cases := []struct {
		name   string
		body   any
		ctype  string
		status int
		code   string
	}{
		{"same CCCD again tonight", people[0].body(), "application/json", 409, "already_queued"},
		{"CCCD too short", with("cccd", "03818500112"), "application/json", 422, "invalid_cccd"},
		{"old 9-digit CMND is flagged", with("cccd", "123456789"), "application/json", 422, "cmnd_expired"},
		{"CCCD year contradicts birth date", with("birth_date", "1986-02-03"), "application/json", 422, "cccd_birth_mismatch"},
		{"unknown province code", with("cccd", "099185001122"), "application/json", 422, "unknown_province"},
		{"phone not a mobile number", with("phone", "0212345678"), "application/json", 422, "invalid_phone"},
		{"a child cannot have a signature", with("birth_date", "2015-01-01"), "application/json", 422, ""},
		{"consent is required", with("consent", false), "application/json", 422, "consent_required"},
		{"empty name", with("name", " "), "application/json", 422, "invalid_name"},
		{"missing village", with("village", ""), "application/json", 422, "invalid_village"},
		{"a form post is not JSON", "name=x", "application/x-www-form-urlencoded", 415, "unsupported_media_type"},
		{"broken JSON", "{", "application/json", 400, "invalid_json"},
		{"wrong type for consent", `{"consent":"yes"}`, "application/json", 400, "invalid_field"},
		{"two JSON documents", `{}{}`, "application/json", 400, "invalid_json"},
		{"oversized body", `{"name":"` + strings.Repeat("a", 100<<10) + `"}`, "application/json", 413, "too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.do("POST", "/api/v1/tickets", tc.body, "Content-Type", tc.ctype)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			code := r.ErrCode(t)
			if tc.code != "" {
				assert.Equal(t, tc.code, code)
			}
		})
	}
	// Nothing was lost: the first citizen still waits, alone.
	b := c.do("GET", "/api/v1/board", nil).JSON(t)
	assert.Equal(t, float64(1), b["waiting"])
}

func TestCitizenTicket(t *testing.T) {
	h := start(t, testConfig(t))
	phone := h.client()
	a := phone.join(people[0])
	b := phone.join(people[1])
	assert.Equal(t, []int{1, 2}, []int{a.Number, b.Number})

	r := phone.do("GET", "/api/v1/tickets/"+b.ID, nil, "Authorization", "Bearer "+b.Token)
	require.Equal(t, 200, r.Status)
	m := r.JSON(t)
	assert.Equal(t, float64(2), m["position"])
	assert.Equal(t, "waiting", m["status"])
	for _, k := range []string{"number", "status", "position", "desk"} {
		assert.Contains(t, m, k)
	}
	assert.NotContains(t, string(r.Body), people[1].CCCD)

	assert.Equal(t, 404, phone.do("GET", "/api/v1/tickets/"+b.ID, nil, "Authorization", "Bearer "+a.Token).Status, "another ticket's token")
	assert.Equal(t, 404, phone.do("GET", "/api/v1/tickets/"+b.ID, nil).Status, "no token")
	assert.Equal(t, 404, phone.do("GET", "/api/v1/tickets/nope", nil, "Authorization", "Bearer x").Status)

	r = phone.do("DELETE", "/api/v1/tickets/"+a.ID, nil, "Authorization", "Bearer "+a.Token)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "cancelled", r.JSON(t)["status"])
	r = phone.do("GET", "/api/v1/tickets/"+b.ID, nil, "Authorization", "Bearer "+b.Token)
	assert.Equal(t, float64(1), r.JSON(t)["position"], "moves up when someone leaves")
	assert.Equal(t, 409, phone.do("DELETE", "/api/v1/tickets/"+a.ID, nil, "Authorization", "Bearer "+a.Token).Status, "cannot leave twice")
}

func TestVolunteerFlow(t *testing.T) {
	h := start(t, testConfig(t))
	phone := h.client()
	a := phone.join(people[0])
	b := phone.join(people[1])

	tab := h.client()
	assert.Equal(t, 401, tab.do("GET", "/api/v1/queue", nil).Status, "no session")
	tab.login()
	r := tab.do("GET", "/api/v1/queue", nil)
	require.Equal(t, 200, r.Status)
	assert.Contains(t, string(r.Body), "********2345", "CCCD masked in the list")
	assert.NotContains(t, string(r.Body), people[0].CCCD)
	assert.NotContains(t, string(r.Body), people[0].Phone)

	r = tab.do("POST", "/api/v1/desks/2/next", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	m := r.JSON(t)
	assert.Equal(t, float64(a.Number), m["number"])
	assert.Equal(t, people[0].CCCD, m["citizen"].(map[string]any)["cccd"], "the desk sees the full card to check it")

	st := phone.do("GET", "/api/v1/tickets/"+a.ID, nil, "Authorization", "Bearer "+a.Token).JSON(t)
	assert.Equal(t, "called", st["status"])
	assert.Equal(t, float64(2), st["desk"])

	require.Equal(t, 200, tab.do("POST", "/api/v1/tickets/"+a.ID+"/recall", nil).Status)
	board := tab.do("GET", "/api/v1/board", nil).JSON(t)
	assert.Len(t, board["calls"], 2, "next and recall both announced")

	// Correct a typo in the name, then complete.
	r = tab.do("PATCH", "/api/v1/tickets/"+a.ID, map[string]any{"citizen": map[string]string{"name": "Nguyễn Văn Ân"}})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r = tab.do("POST", "/api/v1/tickets/"+a.ID+"/complete", map[string]any{"outcome": "activated", "device_time": time.Now().UTC().Format(time.RFC3339)})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	rec := r.JSON(t)["record"].(map[string]any)
	assert.Equal(t, float64(1), rec["seq"])
	assert.NotEmpty(t, rec["id"])

	r = tab.do("POST", "/api/v1/desks/1/next", nil)
	require.Equal(t, 200, r.Status)
	r = tab.do("POST", "/api/v1/tickets/"+b.ID+"/complete", map[string]any{"outcome": "failed", "reason": "bogus"})
	assert.Equal(t, 422, r.Status)
	assert.Equal(t, "invalid_outcome", r.ErrCode(t))
	r = tab.do("POST", "/api/v1/tickets/"+b.ID+"/no-show", nil)
	require.Equal(t, 200, r.Status)
	r = tab.do("POST", "/api/v1/tickets/"+b.ID+"/requeue", nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, "waiting", r.JSON(t)["status"])
	r = tab.do("POST", "/api/v1/desks/1/next", nil)
	require.Equal(t, 200, r.Status)
	r = tab.do("POST", "/api/v1/tickets/"+b.ID+"/complete", map[string]any{"outcome": "failed", "reason": "no_email"})
	require.Equal(t, 201, r.Status)
	assert.Equal(t, 204, tab.do("POST", "/api/v1/desks/1/next", nil).Status, "nobody waits")
	assert.Equal(t, 422, tab.do("POST", "/api/v1/desks/99/next", nil).Status)

	// Activated citizens cannot join again.
	r = phone.do("POST", "/api/v1/tickets", people[0].body())
	assert.Equal(t, 409, r.Status)
	assert.Equal(t, "already_activated", r.ErrCode(t))

	// Walk-in registered by the volunteer.
	r = tab.do("POST", "/api/v1/tickets", people[2].body())
	require.Equal(t, 201, r.Status)

	// The ward reads the records in seq order, with the corrected name.
	ward := h.client()
	r = ward.do("GET", "/api/v1/records?after=0&limit=10", nil, "Authorization", "Bearer "+h.cfg.Token)
	require.Equal(t, 200, r.Status)
	var page link.Page
	require.NoError(t, jsonUnmarshal(r.Body, &page))
	require.Len(t, page.Records, 2)
	assert.Equal(t, "dong-lao", page.KioskID)
	assert.Equal(t, uint64(2), page.HeadSeq)
	assert.Equal(t, "Nguyễn Văn Ân", page.Records[0].Citizen.Name)
	assert.Equal(t, "Trần Thị Lan", page.Records[0].Volunteer)
	assert.NotNil(t, page.Records[0].DeviceTime)
	assert.Equal(t, "no_email", page.Records[1].Reason)
	assert.Equal(t, 401, ward.do("GET", "/api/v1/records", nil, "Authorization", "Bearer wrong").Status)
	assert.Equal(t, 401, ward.do("GET", "/api/v1/records", nil).Status)
	assert.Equal(t, 400, ward.do("GET", "/api/v1/records?after=-1", nil, "Authorization", "Bearer "+h.cfg.Token).Status)

	// The USB batch verifies with the kiosk token.
	r = tab.do("GET", "/api/v1/batch?after=0", nil)
	require.Equal(t, 200, r.Status)
	bt, err := record.OpenBatch(r.Body, func(id string) (string, bool) { return h.cfg.Token, id == "dong-lao" })
	require.NoError(t, err)
	assert.Len(t, bt.Records, 2)

	// A completion can be corrected later by a new record.
	r = tab.do("POST", "/api/v1/records/"+page.Records[1].ID+"/correct", map[string]any{"citizen": map[string]string{"village": "Song Nga"}})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	assert.Equal(t, float64(3), r.JSON(t)["record"].(map[string]any)["seq"])
}

func jsonUnmarshal(b []byte, v any) error { return jsonDecode(b, v) }

func TestVolunteerAuth(t *testing.T) {
	h := start(t, testConfig(t))
	tab := h.client()

	r := tab.do("POST", "/api/v1/login", map[string]string{"pin": "000000", "volunteer": "X"})
	assert.Equal(t, 401, r.Status)
	assert.Equal(t, "invalid_pin", r.ErrCode(t))

	tab.login()
	r = tab.do("POST", "/api/v1/login", map[string]string{"pin": h.cfg.PIN, "volunteer": "Lan"})
	tab.csrf = r.JSON(t)["csrf_token"].(string)
	cookie := r.Header.Get("Set-Cookie")
	assert.Contains(t, cookie, "HttpOnly")
	assert.Contains(t, strings.ToLower(cookie), "samesite=strict")

	saved := tab.csrf
	tab.csrf = ""
	r = tab.do("POST", "/api/v1/desks/1/next", nil)
	assert.Equal(t, 403, r.Status, "no CSRF token")
	tab.csrf = "forged"
	assert.Equal(t, 403, tab.do("POST", "/api/v1/desks/1/next", nil).Status, "wrong CSRF token")
	tab.csrf = saved
	r = tab.do("POST", "/api/v1/desks/1/next", nil)
	assert.Contains(t, []int{200, 204}, r.Status)

	// Lockout: five wrong PINs from one client lock it out, even with the right PIN.
	bad := h.client()
	for range 5 {
		bad.do("POST", "/api/v1/login", map[string]string{"pin": "111111"})
	}
	r = bad.do("POST", "/api/v1/login", map[string]string{"pin": h.cfg.PIN})
	assert.Equal(t, 429, r.Status)
	assert.Equal(t, "locked", r.ErrCode(t))

	r = tab.do("POST", "/api/v1/logout", nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, 401, tab.do("GET", "/api/v1/queue", nil).Status)
}

func TestJoinRateLimit(t *testing.T) {
	cfg := testConfig(t)
	cfg.JoinLimit = 2
	h := start(t, cfg)
	c := h.client()
	c.join(people[0])
	c.join(people[1])
	r := c.do("POST", "/api/v1/tickets", people[2].body())
	assert.Equal(t, 429, r.Status)
	assert.Equal(t, "rate_limited", r.ErrCode(t))
}

// readEvents collects board events from an SSE stream.
func readEvents(t *testing.T, url string, out chan<- map[string]any, stop <-chan struct{}) {
	req, _ := http.NewRequest("GET", url+"/api/v1/events", nil)
	res, err := http.DefaultClient.Do(req)
	if !assert.NoError(t, err) {
		return
	}
	defer res.Body.Close()
	go func() { <-stop; res.Body.Close() }()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "data: ") {
			var m map[string]any
			if jsonDecode([]byte(line[6:]), &m) == nil {
				select {
				case out <- m:
				case <-stop:
					return
				}
			}
		}
	}
}

func TestLiveBoardAndShutdown(t *testing.T) {
	h := start(t, testConfig(t))
	events := make(chan map[string]any, 100)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Add(1)
		go func() { defer wg.Done(); readEvents(t, h.url, events, stop) }()
	}
	for range 3 {
		select {
		case <-events:
		case <-time.After(5 * time.Second):
			t.Fatal("no initial board")
		}
	}
	phone := h.client()
	phone.join(people[0])
	deadline := time.After(5 * time.Second)
	for got := 0; got < 3; {
		select {
		case m := <-events:
			if m["waiting"] == float64(1) {
				got++
			}
		case <-deadline:
			t.Fatal("board change did not reach every stream")
		}
	}
	// Shutdown completes promptly with the streams still open.
	startStop := time.Now()
	h.stop()
	assert.Less(t, time.Since(startStop), 6*time.Second)
	close(stop)
	wg.Wait()
}

func TestPublicSurfaceCarriesNoPersonalData(t *testing.T) {
	cfg := testConfig(t)
	cfg.WifiSSID = "NVH"
	h := start(t, cfg)
	var mu sync.Mutex
	var raw strings.Builder
	req, _ := http.NewRequest("GET", h.url+"/api/v1/events", nil)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := res.Body.Read(buf)
			mu.Lock()
			raw.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	phone, tab := h.client(), h.client()
	for _, p := range people {
		phone.join(p)
	}
	tab.login()
	r := tab.do("POST", "/api/v1/desks/1/next", nil)
	require.Equal(t, 200, r.Status)
	id := r.JSON(t)["id"].(string)
	require.Equal(t, 201, tab.do("POST", "/api/v1/tickets/"+id+"/complete", map[string]any{"outcome": "activated"}).Status)
	tab.do("POST", "/api/v1/desks/2/next", nil)

	var pages []string
	for _, p := range []string{"/", "/join", "/app", "/volunteer", "/healthz", "/metrics", "/api/v1/board", "/api/v1/villages", "/nope"} {
		pages = append(pages, string(phone.do("GET", p, nil).Body))
	}
	time.Sleep(300 * time.Millisecond) // let the last board change reach the stream
	res.Body.Close()
	mu.Lock()
	sse := raw.String()
	mu.Unlock()
	assert.GreaterOrEqual(t, strings.Count(sse, "data: "), 2, "the stream carried the changes")
	pages = append(pages, sse)
	all := strings.Join(pages, "\n")
	for _, p := range people {
		assert.NotContains(t, all, p.CCCD)
		assert.NotContains(t, all, p.Phone)
		assert.NotContains(t, all, p.Name)
		assert.NotContains(t, all, p.CCCD[len(p.CCCD)-4:]+`"`, "not even masked")
	}
	assert.Contains(t, all, `"waiting":`, "the crawl did read real content")
}

func TestSignedPullSealsRecords(t *testing.T) {
	h := start(t, testConfig(t))
	tab := h.client()
	tab.login()
	tk := tab.join(people[0])
	require.Equal(t, 201, tab.do("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]any{"outcome": "activated"}).Status)

	ward := h.client()
	nonceOf := func() string {
		r := ward.do("GET", "/api/v1/challenge", nil)
		require.Equal(t, 200, r.Status)
		return r.JSON(t)["nonce"].(string)
	}
	pq := "/api/v1/records?after=0&limit=10"
	n := nonceOf()
	r := ward.do("GET", pq, nil, "Authorization", link.PullAuthorization(h.cfg.Token, "GET", pq, n))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	assert.Equal(t, link.SealedType, r.Header.Get("Content-Type"))
	assert.NotContains(t, string(r.Body), people[0].CCCD, "a relay sees no personal data")
	plain, err := link.OpenPayload(h.cfg.Token, n, r.Body)
	require.NoError(t, err)
	var page link.Page
	require.NoError(t, jsonDecode(plain, &page))
	require.Len(t, page.Records, 1)
	assert.Equal(t, people[0].CCCD, page.Records[0].Citizen.CCCD)

	cases := []struct {
		name string
		auth string
	}{
		{"a nonce works once: a replay is refused", link.PullAuthorization(h.cfg.Token, "GET", pq, n)},
		{"signed with another token", link.PullAuthorization("wrong", "GET", pq, nonceOf())},
		{"signature for another cursor", link.PullAuthorization(h.cfg.Token, "GET", "/api/v1/records?after=5&limit=10", nonceOf())},
		{"a nonce the kiosk never issued", link.PullAuthorization(h.cfg.Token, "GET", pq, "made-up-nonce-000")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := ward.do("GET", pq, nil, "Authorization", tc.auth)
			assert.Equal(t, 401, r.Status)
		})
	}
}

func TestPagesGzippedForCheapPhones(t *testing.T) {
	h := start(t, testConfig(t))
	tr := &http.Transport{DisableCompression: true} // count the bytes on the wire
	c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
	get := func(path string) (string, int) {
		req, _ := http.NewRequest("GET", h.url+path, nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := c.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		n, _ := io.Copy(io.Discard, res.Body)
		require.Equal(t, 200, res.StatusCode, path)
		return res.Header.Get("Content-Encoding"), int(n)
	}
	enc, page := get("/join")
	assert.Equal(t, "gzip", enc)
	total := page
	for _, asset := range []string{"/static/css/app.css", "/static/js/common.js", "/static/js/join.js"} {
		enc, n := get(asset)
		assert.Equal(t, "gzip", enc, asset)
		total += n
	}
	assert.Less(t, total, 20<<10, "the join page with its CSS and JS, as a phone downloads it")
}

package kiosk

import (
	"bufio"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/record"
)

// loginAs signs a tablet in under a volunteer's name.
func (c *client) loginAs(name string) {
	c.t.Helper()
	r := c.do("POST", "/api/v1/login", map[string]string{"pin": c.h.cfg.PIN, "volunteer": name})
	require.Equal(c.t, 200, r.Status, "%s", r.Body)
	c.csrf = r.JSON(c.t)["csrf_token"].(string)
}

// Two tablets on one evening (issue 11, finding 1): a desk is held by the
// tablet that chose it, and a citizen belongs to the tablet that called it.
func TestDesksBelongToOneTablet(t *testing.T) {
	h := start(t, testConfig(t))
	phone := h.client()
	a := phone.join(people[0])
	b := phone.join(people[1])
	lan, nam := h.client(), h.client()
	lan.loginAs("Trần Thị Lan")
	nam.loginAs("Vũ Văn Nam")

	require.Equal(t, 200, lan.do("POST", "/api/v1/desks/1/claim", nil).Status)
	r := nam.do("POST", "/api/v1/desks/1/claim", nil)
	require.Equal(t, 409, r.Status)
	assert.Equal(t, "desk_taken", r.ErrCode(t))
	msg := r.JSON(t)["error"].(map[string]any)["message"].(string)
	assert.Contains(t, msg, "Bàn 1 đang có máy khác dùng (Trần Thị Lan)")
	assert.Contains(t, msg, "Bàn 2 đang trống")
	r = nam.do("POST", "/api/v1/desks/1/next", nil)
	require.Equal(t, 409, r.Status, "calling to a held desk")
	assert.Equal(t, "desk_taken", r.ErrCode(t))
	sess := nam.do("GET", "/api/v1/session", nil).JSON(t)
	assert.Equal(t, []any{float64(1)}, sess["desks_taken"])

	r = lan.do("POST", "/api/v1/desks/1/next", nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, a.ID, r.JSON(t)["id"])
	r = nam.do("POST", "/api/v1/desks/2/next", nil)
	require.Equal(t, 200, r.Status)
	assert.Equal(t, b.ID, r.JSON(t)["id"])

	// The full fields go only to the tablet serving the citizen.
	r = lan.do("GET", "/api/v1/desk/current", nil)
	require.Equal(t, 200, r.Status)
	assert.Contains(t, string(r.Body), people[0].CCCD)
	assert.NotContains(t, string(r.Body), people[1].CCCD)
	assert.NotContains(t, string(lan.do("GET", "/api/v1/queue", nil).Body), people[0].CCCD, "lists stay masked")

	// Each finishes only its own citizen.
	for _, verb := range []string{"complete", "recall", "no-show"} {
		r = nam.do("POST", "/api/v1/tickets/"+a.ID+"/"+verb, map[string]any{"outcome": "activated"})
		require.Equal(t, 409, r.Status, verb)
		assert.Equal(t, "not_yours", r.ErrCode(t), verb)
	}
	assert.Equal(t, 409, nam.do("PATCH", "/api/v1/tickets/"+a.ID, map[string]any{"citizen": map[string]string{"name": "Bùi Thị Thu"}}).Status)
	require.Equal(t, 201, nam.do("POST", "/api/v1/tickets/"+b.ID+"/complete", map[string]any{"outcome": "failed", "reason": "no_email"}).Status)
	require.Equal(t, 201, lan.do("POST", "/api/v1/tickets/"+a.ID+"/complete", map[string]any{"outcome": "activated"}).Status)
	recs := records(t, h)
	require.Len(t, recs, 2)
	assert.Equal(t, people[1].Name, recs[0].Citizen.Name)
	assert.Equal(t, "Vũ Văn Nam", recs[0].Volunteer)
	assert.Equal(t, people[0].Name, recs[1].Citizen.Name)
	assert.Equal(t, "Trần Thị Lan", recs[1].Volunteer)

	// Logging out frees the desk for the other tablet.
	require.Equal(t, 200, lan.do("POST", "/api/v1/logout", nil).Status)
	assert.Equal(t, 200, nam.do("POST", "/api/v1/desks/1/claim", nil).Status)
}

func TestDeskClaimsLapseWhenIdle(t *testing.T) {
	d := newDeskClaims(2, 10*time.Minute)
	t0 := time.Date(2026, 11, 29, 19, 0, 0, 0, time.UTC)
	d.touch("lan", "Lan", t0)
	ok, _, _ := d.claim(1, "lan", t0)
	require.True(t, ok)
	d.called("ticket-6", "lan")
	ok, who, free := d.claim(1, "nam", t0.Add(9*time.Minute))
	assert.False(t, ok)
	assert.Equal(t, "Lan", who)
	assert.Equal(t, 2, free)
	ok, _ = d.mayAct("ticket-6", "nam", t0.Add(9*time.Minute))
	assert.False(t, ok, "another tablet's citizen")
	ok, _, _ = d.claim(1, "nam", t0.Add(11*time.Minute))
	assert.True(t, ok, "a tablet idle for over ten minutes has let its desk go")
	ok, _ = d.mayAct("ticket-6", "nam", t0.Add(11*time.Minute))
	assert.True(t, ok)
	d.touch("lan", "Lan", t0.Add(12*time.Minute))
	assert.Equal(t, 0, d.deskOf("lan", t0.Add(12*time.Minute)), "coming back does not take the desk back")
}

// The queue list is bounded and the tablets follow it change by change.
func TestQueueBoundedAndStreamed(t *testing.T) {
	h := start(t, testConfig(t))
	tab := h.client()
	tab.loginAs("Trần Thị Lan")
	for _, p := range people {
		tab.join(p)
	}
	r := tab.do("GET", "/api/v1/queue?limit=2", nil)
	require.Equal(t, 200, r.Status)
	m := r.JSON(t)
	assert.Len(t, m["tickets"], 2)
	assert.Equal(t, true, m["truncated"])
	assert.Equal(t, float64(4), m["counts"].(map[string]any)["waiting"])
	assert.Equal(t, 400, tab.do("GET", "/api/v1/queue?limit=-1", nil).Status)
	after := int(m["events_after"].(float64))

	// The stream from that point carries the next changes, masked.
	req, _ := http.NewRequest("GET", h.url+"/api/v1/queue/events?after="+itoa(after), nil)
	for _, ck := range tab.http.Jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode)
	called := tab.do("POST", "/api/v1/desks/1/next", nil).JSON(t)
	sc := bufio.NewScanner(res.Body)
	got := ""
	deadline := time.AfterFunc(10*time.Second, func() { res.Body.Close() })
	defer deadline.Stop()
	for sc.Scan() {
		if line := sc.Text(); strings.HasPrefix(line, "data: ") && strings.Contains(line, called["id"].(string)) {
			got = line
			break
		}
	}
	assert.Contains(t, got, `"status":"called"`)
	assert.Contains(t, got, "********2345")
	assert.NotContains(t, got, people[0].CCCD)
	assert.Equal(t, 401, h.client().do("GET", "/api/v1/queue/events", nil).Status, "volunteers only")
}

// A no-show and a citizen who left go back to the place they had.
func TestSetAsideRestoredToTheirPlace(t *testing.T) {
	h := start(t, testConfig(t))
	phone := h.client()
	tab := h.client()
	tab.loginAs("Trần Thị Lan")
	a := phone.join(people[0])
	b := phone.join(people[1])
	phone.join(people[2])
	require.Equal(t, 200, tab.do("POST", "/api/v1/desks/1/next", nil).Status)
	require.Equal(t, 200, tab.do("POST", "/api/v1/tickets/"+a.ID+"/no-show", nil).Status)
	require.Equal(t, 200, phone.do("DELETE", "/api/v1/tickets/"+b.ID, nil, "Authorization", "Bearer "+b.Token).Status)
	phone.join(people[3])

	r := tab.do("GET", "/api/v1/set-aside", nil)
	require.Equal(t, 200, r.Status)
	list := r.JSON(t)["tickets"].([]any)
	require.Len(t, list, 2)
	assert.Equal(t, "cancelled", list[0].(map[string]any)["status"])
	assert.Equal(t, "no_show", list[1].(map[string]any)["status"])
	assert.NotContains(t, string(r.Body), people[0].CCCD)

	require.Equal(t, 200, tab.do("POST", "/api/v1/tickets/"+b.ID+"/restore", nil).Status)
	require.Equal(t, 200, tab.do("POST", "/api/v1/tickets/"+a.ID+"/restore", nil).Status)
	assert.Equal(t, 409, tab.do("POST", "/api/v1/tickets/"+a.ID+"/restore", nil).Status, "already back")
	pos := func(j joined) any {
		return phone.do("GET", "/api/v1/tickets/"+j.ID, nil, "Authorization", "Bearer "+j.Token).JSON(t)["position"]
	}
	assert.Equal(t, float64(1), pos(a), "first in line again, not behind the late-comer")
	assert.Equal(t, float64(2), pos(b))
}

// The TV counts by the citizen's village (issue 11, finding 4).
func TestBoardCountsByCitizenVillage(t *testing.T) {
	cfg := testConfig(t)
	info := `{"villages":["Đông Lão","Song Nga"],"progress":[{"name":"Đông Lão","target":202,"before":43,"have":44,"percent":21.8}]}`
	require.NoError(t, os.WriteFile(filepath.Join(cfg.Data, "ward-info.json"), []byte(info), 0o600))
	h := start(t, cfg)
	tab := h.client()
	tab.loginAs("Trần Thị Lan")
	var recIDs []string
	for _, p := range people { // Đông Lão, Song Nga, Đông Lão, Thôn Kim
		j := tab.join(p)
		r := tab.do("POST", "/api/v1/tickets/"+j.ID+"/complete", map[string]any{"outcome": "activated"})
		require.Equal(t, 201, r.Status, "%s", r.Body)
		recIDs = append(recIDs, r.JSON(t)["record"].(map[string]any)["id"].(string))
	}
	progress := func() map[string]any {
		return tab.do("GET", "/api/v1/board", nil).JSON(t)["progress"].(map[string]any)
	}
	p := progress()
	assert.Equal(t, float64(2), p["activated"], "two citizens of Đông Lão")
	assert.Equal(t, float64(45), p["have"], "before 43 + 2, not + 4")
	assert.Equal(t, float64(4), p["house_activated"])
	assert.Equal(t, float64(2), p["other_villages_done"])
	assert.Equal(t, []any{map[string]any{"name": "Song Nga", "activated": float64(1)}}, p["other_villages"], "only villages the ward lists are named")

	// A correction moves a citizen to the host village; another undoes an activation.
	require.Equal(t, 201, tab.do("POST", "/api/v1/records/"+recIDs[1]+"/correct", map[string]any{"citizen": map[string]string{"village": "Đông Lão"}}).Status)
	require.Equal(t, 201, tab.do("POST", "/api/v1/records/"+recIDs[0]+"/correct", map[string]any{"outcome": "failed", "reason": "ekyc_failed"}).Status)
	p = progress()
	assert.Equal(t, float64(2), p["activated"])
	assert.Equal(t, float64(1), p["other_villages_done"])
	assert.Equal(t, []any{}, p["other_villages"])
}

// The join limit counts accepted joins only (issue 11, finding 6).
func TestJoinLimitCountsAcceptedJoins(t *testing.T) {
	cfg := testConfig(t)
	cfg.JoinLimit = 6
	h := start(t, cfg)
	c := h.client()
	bad := people[0].body()
	bad["cccd"] = "999090012345"
	for i := range 6 {
		r := c.do("POST", "/api/v1/tickets", bad)
		require.Equal(t, 422, r.Status, "typo %d", i+1)
	}
	r := c.do("POST", "/api/v1/tickets", people[0].body())
	require.Equal(t, 201, r.Status, "the corrected form goes through: %s", r.Body)

	// A flood of bad forms is still stopped by the higher ceiling.
	refused := 0
	for range 40 {
		r := c.do("POST", "/api/v1/tickets", bad)
		if r.Status == 429 {
			refused++
			assert.Equal(t, "rate_limited", r.ErrCode(t))
		}
	}
	assert.Positive(t, refused, "flood ceiling")
	assert.Equal(t, 429, c.do("POST", "/api/v1/tickets", people[1].body()).Status, "a flooding client waits")
}

// Hostile free text (issue 11, finding 11) is refused in Vietnamese.
func TestFreeTextRules(t *testing.T) {
	h := start(t, testConfig(t))
	tab := h.client()
	tab.loginAs("Trần Thị Lan")
	tk := tab.join(people[0])
	require.Equal(t, 200, tab.do("POST", "/api/v1/desks/1/next", nil).Status)
	hostile := map[string]string{
		"NUL":                "Khách về\x00sớm",
		"ESC":                "Khách \x1b[31mvề",
		"right-to-left":      "Khách \u202Evề",
		"60,000 characters":  strings.Repeat("a", 60000),
		"Hangul filler only": "\u3164\u3164",
	}
	for name, v := range hostile {
		t.Run("note "+name, func(t *testing.T) {
			r := tab.do("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]any{"outcome": "failed", "reason": "other", "note": v})
			require.Equal(t, 422, r.Status, "%s", r.Body)
			assert.Equal(t, "invalid_note", r.ErrCode(t))
			assert.Contains(t, string(r.Body), "ký tự không hợp lệ")
		})
		t.Run("volunteer "+name, func(t *testing.T) {
			r := h.client().do("POST", "/api/v1/login", map[string]string{"pin": h.cfg.PIN, "volunteer": v})
			require.Equal(t, 422, r.Status, "%s", r.Body)
			assert.Equal(t, "invalid_volunteer", r.ErrCode(t))
		})
	}
	r := tab.do("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]any{"outcome": "failed", "reason": "other", "note": "  Máy   yếu,\tvề sớm "})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	id := r.JSON(t)["record"].(map[string]any)["id"].(string)
	for name, v := range hostile {
		t.Run("correction reason "+name, func(t *testing.T) {
			r := tab.do("POST", "/api/v1/records/"+id+"/correct", map[string]any{"reason": v})
			require.Equal(t, 422, r.Status, "%s", r.Body)
			assert.Equal(t, "invalid_reason", r.ErrCode(t))
		})
	}
	recs := records(t, h)
	require.Len(t, recs, 1, "nothing hostile was stored")
	assert.Equal(t, "other: Máy yếu, về sớm", recs[0].Reason, "whitespace collapsed")
}

// The "Sửa" list shows each completion as it stands, newest first, and a
// second correction patches over the first (the ward counts the latest).
func TestRecentCompletionsAndCorrections(t *testing.T) {
	h := start(t, testConfig(t))
	lan, nam := h.client(), h.client()
	lan.loginAs("Trần Thị Lan")
	nam.loginAs("Vũ Văn Nam")
	a := lan.join(people[0])
	b := nam.join(people[1])
	r := lan.do("POST", "/api/v1/tickets/"+a.ID+"/complete", map[string]any{"outcome": "activated"})
	require.Equal(t, 201, r.Status)
	first := r.JSON(t)["record"].(map[string]any)["id"].(string)
	require.Equal(t, 201, nam.do("POST", "/api/v1/tickets/"+b.ID+"/complete", map[string]any{"outcome": "activated"}).Status)

	r = lan.do("POST", "/api/v1/records/"+first+"/correct", map[string]any{"citizen": map[string]string{"name": "Nguyễn Văn Ân"}, "reason": "Gõ nhầm tên"})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	fix1 := r.JSON(t)["record"].(map[string]any)["id"].(string)
	list := lan.do("GET", "/api/v1/completions/recent?mine=1", nil).JSON(t)["records"].([]any)
	require.Len(t, list, 1, "this tablet's own")
	got := list[0].(map[string]any)
	assert.Equal(t, fix1, got["id"])
	assert.Equal(t, first, got["original_id"])
	assert.Equal(t, "Nguyễn Văn Ân", got["name"])
	assert.Equal(t, true, got["corrected"])
	assert.Len(t, lan.do("GET", "/api/v1/completions/recent", nil).JSON(t)["records"], 2, "the kiosk's last ones")

	// Correcting the correction: the name stays fixed, the village changes,
	// and the record corrects the original.
	r = lan.do("POST", "/api/v1/records/"+fix1+"/correct", map[string]any{"citizen": map[string]string{"village": "Song Nga"}})
	require.Equal(t, 201, r.Status, "%s", r.Body)
	assert.Equal(t, first, r.JSON(t)["record"].(map[string]any)["corrects"])
	recs := records(t, h)
	last := recs[len(recs)-1]
	assert.Equal(t, record.TypeCorrection, last.Type)
	assert.Equal(t, "Nguyễn Văn Ân", last.Citizen.Name)
	assert.Equal(t, "Song Nga", last.Citizen.Village)
	assert.Equal(t, first, last.Corrects)
}

func itoa(n int) string { return strconv.Itoa(n) }

package ward

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/kyso-vn/kyso/announce"
	"github.com/kyso-vn/kyso/internal/testenv"
	"github.com/kyso-vn/kyso/link"
	"github.com/kyso-vn/kyso/record"
	"github.com/kyso-vn/kyso/roster"
)

const donglaoBook = "../roster/testdata/so-ho-dong-lao.xlsx"

// unitClient is a unit head's logged-in HTTP client.
type unitClient struct {
	admin
	login string
}

func (h *harness) loginAs(login, password string) unitClient {
	h.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	r := do(h.t, c, "POST", h.url+"/api/v1/login", strings.NewReader(fmt.Sprintf(`{"login":%q,"password":%q}`, login, password)),
		map[string]string{"Content-Type": "application/json"})
	require.Equal(h.t, 200, r.status, string(r.body))
	var body struct {
		CSRF string `json:"csrf_token"`
	}
	r.json(h.t, &body)
	return unitClient{admin: admin{c: c, csrf: body.CSRF}, login: login}
}

func (a admin) get(t *testing.T, url string) resp {
	t.Helper()
	return do(t, a.c, "GET", url, nil, nil)
}

func (a admin) postJSON(t *testing.T, url string, v any) resp {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return a.post(t, url, bytes.NewReader(b), "application/json")
}

func rosterUploadBody(t *testing.T, fields map[string]string, name string, file []byte) (*bytes.Buffer, string) {
	t.Helper()
	buf, ct := multipartFile(t, fields, file)
	// multipartFile names every file kyso-batch.json; the parser sniffs
	// the content, the name only shows in messages.
	_ = name
	return buf, ct
}

type outreachDoc struct {
	Total struct {
		Eligible, Activated, Failed, Invited, Unreachable int
		NotYet                                            int `json:"not_yet"`
	} `json:"total"`
	People []struct {
		Key, Name, Status, Reason, Session, Village string
		CCCDMasked                                  string `json:"cccd_masked"`
	} `json:"people"`
}

// vnptReport writes a VNPT-style activation report as XLSX: a title row,
// then the columns VNPT's exports carry.
func vnptReport(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"BÁO CÁO THUÊ BAO SMARTCA ĐÃ KÍCH HOẠT"}))
	require.NoError(t, f.SetSheetRow("Sheet1", "A3", &[]any{"STT", "Tên khách hàng", "Số giấy tờ", "Số điện thoại", "Ngày kích hoạt", "Trạng thái"}))
	for i, r := range rows {
		require.NoError(t, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+4), &[]any{i + 1, r[0], r[1], r[2], "20/11/2026", "Đã kích hoạt"}))
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

// TestOutreachEndToEnd walks issue 13's must-show on a real ward over HTTP:
// the household book imported (twice), a village head limited to the
// village, five completions leaving the not-yet list, VNPT's report
// reconciled, a person marked unreachable, and the export logged.
func TestOutreachEndToEnd(t *testing.T) {
	h := start(t, testConfig(t))
	a := h.login()
	require.Equal(t, 200, a.post(t, h.url+"/api/v1/associations", strings.NewReader("Đoàn thể,Chỉ tiêu\nHội Phụ nữ,280\n"), "text/csv").status)

	book, err := os.ReadFile(donglaoBook)
	require.NoError(t, err)
	body, ct := rosterUploadBody(t, map[string]string{"kind": "residents"}, "so-ho-dong-lao.xlsx", book)
	r := a.post(t, h.url+"/api/v1/roster", body, ct)
	require.Equal(t, 200, r.status, string(r.body))
	var imp struct {
		Rows, People, Households, Eligible, Added, Unchanged int
		NoCCCD                                               int               `json:"no_cccd"`
		Columns                                              map[string]string `json:"columns"`
	}
	r.json(t, &imp)
	assert.Equal(t, 57, imp.Rows)
	assert.Equal(t, 57, imp.People)
	assert.Equal(t, 18, imp.Households)
	assert.Equal(t, 47, imp.Eligible)
	assert.Equal(t, 57, imp.Added)
	assert.Equal(t, "Số định danh cá nhân", imp.Columns["cccd"])
	body, ct = rosterUploadBody(t, map[string]string{"kind": "residents"}, "so-ho-dong-lao.xlsx", book)
	r = a.post(t, h.url+"/api/v1/roster", body, ct)
	require.Equal(t, 200, r.status)
	r.json(t, &imp)
	assert.Equal(t, 0, imp.Added, "re-importing the same book adds nobody")
	assert.Equal(t, 57, imp.Unchanged)

	// A file that is no spreadsheet: a clear refusal, nothing written.
	body, ct = rosterUploadBody(t, nil, "anh.xlsx", []byte("\x89PNG\r\n\x1a\n not a roster"))
	r = a.post(t, h.url+"/api/v1/roster", body, ct)
	assert.Equal(t, 422, r.status)
	assert.Equal(t, roster.CodeNotSpreadsheet, r.errCode(t))

	// Unit logins, made by the admin.
	for _, u := range []UserRequest{
		{Login: "truongthon-donglao", Password: "mat-khau-thon-1", Village: "Đông Lão"},
		{Login: "truongthon-songnga", Password: "mat-khau-thon-2", Village: "Song Nga"},
		{Login: "hoiphunu", Password: "mat-khau-hoi-3", Association: "Hội Phụ nữ"},
	} {
		r := a.postJSON(t, h.url+"/api/v1/users", u)
		require.Equal(t, 201, r.status, string(r.body))
	}
	r = a.postJSON(t, h.url+"/api/v1/users", UserRequest{Login: "ai-do", Password: "mat-khau-ai-do", Village: "Thôn Không Có"})
	assert.Equal(t, 422, r.status, "a unit must be in the plan")

	head := h.loginAs("truongthon-donglao", "mat-khau-thon-1")
	var list outreachDoc
	r = head.get(t, h.url+"/api/v1/outreach")
	require.Equal(t, 200, r.status, string(r.body))
	r.json(t, &list)
	assert.Equal(t, 47, list.Total.Eligible)
	assert.Equal(t, 47, list.Total.NotYet)
	for _, p := range list.People {
		assert.Regexp(t, `^\*{8}\d{4}$`, p.CCCDMasked, "lists mask the CCCD")
		assert.Equal(t, "Đông Lão", p.Village)
	}
	assert.Equal(t, 403, head.get(t, h.url+"/api/v1/outreach?village=Song%20Nga").status, "another village's list")
	assert.Equal(t, 403, head.get(t, h.url+"/export/outreach.xlsx?village=Song%20Nga").status, "another village's export")
	assert.Equal(t, 403, head.get(t, h.url+"/api/v1/outreach?association=H%E1%BB%99i%20Ph%E1%BB%A5%20n%E1%BB%AF").status)
	other := h.loginAs("truongthon-songnga", "mat-khau-thon-2")
	var empty outreachDoc
	other.get(t, h.url+"/api/v1/outreach").json(t, &empty)
	assert.Zero(t, empty.Total.Eligible, "Song Nga sees none of Đông Lão's people")
	// HTTP Basic works for a unit head too (scripts, spreadsheet links).
	r = do(t, nil, "GET", h.url+"/api/v1/outreach", nil, map[string]string{"Authorization": "Basic " + basic("truongthon-donglao", "mat-khau-thon-1")})
	assert.Equal(t, 200, r.status)
	r = do(t, nil, "GET", h.url+"/api/v1/outreach", nil, map[string]string{"Authorization": "Basic " + basic("truongthon-donglao", "sai-mat-khau")})
	assert.Equal(t, 401, r.status)
	assert.Equal(t, 403, head.get(t, h.url+"/api/v1/reconciliation").status, "reconciliation is the admin's")

	// Five citizens of the book activated at a kiosk.
	people, err := roster.Parse(bytes.NewReader(book), "so-ho-dong-lao.xlsx", roster.Options{})
	require.NoError(t, err)
	var eligible []roster.Person
	for _, p := range people.People {
		if p.Eligible && p.CCCD != "" {
			eligible = append(eligible, p)
		}
	}
	var recs []record.Record
	for i := 0; i < 5; i++ {
		x := rec("kiosk-a", uint64(i+1), eligible[i].CCCD, "Đông Lão", true)
		x.Citizen.Name = eligible[i].Name
		recs = append(recs, x)
	}
	require.Equal(t, 200, h.push("kiosk-a", tokA, recs...).status)
	head.get(t, h.url+"/api/v1/outreach").json(t, &list)
	assert.Equal(t, 5, list.Total.Activated)
	assert.Equal(t, 42, list.Total.NotYet)
	var notYet outreachDoc
	head.get(t, h.url+"/api/v1/outreach?status=not_yet").json(t, &notYet)
	assert.Len(t, notYet.People, 42)
	for _, p := range notYet.People {
		for _, e := range eligible[:5] {
			assert.NotEqual(t, e.Name, p.Name, "an activated citizen left the not-yet list")
		}
	}

	// VNPT confirms 3 of them and 2 the kiosks never saw.
	var rows [][]string
	for _, i := range []int{0, 1, 2, 5, 6} {
		rows = append(rows, []string{eligible[i].Name, eligible[i].CCCD, eligible[i].Phone})
	}
	body, ct = rosterUploadBody(t, nil, "vnpt.xlsx", vnptReport(t, rows))
	r = a.post(t, h.url+"/api/v1/vnpt-report", body, ct)
	require.Equal(t, 200, r.status, string(r.body))
	var vr VNPTReply
	r.json(t, &vr)
	assert.Equal(t, VNPTReply{Rows: 5, Activated: 5, MatchedRoster: 5, MatchedKyso: 3}, VNPTReply{Rows: vr.Rows, Activated: vr.Activated, MatchedRoster: vr.MatchedRoster, MatchedKyso: vr.MatchedKyso})
	var rec struct {
		Villages []struct {
			Name                     string
			KysoActivated            int `json:"kyso_activated"`
			VNPTConfirmed            int `json:"vnpt_confirmed"`
			Both, KysoOnly, VNPTOnly int
		} `json:"villages"`
	}
	r = a.get(t, h.url+"/api/v1/reconciliation")
	require.Equal(t, 200, r.status)
	require.NoError(t, json.Unmarshal(bytes.ReplaceAll(bytes.ReplaceAll(r.body, []byte(`"kyso_only"`), []byte(`"KysoOnly"`)), []byte(`"vnpt_only"`), []byte(`"VNPTOnly"`)), &rec))
	require.Equal(t, "Đông Lão", rec.Villages[0].Name)
	assert.Equal(t, 5, rec.Villages[0].KysoActivated)
	assert.Equal(t, 5, rec.Villages[0].VNPTConfirmed)
	assert.Equal(t, 3, rec.Villages[0].Both)
	assert.Equal(t, 2, rec.Villages[0].KysoOnly)
	assert.Equal(t, 2, rec.Villages[0].VNPTOnly)
	head.get(t, h.url+"/api/v1/outreach").json(t, &list)
	assert.Equal(t, 7, list.Total.Activated, "VNPT's confirmations count as activated")
	prog := h.progress()
	_ = prog
	var full struct {
		Villages []struct {
			Name      string `json:"name"`
			Done      int    `json:"done"`
			Confirmed int    `json:"confirmed"`
		} `json:"villages"`
	}
	a.get(t, h.url+"/api/v1/progress/full").json(t, &full)
	assert.Equal(t, 5, full.Villages[0].Done)
	assert.Equal(t, 5, full.Villages[0].Confirmed, "progress shows confirmed beside done")

	// The village head marks one person moved away.
	var target string
	for _, p := range list.People {
		if p.Status == "not_yet" {
			target = p.Key
			break
		}
	}
	r = head.postJSON(t, h.url+"/api/v1/outreach/"+target+"/mark", MarkRequest{Reason: "moved", Note: "Chuyển vào Bình Dương"})
	require.Equal(t, 200, r.status, string(r.body))
	head.get(t, h.url+"/api/v1/outreach?status=unreachable").json(t, &list)
	require.Len(t, list.People, 1)
	assert.Equal(t, "moved", list.People[0].Reason)
	r = head.postJSON(t, h.url+"/api/v1/outreach/"+target+"/mark", MarkRequest{Reason: "lười"})
	assert.Equal(t, 422, r.status)
	r = other.postJSON(t, h.url+"/api/v1/outreach/"+target+"/mark", MarkRequest{Reason: "away"})
	assert.Equal(t, 403, r.status, "Song Nga's head cannot mark a Đông Lão resident")

	// Accountability: Đông Lão counts the two VNPT-only people too.
	var units struct {
		Villages []struct {
			Name      string
			Eligible  int
			Target    int
			Activated int
			Colour    string
			Rank      int
		} `json:"villages"`
	}
	head.get(t, h.url+"/api/v1/units").json(t, &units)
	require.Equal(t, "Đông Lão", units.Villages[0].Name)
	assert.Equal(t, 46, units.Villages[0].Eligible, "47 of age, less the one who moved away")
	assert.Equal(t, 202, units.Villages[0].Target)
	assert.Equal(t, 43+5+2, units.Villages[0].Activated)
	assert.Equal(t, 1, units.Villages[0].Rank)
	assert.Contains(t, []string{"green", "amber", "red"}, units.Villages[0].Colour)

	// The working list: full CCCD, logged.
	r = head.get(t, h.url+"/export/outreach.xlsx?status=not_yet")
	require.Equal(t, 200, r.status)
	f, err := excelize.OpenReader(bytes.NewReader(r.body))
	require.NoError(t, err)
	all, err := f.GetRows("Danh sách")
	require.NoError(t, err)
	joined := fmt.Sprint(all)
	assert.Contains(t, joined, eligible[10].CCCD, "the working list has the full CCCD")
	assert.Contains(t, joined, "Người lập biểu")
	var log struct {
		Exports []AuditEntry `json:"exports"`
	}
	a.get(t, h.url+"/api/v1/exports-log").json(t, &log)
	require.NotEmpty(t, log.Exports)
	assert.Equal(t, "truongthon-donglao", log.Exports[0].Login)
	assert.Equal(t, "outreach.xlsx", log.Exports[0].Export)
	assert.Equal(t, 403, head.get(t, h.url+"/api/v1/exports-log").status)
}

// TestSessionsScheduleAndAnnouncements: sessions for Đông Lão, the schedule
// over the real household book, the loudspeaker text, its audio and the
// invitation slips.
func TestSessionsScheduleAndAnnouncements(t *testing.T) {
	h := start(t, testConfig(t))
	a := h.login()
	book, err := os.ReadFile(donglaoBook)
	require.NoError(t, err)
	body, ct := rosterUploadBody(t, nil, "so-ho-dong-lao.xlsx", book)
	require.Equal(t, 200, a.post(t, h.url+"/api/v1/roster", body, ct).status)

	day := time.Now().In(announceZone).AddDate(0, 0, 3).Format("2006-01-02")
	day2 := time.Now().In(announceZone).AddDate(0, 0, 4).Format("2006-01-02")
	r := a.postJSON(t, h.url+"/api/v1/sessions", map[string]any{"sessions": []map[string]any{
		{"village": "Đông Lão", "place": "Nhà văn hóa thôn Đông Lão", "date": day, "start": "19:00", "end": "21:30", "desks": 2},
		{"village": "Đông Lão", "place": "Nhà văn hóa thôn Đông Lão", "date": day2, "start": "19:00", "end": "21:00", "desks": 1},
	}})
	require.Equal(t, 201, r.status, string(r.body))
	var ss struct {
		Sessions []SessionReply `json:"sessions"`
	}
	r.json(t, &ss)
	require.Len(t, ss.Sessions, 2)
	assert.Equal(t, 30, ss.Sessions[0].Capacity, "2 desks × 2.5 h × 6/h until the house is measured")
	assert.Equal(t, 12, ss.Sessions[1].Capacity)
	assert.Contains(t, ss.Sessions[0].RateSource, "mặc định")

	// Overlap and the past: refused with Vietnamese messages, nothing added.
	r = a.postJSON(t, h.url+"/api/v1/sessions", map[string]any{"sessions": []map[string]any{
		{"village": "Đông Lão", "place": "Nhà văn hóa thôn Đông Lão", "date": day, "start": "20:00", "end": "22:00", "desks": 2},
	}})
	assert.Equal(t, 422, r.status)
	assert.Equal(t, "session_overlap", r.errCode(t))
	r = a.postJSON(t, h.url+"/api/v1/sessions", map[string]any{"sessions": []map[string]any{
		{"village": "Đông Lão", "date": "2020-01-01", "start": "19:00", "end": "21:00", "desks": 2},
	}})
	assert.Equal(t, "session_in_past", r.errCode(t))

	r = a.postJSON(t, h.url+"/api/v1/schedule", ScheduleRequest{Village: "Đông Lão"})
	require.Equal(t, 200, r.status, string(r.body))
	var sched struct {
		Sessions []struct {
			ID                  string
			Invited, Households int
		} `json:"sessions"`
		Left int `json:"left"`
	}
	r.json(t, &sched)
	require.Len(t, sched.Sessions, 2)
	assert.LessOrEqual(t, sched.Sessions[0].Invited, 30)
	assert.LessOrEqual(t, sched.Sessions[1].Invited, 12)
	assert.Equal(t, 47, sched.Sessions[0].Invited+sched.Sessions[1].Invited+sched.Left)
	again := a.postJSON(t, h.url+"/api/v1/schedule", ScheduleRequest{Village: "Đông Lão"})
	assert.Equal(t, string(r.body), string(again.body), "scheduling twice changes nothing")

	id := ss.Sessions[0].ID
	r = a.get(t, h.url+"/export/sessions/"+id+"/announcement.txt")
	require.Equal(t, 200, r.status)
	text := string(r.body)
	assert.Contains(t, text, "19 giờ")
	assert.NotContains(t, text, "19h")
	assert.Contains(t, text, "căn cước công dân")
	assert.Contains(t, text, "nhà văn hóa thôn Đông Lão")
	d, _ := time.Parse("2006-01-02", day)
	assert.Contains(t, text, fmt.Sprintf("ngày %d tháng %d", d.Day(), int(d.Month())))
	assert.Contains(t, text, "hộ ")

	if _, err := exec.LookPath("espeak-ng"); err == nil || testenv.InCI() {
		testenv.Need(t, "espeak-ng", "espeak-ng")
		r = a.get(t, h.url+"/export/sessions/"+id+"/announcement.wav")
		require.Equal(t, 200, r.status, string(r.body))
		info, err := announce.ParseWAV(r.body)
		require.NoError(t, err)
		assert.Equal(t, 16, info.BitsPerSample)
		words := len(strings.Fields(announce.Spoken(text)))
		want := time.Duration(float64(words) / 2.5 * float64(time.Second))
		assert.Greater(t, info.Duration, want/2)
		assert.Less(t, info.Duration, want*2)
	} else {
		t.Log("SKIP (loud): espeak-ng missing, announcement.wav not checked; CI installs it")
	}

	pdftotext := testenv.Need(t, "pdftotext", "poppler-utils")
	r = a.get(t, h.url+"/export/sessions/"+id+"/invitations.pdf")
	require.Equal(t, 200, r.status, string(r.body))
	dir := t.TempDir()
	pdf := filepath.Join(dir, "giay-moi.pdf")
	require.NoError(t, os.WriteFile(pdf, r.body, 0o600))
	out, err := exec.Command(pdftotext, "-layout", pdf, "-").Output()
	require.NoError(t, err)
	assert.Contains(t, string(out), "Hà Thị Trang", "the first household's head is invited first")
	r = a.get(t, h.url+"/export/sessions/"+id+"/list.pdf")
	require.Equal(t, 200, r.status)
	assert.True(t, bytes.HasPrefix(r.body, []byte("%PDF")))
}

var announceZone = time.FixedZone("ICT", 7*3600)

// TestTonightOverTheLink: a paired kiosk learns today's invited households
// of its village (names, masked CCCD, a keyed match; never the CCCD) and
// reports an arrival, which the ward counts on the session.
func TestTonightOverTheLink(t *testing.T) {
	h := start(t, testConfig(t))
	today := time.Now().In(announceZone)
	h.clock.Set(time.Date(today.Year(), today.Month(), today.Day(), 8, 0, 0, 0, announceZone))
	a := h.login()
	book, err := os.ReadFile(donglaoBook)
	require.NoError(t, err)
	body, ct := rosterUploadBody(t, nil, "so-ho-dong-lao.xlsx", book)
	require.Equal(t, 200, a.post(t, h.url+"/api/v1/roster", body, ct).status)
	r := a.postJSON(t, h.url+"/api/v1/sessions", map[string]any{"sessions": []map[string]any{
		{"village": "Đông Lão", "date": today.Format("2006-01-02"), "start": "19:00", "end": "21:00", "desks": 1},
	}})
	require.Equal(t, 201, r.status, string(r.body))
	require.Equal(t, 200, a.postJSON(t, h.url+"/api/v1/schedule", ScheduleRequest{Village: "Đông Lão"}).status)

	wc := &link.WardClient{URL: h.url, KioskID: "kiosk-a", Token: tokA}
	tn, err := wc.Tonight(context.Background(), "thôn Đông Lão")
	require.NoError(t, err)
	require.Len(t, tn.Sessions, 1)
	require.NotEmpty(t, tn.Sessions[0].Households)
	first := tn.Sessions[0].Households[0]
	assert.Equal(t, "Hà Thị Trang", first.Head)
	raw, _ := json.Marshal(tn)
	assert.NotContains(t, string(raw), "038179000501", "no full CCCD reaches the kiosk")
	assert.Equal(t, link.CCCDMatch(tokA, "038179000501"), first.Members[0].Match)

	// Another kiosk's token cannot read it; a stranger gets nothing.
	bad := &link.WardClient{URL: h.url, KioskID: "kiosk-a", Token: tokB}
	_, err = bad.Tonight(context.Background(), "Đông Lão")
	require.Error(t, err)

	require.NoError(t, wc.Report(context.Background(), []link.Arrival{{Person: first.Members[0].Key, How: "join"}}))
	var ss struct {
		Sessions []SessionReply `json:"sessions"`
	}
	a.get(t, h.url+"/api/v1/sessions?village=%C4%90%C3%B4ng%20L%C3%A3o").json(t, &ss)
	require.Len(t, ss.Sessions, 1)
	assert.Equal(t, 1, ss.Sessions[0].Arrived)
}

// TestSessionCapacityFromTheHouseAndGeneratedSessions: Đông Lão's kiosk
// served 25 people at one desk, one every 12 minutes: new sessions there
// plan 5 people per desk and hour, and say so; another village keeps the
// default. Sessions come from the rounds and from every evening to the
// deadline, and generating twice adds nothing. Then a household is moved
// by hand and shows in its new session.
func TestSessionCapacityFromTheHouseAndGeneratedSessions(t *testing.T) {
	h := start(t, testConfig(t))
	// Real days: the login cookie expires by the real clock.
	now := time.Now().In(announceZone)
	day0 := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, announceZone)
	day := func(n int) time.Time { return day0.AddDate(0, 0, n) }
	dmy := func(n int) string { return day(n).Format("02/01/2006") }
	h.clock.Set(day0.Add(8 * time.Hour))
	a := h.login()
	var recs []record.Record
	for i := 1; i <= 25; i++ {
		r := rec("kiosk-a", uint64(i), cccd(i), "Đông Lão", true)
		r.RecordedAt = day(-1).Add(19 * time.Hour).Add(time.Duration(i) * 12 * time.Minute).UTC()
		r.ConsentAt = day(-1).Add(18*time.Hour + 30*time.Minute).UTC()
		recs = append(recs, r)
	}
	require.Equal(t, 200, h.push("kiosk-a", tokA, recs...).status)

	type rate struct {
		Rate       float64 `json:"rate"`
		RateSource string  `json:"rate_source"`
	}
	var r1, r2 rate
	a.get(t, h.url+"/api/v1/rate?village=%C4%90%C3%B4ng%20L%C3%A3o").json(t, &r1)
	assert.InDelta(t, 5.0, r1.Rate, 0.001)
	assert.Contains(t, r1.RateSource, "đo tại nhà văn hóa thôn Đông Lão từ 24 lượt")
	a.get(t, h.url+"/api/v1/rate?village=Song%20Nga").json(t, &r2)
	assert.InDelta(t, 6.0, r2.Rate, 0.001)
	assert.Contains(t, r2.RateSource, "mặc định")

	// From the rounds: nothing before the rounds are known.
	r := a.postJSON(t, h.url+"/api/v1/sessions/generate", map[string]any{"from": "rounds", "village": "Đông Lão"})
	assert.Equal(t, "no_rounds", r.errCode(t))
	require.Equal(t, 200, a.post(t, h.url+"/api/v1/rounds", strings.NewReader("Đợt 1,"+dmy(-1)+","+dmy(1)+"\nĐợt 2,"+dmy(6)+","+dmy(8)+"\n"), "text/csv").status)
	type gen struct {
		Sessions []SessionReply `json:"sessions"`
		Skipped  int            `json:"skipped"`
	}
	var g gen
	r = a.postJSON(t, h.url+"/api/v1/sessions/generate", map[string]any{"from": "rounds", "village": "Đông Lão", "desks": 2})
	require.Equal(t, 201, r.status, string(r.body))
	r.json(t, &g)
	require.Len(t, g.Sessions, 5, "today, tomorrow and round 2; yesterday is past")
	assert.Equal(t, 1, g.Skipped)
	assert.Equal(t, 25, g.Sessions[0].Capacity, "2 desks × 2.5 h × 5/h measured at the house")
	assert.Contains(t, g.Sessions[0].RateSource, "đo tại")
	assert.Equal(t, "Nhà văn hóa thôn Đông Lão", g.Sessions[0].Place)
	r = a.postJSON(t, h.url+"/api/v1/sessions/generate", map[string]any{"from": "rounds", "village": "Đông Lão", "desks": 2})
	require.Equal(t, 200, r.status, string(r.body))
	r.json(t, &g)
	assert.Empty(t, g.Sessions, "generating twice adds nothing")
	assert.Equal(t, 6, g.Skipped)

	// Every evening to the deadline: the round evenings already held are skipped.
	r = a.postJSON(t, h.url+"/api/v1/sessions/generate", map[string]any{"from": "evenings", "village": "Đông Lão", "start_date": day(2).Format("2006-01-02")})
	assert.Equal(t, "no_deadline", r.errCode(t))
	require.Equal(t, 200, a.post(t, h.url+"/api/v1/deadline", strings.NewReader(`{"deadline":"`+dmy(12)+`"}`), "application/json").status)
	r = a.postJSON(t, h.url+"/api/v1/sessions/generate", map[string]any{"from": "evenings", "village": "Đông Lão", "start_date": day(2).Format("2006-01-02"), "desks": 2})
	require.Equal(t, 201, r.status, string(r.body))
	r.json(t, &g)
	assert.Len(t, g.Sessions, 8, "11 evenings but the three of round 2")
	assert.Equal(t, 3, g.Skipped)
	// Zero desks: a clear message, nothing added.
	r = a.postJSON(t, h.url+"/api/v1/sessions/generate", map[string]any{"from": "evenings", "village": "Song Nga", "desks": 0})
	assert.Equal(t, 422, r.status)
	assert.Contains(t, string(r.body), "Số bàn")

	// The rate survives a restart: it is learned again from the stored records.
	h.restart()
	a = h.login()
	a.get(t, h.url+"/api/v1/rate?village=%C4%90%C3%B4ng%20L%C3%A3o").json(t, &r1)
	assert.InDelta(t, 5.0, r1.Rate, 0.001)

	// The schedule, then one household moved by hand to the last evening.
	book, err := os.ReadFile(donglaoBook)
	require.NoError(t, err)
	body, ct := rosterUploadBody(t, nil, "so-ho-dong-lao.xlsx", book)
	require.Equal(t, 200, a.post(t, h.url+"/api/v1/roster", body, ct).status)
	require.Equal(t, 200, a.postJSON(t, h.url+"/api/v1/schedule", ScheduleRequest{Village: "Đông Lão"}).status)
	var first SessionHouseholds
	var all struct {
		Sessions []SessionReply `json:"sessions"`
	}
	a.get(t, h.url+"/api/v1/sessions").json(t, &all)
	r = a.get(t, h.url+"/api/v1/sessions/"+all.Sessions[0].ID)
	require.Equal(t, 200, r.status, string(r.body))
	r.json(t, &first)
	require.NotEmpty(t, first.Households)
	assert.NotContains(t, string(r.body), "038179000501", "masked CCCDs only")
	hh := first.Households[0]
	last := all.Sessions[len(all.Sessions)-1].ID
	r = a.postJSON(t, h.url+"/api/v1/invitations/move", MoveRequest{Person: hh.Key, Session: last})
	require.Equal(t, 200, r.status, string(r.body))
	var moved SessionHouseholds
	a.get(t, h.url+"/api/v1/sessions/"+last).json(t, &moved)
	require.Len(t, moved.Households, 1)
	assert.Equal(t, hh.Head, moved.Households[0].Head)
	assert.Len(t, moved.Households[0].Members, len(hh.Members), "the whole household moved")
	assert.Equal(t, 404, a.get(t, h.url+"/api/v1/sessions/khong-co").status)
}

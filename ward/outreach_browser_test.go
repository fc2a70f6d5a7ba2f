package ward

// The village head's page in headless Chromium under the ward's CSP: log
// in with the unit login, open the not-yet list, mark one person moved
// away; the list and the accountability table change.

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// openAs starts headless Chromium and logs in with a unit login; the page
// lands on /outreach.
func openAs(t *testing.T, h *harness, login, password string) *dashboard {
	t.Helper()
	d := openBrowser(t, 390, 844)
	d.run(chromedp.Navigate(h.url+"/login"), chromedp.WaitVisible(chromedp.ID("login")))
	d.run(chromedp.SendKeys(chromedp.ID("login"), login), chromedp.SendKeys(chromedp.ID("password"), password), chromedp.Submit(chromedp.ID("password")))
	return d
}

func TestVillageHeadMarksUnreachableInBrowser(t *testing.T) {
	h := start(t, testConfig(t))
	a := h.login()
	book, err := os.ReadFile(donglaoBook)
	require.NoError(t, err)
	body, ct := rosterUploadBody(t, nil, "so-ho-dong-lao.xlsx", book)
	require.Equal(t, 200, a.post(t, h.url+"/api/v1/roster", body, ct).status)
	require.Equal(t, 201, a.postJSON(t, h.url+"/api/v1/users", UserRequest{Login: "truongthon-donglao", Password: "mat-khau-thon-1", Village: "Đông Lão"}).status)

	d := openAs(t, h, "truongthon-donglao", "mat-khau-thon-1")
	d.run(chromedp.WaitVisible(chromedp.ID("t-people")), chromedp.WaitVisible(chromedp.CSS(`#t-people tbody tr[data-key]`)))
	d.poll(`document.querySelectorAll('#t-people tbody tr[data-key]').length === 47`, "the not-yet list of Đông Lão: 47 people of age")
	assert.Contains(t, d.text("#who"), "Đông Lão")
	assert.Contains(t, d.text("#t-people tbody"), "Hà Thị Trang")
	assert.NotContains(t, d.text("#t-people tbody"), "038179000501", "the list masks CCCDs")
	d.poll(`document.querySelector('#t-units tbody tr[data-unit="Đông Lão"]') !== null`, "the accountability table")
	before := unitsOf(t, h, a)

	// Mark the first person: moved away.
	d.run(chromedp.SetValue(chromedp.CSS(`#t-people tbody tr[data-key] select`), "moved"),
		chromedp.Click(chromedp.CSS(`#t-people tbody tr[data-key] button`)))
	d.poll(`document.querySelectorAll('#t-people tbody tr[data-key]').length === 46`, "the person left the not-yet list")
	d.run(chromedp.SetValue(chromedp.ID("f-status"), "unreachable"))
	d.eval(`document.getElementById('f-status').dispatchEvent(new Event('change')) || true`)
	d.poll(`document.querySelectorAll('#t-people tbody tr[data-key]').length === 1`, "listed as unreachable")
	assert.Contains(t, d.text("#t-people tbody"), "Không liên lạc được")

	after := unitsOf(t, h, a)
	assert.Equal(t, before.eligible-1, after.eligible, "a person who moved away leaves the unit's eligible count")
	assert.Equal(t, before.unreachable+1, after.unreachable)
	d.poll(`document.documentElement.scrollWidth <= window.innerWidth`, "no horizontal scroll at 390 px")

	// The village head makes the round's evenings, schedules them, and moves
	// the first invited household to the second evening by hand.
	assert.Contains(t, d.text("#rate-info"), "mặc định 6 lượt/giờ/bàn")
	day := time.Now().In(announceZone).AddDate(0, 0, 1)
	round := "Đợt 1," + day.Format("02/01/2006") + "," + day.AddDate(0, 0, 1).Format("02/01/2006") + "\n"
	require.Equal(t, 200, a.post(t, h.url+"/api/v1/rounds", strings.NewReader(round), "text/csv").status)
	d.run(chromedp.Click(chromedp.ID("gen-rounds")))
	d.poll(`document.querySelectorAll('#t-sessions tbody tr[data-session]').length === 2`, "two evenings from the round")
	assert.Contains(t, d.text("#session-result"), "Đã tạo 2 buổi")
	d.run(chromedp.Click(chromedp.ID("schedule")))
	d.poll(`document.querySelector('#t-sessions tbody tr[data-session] button.show-households:not([disabled])') !== null`, "households invited")
	d.run(chromedp.Click(chromedp.CSS(`#t-sessions tbody tr[data-session] button.show-households`)))
	d.poll(`document.querySelectorAll('#session-households li[data-person] select').length > 0`, "the first evening's households")
	ctx, cancel := context.WithTimeout(d.ctx, 20*time.Second)
	person, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#session-households li[data-person]').dataset.person`))
	cancel()
	require.NoError(t, err)
	require.True(t, d.eval(`(function () { var s = document.querySelector('#session-households li[data-person] select'); s.value = s.options[1].value; return s.value !== '-'; })()`))
	d.run(chromedp.Click(chromedp.CSS(`#session-households li[data-person] .move button`)))
	d.poll(`document.getElementById('session-result').textContent.indexOf('Đã chuyển hộ') === 0`, "the move is confirmed in Vietnamese")
	var ss struct {
		Sessions []SessionReply `json:"sessions"`
	}
	a.get(t, h.url+"/api/v1/sessions").json(t, &ss)
	require.Len(t, ss.Sessions, 2)
	var second SessionHouseholds
	a.get(t, h.url+"/api/v1/sessions/"+ss.Sessions[1].ID).json(t, &second)
	found := false
	for _, hh := range second.Households {
		found = found || hh.Key == person
	}
	assert.True(t, found, "the household is now invited to the second evening: %s in %+v", person, second)
	d.poll(`document.documentElement.scrollWidth <= window.innerWidth`, "no horizontal scroll at 390 px with the households open")
	d.screenshot("outreach-sessions-390.png")
	d.clean()
}

type unitNums struct{ eligible, unreachable int }

func unitsOf(t *testing.T, h *harness, a admin) unitNums {
	t.Helper()
	var u struct {
		Villages []struct {
			Name        string `json:"name"`
			Eligible    int    `json:"eligible"`
			Unreachable int    `json:"unreachable"`
		} `json:"villages"`
	}
	a.get(t, h.url+"/api/v1/units").json(t, &u)
	for _, v := range u.Villages {
		if strings.EqualFold(v.Name, "Đông Lão") {
			return unitNums{v.Eligible, v.Unreachable}
		}
	}
	t.Fatal("no Đông Lão in /api/v1/units")
	return unitNums{}
}

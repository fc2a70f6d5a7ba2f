package sync

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/internal/proctest"
	"github.com/kyso-vn/kyso/internal/testenv"
)

// TestTonightsInvitedOnTheTablet (issue 14): the ward schedules Đông Lão's
// households for a session today; the paired kiosk shows them on the tablet
// (names, masked CCCDs); an invited citizen joins from their phone and the
// ward sees the household arrived within 10 s — with the real programs.
func TestTonightsInvitedOnTheTablet(t *testing.T) {
	wardAddr := proctest.FreeAddr(t)
	ward := startWard(t, wardAddr, t.TempDir())
	kiosk := startKiosk(t, proctest.FreeAddr(t), t.TempDir(), "--ward-url", "http://"+wardAddr)

	book, err := os.ReadFile("../../roster/testdata/so-ho-dong-lao.xlsx")
	require.NoError(t, err)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", "so-ho-dong-lao.xlsx")
	fw.Write(book)
	mw.Close()
	req, _ := http.NewRequest("POST", ward.URL+"/api/v1/roster", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", basic("admin", adminPW))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode)

	admin := proctest.NewClient(t, ward.URL)
	admin.Header.Set("Authorization", basic("admin", adminPW))
	today := time.Now().In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02")
	require.Equal(t, 201, admin.JSON("POST", "/api/v1/sessions", map[string]any{"sessions": []map[string]any{
		{"village": village, "place": "Nhà văn hóa thôn Đông Lão", "date": today, "start": "00:00", "end": "23:59", "desks": 4},
	}}, nil))
	require.Equal(t, 200, admin.JSON("POST", "/api/v1/schedule", map[string]string{"village": village}, nil))

	v := volunteer(t, kiosk.URL)
	type member struct {
		Name       string `json:"name"`
		CCCDMasked string `json:"cccd_masked"`
		Arrived    bool   `json:"arrived"`
	}
	var tn struct {
		Sessions []struct {
			Households []struct {
				Head    string   `json:"head"`
				Arrived bool     `json:"arrived"`
				Members []member `json:"members"`
			} `json:"households"`
		} `json:"sessions"`
		Invited int `json:"invited_households"`
	}
	proctest.Eventually(t, 30*time.Second, "the tablet lists tonight's households", func() bool {
		return v.JSON("GET", "/api/v1/tonight", nil, &tn) == 200 && tn.Invited > 0
	})
	require.NotEmpty(t, tn.Sessions[0].Households)
	first := tn.Sessions[0].Households[0]
	assert.Equal(t, "Hà Thị Trang", first.Head)
	assert.Equal(t, "********0501", first.Members[0].CCCDMasked, "the tablet sees masked CCCDs only")

	// The tablet, in a real browser: the volunteer logs in and sees the list.
	tabletShowsTonight(t, kiosk.URL, "Hà Thị Trang")

	// Hà Thị Trang joins from her phone.
	phone := proctest.NewClient(t, kiosk.URL)
	require.Equal(t, 201, phone.JSON("POST", "/api/v1/tickets", map[string]any{
		"name": "Hà Thị Trang", "cccd": "038179000501", "birth_date": "1979-07-15", "gender": "female",
		"phone": "0912345501", "village": village, "consent": true,
	}, nil))
	start := time.Now()
	proctest.Eventually(t, 10*time.Second, "the ward sees the household arrived", func() bool {
		var ss struct {
			Sessions []struct {
				Arrived int `json:"arrived"`
			} `json:"sessions"`
		}
		return admin.JSON("GET", "/api/v1/sessions", nil, &ss) == 200 && len(ss.Sessions) == 1 && ss.Sessions[0].Arrived == 1
	})
	t.Logf("arrival reached the ward in %s", time.Since(start).Round(time.Millisecond))
	var board struct {
		InvitedToday struct {
			Invited int `json:"invited_households"`
			Arrived int `json:"arrived_households"`
		} `json:"invited_today"`
		Tonight struct {
			Joined int `json:"joined"`
		} `json:"tonight"`
	}
	require.Equal(t, 200, phone.JSON("GET", "/api/v1/board", nil, &board))
	assert.Equal(t, 1, board.InvitedToday.Arrived, "the board says who came")
	assert.Equal(t, tn.Invited, board.InvitedToday.Invited)
	assert.Equal(t, 1, board.Tonight.Joined, "the queue's own counters are still there")
}

// tabletShowsTonight opens the volunteer page in headless Chromium, logs in
// with the house PIN and waits for want in tonight's list.
func tabletShowsTonight(t *testing.T, base, want string) {
	t.Helper()
	exe := ""
	for _, p := range []string{"chromium-headless-shell", "chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(p); err == nil {
			exe = path
			break
		}
	}
	if exe == "" {
		testenv.Missing(t, "no Chromium (apt-get install -y chromium)")
		return
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(exe), chromedp.NoSandbox, chromedp.WindowSize(800, 1200))
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelA()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	tab := ctx
	ctx, cancelT := context.WithTimeout(ctx, 60*time.Second)
	defer cancelT()
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate(base+"/volunteer"),
		chromedp.WaitVisible(chromedp.ID("l-volunteer")),
		chromedp.SendKeys(chromedp.ID("l-volunteer"), "Trần Thị Lan"),
		chromedp.SendKeys(chromedp.ID("l-pin"), pin),
		chromedp.Click(chromedp.CSS(`#login-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("tonight-list")),
	))
	pctx, cancelP := context.WithTimeout(tab, 30*time.Second)
	defer cancelP()
	_, err := chromedp.Run(pctx, chromedp.Poll[bool](`document.getElementById('tonight-list').textContent.includes(`+strconv.Quote(want)+`)`))
	if err != nil {
		dbg, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.getElementById('tonight-list').innerText.slice(0, 300)`))
		t.Logf("tonight's list on the tablet: %q", dbg)
	}
	require.NoError(t, err, "the tablet shows tonight's invited households")
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("tonight-list")))
	require.NoError(t, err)
	assert.Contains(t, text, "********0501", "masked CCCDs")
	assert.NotContains(t, text, "038179000501", "never the full CCCD")
}

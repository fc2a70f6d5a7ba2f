package sync

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/kyso-vn/kyso/internal/proctest"
)

// upload posts a file to the ward as the admin (multipart "file").
func upload(t *testing.T, base, path, name string, data []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	require.NoError(t, err)
	_, _ = fw.Write(data)
	require.NoError(t, mw.Close())
	req, err := http.NewRequest("POST", base+path, &body)
	require.NoError(t, err)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", basic("admin", adminPW))
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, 200, res.StatusCode, path)
}

// TestOutreachWithARealKiosk (issue 13): five citizens of Đông Lão's book
// are activated at a real kiosk; after the push they leave the village's
// not-yet list; VNPT's report confirming three of them and two activated
// elsewhere gives the reconciliation numbers.
func TestOutreachWithARealKiosk(t *testing.T) {
	wardAddr := proctest.FreeAddr(t)
	ward := startWard(t, wardAddr, t.TempDir())
	kiosk := startKiosk(t, proctest.FreeAddr(t), t.TempDir(), "--ward-url", "http://"+wardAddr)
	book, err := os.ReadFile("../../roster/testdata/so-ho-dong-lao.xlsx")
	require.NoError(t, err)
	upload(t, ward.URL, "/api/v1/roster", "so-ho-dong-lao.xlsx", book)

	people := []struct{ name, cccd, birth, gender string }{
		{"Hà Thị Trang", "038179000501", "1979-07-15", "female"},
		{"Vũ Quang An", "038083000502", "1983-02-02", "male"},
		{"Hà Minh Hùng", "038099000503", "1999-08-19", "male"},
		{"Nguyễn Xuân Khánh", "038056000506", "1956-07-03", "male"},
		{"Trần Thu Nga", "038159000507", "1959-05-11", "female"},
	}
	v := volunteer(t, kiosk.URL)
	for i, p := range people {
		var tk struct {
			ID string `json:"id"`
		}
		require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets", map[string]any{
			"name": p.name, "cccd": p.cccd, "birth_date": p.birth, "gender": p.gender,
			"phone": fmt.Sprintf("091234%04d", i), "village": village, "consent": true,
		}, &tk))
		require.Equal(t, 201, v.JSON("POST", "/api/v1/tickets/"+tk.ID+"/complete", map[string]string{"outcome": "activated"}, nil))
	}
	admin := proctest.NewClient(t, ward.URL)
	admin.Header.Set("Authorization", basic("admin", adminPW))
	type list struct {
		Total struct {
			Eligible  int `json:"eligible"`
			Activated int `json:"activated"`
			NotYet    int `json:"not_yet"`
		} `json:"total"`
		People []struct {
			Name string `json:"name"`
		} `json:"people"`
	}
	var l list
	proctest.Eventually(t, 60*time.Second, "the five reach the ward", func() bool {
		return admin.JSON("GET", "/api/v1/outreach?village=%C4%90%C3%B4ng%20L%C3%A3o", nil, &l) == 200 && l.Total.Activated == 5
	})
	assert.Equal(t, 47, l.Total.Eligible)
	assert.Equal(t, 42, l.Total.NotYet)
	var notYet list
	require.Equal(t, 200, admin.JSON("GET", "/api/v1/outreach?village=%C4%90%C3%B4ng%20L%C3%A3o&status=not_yet", nil, &notYet))
	for _, p := range notYet.People {
		for _, q := range people {
			assert.NotEqual(t, q.name, p.Name, "activated at the kiosk: not on the not-yet list")
		}
	}

	// VNPT's report: three of the five, and two the kiosk never saw.
	f := excelize.NewFile()
	require.NoError(t, f.SetSheetRow("Sheet1", "A1", &[]any{"STT", "Họ và tên", "Số CCCD", "Số điện thoại", "Ngày kích hoạt", "Trạng thái"}))
	rows := [][]any{
		{1, "Hà Thị Trang", "038179000501", "0912340000", "20/11/2026", "Đã kích hoạt"},
		{2, "Vũ Quang An", "038083000502", "0912340001", "20/11/2026", "Đã kích hoạt"},
		{3, "Hà Minh Hùng", "038099000503", "0912340002", "20/11/2026", "Đã kích hoạt"},
		{4, "Lê Quang Hải", "038057000511", "", "21/11/2026", "Đã kích hoạt"},
		{5, "Nguyễn Hồng Hương", "038160000512", "", "21/11/2026", "Đã kích hoạt"},
	}
	for i, r := range rows {
		require.NoError(t, f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+2), &r))
	}
	var x bytes.Buffer
	require.NoError(t, f.Write(&x))
	upload(t, ward.URL, "/api/v1/vnpt-report", "bao-cao-vnpt.xlsx", x.Bytes())
	var rec struct {
		Villages []struct {
			Name          string `json:"name"`
			KysoActivated int    `json:"kyso_activated"`
			VNPTConfirmed int    `json:"vnpt_confirmed"`
			Both          int    `json:"both"`
			KysoOnly      int    `json:"kyso_only"`
			VNPTOnly      int    `json:"vnpt_only"`
		} `json:"villages"`
	}
	require.Equal(t, 200, admin.JSON("GET", "/api/v1/reconciliation", nil, &rec))
	require.Equal(t, village, rec.Villages[0].Name)
	assert.Equal(t, 5, rec.Villages[0].KysoActivated)
	assert.Equal(t, 5, rec.Villages[0].VNPTConfirmed)
	assert.Equal(t, 3, rec.Villages[0].Both)
	assert.Equal(t, 2, rec.Villages[0].KysoOnly)
	assert.Equal(t, 2, rec.Villages[0].VNPTOnly)
	require.Equal(t, 200, admin.JSON("GET", "/api/v1/outreach?village=%C4%90%C3%B4ng%20L%C3%A3o", nil, &l))
	assert.Equal(t, 7, l.Total.Activated, "VNPT's confirmations count as activated")
}

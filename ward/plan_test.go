package ward

import (
	"bytes"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestQuotasFromFlagFile(t *testing.T) {
	h := start(t, testConfig(t))
	p := h.progress()
	require.Len(t, p.Villages, 7)
	assert.Equal(t, 1701, p.Total.Target)
	assert.Equal(t, 166, p.Total.Before)
	assert.Equal(t, 166, p.Total.Have)
	assert.Equal(t, row{Name: "Đông Lão", Base: 491, Target: 202, Before: 43, Have: 43, Percent: 21.3, Remaining: 159}, p.Villages[0])
}

func TestBadQuotaFileStopsStart(t *testing.T) {
	cfg := testConfig(t)
	bad := t.TempDir() + "/q.csv"
	require.NoError(t, os.WriteFile(bad, []byte("Thôn,Số LĐ cần có chữ ký số\nĐông Lão,hai trăm\n"), 0o600))
	cfg.QuotasFile = bad
	_, err := New(cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Dòng 2, cột «Số LĐ cần có chữ ký số»")
}

func TestPlanEndpoints(t *testing.T) {
	cfg := testConfig(t)
	cfg.QuotasFile = ""
	h := start(t, cfg)
	a := h.login()
	assert.Empty(t, h.progress().Villages)

	real, err := os.ReadFile(quotasCSV)
	require.NoError(t, err)
	crlf := append([]byte("\uFEFF"), bytes.ReplaceAll(real, []byte("\n"), []byte("\r\n"))...)
	r := a.post(t, h.url+"/api/v1/quotas", bytes.NewReader(crlf), "text/csv")
	require.Equal(t, 200, r.status, string(r.body))
	assert.JSONEq(t, `{"villages":7,"base":4141,"target":1701,"before":166}`, string(r.body))

	r = a.post(t, h.url+"/api/v1/quotas", strings.NewReader("a;b\n1;2\n"), "text/csv")
	assert.Equal(t, 422, r.status)
	assert.Equal(t, "invalid_csv", r.errCode(t))
	assert.Contains(t, string(r.body), "Không tìm thấy dòng tiêu đề")
	assert.Equal(t, 1701, h.progress().Total.Target, "a bad file leaves the plan as it was")

	r = a.post(t, h.url+"/api/v1/associations", strings.NewReader("Đoàn thể,Chỉ tiêu\nHội Nông dân,280\nHội Phụ nữ,280\n"), "text/csv")
	require.Equal(t, 200, r.status, string(r.body))
	r = a.post(t, h.url+"/api/v1/rounds", strings.NewReader("Đợt 1,05/06/2024,07/06/2024\nĐợt 2,05/08/2024,07/08/2024\n"), "text/csv")
	require.Equal(t, 200, r.status, string(r.body))
	r = a.post(t, h.url+"/api/v1/rounds", strings.NewReader("Đợt 1,05/06/2024,07/06/2024\nĐợt 2,06/06/2024,07/08/2024\n"), "text/csv")
	assert.Equal(t, 422, r.status, "overlapping rounds")
	r = a.post(t, h.url+"/api/v1/deadline", strings.NewReader(`{"deadline":"31/02/2024"}`), "application/json")
	assert.Equal(t, 422, r.status)
	assert.Equal(t, "invalid_deadline", r.errCode(t))
	r = a.post(t, h.url+"/api/v1/deadline", strings.NewReader(`{"deadline":"30/09/2024"}`), "application/json")
	require.Equal(t, 200, r.status)

	h.clock.Set(t0.Add(2 * 24 * time.Hour)) // 07/06/2024, in round 1
	require.Equal(t, 200, h.push("kiosk-a", tokA,
		rec("kiosk-a", 1, cccd(1), "Đông Lão", true),  // 05/06
		rec("kiosk-a", 2, cccd(2), "Song Nga", true),  // 05/06
		rec("kiosk-a", 3, cccd(3), "Nơi khác", true),  // not in the plan
		rec("kiosk-a", 4, cccd(4), "Đông Lão", false), // failed
	).status)
	var p struct {
		Associations []row `json:"associations"`
		Rounds       []struct {
			Name    string `json:"name"`
			Done    int    `json:"done"`
			Current bool   `json:"current"`
		} `json:"rounds"`
		OtherVillages []row `json:"other_villages"`
		Forecast      struct {
			Deadline string `json:"deadline"`
			DaysLeft int    `json:"days_left"`
			Villages []struct {
				Name         string  `json:"name"`
				RatePerDay   float64 `json:"rate_per_day"`
				NeededPerDay float64 `json:"needed_per_day"`
			} `json:"villages"`
		} `json:"forecast"`
		Total row `json:"total"`
	}
	do(t, nil, "GET", h.url+"/api/v1/progress", nil, nil).json(t, &p)
	assert.Equal(t, row{Name: "Hội Phụ nữ", Target: 280, Done: 3, Have: 3, Percent: 1.1, Remaining: 277}, p.Associations[1])
	assert.Equal(t, 3, p.Rounds[0].Done)
	assert.True(t, p.Rounds[0].Current)
	assert.Equal(t, 0, p.Rounds[1].Done)
	assert.Equal(t, []row{{Name: "Khác (chờ xã đối chiếu)", Done: 1, Have: 1}}, p.OtherVillages,
		"the public document never repeats a name a citizen typed")
	assert.Equal(t, 3, p.Total.Done, "citizens outside the plan still count in the total")
	assert.Equal(t, "2024-09-30", p.Forecast.Deadline)
	assert.Equal(t, 116, p.Forecast.DaysLeft)
	assert.Equal(t, "Đông Lão", p.Forecast.Villages[0].Name)
	// 1 citizen over the 3 round days since the first activation; the
	// pace needed is per remaining round day (07/06 and round 2's three).
	assert.InDelta(t, 1.0/3, p.Forecast.Villages[0].RatePerDay, 0.01)
	assert.InDelta(t, 158.0/4, p.Forecast.Villages[0].NeededPerDay, 0.01)
	var full struct {
		OtherVillages []row `json:"other_villages"`
	}
	do(t, a.c, "GET", h.url+"/api/v1/progress/full", nil, nil).json(t, &full)
	assert.Equal(t, []row{{Name: "Nơi khác", Done: 1, Have: 1}}, full.OtherVillages, "the admin sees the names to map them")

	// Kiosks learn the plan's names.
	var v struct {
		Villages     []string `json:"villages"`
		Associations []string `json:"associations"`
	}
	do(t, nil, "GET", h.url+"/api/v1/villages", nil, nil).json(t, &v)
	assert.Len(t, v.Villages, 7)
	assert.Equal(t, []string{"Hội Nông dân", "Hội Phụ nữ"}, v.Associations)
}

func TestSettingsForms(t *testing.T) {
	h := start(t, testConfig(t))
	a := h.login()
	form := func(path string, vals url.Values) resp {
		vals.Set("csrf_token", a.csrf)
		return do(t, a.c, "POST", h.url+path, strings.NewReader(vals.Encode()), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	}
	r := form("/ui/associations", url.Values{"text": {"Hội Nông dân, 280\nĐoàn Thanh niên, 280"}})
	require.Equal(t, 200, r.status, string(r.body))
	assert.Contains(t, string(r.body), "2 đoàn thể")
	r = form("/ui/rounds", url.Values{"text": {"Đợt 1, 05/06/2024, 07/06/2024"}})
	require.Equal(t, 200, r.status, string(r.body))
	r = form("/ui/deadline", url.Values{"deadline": {"30/09/2024"}})
	require.Equal(t, 200, r.status, string(r.body))
	assert.Contains(t, string(r.body), "30/09/2024")
	r = form("/ui/rounds", url.Values{"text": {"Đợt 1, 35/06/2024, 07/06/2024"}})
	assert.Equal(t, 422, r.status)
	assert.Contains(t, string(r.body), "không phải là ngày")

	r = form("/ui/kiosks", url.Values{"id": {"nha-van-hoa-kim"}})
	require.Equal(t, 201, r.status, string(r.body))
	tok, ok := h.svc.reg.tokenFor("nha-van-hoa-kim")
	require.True(t, ok)
	assert.Contains(t, string(r.body), tok, "the new token is shown once")
	assert.Equal(t, 200, h.push("nha-van-hoa-kim", tok, rec("nha-van-hoa-kim", 1, cccd(1), "Thôn Kim", true)).status, "usable at once")
	r = form("/ui/kiosks", url.Values{"id": {"có dấu"}})
	assert.Equal(t, 422, r.status)

	r = form("/ui/pulls", url.Values{"kiosk_id": {"kiosk-b"}, "url": {"http://127.0.0.1:1/"}})
	require.Equal(t, 201, r.status, string(r.body))
	assert.Equal(t, "http://127.0.0.1:1", targetURL(h.svc, "kiosk-b"))

	// The dashboard shows what was set.
	page := string(do(t, a.c, "GET", h.url+"/", nil, nil).body)
	assert.Contains(t, page, "Đoàn Thanh niên, 280")
	assert.Contains(t, page, "Đợt 1, 05/06/2024, 07/06/2024")
	assert.Contains(t, page, `value="30/09/2024"`)
	assert.Contains(t, page, "nha-van-hoa-kim")

	// All of it survives a restart.
	h.restart()
	plan := h.svc.camp.Plan()
	assert.Len(t, plan.Associations, 2)
	assert.Len(t, plan.Rounds, 1)
	assert.Equal(t, "2024-09-30", plan.Deadline)
	assert.Equal(t, "http://127.0.0.1:1", targetURL(h.svc, "kiosk-b"))
	_, ok = h.svc.reg.tokenFor("nha-van-hoa-kim")
	assert.True(t, ok)
}

package outreach

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeasuredRate(t *testing.T) {
	cases := []struct {
		name     string
		house    string
		n        int
		sum      time.Duration
		rate     float64
		contains []string
	}{
		{"nothing measured: the default, and it says so", "Đông Lão", 0, 0, 6,
			[]string{"mặc định 6 lượt/giờ/bàn", "nhà văn hóa thôn Đông Lão chưa có số đo"}},
		{"too few: still the default, with how many are needed", "Đông Lão", 7, 7 * 8 * time.Minute, 6,
			[]string{"mặc định", "mới đo được 7 lượt", "cần ít nhất 20"}},
		{"57 services of 10 minutes: 6 per hour, measured", "Đông Lão", 57, 57 * 10 * time.Minute, 6,
			[]string{"đo tại nhà văn hóa thôn Đông Lão từ 57 lượt", "trung bình 10 phút/lượt"}},
		{"a slow house: 12.5 minutes a service is 4.8 per hour", "Cẩm Hưng", 40, 40 * 750 * time.Second, 4.8,
			[]string{"4,8 lượt/giờ/bàn", "12,5 phút/lượt"}},
		{"an impossibly fast house is capped at 30", "Đông Lão", 20, 20 * 40 * time.Second, 30, []string{"từ 20 lượt"}},
		{"a TDP keeps its own word", "TDP 3", 0, 0, 6, []string{"nhà văn hóa TDP 3 chưa có số đo"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := MeasuredRate(c.house, c.n, c.sum)
			assert.InDelta(t, c.rate, r.PerDeskHour, 0.001)
			for _, s := range c.contains {
				assert.Contains(t, r.Source, s)
			}
		})
	}
}

// evening notes n services of every minutes at each desk of a kiosk, from
// 19:00, every citizen having joined at 18:30 (so the desk is always busy).
func evening(m *RateMeter, kiosk, village, day string, desks, n int, every time.Duration) {
	start := at(day, "19:00")
	for d := 1; d <= desks; d++ {
		for i := 1; i <= n; i++ {
			m.Note(Service{Kiosk: kiosk, Desk: d, Village: village, Joined: at(day, "18:30"), Finished: start.Add(time.Duration(i) * every)})
		}
	}
}

func TestRateMeterLearnsEachHouse(t *testing.T) {
	m := NewRateMeter()
	assert.Contains(t, m.Rate("Đông Lão").Source, "mặc định", "no record yet")

	// Đông Lão: 3 desks, 8 citizens each at 12-minute intervals: 21 services
	// (the first at each desk has no start), i.e. 5 per hour.
	evening(m, "kiosk-donglao", "Đông Lão", "2026-11-20", 3, 8, 12*time.Minute)
	r := m.Rate("thôn Đông Lão")
	assert.InDelta(t, 5.0, r.PerDeskHour, 0.001)
	assert.Contains(t, r.Source, "từ 21 lượt")

	// Another house is not measured by Đông Lão's records.
	assert.Equal(t, DefaultRate, m.Rate("Cẩm Hưng").PerDeskHour)

	// A desk that waited idle: the citizen joined 8 minutes before being
	// finished, an hour after the previous one; 8 minutes count, not 60.
	m.Note(Service{Kiosk: "kiosk-donglao", Desk: 1, Village: "Đông Lão", Joined: at("2026-11-20", "21:32"), Finished: at("2026-11-20", "21:40")})
	r = m.Rate("Đông Lão")
	assert.Contains(t, r.Source, "từ 22 lượt")
	assert.InDelta(t, 3600/((21*12+8)*60.0/22), r.PerDeskHour, 0.06)

	// Records arrive out of order (a USB import after the push): the same.
	m2 := NewRateMeter()
	for i := 8; i >= 1; i-- {
		for d := 1; d <= 3; d++ {
			m2.Note(Service{Kiosk: "k", Desk: d, Village: "Đông Lão", Joined: at("2026-11-20", "18:30"), Finished: at("2026-11-20", "19:00").Add(time.Duration(i) * 12 * time.Minute)})
		}
	}
	assert.InDelta(t, 5.0, m2.Rate("Đông Lão").PerDeskHour, 0.001)

	// The kiosk travels to Cẩm Hưng for round 2: those evenings count there.
	evening(m2, "k", "Cẩm Hưng", "2026-11-24", 3, 8, 10*time.Minute)
	assert.InDelta(t, 5.0, m2.Rate("Đông Lão").PerDeskHour, 0.001)
	assert.InDelta(t, 6.0, m2.Rate("Cẩm Hưng").PerDeskHour, 0.001)
	assert.Contains(t, m2.Rate("Cẩm Hưng").Source, "đo tại nhà văn hóa thôn Cẩm Hưng từ 21 lượt")

	// Evenings whose records name no village (purged) count where the LAN
	// says the kiosk stands.
	m3 := NewRateMeter()
	evening(m3, "k3", "", "2026-11-20", 3, 8, 12*time.Minute)
	assert.Equal(t, DefaultRate, m3.Rate("Yên Thôn").PerDeskHour)
	m3.House = func(string) string { return "Yên Thôn" }
	assert.InDelta(t, 5.0, m3.Rate("Yên Thôn").PerDeskHour, 0.001)
}

func TestRateMeterIgnoresWhatIsNoService(t *testing.T) {
	m := NewRateMeter()
	day := "2026-11-20"
	// No desk, no finish time: nowhere on a timeline.
	m.Note(Service{Kiosk: "k", Village: "Đông Lão", Finished: at(day, "19:10")})
	m.Note(Service{Kiosk: "k", Desk: 1, Village: "Đông Lão"})
	// Double taps 5 s apart and a desk left for two hours.
	for i := 0; i < 30; i++ {
		m.Note(Service{Kiosk: "k", Desk: 1, Village: "Đông Lão", Finished: at(day, "19:00").Add(time.Duration(i) * 5 * time.Second)})
	}
	m.Note(Service{Kiosk: "k", Desk: 1, Village: "Đông Lão", Finished: at(day, "23:00")})
	r := m.Rate("Đông Lão")
	require.Equal(t, DefaultRate, r.PerDeskHour)
	assert.Contains(t, r.Source, "chưa có số đo")
}

// The meter at campaign scale: 20 000 records over 7 houses, then one new
// record and a rate asked again, as a session is planned during ingest.
func BenchmarkRateMeter(b *testing.B) {
	m := NewRateMeter()
	villages := []string{"Đông Lão", "Cẩm Hưng", "Yên Thôn", "Ngọc Bồng", "Đông Thượng", "Thạch Lập", "Ngọc Thượng"}
	for _, name := range villages {
		for day := 0; day < 10; day++ {
			evening(m, "kiosk-"+name, name, time.Date(2026, 11, 10+day, 0, 0, 0, 0, time.UTC).Format("2006-01-02"), 3, 95, 10*time.Minute)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Note(Service{Kiosk: "kiosk-Đông Lão", Desk: 1, Village: "Đông Lão", Finished: at("2026-11-25", "19:00").Add(time.Duration(i) * time.Second)})
		_ = m.Rate("Đông Lão")
	}
}

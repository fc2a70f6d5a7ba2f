package announce_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/announce"
)

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func dongLao() announce.Session {
	return announce.Session{Village: "Đông Lão", Date: date(2026, time.November, 20), Start: "19:00"}
}

func households() []announce.Household {
	return []announce.Household{
		{Head: "Nguyễn Văn An", HeadGender: "male", Members: []string{"Nguyễn Văn An", "Phạm Thị Mai"}},
		{Head: "Lê Thị Hoa", HeadGender: "female", Members: []string{"Lê Thị Hoa"}},
		{Head: "  Trần   Minh Khang ", Members: []string{"Trần Minh Khang", "Trần Thị Ngọc Ánh"}},
		{Head: "", Members: []string{"Không Tên"}},
	}
}

// Must show (issue 14): the text for 20/11 at 19:00 says "ngày 20 tháng 11"
// and "19 giờ" and never "19h".
func TestText_SessionOn20NovemberAt19(t *testing.T) {
	got := announce.Text(dongLao(), households())
	t.Log("\n" + got)

	assert.Contains(t, got, "ngày 20 tháng 11")
	assert.Contains(t, got, "19 giờ")
	assert.NotContains(t, got, "19h")
	assert.NotContains(t, got, "19:00")
	assert.True(t, strings.HasPrefix(got, "Thông báo: tối thứ Sáu, ngày 20 tháng 11, lúc 19 giờ, tại nhà văn hóa thôn Đông Lão, mời các hộ sau đến cài đặt chữ ký số:\n"), got)
	assert.Contains(t, got, "hộ ông Nguyễn Văn An,\n")
	assert.Contains(t, got, "hộ bà Lê Thị Hoa,\n")
	assert.Contains(t, got, "hộ Trần Minh Khang;\n", "unknown gender: no ông/bà, spaces collapsed")
	assert.Contains(t, got, "khi đi mang theo căn cước công dân và điện thoại thông minh.")
	assert.Contains(t, got, "Xin nhắc lại: tối thứ Sáu, ngày 20 tháng 11, lúc 19 giờ, tại nhà văn hóa thôn Đông Lão, mời 3 hộ có tên trên")
	assert.Equal(t, 2, strings.Count(got, "căn cước công dân"), "what to bring is said twice")
	assert.NotContains(t, got, "Không Tên", "a household without a head's name is not read out")
}

func TestText_NoHouseholds(t *testing.T) {
	got := announce.Text(dongLao(), nil)
	assert.Contains(t, got, "mời bà con chưa cài đặt chữ ký số đến cài đặt chữ ký số")
	assert.Contains(t, got, "Xin nhắc lại:")
	assert.NotContains(t, got, "mời 0 hộ")
}

func TestWhen(t *testing.T) {
	cases := []struct {
		name string
		s    announce.Session
		want string
	}{
		{"evening with end", announce.Session{Date: date(2026, time.November, 18), Start: "19h", End: "21h30"},
			"tối thứ Tư, ngày 18 tháng 11, từ 19 giờ đến 21 giờ 30"},
		{"morning with minutes", announce.Session{Date: date(2026, time.November, 21), Start: "7:30"},
			"sáng thứ Bảy, ngày 21 tháng 11, lúc 7 giờ 30"},
		{"noon", announce.Session{Date: date(2026, time.November, 22), Start: "11h30"},
			"trưa Chủ nhật, ngày 22 tháng 11, lúc 11 giờ 30"},
		{"afternoon", announce.Session{Date: date(2026, time.November, 23), Start: "14 giờ"},
			"chiều thứ Hai, ngày 23 tháng 11, lúc 14 giờ"},
		{"six pm is evening", announce.Session{Date: date(2026, time.December, 1), Start: "18:00"},
			"tối thứ Ba, ngày 1 tháng 12, lúc 18 giờ"},
		{"unreadable start: date only", announce.Session{Date: date(2026, time.November, 19), Start: "tối"},
			"thứ Năm, ngày 19 tháng 11"},
		{"no date", announce.Session{Start: "19:15"}, "tối, lúc 19 giờ 15"},
		{"nothing", announce.Session{}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, announce.When(c.s))
		})
	}
}

func TestPlaceText(t *testing.T) {
	cases := []struct {
		name, place, village, want string
	}{
		{"village's house by default", "", "Đông Lão", "nhà văn hóa thôn Đông Lão"},
		{"capital lowered mid-sentence", "Nhà văn hóa thôn Song Nga", "Song Nga", "nhà văn hóa thôn Song Nga"},
		{"hall", "Hội trường UBND xã", "", "hội trường UBND xã"},
		{"proper name kept", "Đình làng Đông Lão", "Đông Lão", "Đình làng Đông Lão"},
		{"nothing", "", "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, announce.PlaceText(announce.Session{Place: c.place, Village: c.village}))
		})
	}
}

func TestParseClockAndClockText(t *testing.T) {
	cases := []struct {
		name, in, want string
		ok             bool
	}{
		{"colon", "19:00", "19 giờ", true},
		{"h", "19h", "19 giờ", true},
		{"h minutes", "19h30", "19 giờ 30", true},
		{"g minutes", "19g30", "19 giờ 30", true},
		{"words", "19 giờ 30 phút", "19 giờ 30", true},
		{"leading zero minutes", "7:05", "7 giờ 05", true},
		{"hour too big", "25:00", "25:00", false},
		{"minutes too big", "19:75", "19:75", false},
		{"text", "tối nay", "tối nay", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, ok := announce.ParseClock(c.in)
			require.Equal(t, c.ok, ok)
			assert.Equal(t, c.want, announce.ClockText(c.in))
		})
	}
}

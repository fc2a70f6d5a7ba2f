package announce_test

import (
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"

	"github.com/kyso-vn/kyso/announce"
)

func TestNumber(t *testing.T) {
	cases := []struct {
		name string
		n    int64
		want string
	}{
		{"zero", 0, "không"},
		{"one", 1, "một"},
		{"ten", 10, "mười"},
		{"eleven", 11, "mười một"},
		{"fourteen keeps bốn", 14, "mười bốn"},
		{"fifteen is lăm", 15, "mười lăm"},
		{"twenty", 20, "hai mươi"},
		{"twenty-one is mốt", 21, "hai mươi mốt"},
		{"twenty-four is tư", 24, "hai mươi tư"},
		{"twenty-five is lăm", 25, "hai mươi lăm"},
		{"fifty-five", 55, "năm mươi lăm"},
		{"ninety-nine", 99, "chín mươi chín"},
		{"hundred", 100, "một trăm"},
		{"hundred and one", 101, "một trăm linh một"},
		{"hundred and five is linh năm", 105, "một trăm linh năm"},
		{"hundred and ten", 110, "một trăm mười"},
		{"hundred and fifteen", 115, "một trăm mười lăm"},
		{"hundred twenty-one", 121, "một trăm hai mươi mốt"},
		{"quota 202", 202, "hai trăm linh hai"},
		{"thousand", 1000, "một nghìn"},
		{"thousand and five", 1005, "một nghìn không trăm linh năm"},
		{"thousand and ten", 1010, "một nghìn không trăm mười"},
		{"eleven hundred", 1100, "một nghìn một trăm"},
		{"year 2026", 2026, "hai nghìn không trăm hai mươi sáu"},
		{"fifteen thousand", 15000, "mười lăm nghìn"},
		{"twenty-one thousand", 21000, "hai mươi mốt nghìn"},
		{"million", 1_000_000, "một triệu"},
		{"million and five", 1_000_005, "một triệu không trăm linh năm"},
		{"one point two million", 1_200_000, "một triệu hai trăm nghìn"},
		{"billion", 1_000_000_000, "một tỷ"},
		{"two and a half billion", 2_500_000_000, "hai tỷ năm trăm triệu"},
		{"negative", -5, "âm năm"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, announce.Number(c.n))
		})
	}
}

func TestSpoken(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"time h", "lúc 19h", "lúc mười chín giờ"},
		{"time h minutes", "lúc 19h30", "lúc mười chín giờ ba mươi phút"},
		{"time colon", "lúc 19:00,", "lúc mười chín giờ,"},
		{"time colon leading zero minutes", "từ 7:05", "từ bảy giờ năm phút"},
		{"time words with minutes", "lúc 19 giờ 30, tại", "lúc mười chín giờ ba mươi phút, tại"},
		{"time words with phút", "19 giờ 30 phút", "mười chín giờ ba mươi phút"},
		{"count after giờ is not minutes", "lúc 19 giờ 30 người đến", "lúc mười chín giờ ba mươi người đến"},
		{"time at the end", "đến 21h.", "đến hai mươi mốt giờ."},
		{"hectares are not hours", "5ha lúa", "năm ha lúa"},
		{"decimal hours", "2,5 giờ", "hai phẩy năm giờ"},
		{"date", "20/11", "ngày hai mươi tháng mười một"},
		{"date after ngày", "ngày 20/11", "ngày hai mươi tháng mười một"},
		{"date with year", "ngày 20/11/2026", "ngày hai mươi tháng mười một năm hai nghìn không trăm hai mươi sáu"},
		{"date in words", "ngày 20 tháng 11", "ngày hai mươi tháng mười một"},
		{"april is tháng tư", "ngày 4/4", "ngày bốn tháng tư"},
		{"not a date", "tỷ lệ 41/100", "tỷ lệ bốn mươi mốt một trăm"},
		{"weekday", "Thứ 4 và thứ 7", "Thứ tư và thứ bảy"},
		{"ordinal first", "lần thứ 1", "lần thứ nhất"},
		{"range", "từ 19-21 giờ", "từ mười chín đến hai mươi mốt giờ"},
		{"abbreviations", "Mang CCCD đến NVH TDP 5", "Mang căn cước công dân đến nhà văn hóa tổ dân phố năm"},
		{"ward", "UBND xã Quảng Phú", "ủy ban nhân dân xã Quảng Phú"},
		{"phone digit by digit", "SĐT 0987654321", "số điện thoại không chín tám bảy sáu năm bốn ba hai một"},
		{"cccd digit by digit", "số 038090123456", "số không ba tám không chín không một hai ba bốn năm sáu"},
		{"abbreviation inside a word untouched", "CCCDX", "CCCDX"},
		{"thousands separator", "1.000 người", "một nghìn người"},
		{"percent", "đạt 41%", "đạt bốn mươi mốt phần trăm"},
		{"counts", "mời 21 hộ, 105 người", "mời hai mươi mốt hộ, một trăm linh năm người"},
		{"symbols", "Nguyễn Văn An (trưởng thôn) & Lê Thị Hoa…", "Nguyễn Văn An, trưởng thôn, và Lê Thị Hoa."},
		{"letter and number", "hạng B2", "hạng B hai"},
		{"names unchanged", "hộ ông Nguyễn Văn An,\nhộ bà Lê Thị Hoa;", "hộ ông Nguyễn Văn An,\nhộ bà Lê Thị Hoa;"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, announce.Spoken(c.in))
		})
	}
}

func TestSpoken_AnnouncementHasNoDigits(t *testing.T) {
	s := dongLao()
	s.End = "21h30"
	got := announce.Spoken(announce.Text(s, households()))
	t.Log("\n" + got)
	assert.NotRegexp(t, regexp.MustCompile(`[0-9]`), got)
	assert.Contains(t, got, "ngày hai mươi tháng mười một")
	assert.Contains(t, got, "từ mười chín giờ đến hai mươi mốt giờ ba mươi phút")
	assert.Contains(t, got, "mời ba hộ có tên trên")
	assert.Contains(t, got, "hộ ông Nguyễn Văn An,\n", "a comma after each household: a pause")
}

func FuzzSpoken(f *testing.F) {
	for _, s := range []string{"19h30", "20/11/2026", "ngày 4/4 lúc 7:05", "SĐT 0987654321", "1.000,5%", "thứ 4", "2,5 giờ", "5ha", "19-21", "😀 19h", "ngày 99/99", "24:60"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := announce.Spoken(s)
		if !utf8.ValidString(out) && utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 from %q", s)
		}
	})
}

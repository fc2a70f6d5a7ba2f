package citizen_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/citizen"
)

func TestValidateCCCD(t *testing.T) {
	born := func(y int) time.Time { return time.Date(y, 6, 1, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		name   string
		why    string
		cccd   string
		birth  time.Time
		gender string
		code   string // "" = valid
	}{
		{"1900s male", "digit 4 = 0", "001060012345", born(1960), "male", ""},
		{"1900s female", "digit 4 = 1", "001160012345", born(1960), "female", ""},
		{"2000s male", "digit 4 = 2", "079205012345", born(2005), "male", ""},
		{"2000s female", "digit 4 = 3", "079305012345", born(2005), "female", ""},
		{"2100s", "digit 4 = 4/5 is structurally valid", "096500012345", born(2100), "nữ", ""},
		{"2200s", "digit 4 = 6/7", "096600012345", born(2200), "nam", ""},
		{"1800s", "digit 4 = 8/9", "001985012345", born(1885), "female", ""},
		{"1900 boundary", "year digits 00 in the 1900s", "001000012345", born(1900), "", ""},
		{"no birth, no gender", "zero birth and empty gender skip those checks", "001960012345", time.Time{}, "", ""},
		{"spaces and tabs", "groups of digits as printed", "001 060\t012 345", born(1960), "", ""},
		{"Thừa Thiên Huế", "a two-word province near the middle of the table", "046060012345", born(1960), "", ""},
		{"Cà Mau", "last code", "096060012345", born(1960), "", ""},

		{"empty", "nothing typed", "", born(1960), "", "invalid_cccd"},
		{"11 digits", "one digit missing", "00106001234", born(1960), "", "invalid_cccd"},
		{"13 digits", "one digit too many", "0010600123456", born(1960), "", "invalid_cccd"},
		{"letter", "O typed for 0", "O01060012345", born(1960), "", "invalid_cccd"},
		{"dashes", "only spaces are dropped", "001-060-012-345", born(1960), "", "invalid_cccd"},
		{"fullwidth digits", "only ASCII digits are stored", "００１060012345", born(1960), "", "invalid_cccd"},
		{"CMND 9 digits", "expired card number", "123456789", born(1960), "", "cmnd_expired"},
		{"CMND spaced", "expired card number with spaces", "123 456 789", born(1960), "", "cmnd_expired"},
		{"province 000", "below the table", "000060012345", born(1960), "", "unknown_province"},
		{"province 003", "a gap in the table", "003060012345", born(1960), "", "unknown_province"},
		{"province 099", "above the table", "099060012345", born(1960), "", "unknown_province"},
		{"province 097", "just above Cà Mau", "097060012345", born(1960), "", "unknown_province"},
		{"year digits", "61 is not 60", "001061012345", born(1960), "", "cccd_birth_mismatch"},
		{"century 2000s for 1960", "digit 4 = 2 means 2060", "001260012345", born(1960), "", "cccd_birth_mismatch"},
		{"century 1800s for 1960", "digit 4 = 8 means 1860", "001860012345", born(1960), "", "cccd_birth_mismatch"},
		{"century 1900s for 2005", "digit 4 = 0 means 1905", "001005012345", born(2005), "", "cccd_birth_mismatch"},
		{"male digit, female given", "digit 4 even is male", "001060012345", born(1960), "female", "cccd_gender_mismatch"},
		{"female digit, nam given", "digit 4 odd is female", "001360012345", born(2060), "Nam", "cccd_gender_mismatch"},
		{"bad gender word", "the gender itself is rejected first", "001060012345", born(1960), "trai", "invalid_gender"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := citizen.ValidateCCCD(tc.cccd, tc.birth, tc.gender)
			if tc.code == "" {
				require.NoError(t, err, tc.why)
				return
			}
			field := "cccd"
			if tc.code == "invalid_gender" {
				field = "gender"
			}
			requireFieldError(t, err, tc.code, field, tc.cccd)
		})
	}
}

func TestCCCDParts(t *testing.T) {
	for d := 0; d <= 9; d++ {
		cccd := fmt.Sprintf("001%d45000001", d)
		y, ok := citizen.CCCDBirthYear(cccd)
		require.True(t, ok)
		assert.Equal(t, []int{1945, 1945, 2045, 2045, 2145, 2145, 2245, 2245, 1845, 1845}[d], y, "digit 4 = %d", d)
		g, ok := citizen.CCCDGender(cccd)
		require.True(t, ok)
		assert.Equal(t, map[bool]string{true: "male", false: "female"}[d%2 == 0], g, "digit 4 = %d", d)
	}
	_, ok := citizen.CCCDBirthYear("123")
	assert.False(t, ok, "needs a cleaned 12-digit number")
	_, ok = citizen.CCCDGender("00106001234x")
	assert.False(t, ok)
}

func TestProvinceName(t *testing.T) {
	known := 0
	for n := 0; n < 1000; n++ {
		code := fmt.Sprintf("%03d", n)
		name, ok := citizen.ProvinceName(code)
		if !ok {
			assert.Empty(t, name)
			continue
		}
		known++
		assert.True(t, norm.NFC.IsNormalString(name), "%s %q is NFC", code, name)
		assert.LessOrEqual(t, n, 96)
	}
	assert.Equal(t, 63, known, "the 63 pre-2025 provinces")

	cases := []struct {
		code, name string
		ok         bool
		why        string
	}{
		{"001", "Hà Nội", true, "first"},
		{"038", "Thanh Hóa", true, "the design's example"},
		{"046", "Thừa Thiên Huế", true, "three words"},
		{"066", "Đắk Lắk", true, "Đ and two breves"},
		{"077", "Bà Rịa - Vũng Tàu", true, "hyphenated"},
		{"079", "Hồ Chí Minh", true, "largest city"},
		{"096", "Cà Mau", true, "last"},
		{"1", "", false, "not zero-padded"},
		{"0001", "", false, "too long"},
		{"", "", false, "empty"},
		{"0a1", "", false, "not digits"},
	}
	for _, tc := range cases {
		name, ok := citizen.ProvinceName(tc.code)
		assert.Equal(t, tc.ok, ok, tc.why)
		assert.Equal(t, tc.name, name, tc.why)
	}
}

func TestNormalizePhone(t *testing.T) {
	cases := []struct {
		name, in, want, why string
	}{
		{"plain", "0912345678", "0912345678", "already normalised"},
		{"spaces", "0912 345 678", "0912345678", "as people group it"},
		{"dots", "0912.345.678", "0912345678", "as printed on cards"},
		{"dashes and parentheses", "(091) 234-5678", "0912345678", "as some phones format it"},
		{"+84", "+84912345678", "0912345678", "international form"},
		{"+84 spaced", "+84 91 234 5678", "0912345678", "international, grouped"},
		{"+84 (0)", "+84 (0) 912 345 678", "0912345678", "the 0 kept after the country code"},
		{"84 eleven digits", "84912345678", "0912345678", "+ left out"},
		{"84 with 0", "840912345678", "0912345678", "+ left out, 0 kept"},
		{"0084", "0084912345678", "0912345678", "dialled from abroad"},
		{"nbsp", "0912\u00a0345\u00a0678", "0912345678", "copy-paste from a web page"},
		{"03 Viettel", "0362345678", "0362345678", "03x"},
		{"05", "0562345678", "0562345678", "05x"},
		{"07", "0702345678", "0702345678", "07x"},
		{"08", "0862345678", "0862345678", "08x"},
		{"84 ten digits is a number, not a prefix", "0849123456", "0849123456", "084 is a mobile prefix"},

		{"empty", "", "", "required"},
		{"landline 02", "0243765432", "", "02x is fixed line"},
		{"04", "0412345678", "", "not a mobile prefix"},
		{"06", "0612345678", "", "not a mobile prefix"},
		{"nine digits", "987654321", "", "leading 0 left out: ambiguous, ask again"},
		{"eleven digits", "09123456789", "", "one too many"},
		{"old 11-digit 01x", "01662345678", "", "converted to 03x in 2018"},
		{"letters", "09123456a8", "", "typo"},
		{"other country", "+85512345678", "", "Cambodian number"},
		{"plus in the middle", "09+12345678", "", "only a leading +"},
		{"double plus", "++84912345678", "", "malformed"},
		{"84 twelve digits without 0", "849123456789", "", "not 84+9"},
		{"+84 too short", "+8491234567", "", "8 national digits"},
		{"fullwidth", "０912345678", "", "only ASCII digits"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := citizen.NormalizePhone(tc.in)
			if tc.want == "" {
				requireFieldError(t, err, "invalid_phone", "phone", tc.in)
				assert.Empty(t, got)
				return
			}
			require.NoError(t, err, tc.why)
			assert.Equal(t, tc.want, got, tc.why)
			assert.True(t, citizen.IsMobile(got))
		})
	}
}

func TestParseBirthDate(t *testing.T) {
	cases := []struct {
		name, in, want, why string
	}{
		{"ISO", "1960-03-05", "1960-03-05", "what the API sends"},
		{"ISO one-digit", "1960-3-5", "1960-03-05", "hand-typed ISO"},
		{"ISO with slashes", "1960/03/05", "1960-03-05", "year first with slashes"},
		{"day first", "05/03/1960", "1960-03-05", "how Vietnamese write dates"},
		{"day first short", "5/3/1960", "1960-03-05", "no leading zeros"},
		{"day first dashes", "05-03-1960", "1960-03-05", "dashes"},
		{"day first dots", "5.3.1960", "1960-03-05", "dots"},
		{"one-digit day, dashes", "5-03-1960", "1960-03-05", "must not be read year-first"},
		{"spaces around", " 05/03/1960 ", "1960-03-05", "trimmed"},
		{"leap day 2000", "29/02/2000", "2000-02-29", "2000 is a leap year"},
		{"leap day 1904", "1904-02-29", "1904-02-29", "ordinary leap year"},
		{"first allowed", "01/01/1900", "1900-01-01", "lower bound"},
		{"31 December", "31/12/1999", "1999-12-31", "month end"},

		{"empty", "", "", "required"},
		{"leap day 1900", "29/02/1900", "", "1900 was not a leap year"},
		{"leap day 2001", "2001-02-29", "", "common year"},
		{"31 April", "31/04/1990", "", "April has 30 days"},
		{"month 13", "05/13/1990", "", "US order or a typo"},
		{"day 0", "00/01/1990", "", "no day 0"},
		{"two-digit year", "05/03/60", "", "ambiguous century"},
		{"before 1900", "31/12/1899", "", "lower bound"},
		{"year 0000", "0000-01-01", "", "not a year"},
		{"mixed separators", "05/03-1960", "", "malformed"},
		{"no separators", "05031960", "", "ambiguous"},
		{"timestamp", "1960-03-05T00:00:00Z", "", "only a date"},
		{"words", "năm 1960", "", "free text"},
		{"negative", "-1/03/1960", "", "not a number"},
		{"fullwidth", "０5/03/1960", "", "only ASCII digits"},
		{"too many parts", "1/2/3/1960", "", "malformed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := citizen.ParseBirthDate(tc.in)
			if tc.want == "" {
				requireFieldError(t, err, "invalid_birth_date", "birth_date")
				assert.True(t, got.IsZero())
				return
			}
			require.NoError(t, err, tc.why)
			assert.Equal(t, tc.want, got.Format(time.DateOnly), tc.why)
			assert.Equal(t, time.UTC, got.Location(), "calendar dates are midnight UTC")
		})
	}
}

func TestAge(t *testing.T) {
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	cases := []struct {
		name       string
		birth, now time.Time
		want       int
		why        string
	}{
		{"birthday", d(2007, 11, 19), time.Date(2025, 11, 19, 0, 0, 0, 0, vn), 18, "counts from the day itself"},
		{"eve", d(2007, 11, 20), time.Date(2025, 11, 19, 23, 59, 0, 0, vn), 17, "one minute short of the day"},
		{"VN day ahead of UTC", d(2007, 11, 19), time.Date(2025, 11, 18, 17, 0, 0, 0, time.UTC), 18, "00:00 in Hà Nội"},
		{"VN day still behind", d(2007, 11, 19), time.Date(2025, 11, 18, 16, 59, 0, 0, time.UTC), 17, "23:59 in Hà Nội"},
		{"leap-day, 28 Feb common", d(2004, 2, 29), d(2022, 2, 28), 17, "birthday not yet"},
		{"leap-day, 1 Mar common", d(2004, 2, 29), d(2022, 3, 1), 18, "birthday on 1 March"},
		{"leap-day, 29 Feb leap", d(2004, 2, 29), d(2024, 2, 29), 20, "birthday itself"},
		{"leap-day, 28 Feb leap", d(2004, 2, 29), d(2024, 2, 28), 19, "day before"},
		{"birth in another zone", time.Date(1960, 3, 5, 0, 0, 0, 0, vn), d(2025, 3, 5), 65, "birth read as its own calendar day"},
		{"newborn", d(2025, 11, 19), campaignNow, 0, "same day"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, citizen.Age(tc.birth, tc.now), "%s: %s", tc.name, tc.why)
	}
}

func TestNormalizeName(t *testing.T) {
	cases := []struct {
		name, in, want, why string
	}{
		{"plain", "Nguyễn Văn An", "Nguyễn Văn An", "as typed"},
		{"NFD", "Nguye\u0302\u0303n Thi\u0323 Ha\u0300", "Nguyễn Thị Hà", "decomposed diacritics become NFC"},
		{"spaces", "  Trần \t Thị\n  Bích  ", "Trần Thị Bích", "trimmed and collapsed"},
		{"zero-width space", "Lê\u200b Văn Tám", "Lê Văn Tám", "invisible characters from copy-paste dropped"},
		{"apostrophe dot hyphen", "H'Hen Niê-Ksor Jr.", "H'Hen Niê-Ksor Jr.", "Ê Đê names and initials"},
		{"two letters", "Lý", "Lý", "shortest"},
		{"80 runes", strings.Repeat("ễ", 80), strings.Repeat("ễ", 80), "longest"},
		{"80 runes NFD", strings.Repeat("e\u0302\u0303", 80), strings.Repeat("ễ", 80), "length counted after NFC"},
		{"lower case kept", "nguyễn văn an", "nguyễn văn an", "case is the citizen's"},

		{"empty", "", "", "required"},
		{"one letter", "A", "", "too short"},
		{"81 runes", strings.Repeat("a", 81), "", "too long"},
		{"digits", "Nguyễn Văn 2", "", "not a name"},
		{"punctuation only", "-.'", "", "needs a letter"},
		{"emoji", "An 😀", "", "not a name"},
		{"leading mark", "\u0301An", "", "a mark must sit on a letter"},
		{"control", "An\x00Bình", "", "binary junk"},
		{"invalid UTF-8", "An\xffBình", "", "binary junk"},
		{"html", "<b>An</b>", "", "markup"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := citizen.NormalizeName(tc.in)
			if tc.want == "" {
				requireFieldError(t, err, "invalid_name", "name")
				return
			}
			require.NoError(t, err, tc.why)
			assert.Equal(t, tc.want, got, tc.why)
		})
	}
}

func TestVillageAndAssociation(t *testing.T) {
	v, err := citizen.NormalizeVillage(" Thôn  Đo\u0302ng La\u0303o ")
	require.NoError(t, err)
	assert.Equal(t, "Thôn Đông Lão", v, "NFC, single spaces: the ward counts per exact name")
	v, err = citizen.NormalizeVillage(strings.Repeat("ô", 100))
	require.NoError(t, err, "100 runes is the limit, not 100 bytes")
	assert.Equal(t, strings.Repeat("ô", 100), v)
	v, err = citizen.NormalizeVillage("Tổ dân phố 5")
	require.NoError(t, err, "digits are fine in a village name")
	assert.Equal(t, "Tổ dân phố 5", v)
	for _, bad := range []string{"Đông\x07Lão", "Đông\xffLão", "=HYPERLINK(\"http://x\")", "+1", "-Đông", "@SUM(A1)"} {
		_, err = citizen.NormalizeVillage(bad)
		requireFieldError(t, err, "invalid_village", "village") // control bytes, or a spreadsheet formula in the ward's exports
	}

	a, err := citizen.NormalizeAssociation("")
	require.NoError(t, err, "optional")
	assert.Empty(t, a)
	a, err = citizen.NormalizeAssociation(" Hội  Cựu chiến binh ")
	require.NoError(t, err)
	assert.Equal(t, "Hội Cựu chiến binh", a)
	for _, bad := range []string{"Hội\xff", "=1+1"} {
		_, err = citizen.NormalizeAssociation(bad)
		requireFieldError(t, err, "invalid_association", "association")
	}
}

func TestNormalizeGender(t *testing.T) {
	cases := []struct{ in, want, why string }{
		{"male", "male", "API value"},
		{"female", "female", "API value"},
		{"Nam", "male", "Vietnamese"},
		{"NỮ", "female", "upper case"},
		{"nữ", "female", "Vietnamese"},
		{"nu\u031b\u0303", "female", "NFD (u, horn, tilde)"},
		{"nu", "female", "typed without diacritics"},
		{" Male ", "male", "trimmed"},
		{"", "", "empty: taken from the CCCD"},
	}
	for _, tc := range cases {
		got, err := citizen.NormalizeGender(tc.in)
		require.NoError(t, err, tc.why)
		assert.Equal(t, tc.want, got, tc.why)
	}
	for _, bad := range []string{"x", "m", "other", "nam nữ", "nam\xff"} {
		_, err := citizen.NormalizeGender(bad)
		requireFieldError(t, err, "invalid_gender", "gender")
	}
}

func TestMask(t *testing.T) {
	cases := []struct {
		name, cccd, phone, wantCCCD, wantPhone, why string
	}{
		{"normal", "001060012345", "0912345678", "********2345", "******5678", "the list format"},
		{"spaced", "001 060 012 345", "0912 345 678", "********2345", "******5678", "spaces never widen the mask"},
		{"short", "1234567", "123", "*******", "***", "too short to show 4 digits"},
		{"empty", "", "", "", "", "nothing to hide"},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.wantCCCD, citizen.MaskCCCD(tc.cccd), "%s: %s", tc.name, tc.why)
		assert.Equal(t, tc.wantPhone, citizen.MaskPhone(tc.phone), "%s: %s", tc.name, tc.why)
	}
}

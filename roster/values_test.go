package roster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNormalizeHeader(t *testing.T) {
	cases := map[string]string{
		"Họ và tên":             "ho va ten",
		"  SĐT ":                "sdt",
		"Số CMND/CCCD":          "so cmnd cccd",
		"Ngày, tháng, năm sinh": "ngay thang nam sinh",
		"Thôn/TDP":              "thon tdp",
		"ĐOÀN THỂ":              "doan the",
		"Ho\u0323 va\u0300 tên": "ho va ten", // decomposed
		"Quan hệ\nvới chủ hộ":   "quan he voi chu ho",
		"":                      "",
	}
	for in, want := range cases {
		assert.Equal(t, want, NormalizeHeader(in), in)
	}
}

func TestClassifyHeader(t *testing.T) {
	all := map[string]bool{}
	for _, f := range rosterFields {
		all[f] = true
	}
	cases := map[string]string{
		"Họ và tên":             FieldName,
		"Họ tên chủ hộ":         FieldHead,
		"Chủ hộ":                FieldHead,
		"Quan hệ với chủ hộ":    FieldRelation,
		"QH với CH":             "",
		"Mã hộ":                 FieldHousehold,
		"Số hộ khẩu":            FieldHousehold,
		"Số CCCD/CMND":          FieldCCCD,
		"Số định danh cá nhân":  FieldCCCD,
		"Ngày tháng năm sinh":   FieldBirthDate,
		"Năm sinh":              FieldBirthDate,
		"Số điện thoại liên hệ": FieldPhone,
		"SĐT":                   FieldPhone,
		"Thôn/TDP":              FieldVillage,
		"Địa chỉ thường trú":    FieldAddress,
		"Chi hội":               FieldAssociation,
		"Tham gia đoàn thể":     FieldAssociation,
		"STT":                   fieldSerial,
		"Ghi chú":               "",
		"Ngày kích hoạt":        "", // not a roster field
		"DANH SÁCH HỘ GIA ĐÌNH VÀ NHÂN KHẨU THÔN ĐÔNG LÃO": "", // a title
	}
	for in, want := range cases {
		assert.Equal(t, want, classify(in, all), in)
	}
}

func TestRepairCCCD(t *testing.T) {
	cases := []struct {
		in, want string
		prob     cccdProblem
	}{
		{"038179000501", "038179000501", cccdOK},
		{"38179000501", "038179000501", cccdOK},      // a number cell
		{"1306003003", "001306003003", cccdOK},       // Hà Nội, two zeros lost
		{"38179000501.0", "038179000501", cccdOK},    // a float's text
		{"3.8179000501E+10", "038179000501", cccdOK}, // scientific
		{"3,8179000501E+10", "038179000501", cccdOK}, // with a decimal comma
		{"3.8179E+10", "", cccdRounded},              // Excel's General: digits lost
		{"038 179 000 501", "038179000501", cccdOK},  // groups
		{"038.179.000.501", "038179000501", cccdOK},  // dotted groups
		{"'038179000501", "038179000501", cccdOK},    // apostrophe
		{`="038179000501"`, "038179000501", cccdOK},  // CSV formula-text trick
		{"038123456", "038123456", cccdOK},           // a CMND: checked later
		{"0381790005011", "", cccdLength},            // 13 digits
		{"12345", "", cccdLength},
		{"03817900050A", "", cccdNotNumber},
		{"=A1", "", cccdNotNumber},
		{"#N/A", "", cccdOK}, // an error value is no value
		{"", "", cccdOK},
	}
	for _, tc := range cases {
		d, prob := repairCCCD(tc.in)
		assert.Equal(t, tc.want, d, tc.in)
		assert.Equal(t, tc.prob, prob, tc.in)
	}
	assert.Equal(t, cccdOK, checkCCCD("038179000501", 1979))
	assert.Equal(t, cccdOK, checkCCCD("038179000501", 0))
	assert.Equal(t, cccdBirth, checkCCCD("038179000501", 1980))
	assert.Equal(t, cccdProvince, checkCCCD("099179000501", 1979))
	assert.Equal(t, cccdCMND, checkCCCD("038123456", 0))
}

func TestParseDate(t *testing.T) {
	cases := []struct {
		in   string
		want string
	}{
		{"15/07/1979", "1979-07-15"},
		{"5/7/1979", "1979-07-05"},
		{"15-07-1979", "1979-07-15"},
		{"15.07.1979", "1979-07-15"},
		{"1979-07-15", "1979-07-15"},
		{"1979-07-15T00:00:00Z", "1979-07-15"},
		{"21/11/2024 08:15:33", "2024-11-21"},
		{"07/15/1979", "1979-07-15"}, // US order, when the day cannot be a month
		{"1979", "1979"},
		{"29051", "1979-07-15"}, // serial
		{"29051.75", "1979-07-15"},
		{"'15/07/1979", "1979-07-15"},
		{"31/02/1979", ""},
		{"15/07/79", ""}, // two-digit year: which century?
		{"1899", ""},
		{"1000", ""},
		{"abc", ""},
		{"#VALUE!", ""},
	}
	for _, tc := range cases {
		d, ok := parseDate(tc.in, false)
		assert.Equal(t, tc.want != "", ok, tc.in)
		assert.Equal(t, tc.want, d.String(), tc.in)
	}
	d, ok := parseDate("27589", true) // the 1904 system
	assert.True(t, ok)
	assert.Equal(t, "1979-07-15", d.String())
}

func TestAgeFromBareYear(t *testing.T) {
	ref := time.Date(2024, 11, 19, 12, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	assert.Equal(t, 18, date{Year: 2005}.ageOn(ref), "31/12/2005 → 18 on 19/11/2024")
	assert.Equal(t, 17, date{Year: 2006}.ageOn(ref), "someone born in 2006 may be 18 already, but is not counted so")
	assert.Equal(t, 18, date{2006, 11, 19}.ageOn(ref))
	assert.Equal(t, 17, date{2006, 11, 20}.ageOn(ref))
}

func TestParsePhone(t *testing.T) {
	cases := map[string]string{
		"0912345678":              "0912345678",
		"912345678":               "0912345678", // a number cell
		"912345678.0":             "0912345678",
		"+84 912 345 678":         "0912345678",
		"84912345678":             "0912345678",
		"0912.345.678":            "0912345678",
		"0912345678 / 0987654321": "0912345678",
		"'0912345678":             "0912345678",
		"0241234567":              "", // a landline
		"12345":                   "",
	}
	for in, want := range cases {
		got, ok := parsePhone(in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, want != "", ok, in)
	}
}

func TestPlaceIn(t *testing.T) {
	cases := map[string]string{
		"SỔ HỘ KHẨU THÔN ĐÔNG LÃO":                         "Đông Lão",
		"DANH SÁCH HỘ GIA ĐÌNH VÀ NHÂN KHẨU THÔN ĐÔNG LÃO": "Đông Lão",
		"Thôn Song Nga, xã Cẩm Ngọc, huyện Cẩm Thủy":       "Song Nga",
		"Tổ dân phố 3, phường Ba Đình":                     "Tổ dân phố 3",
		"Xóm Trại":                                         "Trại",
		"UBND XÃ CẨM NGỌC":                                 "",
		"Số 5 ngõ 12 đường Lê Lợi":                         "",
		"Tổ 1":                                             "",
	}
	for in, want := range cases {
		assert.Equal(t, want, placeIn(in), in)
	}
	assert.Equal(t, "đông lão", placeKey("Thôn  Đông Lão"))
	assert.Equal(t, "đông lão", placeKey("đông lão"))
}

func TestActivatedStatus(t *testing.T) {
	for s, want := range map[string]bool{
		"Đã kích hoạt": true, "Hoạt động": true, "Thành công": true, "Active": true, "ACTIVATED": true,
		"Chưa kích hoạt": false, "Không hoạt động": false, "Inactive": false, "Đã hủy": false, "Hết hạn": false,
		"Chờ duyệt": false, "": false, "???": false,
	} {
		assert.Equal(t, want, activatedStatus(s), s)
	}
}

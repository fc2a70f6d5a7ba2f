package citizen

import (
	"strings"
	"time"
	"unicode"
)

// provinceNames is the official table of CCCD province codes (Bộ Công an,
// Thông tư 07/2016/TT-BCA): digits 1–3 of a CCCD number name the province
// where the birth was registered. Cards keep their number after the 2025
// merger of provinces, so the 63 pre-2025 codes stay the valid ones.
// Indexed by the numeric code; empty means "no such province". Read-only.
var provinceNames = [...]string{
	1: "Hà Nội", 2: "Hà Giang", 4: "Cao Bằng", 6: "Bắc Kạn", 8: "Tuyên Quang",
	10: "Lào Cai", 11: "Điện Biên", 12: "Lai Châu", 14: "Sơn La", 15: "Yên Bái",
	17: "Hòa Bình", 19: "Thái Nguyên", 20: "Lạng Sơn", 22: "Quảng Ninh", 24: "Bắc Giang",
	25: "Phú Thọ", 26: "Vĩnh Phúc", 27: "Bắc Ninh", 30: "Hải Dương", 31: "Hải Phòng",
	33: "Hưng Yên", 34: "Thái Bình", 35: "Hà Nam", 36: "Nam Định", 37: "Ninh Bình",
	38: "Thanh Hóa", 40: "Nghệ An", 42: "Hà Tĩnh", 44: "Quảng Bình", 45: "Quảng Trị",
	46: "Thừa Thiên Huế", 48: "Đà Nẵng", 49: "Quảng Nam", 51: "Quảng Ngãi", 52: "Bình Định",
	54: "Phú Yên", 56: "Khánh Hòa", 58: "Ninh Thuận", 60: "Bình Thuận", 62: "Kon Tum",
	64: "Gia Lai", 66: "Đắk Lắk", 67: "Đắk Nông", 68: "Lâm Đồng", 70: "Bình Phước",
	72: "Tây Ninh", 74: "Bình Dương", 75: "Đồng Nai", 77: "Bà Rịa - Vũng Tàu", 79: "Hồ Chí Minh",
	80: "Long An", 82: "Tiền Giang", 83: "Bến Tre", 84: "Trà Vinh", 86: "Vĩnh Long",
	87: "Đồng Tháp", 89: "An Giang", 91: "Kiên Giang", 92: "Cần Thơ", 93: "Hậu Giang",
	94: "Sóc Trăng", 95: "Bạc Liêu", 96: "Cà Mau",
}

// ProvinceName returns the province of a three-digit CCCD province code
// ("001" → "Hà Nội"). ok is false for anything else.
func ProvinceName(code string) (string, bool) {
	if len(code) != 3 || !allDigits(code) {
		return "", false
	}
	n := int(code[0]-'0')*100 + int(code[1]-'0')*10 + int(code[2]-'0')
	if n >= len(provinceNames) || provinceNames[n] == "" {
		return "", false
	}
	return provinceNames[n], true
}

// CleanCCCD removes the spaces people type between digit groups. It does not
// validate; see ValidateCCCD.
func CleanCCCD(s string) string { return stripSpaces(s) }

func stripSpaces(s string) string {
	if strings.IndexFunc(s, unicode.IsSpace) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// CCCDBirthYear returns the birth year encoded by digits 4–6 of a cleaned
// 12-digit CCCD: digit 4 gives the century (0/1 → 1900s, 2/3 → 2000s,
// 4/5 → 2100s, 6/7 → 2200s, 8/9 → 1800s), digits 5–6 the year in it.
func CCCDBirthYear(cccd string) (int, bool) {
	if len(cccd) != 12 || !allDigits(cccd) {
		return 0, false
	}
	d := int(cccd[3] - '0')
	century := 1900 + 100*(d/2) // 0/1 → 1900 … 6/7 → 2200
	if d >= 8 {
		century = 1800
	}
	return century + int(cccd[4]-'0')*10 + int(cccd[5]-'0'), true
}

// CCCDGender returns the gender encoded by digit 4 of a cleaned 12-digit
// CCCD: even is male, odd is female.
func CCCDGender(cccd string) (string, bool) {
	if len(cccd) != 12 || !allDigits(cccd) {
		return "", false
	}
	if (cccd[3]-'0')%2 == 0 {
		return Male, true
	}
	return Female, true
}

// ValidateCCCD checks a CCCD number (spaces allowed) against the birth date
// and gender typed with it. A zero birth skips the century/year check and an
// empty gender skips the gender check. The number has no checksum, so this
// catches typos only where they break the structure. Errors are *FieldError.
func ValidateCCCD(cccd string, birth time.Time, gender string) error {
	c := CleanCCCD(cccd)
	if !allDigits(c) || len(c) != 12 {
		if len(c) == 9 && allDigits(c) {
			return fieldErr(FieldCCCD, CodeCMNDExpired, msgCMNDExpired)
		}
		return fieldErr(FieldCCCD, CodeInvalidCCCD, msgCCCDLength)
	}
	if _, ok := ProvinceName(c[:3]); !ok {
		return fieldErr(FieldCCCD, CodeUnknownProvince, msgUnknownProvince)
	}
	if !birth.IsZero() {
		if y, _ := CCCDBirthYear(c); y != birth.Year() {
			return fieldErr(FieldCCCD, CodeCCCDBirthMismatch, msgCCCDBirth)
		}
	}
	g, err := NormalizeGender(gender)
	if err != nil {
		return err
	}
	if want, _ := CCCDGender(c); g != "" && g != want {
		return fieldErr(FieldCCCD, CodeCCCDGenderMismatch, msgCCCDGender)
	}
	return nil
}

// allDigits reports whether s is non-empty and only ASCII digits; other
// scripts' digits are not accepted anywhere a number is stored.
func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

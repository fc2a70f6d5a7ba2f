package citizen_test

import (
	"regexp"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/record"
)

// Run one target at a time, e.g.
//
//	go test -run '^$' -fuzz '^FuzzNormalize$' -fuzztime 10s ./citizen/
//
// Seeds come from f.Add below and from testdata/fuzz/<FuzzName>/.

var (
	mobileRE = regexp.MustCompile(`^0[35789][0-9]{8}$`)
	cccdRE   = regexp.MustCompile(`^[0-9]{12}$`)
)

// fieldOf is the field each code may be reported on.
var fieldOf = map[string]string{
	"invalid_name": "name", "invalid_birth_date": "birth_date", "underage": "birth_date",
	"invalid_gender": "gender", "invalid_cccd": "cccd", "cmnd_expired": "cccd",
	"unknown_province": "cccd", "cccd_birth_mismatch": "cccd", "cccd_gender_mismatch": "cccd",
	"invalid_phone": "phone", "invalid_village": "village", "invalid_association": "association",
	"consent_required": "consent",
}

// checkFieldError holds for every rejection: a known code on its field and
// a message fit for a citizen's screen.
func checkFieldError(t *testing.T, err error) {
	t.Helper()
	fe, ok := citizen.AsFieldError(err)
	if !ok {
		t.Fatalf("not a *FieldError: %T %v", err, err)
	}
	if want, ok := fieldOf[fe.Code]; !ok || want != fe.Field {
		t.Fatalf("code %q on field %q", fe.Code, fe.Field)
	}
	if fe.Message == "" || !norm.NFC.IsNormalString(fe.Message) {
		t.Fatalf("bad message %q", fe.Message)
	}
}

func FuzzNormalize(f *testing.F) {
	f.Add("Nguyễn Văn An", "0912345678", "001060012345", "1960-03-05", "male", "Đông Lão", "Hội Nông dân", true)
	f.Add(" Nguye\u0302\u0303n  Thi\u0323 Ha\u0300 ", "+84 (0) 912.345.678", "038 185 000 123", "2/1/1985", "", "Tho\u0302n  Đông", "", true)
	f.Add("Lý", "84912345678", "096207000001", "19/11/2007", "Nam", "Tổ dân phố 5", "Đoàn Thanh niên", true)
	f.Add("H'Hen Niê", "0362345678", "066308000001", "29/02/2008", "nữ", "Buôn Ma", "", true)
	f.Add("An", "0912345678", "123456789", "1960-03-05", "male", "Đông Lão", "", false)
	f.Add("An\u200b", "0084912345678", "099060012345", "1899-12-31", "x", "\t", "", true)
	now := time.Date(2025, 11, 19, 19, 0, 0, 0, vn)
	f.Fuzz(func(t *testing.T, name, phone, cccd, birth, gender, village, assoc string, consent bool) {
		in := citizen.Input{Name: name, Phone: phone, CCCD: cccd, BirthDate: birth, Gender: gender,
			Village: village, Association: assoc, Consent: consent}
		c, err := citizen.Normalize(in, now)
		if err != nil {
			checkFieldError(t, err)
			if c != (record.Citizen{}) {
				t.Fatalf("partial citizen on error: %+v", c)
			}
			return
		}
		if !mobileRE.MatchString(c.Phone) {
			t.Fatalf("phone %q", c.Phone)
		}
		if !cccdRE.MatchString(c.CCCD) {
			t.Fatalf("cccd %q", c.CCCD)
		}
		if c.Gender != "male" && c.Gender != "female" {
			t.Fatalf("gender %q", c.Gender)
		}
		b, err := time.Parse(time.DateOnly, c.BirthDate)
		if err != nil || citizen.Age(b, now) < 18 {
			t.Fatalf("birth %q: %v", c.BirthDate, err)
		}
		for _, s := range []string{c.Name, c.Village, c.Association} {
			if !norm.NFC.IsNormalString(s) {
				t.Fatalf("not NFC: %q", s)
			}
		}
		again, err := citizen.Normalize(citizen.InputOf(c, true), now)
		if err != nil || again != c {
			t.Fatalf("not idempotent: %+v -> %+v, %v", c, again, err)
		}
		if p, err := citizen.Patch(c, record.Citizen{}, now); err != nil || p != c {
			t.Fatalf("empty Patch changed %+v -> %+v, %v", c, p, err)
		}
		if p, err := citizen.Patch(c, c, now); err != nil || p != c {
			t.Fatalf("self Patch changed %+v -> %+v, %v", c, p, err)
		}
	})
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0912345678", "+84 912 345 678", "+84 (0) 912-345-678", "84912345678",
		"840912345678", "0084912345678", "0243765432", "912345678", "+855912345678", "++84", "+", "84", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := citizen.NormalizePhone(s)
		if err != nil {
			checkFieldError(t, err)
			return
		}
		if !mobileRE.MatchString(p) || !citizen.IsMobile(p) {
			t.Fatalf("%q -> %q", s, p)
		}
		if again, err := citizen.NormalizePhone(p); err != nil || again != p {
			t.Fatalf("not idempotent: %q -> %q, %v", p, again, err)
		}
		if m := citizen.MaskPhone(p); m != "******"+p[6:] {
			t.Fatalf("mask %q", m)
		}
	})
}

func FuzzParseBirthDate(f *testing.F) {
	for _, s := range []string{"1960-03-05", "05/03/1960", "5.3.1960", "5-03-1960", "29/02/1900",
		"29/02/2000", "31/04/1990", "1899-12-31", "9999-12-31", "0000-00-00", "1/2/3/4", "-1/-1/1960", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := citizen.ParseBirthDate(s)
		if err != nil {
			checkFieldError(t, err)
			if !d.IsZero() {
				t.Fatalf("time on error: %v", d)
			}
			return
		}
		if d.Year() < 1900 || d.Year() > 9999 || d.Location() != time.UTC || d.Hour()+d.Minute()+d.Second()+d.Nanosecond() != 0 {
			t.Fatalf("%q -> %v", s, d)
		}
		for _, layout := range []string{time.DateOnly, "02/01/2006", "2.1.2006"} {
			if again, err := citizen.ParseBirthDate(d.Format(layout)); err != nil || !again.Equal(d) {
				t.Fatalf("%q -> %v, reparsed as %s -> %v, %v", s, d, layout, again, err)
			}
		}
	})
}

func FuzzValidateCCCD(f *testing.F) {
	f.Add("001060012345", "1960-03-05", "male")
	f.Add("001 160 012 345", "05/03/1960", "nữ")
	f.Add("079205012345", "", "")
	f.Add("123456789", "1960-03-05", "")
	f.Add("000060012345", "1960-03-05", "")
	f.Add("099060012345", "1960-03-05", "")
	f.Add("001860012345", "1960-03-05", "female")
	f.Add("００１060012345", "1960-03-05", "")
	f.Fuzz(func(t *testing.T, cccd, birth, gender string) {
		b, _ := citizen.ParseBirthDate(birth) // zero when unparseable: skips the year check
		err := citizen.ValidateCCCD(cccd, b, gender)
		if err != nil {
			checkFieldError(t, err)
			return
		}
		c := citizen.CleanCCCD(cccd)
		if !cccdRE.MatchString(c) {
			t.Fatalf("accepted %q", c)
		}
		if _, ok := citizen.ProvinceName(c[:3]); !ok {
			t.Fatalf("unknown province accepted: %q", c)
		}
		if y, _ := citizen.CCCDBirthYear(c); !b.IsZero() && y != b.Year() {
			t.Fatalf("year %d vs birth %v", y, b)
		}
		g, _ := citizen.NormalizeGender(gender)
		if want, _ := citizen.CCCDGender(c); g != "" && g != want {
			t.Fatalf("gender %q vs %q", g, want)
		}
		if m := citizen.MaskCCCD(cccd); m != "********"+c[8:] {
			t.Fatalf("mask %q", m)
		}
	})
}

package citizen_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/citizen"
	"github.com/kyso-vn/kyso/record"
)

func TestNormalize(t *testing.T) {
	want := record.Citizen{
		Name:        "Nguyễn Văn An",
		CCCD:        "001060012345",
		BirthDate:   "1960-03-05",
		Gender:      "male",
		Phone:       "0912345678",
		Village:     "Đông Lão",
		Association: "Hội Nông dân",
	}
	cases := []struct {
		name   string
		why    string
		edit   func(in *citizen.Input)
		want   func(c *record.Citizen) // nil with code set
		code   string
		field  string
		leaked func(in citizen.Input) string // the typed value that must not echo
	}{
		{name: "valid", why: "the everyday join", edit: func(*citizen.Input) {}, want: func(*record.Citizen) {}},
		{name: "gender derived from CCCD", why: "the form may leave gender out; digit 4 odd means female",
			edit: func(in *citizen.Input) { in.Gender = ""; in.CCCD = "038185000123"; in.BirthDate = "1985-01-02" },
			want: func(c *record.Citizen) { c.Gender = "female"; c.CCCD = "038185000123"; c.BirthDate = "1985-01-02" }},
		{name: "gender in Vietnamese NFD", why: "some keyboards and copy-paste give decomposed diacritics",
			edit: func(in *citizen.Input) {
				in.Gender = "Nu\u031b\u0303"
				in.CCCD = "038185000123"
				in.BirthDate = "1985-01-02"
			},
			want: func(c *record.Citizen) { c.Gender = "female"; c.CCCD = "038185000123"; c.BirthDate = "1985-01-02" }},
		{name: "day-first birth date", why: "people write dates as DD/MM/YYYY",
			edit: func(in *citizen.Input) { in.BirthDate = "5/3/1960" }, want: func(*record.Citizen) {}},
		{name: "NFD name becomes NFC", why: "the ward compares names byte for byte",
			edit: func(in *citizen.Input) { in.Name = "  Nguye\u0302\u0303n   Va\u0306n  An " }, want: func(*record.Citizen) {}},
		{name: "NFD village becomes NFC", why: "progress is counted per village name",
			edit: func(in *citizen.Input) { in.Village = "\u0110o\u0302ng La\u0303o" }, want: func(*record.Citizen) {}},
		{name: "spaced CCCD", why: "people copy the number in groups of digits",
			edit: func(in *citizen.Input) { in.CCCD = " 001 060 012 345 " }, want: func(*record.Citizen) {}},
		{name: "international phone", why: "phones show their own number as +84",
			edit: func(in *citizen.Input) { in.Phone = "+84 912.345.678" }, want: func(*record.Citizen) {}},
		{name: "no association", why: "association is optional",
			edit: func(in *citizen.Input) { in.Association = "  " }, want: func(c *record.Citizen) { c.Association = "" }},

		{name: "empty name", why: "name is required", edit: func(in *citizen.Input) { in.Name = " " },
			code: "invalid_name", field: "name"},
		{name: "digits in name", why: "a CCCD typed into the name box", edit: func(in *citizen.Input) { in.Name = "An 0010600" },
			code: "invalid_name", field: "name", leaked: func(in citizen.Input) string { return in.Name }},
		{name: "future birth", why: "a date picker left on a later year",
			edit: func(in *citizen.Input) { in.BirthDate = "2025-11-20" }, code: "invalid_birth_date", field: "birth_date"},
		{name: "birth before 1900", why: "nobody alive; usually a mistyped year",
			edit: func(in *citizen.Input) { in.BirthDate = "1899-12-31" }, code: "invalid_birth_date", field: "birth_date"},
		{name: "unparseable birth", why: "free text in the date box",
			edit: func(in *citizen.Input) { in.BirthDate = "năm 1960" }, code: "invalid_birth_date", field: "birth_date"},
		{name: "underage", why: "signatures are for adults",
			edit: func(in *citizen.Input) { in.BirthDate = "2010-01-01"; in.CCCD = "001210012345" },
			code: "underage", field: "birth_date"},
		{name: "unknown gender", why: "only male/female, nam/nữ are understood",
			edit: func(in *citizen.Input) { in.Gender = "x" }, code: "invalid_gender", field: "gender"},
		{name: "short CCCD", why: "a digit left out", edit: func(in *citizen.Input) { in.CCCD = "00106001234" },
			code: "invalid_cccd", field: "cccd", leaked: func(in citizen.Input) string { return in.CCCD }},
		{name: "CMND", why: "old 9-digit cards expired; tell them to bring the CCCD",
			edit: func(in *citizen.Input) { in.CCCD = "123 456 789" }, code: "cmnd_expired", field: "cccd"},
		{name: "unknown province", why: "099 is not in the table",
			edit: func(in *citizen.Input) { in.CCCD = "099060012345" }, code: "unknown_province", field: "cccd"},
		{name: "CCCD year differs", why: "digits 5-6 are the birth year", edit: func(in *citizen.Input) { in.BirthDate = "1961-03-05" },
			code: "cccd_birth_mismatch", field: "cccd"},
		{name: "CCCD century differs", why: "digit 4 = 2 means born in the 2000s",
			edit: func(in *citizen.Input) { in.CCCD = "001260012345" }, code: "cccd_birth_mismatch", field: "cccd"},
		{name: "CCCD gender differs", why: "digit 4 = 0 is a man",
			edit: func(in *citizen.Input) { in.Gender = "nữ" }, code: "cccd_gender_mismatch", field: "cccd"},
		{name: "landline", why: "activation codes go to a mobile", edit: func(in *citizen.Input) { in.Phone = "02437654321" },
			code: "invalid_phone", field: "phone", leaked: func(in citizen.Input) string { return in.Phone }},
		{name: "no village", why: "counts go to the citizen's village",
			edit: func(in *citizen.Input) { in.Village = "\t " }, code: "invalid_village", field: "village"},
		{name: "village too long", why: "a paste of something else",
			edit: func(in *citizen.Input) { in.Village = strings.Repeat("a", 101) }, code: "invalid_village", field: "village"},
		{name: "association too long", why: "a paste of something else",
			edit: func(in *citizen.Input) { in.Association = strings.Repeat("ộ", 101) }, code: "invalid_association", field: "association"},
		{name: "no consent", why: "personal data is kept only with consent",
			edit: func(in *citizen.Input) { in.Consent = false }, code: "consent_required", field: "consent"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := validInput()
			tc.edit(&in)
			got, err := citizen.Normalize(in, campaignNow)
			if tc.code != "" {
				var leaked []string
				if tc.leaked != nil {
					leaked = append(leaked, tc.leaked(in))
				}
				requireFieldError(t, err, tc.code, tc.field, leaked...)
				assert.Equal(t, record.Citizen{}, got, "no partial citizen on error (%s)", tc.why)
				return
			}
			require.NoError(t, err, tc.why)
			w := want
			tc.want(&w)
			assert.Equal(t, w, got, tc.why)
			again, err := citizen.Normalize(citizen.InputOf(got, true), campaignNow)
			require.NoError(t, err, "an accepted citizen is accepted again")
			assert.Equal(t, got, again, "Normalize is idempotent")
		})
	}
}

// TestNormalizeOrder fixes one field at a time on an input where everything
// is wrong: the reported field must walk the form from top to bottom, so the
// page can point at the first box to fix.
func TestNormalizeOrder(t *testing.T) {
	in := citizen.Input{Name: "1", BirthDate: "x", Gender: "?", CCCD: "1", Phone: "1", Village: "", Association: strings.Repeat("a", 200)}
	good := validInput()
	steps := []struct {
		field string
		fix   func()
	}{
		{"name", func() { in.Name = good.Name }},
		{"birth_date", func() { in.BirthDate = good.BirthDate }},
		{"gender", func() { in.Gender = good.Gender }},
		{"cccd", func() { in.CCCD = good.CCCD }},
		{"phone", func() { in.Phone = good.Phone }},
		{"village", func() { in.Village = good.Village }},
		{"association", func() { in.Association = good.Association }},
		{"consent", func() { in.Consent = true }},
	}
	for _, s := range steps {
		_, err := citizen.Normalize(in, campaignNow)
		fe, ok := citizen.AsFieldError(err)
		require.True(t, ok, "want an error on %s", s.field)
		assert.Equal(t, s.field, fe.Field)
		s.fix()
	}
	_, err := citizen.Normalize(in, campaignNow)
	require.NoError(t, err)
}

// TestNormalizeAdultBoundary checks the 18th birthday in Vietnam's day, not
// the UTC day the box's clock may count in.
func TestNormalizeAdultBoundary(t *testing.T) {
	cases := []struct {
		name  string
		why   string
		birth string
		cccd  string
		now   time.Time
		code  string // "" = accepted
	}{
		{"18 today", "the birthday itself counts", "2007-11-19", "001207000001", campaignNow, ""},
		{"18 tomorrow", "one day short is underage", "2007-11-20", "001207000001", campaignNow, "underage"},
		{"18 today by VN clock, yesterday in UTC", "00:30 in Hà Nội is 17:30 UTC of the day before",
			"2007-11-19", "001207000001", time.Date(2025, 11, 18, 17, 30, 0, 0, time.UTC), ""},
		{"last minute before birthday in VN", "23:59 in Hà Nội is still the day before",
			"2007-11-20", "001207000001", time.Date(2025, 11, 19, 16, 59, 0, 0, time.UTC), "underage"},
		{"born today", "not in the future, but underage", "2025-11-19", "001225000001", campaignNow, "underage"},
		{"born tomorrow in VN", "the future is checked in VN days",
			"2025-11-20", "001225000001", time.Date(2025, 11, 19, 16, 59, 0, 0, time.UTC), "invalid_birth_date"},
		{"leap-day birth, 28 Feb of common year", "a 29/02 birthday comes on 1 March in common years",
			"2008-02-29", "001208000001", time.Date(2026, 2, 28, 12, 0, 0, 0, vn), "underage"},
		{"leap-day birth, 1 Mar of common year", "turns 18 on 1 March",
			"29/02/2008", "001208000001", time.Date(2026, 3, 1, 0, 0, 0, 0, vn), ""},
		{"29 February of a common year", "no such day: a mistyped birth date",
			"29/02/2007", "001207000001", campaignNow, "invalid_birth_date"},
		{"clock in 1970", "a box without RTC must not call every adult born in the future",
			"1990-06-01", "001090000001", time.Unix(0, 0), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := validInput()
			in.BirthDate, in.CCCD = tc.birth, tc.cccd
			_, err := citizen.Normalize(in, tc.now)
			if tc.code == "" {
				require.NoError(t, err, tc.why)
				return
			}
			requireFieldError(t, err, tc.code, "birth_date")
		})
	}
}

func TestPatch(t *testing.T) {
	base, err := citizen.Normalize(validInput(), campaignNow)
	require.NoError(t, err)
	cases := []struct {
		name  string
		why   string
		corr  record.Citizen
		want  func(c *record.Citizen)
		code  string
		field string
	}{
		{name: "empty correction", why: "Patch of nothing is the identity", want: func(*record.Citizen) {}},
		{name: "blank fields ignored", why: "a form sending spaces must not erase data",
			corr: record.Citizen{Name: "  ", Village: "\t"}, want: func(*record.Citizen) {}},
		{name: "name typo", why: "the usual volunteer correction",
			corr: record.Citizen{Name: "Nguyễn  Văn Ân"}, want: func(c *record.Citizen) { c.Name = "Nguyễn Văn Ân" }},
		{name: "phone normalised", why: "corrections are stored normalised too",
			corr: record.Citizen{Phone: "84 98 765 4321"}, want: func(c *record.Citizen) { c.Phone = "0987654321" }},
		{name: "CCCD and gender together", why: "a wrong digit 4 is fixed with the gender",
			corr: record.Citizen{CCCD: "001160012345", Gender: "female"},
			want: func(c *record.Citizen) { c.CCCD = "001160012345"; c.Gender = "female" }},
		{name: "CCCD alone contradicting gender", why: "gender is never changed silently",
			corr: record.Citizen{CCCD: "001160012345"}, code: "cccd_gender_mismatch", field: "cccd"},
		{name: "bad phone", why: "corrections are validated like a join",
			corr: record.Citizen{Phone: "12345"}, code: "invalid_phone", field: "phone"},
		{name: "birth year without CCCD", why: "the CCCD still has to agree",
			corr: record.Citizen{BirthDate: "1961-03-05"}, code: "cccd_birth_mismatch", field: "cccd"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := citizen.Patch(base, tc.corr, campaignNow)
			if tc.code != "" {
				requireFieldError(t, err, tc.code, tc.field)
				return
			}
			require.NoError(t, err, tc.why)
			w := base
			tc.want(&w)
			assert.Equal(t, w, got, tc.why)
		})
	}
}

func TestFieldError(t *testing.T) {
	_, err := citizen.NormalizePhone("0123")
	wrapped := fmt.Errorf("join: %w", err)
	fe, ok := citizen.AsFieldError(wrapped)
	require.True(t, ok, "found through wrapping")
	assert.Equal(t, "invalid_phone", fe.Code)
	var target *citizen.FieldError
	assert.True(t, errors.As(wrapped, &target))
	_, ok = citizen.AsFieldError(errors.New("disk full"))
	assert.False(t, ok, "other errors are not field errors (they are 503s, not 422s)")
	_, ok = citizen.AsFieldError(nil)
	assert.False(t, ok)
}

func BenchmarkNormalize(b *testing.B) {
	in := validInput()
	in.Name = "  Nguye\u0302\u0303n Va\u0306n An"
	in.Phone = "+84 912 345 678"
	in.CCCD = "001 060 012 345"
	in.BirthDate = "05/03/1960"
	b.ReportAllocs()
	for b.Loop() {
		if _, err := citizen.Normalize(in, campaignNow); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNormalizeFreeText(t *testing.T) {
	cases := []struct {
		name, in, want string
		ok             bool
	}{
		{"plain note", "Điện thoại  hết pin", "Điện thoại hết pin", true},
		{"empty is allowed", "", "", true},
		{"NUL is refused", "a\x00b", "", false},
		{"ESC is refused", "a\x1b[31mb", "", false},
		{"right-to-left override is refused", "abc\u202Edef", "", false},
		{"Hangul filler looks empty", "\u3164", "", false},
		{"too long", strings.Repeat("a", 201), "", false},
		{"newlines collapse", "dòng một\ndòng hai", "dòng một dòng hai", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := citizen.NormalizeFreeText(c.in, 200)
			if !c.ok {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
	_, err := citizen.NormalizeName("\u3164\u3164")
	assert.Error(t, err, "a name of Hangul fillers prints as nothing")
}

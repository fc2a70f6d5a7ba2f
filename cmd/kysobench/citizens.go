package main

import (
	"fmt"
	"sync/atomic"

	"github.com/kyso-vn/kyso/record"
)

// Villages and associations of the Cẩm Ngọc quota table, so that the ward
// counts bench records against real quota rows.
var (
	villages     = []string{"Đông Lão", "Song Nga", "Thôn Sổng", "Thôn PNV", "Thôn Kim", "Thôn Song", "Thôn Sành"}
	associations = []string{"", "Hội Phụ nữ", "Hội Nông dân", "Đoàn Thanh niên", "Hội Cựu chiến binh"}
	familyNames  = []string{"Nguyễn", "Lê", "Trần", "Phạm", "Hoàng", "Vũ", "Đỗ", "Bùi"}
	givenNames   = []string{"Văn An", "Thị Bình", "Văn Cường", "Thị Dung", "Đức Em", "Thị Hoa", "Văn Hùng", "Thị Lan", "Minh Tuấn", "Thị Yến"}
)

// citizens hands out valid, distinct adults: CCCD 038 (Thanh Hóa), century
// digit 0/1 (1900s male/female), the birth year's last two digits, then a
// serial; phones 09xxxxxxxx. Distinct numbers keep joins from colliding on
// "already queued" and records from collapsing in the ward's per-CCCD count.
type citizens struct {
	next atomic.Int64
}

// newCitizens starts at from, so that separate phases never reuse a CCCD.
func newCitizens(from int64) *citizens {
	c := &citizens{}
	c.next.Store(from)
	return c
}

// citizenAt is the i-th citizen; i < 50 × 2 × 1,000,000.
func citizenAt(i int64) record.Citizen {
	year := 1950 + int(i%50) // 26–76 years old today: adults
	female := (i / 50) % 2
	serial := (i / 100) % 1_000_000
	gender := "male"
	if female == 1 {
		gender = "female"
	}
	month, day := 1+int(i%12), 1+int(i%28)
	return record.Citizen{
		Name:        familyNames[i%int64(len(familyNames))] + " " + givenNames[(i/7)%int64(len(givenNames))],
		CCCD:        fmt.Sprintf("038%d%02d%06d", female, year%100, serial),
		BirthDate:   fmt.Sprintf("%04d-%02d-%02d", year, month, day),
		Gender:      gender,
		Phone:       fmt.Sprintf("09%08d", i%100_000_000),
		Village:     villages[i%int64(len(villages))],
		Association: associations[(i/3)%int64(len(associations))],
	}
}

func (c *citizens) take() record.Citizen { return citizenAt(c.next.Add(1) - 1) }

// joinBody is POST /api/v1/tickets.
type joinBody struct {
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	CCCD        string `json:"cccd"`
	BirthDate   string `json:"birth_date"`
	Gender      string `json:"gender"`
	Village     string `json:"village"`
	Association string `json:"association,omitempty"`
	Consent     bool   `json:"consent"`
}

func joinOf(c record.Citizen) joinBody {
	return joinBody{Name: c.Name, Phone: c.Phone, CCCD: c.CCCD, BirthDate: c.BirthDate, Gender: c.Gender,
		Village: c.Village, Association: c.Association, Consent: true}
}

package citizen

import (
	"strings"
	"time"

	"github.com/kyso-vn/kyso/record"
)

// Input is what a join form or API body carries. The JSON names are those of
// POST /api/v1/tickets, so handlers may decode straight into it.
type Input struct {
	Name        string `json:"name"`
	Phone       string `json:"phone"`
	CCCD        string `json:"cccd"`
	BirthDate   string `json:"birth_date"`
	Gender      string `json:"gender"`
	Village     string `json:"village"`
	Association string `json:"association"`
	Consent     bool   `json:"consent"`
}

// InputOf returns the Input that carries an already stored citizen, with the
// given consent.
func InputOf(c record.Citizen, consent bool) Input {
	return Input{
		Name:        c.Name,
		Phone:       c.Phone,
		CCCD:        c.CCCD,
		BirthDate:   c.BirthDate,
		Gender:      c.Gender,
		Village:     c.Village,
		Association: c.Association,
		Consent:     consent,
	}
}

// Normalize validates in at instant now (the day is Vietnam's) and returns
// the canonical citizen, or a *FieldError for the first problem in form
// order: name, birth_date, gender, cccd, phone, village, association,
// consent. An empty gender is taken from the CCCD.
func Normalize(in Input, now time.Time) (record.Citizen, error) {
	now = plausibleNow(now)
	var c record.Citizen
	var err error
	if c.Name, err = NormalizeName(in.Name); err != nil {
		return record.Citizen{}, err
	}
	birth, err := ParseBirthDate(in.BirthDate)
	if err != nil {
		return record.Citizen{}, err
	}
	if err := checkBirth(birth, now); err != nil {
		return record.Citizen{}, err
	}
	c.BirthDate = birth.Format(time.DateOnly)
	if c.Gender, err = NormalizeGender(in.Gender); err != nil {
		return record.Citizen{}, err
	}
	c.CCCD = CleanCCCD(in.CCCD)
	if err := ValidateCCCD(c.CCCD, birth, c.Gender); err != nil {
		return record.Citizen{}, err
	}
	if c.Gender == "" {
		c.Gender, _ = CCCDGender(c.CCCD)
	}
	if c.Phone, err = NormalizePhone(in.Phone); err != nil {
		return record.Citizen{}, err
	}
	if c.Village, err = NormalizeVillage(in.Village); err != nil {
		return record.Citizen{}, err
	}
	if c.Association, err = NormalizeAssociation(in.Association); err != nil {
		return record.Citizen{}, err
	}
	if !in.Consent {
		return record.Citizen{}, fieldErr(FieldConsent, CodeConsentRequired, msgConsent)
	}
	return c, nil
}

// Patch applies the non-blank fields of corr over c and validates the result
// like a join (consent was given at joining and is not asked again). It is
// how a volunteer corrects typos. A field cannot be cleared through Patch.
// Correcting the CCCD into one whose digit 4 disagrees with c's gender is
// refused (cccd_gender_mismatch) rather than silently changing the gender:
// the volunteer looks at the card and corrects both.
func Patch(c record.Citizen, corr record.Citizen, now time.Time) (record.Citizen, error) {
	pick := func(old, new string) string {
		if strings.TrimSpace(new) == "" {
			return old
		}
		return new
	}
	return Normalize(Input{
		Name:        pick(c.Name, corr.Name),
		Phone:       pick(c.Phone, corr.Phone),
		CCCD:        pick(c.CCCD, corr.CCCD),
		BirthDate:   pick(c.BirthDate, corr.BirthDate),
		Gender:      pick(c.Gender, corr.Gender),
		Village:     pick(c.Village, corr.Village),
		Association: pick(c.Association, corr.Association),
		Consent:     true,
	}, now)
}

package outreach

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/kyso-vn/kyso/ward/quota"
)

// The commune's plan: three 3-day rounds.
var rounds = []quota.Round{
	{Name: "Đợt 1", From: "2026-11-17", To: "2026-11-19"},
	{Name: "Đợt 2", From: "2026-11-24", To: "2026-11-26"},
	{Name: "Đợt 3", From: "2026-12-01", To: "2026-12-03"},
}

func TestExpand(t *testing.T) {
	now := at("2026-11-18", "08:00")
	two := 2
	zero := 0
	cases := []struct {
		name     string
		req      GenerateRequest
		villages []string
		deadline string
		n        int
		first    SessionInput
		code     string
	}{
		{"rounds: each round day × each village", GenerateRequest{From: "rounds"}, []string{"Đông Lão", "Cẩm Hưng"}, "", 18,
			SessionInput{Village: "Đông Lão", Date: "2026-11-17", Start: "19:00", End: "21:30", Desks: 3}, ""},
		{"evenings until the deadline, hours and desks as asked",
			GenerateRequest{From: "evenings", StartDate: "2026-11-20", Start: "18:30", End: "21:00", Desks: &two}, []string{"Đông Lão"}, "2026-11-30", 11,
			SessionInput{Village: "Đông Lão", Date: "2026-11-20", Start: "18:30", End: "21:00", Desks: 2}, ""},
		{"evenings from today when no start date", GenerateRequest{From: "evenings"}, []string{"Đông Lão"}, "2026-11-20", 3,
			SessionInput{Village: "Đông Lão", Date: "2026-11-18", Start: "19:00", End: "21:30", Desks: 3}, ""},
		{"zero desks is passed on, to be refused with the rest", GenerateRequest{From: "evenings", Desks: &zero}, []string{"Đông Lão"}, "2026-11-18", 1,
			SessionInput{Village: "Đông Lão", Date: "2026-11-18", Start: "19:00", End: "21:30", Desks: 0}, ""},
		{"no rounds imported", GenerateRequest{From: "rounds"}, []string{"Đông Lão"}, "", 0, SessionInput{}, "no_rounds"},
		{"no deadline set", GenerateRequest{From: "evenings"}, []string{"Đông Lão"}, "", 0, SessionInput{}, "no_deadline"},
		{"start after the deadline", GenerateRequest{From: "evenings", StartDate: "2026-12-20"}, []string{"Đông Lão"}, "2026-12-15", 0, SessionInput{}, "invalid_session"},
		{"start date not a date", GenerateRequest{From: "evenings", StartDate: "20/11/2026"}, []string{"Đông Lão"}, "2026-12-15", 0, SessionInput{}, "invalid_session"},
		{"a time as people write it, not as the form sends it", GenerateRequest{From: "evenings", Start: "19h"}, []string{"Đông Lão"}, "2026-12-15", 0, SessionInput{}, "invalid_session"},
		{"unknown kind", GenerateRequest{From: "weekly"}, []string{"Đông Lão"}, "2026-12-15", 0, SessionInput{}, "invalid_from"},
		{"no village", GenerateRequest{From: "rounds"}, nil, "", 0, SessionInput{}, "invalid_village"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rr := rounds
			if c.code == "no_rounds" {
				rr = nil
			}
			got, err := Expand(c.req, c.villages, rr, c.deadline, now)
			if c.code != "" {
				var e *Error
				require.ErrorAs(t, err, &e)
				assert.Equal(t, c.code, e.Code)
				assert.NotEmpty(t, e.Message)
				return
			}
			require.NoError(t, err)
			require.Len(t, got, c.n)
			assert.Equal(t, c.first, got[0])
		})
	}
}

func TestAddGeneratedSkipsPastAndExistingAndIsAllOrNothing(t *testing.T) {
	b, err := Open(newMem())
	require.NoError(t, err)
	now := at("2026-11-18", "20:00") // evening of the 2nd day of round 1
	in, err := Expand(GenerateRequest{From: "rounds"}, []string{"Đông Lão"}, rounds, "", now)
	require.NoError(t, err)

	g, err := b.AddGenerated(in, fixedRate, now)
	require.NoError(t, err)
	// 17/11 is past; 18/11 19:00–21:30 is under way, not over: it stays.
	assert.Equal(t, 1, g.Skipped)
	require.Len(t, g.Added, 8)
	assert.Equal(t, "2026-11-18", g.Added[0].Date)
	assert.Equal(t, "Nhà văn hóa thôn Đông Lão", g.Added[0].Place)
	assert.Equal(t, 45, g.Added[0].Capacity, "3 desks × 2.5 h × 6/h")

	// Again: nothing new.
	g, err = b.AddGenerated(in, fixedRate, now)
	require.NoError(t, err)
	assert.Empty(t, g.Added)
	assert.Equal(t, 9, g.Skipped)

	// After the evening is over, 18/11 is skipped too.
	g, err = b.AddGenerated(in, fixedRate, at("2026-11-18", "22:00"))
	require.NoError(t, err)
	assert.Empty(t, g.Added)

	// Evenings to the deadline over a hand-made session at another hour:
	// refused as an overlap, and none of the other evenings is added.
	_, err = b.AddSessions([]SessionInput{{Village: "Đông Lão", Date: "2026-11-22", Start: "18:00", End: "20:00", Desks: 1}}, fixedRate, now)
	require.NoError(t, err)
	ev, err := Expand(GenerateRequest{From: "evenings", StartDate: "2026-11-20"}, []string{"Đông Lão"}, nil, "2026-11-23", now)
	require.NoError(t, err)
	before := len(b.Sessions("", nil, now))
	_, err = b.AddGenerated(ev, fixedRate, now)
	var e *Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "session_overlap", e.Code)
	assert.Contains(t, e.Message, "Trùng giờ")
	assert.Len(t, b.Sessions("", nil, now), before, "nothing half-planned")
}

func TestRoundDaysAndDays(t *testing.T) {
	assert.Equal(t, []string{"2026-11-17", "2026-11-18", "2026-11-19", "2026-11-24", "2026-11-25", "2026-11-26", "2026-12-01", "2026-12-02", "2026-12-03"}, RoundDays(rounds))
	assert.Equal(t, []string{"2026-11-19", "2026-11-20"}, RoundDays([]quota.Round{{From: "2026-11-19", To: "2026-11-20"}, {From: "2026-11-20", To: "2026-11-20"}}), "overlapping rounds: each day once")
	assert.Equal(t, []string{"2026-12-31", "2027-01-01"}, Days("2026-12-31", "2027-01-01"))
	assert.Empty(t, Days("2026-12-02", "2026-12-01"))
	assert.Empty(t, Days("hôm nay", "2026-12-01"))
	assert.Len(t, Days("2026-01-01", "2030-01-01"), maxGenerateDays)
}

package vnnum

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestInt(t *testing.T) {
	cases := []struct {
		name string
		in   int64
		want string
	}{
		{"zero", 0, "0"},
		{"under a thousand: no dot", 999, "999"},
		{"a kiosk's records", 1871, "1.871"},
		{"a commune's target", 1701, "1.701"},
		{"a district's records", 1_200_000, "1.200.000"},
		{"negative (a correction's delta)", -12000, "-12.000"},
		{"the extremes do not overflow", math.MinInt64, "-9.223.372.036.854.775.808"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, Int(tc.in)) })
	}
}

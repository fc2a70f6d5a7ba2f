package link

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKioskIDRule(t *testing.T) {
	cases := []struct {
		name string
		id   string
		ok   bool
	}{
		{"a slug", "dong-lao", true},
		{"digits", "song-nga-2", true},
		{"a host name as flashed", "raspberrypi", true},
		{"63 characters: one DNS label", strings.Repeat("a", 63), true},
		{"upper case: the ward once took it, the kiosk never", "Dong-Lao", false},
		{"underscore", "dong_lao", false},
		{"dot", "dong.lao", false},
		{"diacritics", "đông-lão", false},
		{"space", "dong lao", false},
		{"leading hyphen", "-dong-lao", false},
		{"empty", "", false},
		{"64 characters", strings.Repeat("a", 64), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.ok, ValidKioskID(tc.id))
			if tc.ok {
				assert.NoError(t, CheckKioskID(tc.id))
			} else {
				assert.ErrorIs(t, CheckKioskID(tc.id), ReasonBadKioskID)
			}
		})
	}
}

func TestKioskIDFromMakesValidIDs(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"what an official may type", "Dong-Lao", "dong-lao"},
		{"underscore", "dong_lao", "dong-lao"},
		{"a host name", "kyso-song-nga", "kyso-song-nga"},
		{"nothing usable", "Đ ố", "kiosk"},
		{"too long", strings.Repeat("ab-", 40), strings.TrimRight(strings.Repeat("ab-", 21), "-")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := KioskIDFrom(tc.in)
			assert.Equal(t, tc.want, got)
			assert.True(t, ValidKioskID(got))
		})
	}
}

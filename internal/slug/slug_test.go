package slug

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMake(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"a hostname as flashed", "raspberrypi", "raspberrypi"},
		{"upper case and spaces fold", "NVH Dong Lao", "nvh-dong-lao"},
		{"runs of punctuation become one hyphen", "dong--lao__2", "dong-lao-2"},
		{"no hyphen at the ends", " -dong-lao- ", "dong-lao"},
		{"diacritics are dropped, not transliterated", "Đông Lão", "ng-l-o"},
		{"nothing usable", "Đ ố", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { assert.Equal(t, tc.want, Make(tc.in)) })
	}
}

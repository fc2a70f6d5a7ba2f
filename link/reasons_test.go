package link

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
)

func TestReasonsAreOneListInVietnamese(t *testing.T) {
	codes := map[string]bool{}
	for _, r := range Reasons() {
		t.Run(r.Code, func(t *testing.T) {
			assert.False(t, codes[r.Code], "codes are unique")
			codes[r.Code] = true
			assert.GreaterOrEqual(t, r.Status, 400)
			assert.True(t, strings.IndexFunc(r.Message, func(c rune) bool { return c > unicode.MaxASCII }) >= 0,
				"a message for people is Vietnamese, with diacritics: %q", r.Message)
			assert.True(t, strings.HasSuffix(r.Message, "."), "a sentence: %q", r.Message)
		})
	}
}

func TestReasonOf(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want *Reason
	}{
		{"a listed reason", ReasonBadCode, ReasonBadCode},
		{"a failure with detail", fail(ReasonForgedReply, "push reply 200 unsigned"), ReasonForgedReply},
		{"wrapped again", fmt.Errorf("push: %w", fail(ReasonWardFull, "503")), ReasonWardFull},
		{"a transport error", errors.New("dial tcp 127.0.0.1:9: connection refused"), ReasonUnreachable},
		{"a reason decoded from a reply", &Reason{Code: "invalid_code"}, &Reason{Code: "invalid_code"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, ReasonOf(tc.err))
		})
	}
	assert.ErrorIs(t, &Reason{Code: "invalid_code", Message: "x"}, ReasonBadCode, "matched by code")
	assert.NotErrorIs(t, ReasonBadCode, ReasonCodeLocked)
}

package wardweb

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTemplatesParse(t *testing.T) {
	tm, err := Templates()
	require.NoError(t, err)
	for _, name := range []string{"login", "dashboard", "result"} {
		assert.NotNil(t, tm.Lookup(name), name)
	}
}

// The CSP has no 'unsafe-inline': no inline script, style or handler may
// creep into a template.
func TestNoInlineCode(t *testing.T) {
	inline := regexp.MustCompile(`(?i)<script(\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:|https?://[a-z]`)
	err := fs.WalkDir(templateFiles, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFiles, path)
		require.NoError(t, err)
		assert.Nil(t, inline.FindIndex(b), "%s: %s", path, inline.Find(b))
		return nil
	})
	require.NoError(t, err)
	js, err := fs.ReadFile(Static(), "ward.js")
	require.NoError(t, err)
	assert.NotContains(t, string(js), "innerHTML", "rows are built with textContent")
	assert.NotContains(t, string(js), "eval(")
}

func TestFormatting(t *testing.T) {
	cases := []struct{ got, want string }{
		{Num(1701), "1.701"},
		{Num(1234567), "1.234.567"},
		{Num(-1000), "-1.000"},
		{Num(uint64(12)), "12"},
		{Pct(41.1), "41,1 %"},
		{Pct(100), "100,0 %"},
		{Dec(6.115), "6,12"},
		{Dec(1500), "1.500"},
		{Date("2024-06-05"), "05/06/2024"},
		{Date("x"), "x"},
		{DateTime(time.Date(2024, 6, 5, 12, 30, 0, 0, time.UTC)), "19:30 05/06/2024"},
		{DateTime(time.Time{}), "—"},
		{Ago(time.Time{}, time.Now()), "chưa bao giờ"},
		{Ago(time.Now().Add(-5*time.Minute), time.Now()), "5 phút trước"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.got)
	}
	assert.True(t, strings.HasPrefix(Ago(time.Now().Add(-72*time.Hour), time.Now()), "3 ngày"))
}

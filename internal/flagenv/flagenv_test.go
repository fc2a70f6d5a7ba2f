package flagenv

import (
	"flag"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		env     map[string]string
		wantURL string
		wantN   int
		wantL   []string
		wantErr bool
	}{
		{"defaults stay when nothing is given", nil, nil, "", 3, nil, false},
		{"env twin fills a flag (systemd EnvironmentFile)", nil, map[string]string{"KYSO_WARD_URL": "http://w", "KYSO_DESKS": "5"}, "http://w", 5, nil, false},
		{"command line wins over env", []string{"--ward-url", "http://cli"}, map[string]string{"KYSO_WARD_URL": "http://env"}, "http://cli", 3, nil, false},
		{"repeatable flag from a comma list", nil, map[string]string{"KYSO_KIOSK": "a:1, b:2"}, "", 3, []string{"a:1", "b:2"}, false},
		{"bad env value is an error, not a silent default", nil, map[string]string{"KYSO_DESKS": "many"}, "", 3, nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := flag.NewFlagSet("x", flag.ContinueOnError)
			u := fs.String("ward-url", "", "")
			n := fs.Int("desks", 3, "")
			var l List
			fs.Var(&l, "kiosk", "")
			err := Parse(fs, tc.args, func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok })
			if tc.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.wantURL, *u)
			assert.Equal(t, tc.wantN, *n)
			assert.Equal(t, tc.wantL, []string(l))
		})
	}
}

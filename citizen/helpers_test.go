package citizen_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/kyso-vn/kyso/citizen"
)

// vn is Vietnam's offset, spelled independently of the package under test.
var vn = time.FixedZone("ICT", 7*60*60)

// campaignNow is an evening of the Quảng Châu campaign (19h, 19/11/2025).
var campaignNow = time.Date(2025, 11, 19, 19, 0, 0, 0, vn)

// validInput is a citizen every rule accepts; cases change one thing.
func validInput() citizen.Input {
	return citizen.Input{
		Name:        "Nguyễn Văn An",
		Phone:       "0912345678",
		CCCD:        "001060012345", // Hà Nội, male, 1960
		BirthDate:   "1960-03-05",
		Gender:      "male",
		Village:     "Đông Lão",
		Association: "Hội Nông dân",
		Consent:     true,
	}
}

// requireFieldError checks err is a *FieldError with code and field, and
// that what a client or a log will see is fit to show: a kind Vietnamese
// message in NFC that never repeats what was typed.
func requireFieldError(t *testing.T, err error, code, field string, typed ...string) {
	t.Helper()
	require.Error(t, err)
	fe, ok := citizen.AsFieldError(err)
	require.True(t, ok, "want *FieldError, got %T %v", err, err)
	require.Equal(t, code, fe.Code)
	require.Equal(t, field, fe.Field)
	require.NotEmpty(t, fe.Message)
	require.True(t, norm.NFC.IsNormalString(fe.Message), "message not NFC: %q", fe.Message)
	require.Contains(t, fe.Error(), code)
	for _, v := range typed {
		v = strings.TrimSpace(v)
		if len(v) >= 4 {
			require.NotContains(t, fe.Error(), v, "error text leaks input")
		}
	}
}

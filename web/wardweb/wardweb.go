package wardweb

import (
	"embed"
	"html/template"
	"io/fs"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/kyso-vn/kyso/clock"
	"github.com/kyso-vn/kyso/internal/vnnum"
	"github.com/kyso-vn/kyso/link"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Static is the file tree served under /static/.
func Static() fs.FS {
	sub, err := fs.Sub(staticFiles, "static")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Location is clock.Vietnam, the campaigns' civil time, under its older name.
var Location = clock.Vietnam

// Templates parses the pages: "login", "dashboard" and "result", each a
// complete document.
func Templates() (*template.Template, error) {
	return template.New("ward").Funcs(Funcs()).ParseFS(templateFiles, "templates/*.html")
}

// Funcs are the template helpers.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"num":      Num,
		"pct":      Pct,
		"dec":      Dec,
		"date":     Date,
		"datetime": DateTime,
		"ago":      Ago,
		// The one kiosk-id rule, so the form refuses what the ward and the
		// kiosk refuse, with the same words.
		"kioskIDPattern": func() string { return link.KioskIDPattern },
		"kioskIDRule":    func() string { return link.KioskIDRule },
	}
}

// Num writes an integer the Vietnamese way: 1.701.
func Num(n any) string {
	var v int64
	switch x := n.(type) {
	case int:
		v = int64(x)
	case int64:
		v = x
	case uint64:
		v = int64(x)
	case int32:
		v = int64(x)
	default:
		return ""
	}
	return vnnum.Int(v)
}

// Dec writes a number with up to two decimals and a decimal comma: 6,12.
func Dec(f float64) string {
	s := strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
	whole, frac, _ := strings.Cut(s, ".")
	n, _ := strconv.ParseInt(whole, 10, 64)
	out := Num(n)
	if frac != "" {
		out += "," + frac
	}
	return out
}

// Pct writes a percentage with one decimal: 41,1 %.
func Pct(f float64) string {
	s := strconv.FormatFloat(f, 'f', 1, 64)
	return strings.Replace(s, ".", ",", 1) + " %"
}

// Date turns YYYY-MM-DD into dd/mm/yyyy; other input is returned as is.
func Date(s string) string {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		return s
	}
	return t.Format("02/01/2006")
}

// DateTime writes a time in Vietnam as "15:04 02/01/2006"; zero is "—".
func DateTime(t any) string {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x == nil {
			return "—"
		}
		v = *x
	}
	if v.IsZero() {
		return "—"
	}
	return v.In(clock.Vietnam).Format("15:04 02/01/2006")
}

// Ago writes how long ago t was, in Vietnamese, relative to now.
func Ago(t any, now time.Time) string {
	var v time.Time
	switch x := t.(type) {
	case time.Time:
		v = x
	case *time.Time:
		if x == nil {
			return "chưa bao giờ"
		}
		v = *x
	}
	if v.IsZero() {
		return "chưa bao giờ"
	}
	d := now.Sub(v)
	switch {
	case d < time.Minute:
		return "vừa xong"
	case d < time.Hour:
		return strconv.Itoa(int(d/time.Minute)) + " phút trước"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d/time.Hour)) + " giờ trước"
	}
	return strconv.Itoa(int(d/(24*time.Hour))) + " ngày trước"
}

package quota

import (
	"bytes"
	"os"
	"testing"
)

// FuzzQuotaCSV feeds arbitrary bytes to the three parsers: they must never
// panic, and what they accept must be usable.
func FuzzQuotaCSV(f *testing.F) {
	if real, err := os.ReadFile("testdata/quotas-cam-ngoc-2024.csv"); err == nil {
		f.Add(real)
	}
	f.Add([]byte("Thôn,LĐ có khả năng lao động\nĐông Lão,491\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return // bounded: quota files are a few KB
		}
		v, err := ParseVillages(bytes.NewReader(data), DefaultRateBP)
		if err == nil {
			if len(v.Rows) == 0 {
				t.Fatal("accepted a file without villages")
			}
			seen := map[string]bool{}
			for _, r := range v.Rows {
				if r.Name == "" || r.Target < 0 || r.Base < 0 || r.Before < 0 {
					t.Fatalf("unusable row %+v", r)
				}
				if seen[Key(r.Name)] {
					t.Fatalf("duplicate village %q accepted", r.Name)
				}
				seen[Key(r.Name)] = true
			}
		} else if _, ok := err.(*Error); !ok {
			t.Fatalf("error of type %T: %v", err, err)
		}
		if a, err := ParseAssociations(bytes.NewReader(data)); err == nil {
			for _, x := range a {
				if x.Name == "" || x.Target <= 0 {
					t.Fatalf("unusable association %+v", x)
				}
			}
		}
		if r, err := ParseRounds(bytes.NewReader(data)); err == nil {
			if CheckRounds(r) != nil {
				t.Fatal("accepted overlapping rounds")
			}
			for _, x := range r {
				if x.From > x.To || len(x.From) != 10 {
					t.Fatalf("unusable round %+v", x)
				}
			}
		}
	})
}

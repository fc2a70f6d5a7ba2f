package outreach

import (
	"fmt"
	"testing"
	"time"
)

// commune builds a commune of n residents, villageSize of them in
// "Đông Lão", households of four.
func commune(n, villageSize int) []Input {
	in := make([]Input, 0, n)
	for i := 0; i < n; i++ {
		v := "Đông Lão"
		if i >= villageSize {
			v = fmt.Sprintf("Thôn %s", families[(i/1000)%len(families)])
		}
		in = append(in, Input{
			Name: fmt.Sprintf("%s %s %s", families[i%len(families)], middles[i%len(middles)], givens[(i/7)%len(givens)]),
			CCCD: fmt.Sprintf("038%d%02d%06d", i%2, 60+i%40, i), BirthDate: fmt.Sprintf("%d-05-0%d", 1960+i%40, 1+i%8),
			Household: fmt.Sprintf("H%05d", i/4), IsHead: i%4 == 0, Village: v, Eligible: true,
		})
	}
	return in
}

// BenchmarkImport20k: a commune of 20,000 residents into the book (the
// budget: the whole import, parse included, under 10 s; the parse is
// roster.BenchmarkParse20k).
func BenchmarkImport20k(b *testing.B) {
	in := commune(20_000, 3_000)
	for b.Loop() {
		bk, err := Open(newMem())
		if err != nil {
			b.Fatal(err)
		}
		if _, err := bk.Import(KindResidents, in); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListVillage3000: GET /api/v1/outreach for a village of 3,000
// in a commune of 20,000 (budget < 100 ms).
func BenchmarkListVillage3000(b *testing.B) {
	bk, err := Open(newMem())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := bk.Import(KindResidents, commune(20_000, 3_000)); err != nil {
		b.Fatal(err)
	}
	k := kysoSet{}
	now := time.Now()
	for b.Loop() {
		l := bk.List(Filter{Village: "Đông Lão"}, k, now)
		if len(l.People) != 3_000 {
			b.Fatalf("%d people", len(l.People))
		}
	}
}

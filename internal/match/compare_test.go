package match

import (
	"math"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
)

func TestJaroWinkler(t *testing.T) {
	tests := []struct {
		a, b string
		want float64
	}{
		{"martha", "marhta", 0.9611},
		{"dwayne", "duane", 0.8400},
		{"dixon", "dicksonx", 0.8133},
		{"petrovic", "petrovic", 1},
		{"", "", 0},
		{"abc", "", 0},
		{"ђорђе", "ђорђе", 1},
		{"ђорђе", "ђорђа", 0.92},
	}
	for _, tt := range tests {
		if got := JaroWinkler(tt.a, tt.b); math.Abs(got-tt.want) > 0.0005 {
			t.Errorf("JaroWinkler(%q,%q) = %.4f, want %.4f", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestTokenSetSimilarity(t *testing.T) {
	if s := TokenSetSimilarity([]string{"ana", "marija"}, []string{"marija", "ana"}); s != 1 {
		t.Errorf("reordered tokens: %v", s)
	}
	sub := TokenSetSimilarity([]string{"ana"}, []string{"ana", "marija"})
	if sub >= 1 || sub < 0.9 {
		t.Errorf("subset: %v", sub)
	}
	if s := TokenSetSimilarity([]string{"hoxha"}, []string{"berisha"}); s > 0.7 {
		t.Errorf("different: %v", s)
	}
}

func TestCompareDates(t *testing.T) {
	d := func(y, m, dd int) entity.Date { return entity.Date{Year: y, Month: m, Day: dd} }
	tests := []struct {
		a, b entity.Date
		want DateAgreement
	}{
		{d(1985, 3, 17), d(1985, 3, 17), DateExact},
		{d(1985, 3, 7), d(1985, 7, 3), DateClose},   // day/month swap
		{d(1985, 3, 17), d(1985, 3, 18), DateClose}, // one digit
		{d(1985, 3, 17), d(1958, 3, 17), DateClose}, // adjacent digits swapped
		{d(1985, 3, 17), d(1985, 0, 0), DatePartial},
		{d(1985, 3, 17), d(1985, 3, 2), DatePartial},
		{d(1985, 3, 17), d(1990, 11, 2), DateDisagree},
		{d(1985, 3, 17), entity.Date{}, DateMissing},
	}
	for _, tt := range tests {
		if got := CompareDates(tt.a, tt.b, "", ""); got != tt.want {
			t.Errorf("CompareDates(%v,%v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
		if got := CompareDates(tt.b, tt.a, "", ""); got != tt.want {
			t.Errorf("CompareDates not symmetric for %v,%v", tt.a, tt.b)
		}
	}
	if got := CompareDates(entity.Date{}, d(1985, 12, 17), "19851317", ""); got != DateClose {
		t.Errorf("impossible date typo: %v", got)
	}
}

func TestCompareIDs(t *testing.T) {
	tests := []struct {
		a, b string
		want IDAgreement
	}{
		{"1703985710028", "1703985710028", IDExact},
		{"1703985710028", "1703985710029", IDOneEdit},
		{"1703985710028", "1730985710028", IDOneEdit},
		{"1703985710028", "2703985710029", IDTwoEdits},
		{"1703985710028", "0202990715000", IDDisagree},
		{"12", "13", IDOneEdit},
		{"123", "456", IDDisagree},
		{"", "1", IDMissing},
	}
	for _, tt := range tests {
		if got := CompareIDs(tt.a, tt.b); got != tt.want {
			t.Errorf("CompareIDs(%q,%q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestAddressSimilarity(t *testing.T) {
	if s := AddressSimilarity("Ulica Kralja Petra", "ul. Kralja Petra"); s != 1 {
		t.Errorf("abbreviation: %v", s)
	}
	if s := AddressSimilarity("Rruga Nënë Tereza", "Nene Tereza"); s < 0.9 {
		t.Errorf("street type omitted: %v", s)
	}
	if s := AddressSimilarity("Njegoševa", "Bulevar oslobođenja"); s > 0.75 {
		t.Errorf("different streets: %v", s)
	}
}

func TestCompareNamesOrderAndScript(t *testing.T) {
	mk := func(g, f, fa, full string) prepared {
		p := entity.Person{Name: entity.ParseName(g, f, fa, full)}
		return prepare(&p)
	}
	tests := []struct {
		name       string
		a, b       prepared
		wantG, wfF int
	}{
		{"same", mk("Marko", "Petrović", "", ""), mk("Marko", "Petrovic", "", ""), 1, 1},
		{"swapped", mk("Marko", "Petrović", "", ""), mk("Petrović", "Marko", "", ""), 1, 1},
		{"cyrillic", mk("Marko", "Petrović", "", ""), mk("Марко", "Петровић", "", ""), 1, 1},
		{"full surname first", mk("Agron", "Hoxha", "Ilir", ""), mk("", "", "", "HOXHA Agron"), 1, 1},
		{"full with patronymic", mk("Agron", "Hoxha", "", ""), mk("", "", "", "Agron Ilir Hoxha"), 1, 1},
		{"albanian in serbian spelling", mk("Blerta", "Krasniqi", "", ""), mk("Blerta", "Krasnići", "", ""), 1, 2},
		{"different given", mk("Marko", "Petrović", "", ""), mk("Jelena", "Petrović", "", ""), 5, 1},
		// A swap of two different names that share letters by chance
		// must not cost the given name that agrees.
		{"different family", mk("Liam", "Fitzpatrck", "", ""), mk("Liam", "Block", "", ""), 1, 5},
		{"different family 2", mk("Georgia", "Kyriacou", "", ""), mk("Georgia", "Pegg", "", ""), 1, 5},
		// One typing error is at least "similar", also where
		// Jaro-Winkler alone puts it in the weak level: a short name or
		// an error near the start.
		{"letter changed in a short name", mk("Zana", "Dushku", "", ""), mk("Zata", "Dushku", "", ""), 3, 1},
		{"neighbours swapped early", mk("Teodora", "Vujović", "", ""), mk("Teedora", "Vujović", "", ""), 3, 1},
		{"letter left out", mk("Hana", "Bajrami", "", ""), mk("Hna", "Bajrami", "", ""), 3, 1},
		{"two letters changed: no more than weak", mk("Amar", "Softić", "", ""), mk("Azra", "Softić", "", ""), 4, 1},
		{"three letters, one changed: no more than weak", mk("Ana", "Ilić", "", ""), mk("Ina", "Ilić", "", ""), 4, 1},
	}
	for _, tt := range tests {
		g, f, _ := compareNames(&tt.a, &tt.b)
		if g != tt.wantG || f != tt.wfF {
			t.Errorf("%s: levels given %d family %d, want %d %d", tt.name, g, f, tt.wantG, tt.wfF)
		}
	}
}

func TestModelMonotoneAndJSON(t *testing.T) {
	m := NewModel()
	for f := Field(0); f < NumFields; f++ {
		for l := 2; l < len(f.Levels()); l++ {
			if m.Weight(f, l) > m.Weight(f, l-1) {
				t.Errorf("%s: level %d outweighs level %d", f, l, l-1)
			}
		}
		if m.Weight(f, 0) != 0 {
			t.Errorf("%s: missing level has weight", f)
		}
	}
	var all, none Pattern
	for f := Field(0); f < NumFields; f++ {
		all = all.with(f, 1)
		none = none.with(f, len(f.Levels())-1)
	}
	_, hi := m.Score(all)
	_, lo := m.Score(none)
	if hi < 0.99 || lo > 0.01 {
		t.Errorf("posterior all-agree %v, all-disagree %v", hi, lo)
	}
}

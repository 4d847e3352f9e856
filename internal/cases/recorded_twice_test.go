package cases_test

import (
	"context"
	"testing"

	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// A person recorded twice (in two cases, not yet merged as duplicates) is
// one the search cannot tell apart from themself: both records are a
// high hit, not two rivals sharing one probability so that the partner
// is told "no hit". A namesake born on another day stays below.
func TestPersonRecordedTwiceIsAHighHit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, _ := newService(t, st)
		a := mustEntity(t, s, person("Marko", "Petrović", "1985-03-12", ""))
		b := mustEntity(t, s, cases.EntityInput{Kind: "person", Fields: map[string]string{"given_name": "Marko", "family_name": "Petrović", "date_of_birth": "1985-03-12", "city": "Beograd"}})
		other := mustEntity(t, s, person("Marko", "Petrović", "1962-11-02", ""))
		mustEntity(t, s, person("Milan", "Jovanović", "1990-01-01", ""))
		res, err := s.Search(ctx, officer, cases.Probe{Kind: "person", Fields: map[string]string{"full_name": "Петровић Марко", "date_of_birth": "12.03.1985"}}, "test")
		if err != nil {
			t.Fatal(err)
		}
		bands := map[string]string{}
		for _, r := range res {
			bands[r.Entity.ID] = r.Band
		}
		if bands[a.ID] != cases.BandHigh || bands[b.ID] != cases.BandHigh || bands[other.ID] == cases.BandHigh {
			t.Fatalf("bands: recorded twice %q and %q, namesake %q; want high, high, not high (%+v)", bands[a.ID], bands[b.ID], bands[other.ID], res)
		}
	})
}

package cases_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

var officer = &auth.Principal{Username: "ana", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}

func newService(t *testing.T, st *store.Store) (*cases.Service, *audit.Log) {
	t.Helper()
	ctx := context.Background()
	id, err := identity.LoadOrCreate(t.TempDir(), "rs", "Serbia")
	if err != nil {
		t.Fatal(err)
	}
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	al, err := audit.Open(ctx, st, id, clock.System{}, lg)
	if err != nil {
		t.Fatal(err)
	}
	return cases.New(cases.Deps{Store: st, Audit: al, Clock: clock.System{}, Logger: lg, NodeID: "rs", Region: "RS"}), al
}

func person(given, family, dob, id string) cases.EntityInput {
	f := map[string]string{"given_name": given, "family_name": family, "date_of_birth": dob}
	if id != "" {
		f["personal_id"] = id
	}
	return cases.EntityInput{Kind: "person", Fields: f}
}

func mustEntity(t *testing.T, s *cases.Service, in cases.EntityInput) cases.Entity {
	t.Helper()
	e, _, err := s.CreateEntity(context.Background(), officer, in)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSearchAcrossScripts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, _ := newService(t, st)
		want := mustEntity(t, s, person("Marko", "Petrović", "1985-03-12", ""))
		mustEntity(t, s, person("Marko", "Petrović", "1962-11-02", ""))
		mustEntity(t, s, person("Jelena", "Petrović", "1985-03-12", ""))
		mustEntity(t, s, person("Milan", "Jovanović", "1990-01-01", ""))
		res, err := s.Search(ctx, officer, cases.Probe{Kind: "person", Fields: map[string]string{"full_name": "Петровић Марко", "date_of_birth": "12.03.1985"}}, "test")
		if err != nil {
			t.Fatal(err)
		}
		if len(res) == 0 || res[0].Entity.ID != want.ID {
			t.Fatalf("best result is not the Latin record: %+v", res)
		}
		for _, r := range res {
			t.Logf("%s score=%.4f w=%.2f band=%s %v", r.Entity.Label, r.Score, r.Weight, r.Band, r.Explanation)
		}
		if res[0].Band != cases.BandHigh {
			t.Errorf("band %s, want high", res[0].Band)
		}
		for _, r := range res[1:] {
			if r.Band == cases.BandHigh {
				t.Errorf("%s is a high hit", r.Entity.Label)
			}
		}
	})
}

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

func newService(t testing.TB, st *store.Store) (*cases.Service, *audit.Log) {
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

func TestDuplicatesMergeUnmerge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, _ := newService(t, st)
		a := mustEntity(t, s, person("Agron", "Krasniqi", "1979-04-02", ""))
		b := mustEntity(t, s, person("Агрон", "Красничи", "02.04.1979", ""))
		mustEntity(t, s, person("Besa", "Gashi", "1990-01-01", ""))
		v1 := mustEntity(t, s, cases.EntityInput{Kind: "vehicle", Fields: map[string]string{"plate": "BG-123-AA"}})
		v2 := mustEntity(t, s, cases.EntityInput{Kind: "vehicle", Fields: map[string]string{"plate": "BG 123 AA", "make": "Golf"}})
		d, err := s.Duplicates(ctx, officer, 0)
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]bool{}
		for _, p := range d {
			found[p.A.ID+p.B.ID], found[p.B.ID+p.A.ID] = true, true
		}
		if !found[a.ID+b.ID] || !found[v1.ID+v2.ID] || len(d) != 2 {
			t.Fatalf("duplicates: %+v", d)
		}
		if err := s.Merge(ctx, officer, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		res, _ := s.Search(ctx, officer, cases.Probe{Kind: "person", Fields: map[string]string{"given_name": "Agron", "family_name": "Krasnići", "date_of_birth": "1979-04-02"}}, "t")
		if len(res) != 1 || res[0].Entity.ID != a.ID {
			t.Fatalf("after merge: %+v", res)
		}
		det, err := s.GetEntity(ctx, officer, a.ID)
		if err != nil || len(det.Merged) != 1 || det.Merged[0].ID != b.ID {
			t.Fatalf("provenance of merge: %+v %v", det.Merged, err)
		}
		if err := s.Unmerge(ctx, officer, b.ID); err != nil {
			t.Fatal(err)
		}
		res, _ = s.Search(ctx, officer, cases.Probe{Kind: "person", Fields: map[string]string{"given_name": "Agron", "family_name": "Krasnići", "date_of_birth": "1979-04-02"}}, "t")
		if len(res) != 2 {
			t.Fatalf("after unmerge: %+v", res)
		}
	})
}

func TestStatistics(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	s, _ := newService(t, st)
	for i, ref := range []string{"A-1", "A-2", "A-3"} {
		if _, err := s.CreateCase(ctx, officer, cases.CaseInput{Reference: ref, Title: "smuggling", CrimeArea: "migrant_smuggling", OpenedOn: "2025-06-01",
			Route: []string{"GR", "MK", "RS"}, ModusOperandi: "hidden in lorry; forged documents"}); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 2; j++ {
			in := person("P"+ref, []string{"Ali", "Omar"}[j], []string{"1990-01-01", "2010-01-01"}[j], "")
			in.Fields["sex"], in.Fields["nationality"] = "m", "SY"
			in.Case, in.Role = ref, []string{"suspect", "victim"}[j]
			mustEntity(t, s, in)
		}
		_ = i
	}
	if _, err := s.CreateCase(ctx, officer, cases.CaseInput{Reference: "D-1", Title: "x", CrimeArea: "drugs"}); err != nil {
		t.Fatal(err)
	}
	full, err := s.Stats(ctx, officer, false)
	if err != nil || len(full.Areas) != 2 {
		t.Fatalf("stats: %+v %v", full, err)
	}
	shared, err := s.Stats(ctx, officer, true)
	if err != nil || len(shared.Areas) != 1 {
		t.Fatalf("shared stats keep small cells: %+v %v", shared, err)
	}
	a := shared.Areas[0]
	if a.Cases != 3 || a.Perpetrators.Persons != 3 || a.Perpetrators.AgeBands[0] != (cases.Count{Label: "35-44", N: 3}) ||
		a.Victims.AgeBands[0] != (cases.Count{Label: "<18", N: 3}) || a.Years[0].Routes[0] != (cases.Count{Label: "GR→MK→RS", N: 3}) || len(a.Years[0].ModusOperandi) != 2 {
		t.Fatalf("area: %+v", a)
	}
}

func TestSeedDemoFindsCrossScriptHit(t *testing.T) {
	ctx := context.Background()
	for _, node := range []string{"rs", "ba", "al", "me", "mk", "xk", "selec"} {
		st := storetest.SQLite(t)
		id, _ := identity.LoadOrCreate(t.TempDir(), node, node)
		lg := slog.New(slog.NewTextHandler(io.Discard, nil))
		al, _ := audit.Open(ctx, st, id, clock.System{}, lg)
		s := cases.New(cases.Deps{Store: st, Audit: al, Clock: clock.System{}, Logger: lg, NodeID: node, Region: cases.RegionOf(node)})
		for i := 0; i < 2; i++ { // idempotent
			if err := s.SeedDemo(ctx); err != nil {
				t.Fatalf("%s: %v", node, err)
			}
		}
		if node != "ba" {
			continue
		}
		// The demo case has its two journeys once, however often it is seeded.
		if d, err := s.GetCase(ctx, officer, "BA-SIPA-2026-17"); err != nil || len(d.Routes) != 2 || d.Routes[0].Stops[0] != "BANEU" {
			t.Fatalf("demo routes: %+v %v", d.Routes, err)
		}
		res, err := s.Search(ctx, officer, cases.Probe{Kind: "person", Fields: map[string]string{"given_name": "Ненад", "family_name": "Јовановић", "date_of_birth": "1981-06-21"}}, "demo")
		if err != nil || len(res) == 0 || res[0].Band != cases.BandHigh {
			t.Fatalf("demo hit: %+v %v", res, err)
		}
	}
}

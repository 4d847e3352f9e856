package analysis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestRouteFrequencies: journeys recorded on two cases are counted per
// leg and direction over a period, by crime area; a bad route is refused
// with a clear message.
func TestRouteFrequencies(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC))
		n := testutil.Start(t, testutil.Options{NodeID: "rs", Store: b.Options(t), Clock: clk})
		an := user(t, n, "rs-analyst", "rs-police", auth.RoleAnalyst)
		mk := func(ref, area string) string {
			c, err := n.Cases.CreateCase(ctx, an, cases.CaseInput{Reference: ref, Title: ref, CrimeArea: area})
			if err != nil {
				t.Fatal(err)
			}
			return c.ID
		}
		smug, drugs := mk("RS-2026-1", "migrant_smuggling"), mk("RS-2026-2", "drugs")
		for _, r := range []struct {
			c, day string
			stops  []string
		}{
			{smug, "2026-03-01", []string{"MKGEV", "MKSKP", "BCP-TABANOVCE", "RSBEG", "bcp-horgos"}},
			{smug, "2026-04-11", []string{"MKSKP", "BCP-TABANOVCE", "RSBEG"}},
			{drugs, "2026-05-02", []string{"MKSKP", "BCP-TABANOVCE", "RSINI"}},
			{drugs, "2025-01-02", []string{"MKSKP", "BCP-TABANOVCE"}}, // before the period
		} {
			if _, err := n.Cases.AddRoute(ctx, an, r.c, cases.RouteInput{TravelledOn: r.day, Stops: r.stops}); err != nil {
				t.Fatal(err)
			}
		}
		for _, bad := range []cases.RouteInput{
			{TravelledOn: "2026-03-01", Stops: []string{"MKSKP"}},
			{TravelledOn: "2026-03-01", Stops: []string{"MKSKP", "Atlantis"}},
			{TravelledOn: "2026-03-01", Stops: []string{"MKSKP", "MKSKP"}},
			{TravelledOn: "2027-03-01", Stops: []string{"MKSKP", "RSBEG"}},
			{Stops: []string{"MKSKP", "RSBEG"}},
		} {
			if _, err := n.Cases.AddRoute(ctx, an, smug, bad); !errs.Is(err, errs.Invalid) {
				t.Fatalf("%+v: %v", bad, err)
			}
		}
		if _, err := n.Cases.AddRoute(ctx, an, "no-such-case", cases.RouteInput{TravelledOn: "2026-03-01", Stops: []string{"MKSKP", "RSBEG"}}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown case: %v", err)
		}
		d, err := n.Cases.GetCase(ctx, an, "RS-2026-1")
		if err != nil || len(d.Routes) != 2 || d.Routes[0].TravelledOn != "2026-04-11" || strings.Join(d.Routes[1].Stops, " ") != "MKGEV MKSKP BCP-TABANOVCE RSBEG BCP-HORGOS" {
			t.Fatalf("case routes: %+v %v", d.Routes, err)
		}

		off := user(t, n, "rs-officer", "rs-police", auth.RoleOfficer)
		if _, err := n.Analysis.Routes(ctx, off, analysis.RouteQuery{}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer: %v", err)
		}
		rep, err := n.Analysis.Routes(ctx, an, analysis.RouteQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.From != "2025-07-01" || rep.To != "2026-06-30" || rep.Journeys != 3 || rep.Cases != 2 {
			t.Fatalf("period and totals: %+v", rep)
		}
		legs := map[string][2]int{}
		for _, s := range rep.Segments {
			legs[s.From.Code+">"+s.To.Code] = [2]int{s.Journeys, s.Cases}
		}
		want := map[string][2]int{"MKSKP>BCP-TABANOVCE": {3, 2}, "BCP-TABANOVCE>RSBEG": {2, 1}, "BCP-TABANOVCE>RSINI": {1, 1}, "MKGEV>MKSKP": {1, 1}, "RSBEG>BCP-HORGOS": {1, 1}}
		if len(legs) != len(want) || rep.Segments[0].From.Code != "MKSKP" {
			t.Fatalf("legs: %v", legs)
		}
		for k, v := range want {
			if legs[k] != v {
				t.Fatalf("leg %s: %v, want %v (all %v)", k, legs[k], v, legs)
			}
		}
		rep, err = n.Analysis.Routes(ctx, an, analysis.RouteQuery{From: "2025-01-01", To: "2026-12-31", Area: "drugs"})
		if err != nil || rep.Journeys != 2 || len(rep.Segments) != 2 || rep.Segments[0].Journeys != 2 {
			t.Fatalf("drugs over two years: %+v %v", rep, err)
		}
		if csv := string(analysis.RoutesCSV(rep)); !strings.HasPrefix(csv, "from_code,from,to_code,to,journeys,cases,period_from,period_to\nMKSKP,Skopje,BCP-TABANOVCE,Tabanovce – Preševo,2,1,") {
			t.Fatalf("csv: %s", csv)
		}
		for _, q := range []analysis.RouteQuery{{From: "2026-13-01"}, {From: "2026-06-01", To: "2026-05-01"}, {Area: "piracy"}} {
			if _, err := n.Analysis.Routes(ctx, an, q); !errs.Is(err, errs.Invalid) {
				t.Fatalf("%+v: %v", q, err)
			}
		}
	})
}

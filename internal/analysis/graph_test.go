package analysis_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestLinkChartOnAKnownGraph: the known graph of graphalgo_test.go stored
// as case entities and relations (d–e is a phone call, the others are
// "related_to"): neighbours with depth and filters, shortest path,
// centrality and communities as the API returns them.
func TestLinkChartOnAKnownGraph(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		n := testutil.Start(t, testutil.Options{NodeID: "rs", Store: b.Options(t)})
		an := user(t, n, "rs-analyst", "rs-police", auth.RoleAnalyst)
		off := user(t, n, "rs-officer", "rs-police", auth.RoleOfficer)
		id := map[string]string{}
		for i, name := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
			kind, fields := "vehicle", map[string]string{"plate": fmt.Sprintf("BG-%03d-AA", 100+i), "make": "car " + name}
			if name == "d" {
				kind, fields = "phone", map[string]string{"number": "+381601234567"}
			}
			e, _, err := n.Cases.CreateEntity(ctx, an, cases.EntityInput{Kind: kind, Fields: fields})
			if err != nil {
				t.Fatalf("entity %s: %v", name, err)
			}
			id[name] = e.ID
		}
		for _, r := range [][3]string{{"a", "b", "related_to"}, {"b", "c", "related_to"}, {"a", "c", "related_to"}, {"c", "d", "related_to"}, {"d", "e", "called"},
			{"e", "f", "related_to"}, {"f", "g", "related_to"}, {"e", "g", "related_to"}} {
			if _, err := n.Cases.Relate(ctx, an, cases.RelationInput{From: id[r[0]], To: id[r[1]], Type: r[2]}); err != nil {
				t.Fatal(err)
			}
		}
		name := map[string]string{}
		for k, v := range id {
			name[v] = k
		}
		names := func(c analysis.Chart) string {
			var out []string
			for _, x := range c.Nodes {
				out = append(out, name[x.ID])
			}
			return fmt.Sprint(out)
		}

		if _, err := n.Analysis.Neighbours(ctx, off, analysis.NeighbourQuery{Entity: id["c"]}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer: %v", err)
		}
		c, err := n.Analysis.Neighbours(ctx, an, analysis.NeighbourQuery{Entity: id["c"]})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(c); got != "[c a b d]" && got != "[c b a d]" && got != "[c a d b]" && got != "[c d a b]" && len(c.Nodes) != 4 {
			t.Fatalf("neighbours of c: %s", got)
		}
		if len(c.Nodes) != 4 || len(c.Edges) != 3+0 && len(c.Edges) != 4 {
			t.Fatalf("chart around c: %d nodes, %d edges", len(c.Nodes), len(c.Edges))
		}
		whole, err := n.Analysis.Neighbours(ctx, an, analysis.NeighbourQuery{Entity: id["a"], Depth: 3})
		if err != nil {
			t.Fatal(err)
		}
		if len(whole.Nodes) != 5 { // a; b c at 1; d at 2; e at 3; f and g are 4 away
			t.Fatalf("depth 3 from a: %s", names(whole))
		}
		whole, _ = n.Analysis.Neighbours(ctx, an, analysis.NeighbourQuery{Entity: id["d"], Depth: 3})
		by := map[string]analysis.ChartNode{}
		for _, x := range whole.Nodes {
			by[name[x.ID]] = x
		}
		if len(whole.Nodes) != 7 || by["d"].Betweenness != 9 || by["c"].Betweenness != 8 || by["c"].Degree != 3 || by["a"].Betweenness != 0 {
			t.Fatalf("centrality around d: %+v", whole.Nodes)
		}
		if by["a"].Community != by["b"].Community || by["f"].Community != by["g"].Community || by["a"].Community == by["f"].Community {
			t.Fatalf("communities: %+v", whole.Nodes)
		}
		onlyRelated, _ := n.Analysis.Neighbours(ctx, an, analysis.NeighbourQuery{Entity: id["d"], Depth: 3, Types: []string{"related_to"}})
		if names(onlyRelated) != fmt.Sprint([]string{"d", "c", "a", "b"}) && len(onlyRelated.Nodes) != 4 {
			t.Fatalf("related_to only from d: %s", names(onlyRelated))
		}
		vehicles, _ := n.Analysis.Neighbours(ctx, an, analysis.NeighbourQuery{Entity: id["c"], Kinds: []string{"vehicle"}})
		if len(vehicles.Nodes) != 3 {
			t.Fatalf("vehicles around c: %s", names(vehicles))
		}

		p, err := n.Analysis.ShortestPath(ctx, an, analysis.PathQuery{From: id["a"], To: id["g"]})
		if err != nil {
			t.Fatal(err)
		}
		var path []string
		for _, x := range p.Path {
			path = append(path, name[x])
		}
		if fmt.Sprint(path) != "[a c d e g]" || len(p.Edges) != 4 || p.Edges[2].Type != "called" {
			t.Fatalf("path %v edges %+v", path, p.Edges)
		}
		if p, err := n.Analysis.ShortestPath(ctx, an, analysis.PathQuery{From: id["a"], To: id["h"]}); err != nil || len(p.Path) != 0 {
			t.Fatalf("path to the isolated h: %+v %v", p, err)
		}
		if p, _ := n.Analysis.ShortestPath(ctx, an, analysis.PathQuery{From: id["a"], To: id["g"], MaxDepth: 3}); len(p.Path) != 0 {
			t.Fatalf("path longer than the limit: %v", p.Path)
		}
		if _, err := n.Analysis.ShortestPath(ctx, an, analysis.PathQuery{From: id["a"], To: "nobody"}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown entity: %v", err)
		}
	})
}

package analysis_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/liaison-wb/liaison/internal/analysis"
)

// The known graph: two triangles (a b c) and (e f g) joined through d
// (c–d–e), and an isolated node h.
//
//	a       f
//	| \   / |
//	b--c-d-e--g   h
func knownGraph() *analysis.Graph {
	return analysis.NewGraph([]string{"a", "b", "c", "d", "e", "f", "g", "h"},
		[][2]string{{"a", "b"}, {"b", "c"}, {"a", "c"}, {"c", "d"}, {"d", "e"}, {"e", "f"}, {"f", "g"}, {"e", "g"}, {"c", "b"}})
}

func TestGraphAlgorithmsOnAKnownGraph(t *testing.T) {
	g := knownGraph()
	if got := fmt.Sprint(g.Degree()); got != "[2 2 3 2 3 2 2 0]" {
		t.Fatalf("degree %s", got)
	}
	// c lies on every shortest path between {a,b} and {d,e,f,g} (2×4
	// pairs), e between {f,g} and {a,b,c,d} (2×4), d between the triangles'
	// {a,b,c} and {e,f,g} (3×3).
	want := []float64{0, 0, 8, 9, 8, 0, 0, 0}
	for i, b := range g.Betweenness() {
		if math.Abs(b-want[i]) > 1e-9 {
			t.Fatalf("betweenness %v, want %v", g.Betweenness(), want)
		}
	}
	path := g.ShortestPath(0, 6)
	var names []string
	for _, i := range path {
		names = append(names, g.IDs[i])
	}
	if fmt.Sprint(names) != "[a c d e g]" {
		t.Fatalf("path %v", names)
	}
	if g.ShortestPath(0, 7) != nil {
		t.Fatal("a path to an isolated node")
	}
	c := g.Communities()
	if c[0] != c[1] || c[1] != c[2] || c[4] != c[5] || c[5] != c[6] || c[0] == c[4] || c[7] == c[0] || c[7] == c[4] {
		t.Fatalf("communities %v", c)
	}
}

package analysis

import (
	"context"
	"fmt"
	"slices"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
)

// ChartNode is an entity on a link chart, with what was computed for it
// over the chart's nodes.
type ChartNode struct {
	ID          string  `json:"id"`
	Kind        string  `json:"kind"`
	Label       string  `json:"label"`
	Depth       int     `json:"depth" doc:"steps from the entity the chart was opened on"`
	Degree      int     `json:"degree" doc:"links on this chart"`
	Betweenness float64 `json:"betweenness" doc:"betweenness centrality on this chart"`
	Community   int     `json:"community" doc:"community on this chart, 0 the largest"`
}

// ChartEdge is a relation between two entities of a chart.
type ChartEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
	Type string `json:"type"`
}

// Chart is a link chart: entities, relations and, for a path query, the
// path in order.
type Chart struct {
	Nodes     []ChartNode `json:"nodes"`
	Edges     []ChartEdge `json:"edges"`
	Path      []string    `json:"path,omitempty" doc:"entity IDs of a shortest path, in order"`
	Truncated bool        `json:"truncated" doc:"the node limit was reached; not every neighbour is shown"`
}

// NeighbourQuery opens a chart on one entity.
type NeighbourQuery struct {
	Entity string   `query:"entity" json:"entity" maxLength:"64"`
	Depth  int      `query:"depth" json:"depth" minimum:"0" maximum:"3" doc:"steps out from the entity (default 1)"`
	Types  []string `query:"type" json:"types,omitempty" maxItems:"20" doc:"only these relation types"`
	Kinds  []string `query:"kind" json:"kinds,omitempty" maxItems:"20" doc:"only entities of these kinds (the opened entity always shows)"`
	Limit  int      `query:"limit" json:"limit" minimum:"0" maximum:"5000" doc:"at most this many entities (default 500)"`
}

const maxChartNodes = 5000

// Neighbours is the link chart around an entity: its neighbours out to
// depth, filtered by relation type and entity kind, with degree,
// betweenness and communities computed on the chart. Reading is audited.
func (s *Service) Neighbours(ctx context.Context, p *auth.Principal, q NeighbourQuery) (Chart, error) {
	const op = "analysis.Neighbours"
	if err := auth.Authorize(p, auth.ActAnalysisView); err != nil {
		return Chart{}, err
	}
	if q.Depth <= 0 {
		q.Depth = 1
	}
	q.Depth = min(q.Depth, 3)
	if q.Limit <= 0 {
		q.Limit = 500
	}
	q.Limit = min(q.Limit, maxChartNodes)
	seed, err := entitiesByID(ctx, s.d.Store, []string{q.Entity})
	if err != nil {
		return Chart{}, unavailable(op, err)
	}
	if _, ok := seed[q.Entity]; !ok {
		return Chart{}, errs.New(errs.NotFound, op, "no such entity in the case database")
	}
	depth := map[string]int{q.Entity: 0}
	order := []string{q.Entity}
	var edges []ChartEdge
	seenEdge := map[ChartEdge]bool{}
	frontier := []string{q.Entity}
	truncated := false
	info := map[string]entRow{q.Entity: seed[q.Entity]}
	for d := 1; d <= q.Depth && len(frontier) > 0 && !truncated; d++ {
		rels, err := relationsTouching(ctx, s.d.Store, frontier)
		if err != nil {
			return Chart{}, unavailable(op, err)
		}
		var fresh []string
		for _, r := range rels {
			if len(q.Types) > 0 && !slices.Contains(q.Types, r.typ) {
				continue
			}
			for _, id := range []string{r.from, r.to} {
				if _, ok := depth[id]; !ok && !slices.Contains(fresh, id) {
					fresh = append(fresh, id)
				}
			}
		}
		ents, err := entitiesByID(ctx, s.d.Store, fresh)
		if err != nil {
			return Chart{}, unavailable(op, err)
		}
		frontier = frontier[:0]
		for _, id := range fresh {
			e, ok := ents[id]
			if !ok || len(q.Kinds) > 0 && !slices.Contains(q.Kinds, e.kind) {
				continue
			}
			if len(order) >= q.Limit {
				truncated = true
				break
			}
			depth[id], info[id] = d, e
			order = append(order, id)
			frontier = append(frontier, id)
		}
		for _, r := range rels {
			_, okA := depth[r.from]
			_, okB := depth[r.to]
			e := ChartEdge{From: r.from, To: r.to, Type: r.typ}
			if okA && okB && !seenEdge[e] && (len(q.Types) == 0 || slices.Contains(q.Types, r.typ)) {
				seenEdge[e] = true
				edges = append(edges, e)
			}
		}
	}
	c := buildChart(order, depth, info, edges)
	c.Truncated = truncated
	return c, s.record(ctx, s.entry(p, "analysis.graph.neighbours", "entity/"+q.Entity, fmt.Sprintf("depth=%d nodes=%d", q.Depth, len(c.Nodes))))
}

func buildChart(order []string, depth map[string]int, info map[string]entRow, edges []ChartEdge) Chart {
	pairs := make([][2]string, len(edges))
	for i, e := range edges {
		pairs[i] = [2]string{e.From, e.To}
	}
	g := NewGraph(order, pairs)
	deg, bet, com := g.Degree(), g.Betweenness(), g.Communities()
	c := Chart{Nodes: make([]ChartNode, len(order)), Edges: edges}
	if c.Edges == nil {
		c.Edges = []ChartEdge{}
	}
	for i, id := range order {
		c.Nodes[i] = ChartNode{ID: id, Kind: info[id].kind, Label: info[id].label, Depth: depth[id], Degree: deg[i], Betweenness: bet[i], Community: com[i]}
	}
	return c
}

// PathQuery asks for a shortest path between two entities.
type PathQuery struct {
	From     string `query:"from" json:"from" maxLength:"64"`
	To       string `query:"to" json:"to" maxLength:"64"`
	MaxDepth int    `query:"max" json:"max" minimum:"0" maximum:"8" doc:"longest path looked for (default 6)"`
}

// ShortestPath finds a shortest chain of relations between two entities
// (breadth first from both ends, one database round per step). Reading is
// audited; no path is an empty chart, not an error.
func (s *Service) ShortestPath(ctx context.Context, p *auth.Principal, q PathQuery) (Chart, error) {
	const op = "analysis.ShortestPath"
	if err := auth.Authorize(p, auth.ActAnalysisView); err != nil {
		return Chart{}, err
	}
	if q.MaxDepth <= 0 {
		q.MaxDepth = 6
	}
	q.MaxDepth = min(q.MaxDepth, 8)
	ends, err := entitiesByID(ctx, s.d.Store, []string{q.From, q.To})
	if err != nil {
		return Chart{}, unavailable(op, err)
	}
	if _, ok := ends[q.From]; !ok {
		return Chart{}, errs.New(errs.NotFound, op, "no such entity in the case database")
	}
	if _, ok := ends[q.To]; !ok {
		return Chart{}, errs.New(errs.NotFound, op, "no such entity in the case database")
	}
	// prev[side][id] = (previous id, relation type) towards that side's end.
	type step struct{ prev, typ string }
	prev := [2]map[string]step{{q.From: {}}, {q.To: {}}}
	frontier := [2][]string{{q.From}, {q.To}}
	meet := ""
	if q.From == q.To {
		meet = q.From
	}
	for d := 0; d < q.MaxDepth && meet == "" && len(frontier[0]) > 0 && len(frontier[1]) > 0; d++ {
		side := 0
		if len(frontier[1]) < len(frontier[0]) {
			side = 1
		}
		rels, err := relationsTouching(ctx, s.d.Store, frontier[side])
		if err != nil {
			return Chart{}, unavailable(op, err)
		}
		in := map[string]bool{}
		for _, id := range frontier[side] {
			in[id] = true
		}
		var next []string
		for _, r := range rels {
			for _, pair := range [][2]string{{r.from, r.to}, {r.to, r.from}} {
				if !in[pair[0]] {
					continue
				}
				if _, ok := prev[side][pair[1]]; ok {
					continue
				}
				prev[side][pair[1]] = step{pair[0], r.typ}
				next = append(next, pair[1])
				if _, ok := prev[1-side][pair[1]]; ok && meet == "" {
					meet = pair[1]
				}
			}
		}
		if len(next) > 200_000 {
			break
		}
		frontier[side] = next
	}
	c := Chart{Nodes: []ChartNode{}, Edges: []ChartEdge{}, Path: []string{}}
	if meet != "" {
		var left []string
		var edges []ChartEdge
		for id := meet; id != q.From; id = prev[0][id].prev {
			st := prev[0][id]
			left = append(left, st.prev)
			edges = append(edges, ChartEdge{From: st.prev, To: id, Type: st.typ})
		}
		slices.Reverse(left)
		slices.Reverse(edges)
		path := append(left, meet)
		for id := meet; id != q.To; id = prev[1][id].prev {
			st := prev[1][id]
			path = append(path, st.prev)
			edges = append(edges, ChartEdge{From: id, To: st.prev, Type: st.typ})
		}
		info, err := entitiesByID(ctx, s.d.Store, path)
		if err != nil {
			return Chart{}, unavailable(op, err)
		}
		depth := map[string]int{}
		for i, id := range path {
			depth[id] = i
		}
		c = buildChart(path, depth, info, edges)
		c.Path = path
	}
	return c, s.record(ctx, s.entry(p, "analysis.graph.path", "entity/"+q.From, "to entity/"+q.To+fmt.Sprintf(" length=%d", max(len(c.Path)-1, 0))))
}

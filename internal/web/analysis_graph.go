package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/entity"
)

type anNeighboursInput struct {
	analysis.NeighbourQuery
}

type anChartExportInput struct {
	analysis.ChartExportQuery
}

type anPathInput struct {
	analysis.PathQuery
}

func (s *Server) registerAnalysisGraph() {
	a := s.d.Analysis
	tags := []string{"Analysis"}
	p := PrincipalFrom
	bad := []int{http.StatusBadRequest, http.StatusNotFound}
	register(s, huma.Operation{OperationID: "analysis-graph-neighbours", Method: http.MethodGet, Path: "/api/v1/analysis/graph/neighbours", Tags: tags, Errors: bad,
		Summary: "Link chart around a case entity: neighbours out to a depth, filtered by relation type and entity kind, with degree, betweenness centrality and communities computed on the chart"},
		auth.ActAnalysisView, func(ctx context.Context, in *anNeighboursInput) (*Body[analysis.Chart], error) {
			r, err := a.Neighbours(ctx, p(ctx), in.NeighbourQuery)
			return &Body[analysis.Chart]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-graph-path", Method: http.MethodGet, Path: "/api/v1/analysis/graph/path", Tags: tags, Errors: bad,
		Summary: "A shortest chain of relations between two case entities (empty when there is none within the limit)"},
		auth.ActAnalysisView, func(ctx context.Context, in *anPathInput) (*Body[analysis.Chart], error) {
			r, err := a.ShortestPath(ctx, p(ctx), in.PathQuery)
			return &Body[analysis.Chart]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-graph-export", Method: http.MethodGet, Path: "/api/v1/analysis/graph/export", Tags: tags, Errors: bad,
		Summary: "A link chart (the neighbours of entity, or the path from one entity to another) as GraphML, GEXF or FollowTheMoney JSON lines",
		Responses: map[string]*huma.Response{"200": {Description: "GraphML, GEXF or FollowTheMoney file", Content: map[string]*huma.MediaType{
			"application/graphml+xml": {}, "application/gexf+xml": {}, "application/x-ndjson": {}}}}},
		auth.ActAnalysisView, func(ctx context.Context, in *anChartExportInput) (*anFileOutput, error) {
			f, err := a.ExportChart(ctx, p(ctx), in.ChartExportQuery)
			if err != nil {
				return nil, err
			}
			return &anFileOutput{ContentType: f.ContentType, ContentDisposition: `attachment; filename="` + f.Name + `"`, Body: f.Body}, nil
		})
	s.handle("GET", "/analysis/graph", auth.ActAnalysisView, s.anGraph)
}

// anGraph is the link chart page: an entity's neighbourhood with its most
// central entities and communities, and a path to a second entity.
func (s *Server) anGraph(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	types, kinds := pick(q["type"], cases.RelationTypes), pick(q["kind"], entityKinds())
	data := map[string]any{"Entity": q.Get("entity"), "To": q.Get("to"), "Depth": q.Get("depth"), "Depths": []string{"1", "2", "3"},
		"Types": cases.RelationTypes, "Kinds": entityKinds(), "TypeOn": on(types), "KindOn": on(kinds)}
	var errMsg string
	if e := q.Get("entity"); e != "" && len(e) <= 64 {
		depth, _ := strconv.Atoi(q.Get("depth"))
		c, err := s.d.Analysis.Neighbours(ctx, PrincipalFrom(ctx), analysis.NeighbourQuery{Entity: e, Depth: depth, Types: types, Kinds: kinds})
		if err != nil {
			errMsg = problemFor(s.d.Logger, err, r.URL.Path).Detail
		} else {
			central := append([]analysis.ChartNode(nil), c.Nodes...)
			sort.SliceStable(central, func(i, j int) bool { return central[i].Betweenness > central[j].Betweenness })
			data["Chart"], data["Central"] = c, central[:min(len(central), 10)]
			labels := map[string]string{}
			for _, n := range c.Nodes {
				labels[n.ID] = n.Label
			}
			data["Labels"] = labels
		}
		exports := func(prefix string, q url.Values) []chartExport {
			var out []chartExport
			for _, f := range [][2]string{{analysis.FormatGraphML, "GraphML"}, {analysis.FormatGEXF, "GEXF"}, {analysis.FormatFtM, "FollowTheMoney"}} {
				q.Set("format", f[0])
				out = append(out, chartExport{Format: prefix + f[0], Label: f[1], URL: template.URL("/api/v1/analysis/graph/export?" + q.Encode())})
			}
			return out
		}
		data["Exports"] = exports("", url.Values{"entity": {e}, "depth": {strconv.Itoa(max(depth, 1))}, "type": types, "kind": kinds})
		if to := q.Get("to"); to != "" && len(to) <= 64 {
			data["PathExports"] = exports("path-", url.Values{"from": {e}, "to": {to}})
		}
		if to := q.Get("to"); to != "" && len(to) <= 64 && errMsg == "" {
			pc, err := s.d.Analysis.ShortestPath(ctx, PrincipalFrom(ctx), analysis.PathQuery{From: e, To: to})
			if err != nil {
				errMsg = problemFor(s.d.Logger, err, r.URL.Path).Detail
			} else {
				data["Path"] = pc
			}
		}
	}
	s.render(w, r, http.StatusOK, "analysis_graph", "an.graph", "nav.analysis", data, "", errMsg)
}

type chartExport struct {
	Format, Label string
	URL           template.URL
}

// pick keeps the values that are in allowed, once each.
func pick(vals, allowed []string) []string {
	var out []string
	for _, v := range vals {
		if slices.Contains(allowed, v) && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

func on(vals []string) map[string]bool {
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[v] = true
	}
	return m
}

func entityKinds() []string {
	out := make([]string, 0, len(entity.Kinds))
	for _, k := range entity.Kinds {
		out = append(out, string(k))
	}
	return out
}

package web

import (
	"context"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
)

type anRoutesInput struct {
	analysis.RouteQuery
}

func (s *Server) registerAnalysisRoutes() {
	a := s.d.Analysis
	tags := []string{"Analysis"}
	p := PrincipalFrom
	bad := []int{http.StatusBadRequest}
	register(s, huma.Operation{OperationID: "analysis-routes", Method: http.MethodGet, Path: "/api/v1/analysis/routes", Tags: tags, Errors: bad,
		Summary: "Route frequencies: how often each leg between two places or border crossings was travelled in the journeys recorded on cases over a period"},
		auth.ActAnalysisView, func(ctx context.Context, in *anRoutesInput) (*Body[analysis.RouteReport], error) {
			r, err := a.Routes(ctx, p(ctx), in.RouteQuery)
			return &Body[analysis.RouteReport]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-routes-export", Method: http.MethodGet, Path: "/api/v1/analysis/routes/export", Tags: tags, Errors: bad,
		Summary:   "Route frequencies of a period as CSV, one row per leg",
		Responses: map[string]*huma.Response{"200": {Description: "CSV file", Content: map[string]*huma.MediaType{"text/csv": {}}}}},
		auth.ActAnalysisView, func(ctx context.Context, in *anRoutesInput) (*anFileOutput, error) {
			r, err := a.Routes(ctx, p(ctx), in.RouteQuery)
			if err != nil {
				return nil, err
			}
			return &anFileOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="routes-` + r.From + `-` + r.To + `.csv"`, Body: analysis.RoutesCSV(r)}, nil
		})
	s.handle("GET", "/analysis/routes", auth.ActAnalysisView, s.anRoutes)
}

// anRoutes is the route map: the legs travelled in a period drawn on the
// offline map, line width by frequency, with the same numbers in a table.
func (s *Server) anRoutes(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	in := analysis.RouteQuery{From: q.Get("from"), To: q.Get("to"), Area: q.Get("area")}
	data := map[string]any{"Q": in, "Areas": cases.CrimeAreas}
	rep, err := s.d.Analysis.Routes(ctx, PrincipalFrom(ctx), in)
	errMsg := ""
	if err != nil {
		errMsg = problemFor(s.d.Logger, err, r.URL.Path).Detail
		rep, err = s.d.Analysis.Routes(ctx, PrincipalFrom(ctx), analysis.RouteQuery{})
		if err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	data["R"], data["Q"] = rep, analysis.RouteQuery{From: rep.From, To: rep.To, Area: rep.Area}
	tr := func(k string) string { return s.d.Catalog.T(s.lang(r), k) }
	data["Map"] = routeMap(rep, tr("an.routes.map"), tr("an.routes.journeys"))
	data["CSV"] = template.URL("/api/v1/analysis/routes/export?" + url.Values{"from": {rep.From}, "to": {rep.To}, "area": {rep.Area}}.Encode())
	s.render(w, r, http.StatusOK, "analysis_routes", "an.routes", "nav.analysis", data, "", errMsg)
}

// routeMap draws the legs of a route report on the offline map: a line
// per leg, its width by how often it was travelled, and the places used.
func routeMap(rep analysis.RouteReport, label, journeys string) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="ops-map an-route-map" id="an-route-map" viewBox="0 0 %.2f %.2f" role="group" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		mapW, mapH(), template.HTMLEscapeString(label))
	b.WriteString(`<defs><marker id="an-route-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0 0L10 5L0 10z" class="an-route-head"/></marker></defs>`)
	b.WriteString(mapBaseOnce)
	mapMarks(&b, 1)
	most := 1
	for _, sg := range rep.Segments {
		most = max(most, sg.Journeys)
	}
	used := map[string]cases.Place{}
	// Least travelled first, so the main legs are drawn on top.
	for i := len(rep.Segments) - 1; i >= 0; i-- {
		sg := rep.Segments[i]
		x1, y1 := project(sg.From.Lat, sg.From.Lon)
		x2, y2 := project(sg.To.Lat, sg.To.Lon)
		width := 1.5 + 8.5*math.Sqrt(float64(sg.Journeys)/float64(most))
		fmt.Fprintf(&b, `<line class="an-route-leg" data-journeys="%d" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke-width="%.1f" marker-end="url(#an-route-arrow)"><title>%s → %s: %d %s</title></line>`,
			sg.Journeys, x1, y1, x2, y2, width, template.HTMLEscapeString(sg.From.Name), template.HTMLEscapeString(sg.To.Name), sg.Journeys, template.HTMLEscapeString(journeys))
		used[sg.From.Code], used[sg.To.Code] = sg.From, sg.To
	}
	for _, pl := range cases.Places {
		if _, ok := used[pl.Code]; !ok {
			continue
		}
		x, y := project(pl.Lat, pl.Lon)
		cls := "an-route-town"
		if pl.Crossing {
			cls = "an-route-crossing"
		}
		fmt.Fprintf(&b, `<circle class="%s" cx="%.1f" cy="%.1f" r="3.2"><title>%s</title></circle>`, cls, x, y, template.HTMLEscapeString(pl.Name))
		if !pl.Crossing {
			fmt.Fprintf(&b, `<text class="an-route-label" x="%.1f" y="%.1f" font-size="10">%s</text>`, x+5, y-4, template.HTMLEscapeString(pl.Name))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

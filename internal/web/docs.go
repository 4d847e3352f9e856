package web

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/liaison-wb/liaison/internal/errs"
)

type docParam struct {
	Name, In, Description string
	Required              bool
}

type docResponse struct{ Code, Description string }

type docOp struct {
	ID, Method, Path, Summary, Description, Request string
	Params                                          []docParam
	Responses                                       []docResponse
}

type docGroup struct {
	Tag string
	Ops []docOp
}

// apiDocs renders the OpenAPI document as a plain page: no third-party
// scripts, so it works under the strict CSP and offline.
func (s *Server) apiDocs(w http.ResponseWriter, r *http.Request) {
	oapi := s.api.OpenAPI()
	groups := map[string]*docGroup{}
	for path, item := range oapi.Paths {
		for method, op := range map[string]*huma.Operation{"GET": item.Get, "POST": item.Post, "PUT": item.Put, "PATCH": item.Patch, "DELETE": item.Delete} {
			if op == nil {
				continue
			}
			d := docOp{ID: op.OperationID, Method: method, Path: path, Summary: op.Summary, Description: op.Description}
			for _, p := range op.Parameters {
				d.Params = append(d.Params, docParam{Name: p.Name, In: p.In, Description: p.Description, Required: p.Required})
			}
			if op.RequestBody != nil {
				if mt, ok := op.RequestBody.Content["application/json"]; ok && mt.Schema != nil {
					sch := mt.Schema
					if sch.Ref != "" {
						sch = oapi.Components.Schemas.SchemaFromRef(sch.Ref)
					}
					b, _ := json.MarshalIndent(sch, "", "  ")
					d.Request = string(b)
				}
			}
			for code, resp := range op.Responses {
				d.Responses = append(d.Responses, docResponse{Code: code, Description: resp.Description})
			}
			sort.Slice(d.Responses, func(i, j int) bool { return d.Responses[i].Code < d.Responses[j].Code })
			tag := "Other"
			if len(op.Tags) > 0 {
				tag = op.Tags[0]
			}
			if groups[tag] == nil {
				groups[tag] = &docGroup{Tag: tag}
			}
			groups[tag].Ops = append(groups[tag].Ops, d)
		}
	}
	var out []docGroup
	for _, g := range groups {
		sort.Slice(g.Ops, func(i, j int) bool {
			if g.Ops[i].Path != g.Ops[j].Path {
				return g.Ops[i].Path < g.Ops[j].Path
			}
			return g.Ops[i].Method < g.Ops[j].Method
		})
		out = append(out, *g)
	}
	sort.Slice(out, func(i, j int) bool { return strings.Compare(out[i].Tag, out[j].Tag) < 0 })
	s.render(w, r, http.StatusOK, "apidocs", "apidocs.title", "nav.apidocs", map[string]any{"Groups": out, "Description": oapi.Info.Description}, "", "")
}

// metricsHandler serves /metrics on the main address: only with the
// configured bearer token, and not at all when metrics have their own
// listen address or no token is configured.
func (s *Server) metricsHandler() http.HandlerFunc {
	h := s.MetricsHandler()
	return func(w http.ResponseWriter, r *http.Request) {
		if s.d.MetricsElsewhere || s.d.MetricsToken == "" {
			s.uiError(w, r, errs.New(errs.NotFound, "web.metrics", "this page does not exist"))
			return
		}
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.d.MetricsToken)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			writeProblem(w, problemFor(s.d.Logger, &errs.E{Kind: errs.Unauthenticated, Op: "web.metrics", Code: "metrics-token",
				Msg: "metrics need Authorization: Bearer <metrics token>"}, r.URL.Path))
			return
		}
		h.ServeHTTP(w, r)
	}
}

// MetricsHandler serves the Prometheus metrics without any check, for a
// separate listen address reachable only by the monitoring system.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{})
}

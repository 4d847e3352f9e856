package web

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
)

type anImportInput struct {
	Body struct {
		Table analysis.TableInput `json:"table"`
		CSV   string              `json:"csv,omitempty" maxLength:"4000000" doc:"the cells: header row with indicator and value, optional sex, age_band, relationship, form, nationality"`
		XLSX  []byte              `json:"xlsx,omitempty" maxLength:"4000000" doc:"or the cells as an XLSX workbook (base64): the first sheet, with the same columns as the CSV"`
	}
}

type anTableIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type anTableShareInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body analysis.ShareInput
}

type anProfileInput struct {
	Body struct {
		Year         int    `json:"year" minimum:"1990" maximum:"2100"`
		Jurisdiction string `json:"jurisdiction" maxLength:"10"`
	}
}

type anRegionalInput struct {
	Set    string `query:"set" required:"true" enum:"gbv,thb,migration"`
	Period string `query:"period" required:"true" maxLength:"7"`
}

func (s *Server) registerAnalysisTables() {
	a := s.d.Analysis
	tags := []string{"Analysis"}
	p := PrincipalFrom
	bad := []int{http.StatusBadRequest, http.StatusNotFound}
	register(s, huma.Operation{OperationID: "analysis-indicator-sets", Method: http.MethodGet, Path: "/api/v1/analysis/indicator-sets",
		Summary: "The harmonised indicator sets (gender-based violence after EIGE, trafficking and smuggling case profile, migration after MARRI), jurisdictions and breakdowns", Tags: tags},
		auth.ActAnalysisView, func(ctx context.Context, _ *struct{}) (*Body[[]analysis.IndicatorSet], error) {
			return &Body[[]analysis.IndicatorSet]{analysis.IndicatorSets}, nil
		})
	register(s, huma.Operation{OperationID: "analysis-tables", Method: http.MethodGet, Path: "/api/v1/analysis/tables", Summary: "This node's harmonised statistics tables", Tags: tags},
		auth.ActAnalysisView, func(ctx context.Context, _ *struct{}) (*Body[[]analysis.Table], error) {
			r, err := a.Tables(ctx, p(ctx))
			return &Body[[]analysis.Table]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-tables-shared", Method: http.MethodGet, Path: "/api/v1/analysis/tables/shared", Summary: "Tables partners shared with this node (small cells suppressed)", Tags: tags},
		auth.ActAnalysisView, func(ctx context.Context, _ *struct{}) (*Body[[]analysis.Table], error) {
			r, err := a.SharedTables(ctx, p(ctx))
			return &Body[[]analysis.Table]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-tables-import", Method: http.MethodPost, Path: "/api/v1/analysis/tables", Tags: tags, Errors: bad,
		Summary:     "Import a table: its period, jurisdiction, source and definitions, with its cells as CSV or an XLSX workbook",
		Description: "A file with any problem is refused as a whole: `saved` is false and `errors` lists every problem by line and column; nothing is written."},
		auth.ActAnalysisEdit, func(ctx context.Context, in *anImportInput) (*Body[analysis.TableImport], error) {
			data := []byte(in.Body.CSV)
			if len(in.Body.XLSX) > 0 {
				data = in.Body.XLSX
			}
			r, err := a.ImportTable(ctx, p(ctx), in.Body.Table, data)
			return &Body[analysis.TableImport]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-tables-profile", Method: http.MethodPost, Path: "/api/v1/analysis/tables/profile", Tags: tags, Errors: bad, DefaultStatus: http.StatusCreated,
		Summary: "Compute the trafficking and migrant smuggling case profile of a year from the local cases and save it as a table"},
		auth.ActAnalysisEdit, func(ctx context.Context, in *anProfileInput) (*Body[analysis.Table], error) {
			r, err := a.ComputeProfile(ctx, p(ctx), in.Body.Year, in.Body.Jurisdiction)
			return &Body[analysis.Table]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-regional", Method: http.MethodGet, Path: "/api/v1/analysis/regional", Tags: tags, Errors: bad,
		Summary: "The regional table of a set and period: this node's and the shared tables side by side, each contribution with its definitions"},
		auth.ActAnalysisView, func(ctx context.Context, in *anRegionalInput) (*Body[analysis.Regional], error) {
			r, err := a.RegionalTable(ctx, p(ctx), in.Set, in.Period)
			return &Body[analysis.Regional]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-table", Method: http.MethodGet, Path: "/api/v1/analysis/tables/{id}", Summary: "One table", Tags: tags, Errors: bad},
		auth.ActAnalysisView, func(ctx context.Context, in *anTableIDInput) (*Body[analysis.Table], error) {
			r, err := a.Table(ctx, p(ctx), in.ID)
			return &Body[analysis.Table]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-table-export", Method: http.MethodGet, Path: "/api/v1/analysis/tables/{id}/export", Summary: "One table's cells as CSV", Tags: tags, Errors: bad,
		Responses: map[string]*huma.Response{"200": {Description: "CSV file", Content: map[string]*huma.MediaType{"text/csv": {}}}}},
		auth.ActAnalysisView, func(ctx context.Context, in *anTableIDInput) (*anFileOutput, error) {
			t, err := a.Table(ctx, p(ctx), in.ID)
			if err != nil {
				return nil, err
			}
			return &anFileOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="table-` + t.ID + `.csv"`, Body: analysis.TableCSV(t)}, nil
		})
	register(s, huma.Operation{OperationID: "analysis-table-share", Method: http.MethodPost, Path: "/api/v1/analysis/tables/{id}/share", Tags: tags, Errors: bad,
		Summary: "Send a table, cells under 5 suppressed, to partner or regional nodes; the envelopes wait for the NCU"},
		auth.ActAnalysisShare, func(ctx context.Context, in *anTableShareInput) (*anShareOutput, error) {
			ids, err := a.ShareTable(ctx, p(ctx), in.ID, in.Body)
			out := &anShareOutput{}
			out.Body.Envelopes = ids
			return out, err
		})

	s.handle("GET", "/analysis/statistics", auth.ActAnalysisView, s.anStatistics)
	s.handle("POST", "/analysis/statistics/import", auth.ActAnalysisEdit, s.anImport)
	s.handle("POST", "/analysis/statistics/profile", auth.ActAnalysisEdit, s.anProfile)
	s.handle("GET", "/analysis/statistics/regional", auth.ActAnalysisView, s.anRegional)
	s.handle("GET", "/analysis/statistics/{id}", auth.ActAnalysisView, s.anTable)
	s.handle("GET", "/analysis/statistics/{id}/csv", auth.ActAnalysisView, s.anTableCSV)
	s.handle("POST", "/analysis/statistics/{id}/share", auth.ActAnalysisShare, s.anTableShare)
}

func (s *Server) anStatistics(w http.ResponseWriter, r *http.Request) {
	s.renderStatistics(w, r, http.StatusOK, nil, "")
}

func (s *Server) renderStatistics(w http.ResponseWriter, r *http.Request, status int, rowErrs []analysis.ImportError, errMsg string) {
	ctx := r.Context()
	own, err := s.d.Analysis.Tables(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	shared, err := s.d.Analysis.SharedTables(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	type regional struct{ Set, Period string }
	var regionals []regional
	seen := map[regional]bool{}
	for _, t := range append(append([]analysis.Table{}, own...), shared...) {
		k := regional{t.Set, t.Period}
		if !seen[k] {
			seen[k] = true
			regionals = append(regionals, k)
		}
	}
	flash := ""
	if k := r.URL.Query().Get("ok"); k == "imported" || k == "shared" || k == "computed" {
		flash = s.d.Catalog.T(s.lang(r), "an.ok."+k)
	}
	data := map[string]any{"Own": own, "Shared": shared, "Regionals": regionals, "Sets": analysis.IndicatorSets, "Jurisdictions": analysis.Jurisdictions,
		"RowErrors": rowErrs, "CanEdit": auth.Can(PrincipalFrom(ctx), auth.ActAnalysisEdit), "MinCellText": analysis.MinCell, "Year": s.d.Clock.Now().Year() - 1,
		"Form": map[string]string{"set": r.FormValue("set"), "title": r.FormValue("title"), "period": r.FormValue("period"), "jurisdiction": r.FormValue("jurisdiction"),
			"source": r.FormValue("source"), "definitions": r.FormValue("definitions")}}
	s.render(w, r, status, "analysis_statistics", "an.statistics", "nav.analysis", data, flash, errMsg)
}

// anDefinitions reads "indicator | national offence | note" lines.
func anDefinitions(v string) []analysis.Definition {
	var out []analysis.Definition
	for _, line := range strings.FieldsFunc(v, func(r rune) bool { return r == '\n' || r == '\r' }) {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) < 2 {
			parts = append(parts, "")
		}
		d := analysis.Definition{Indicator: strings.TrimSpace(parts[0]), NationalOffence: strings.TrimSpace(parts[1])}
		if len(parts) == 3 {
			d.Note = strings.TrimSpace(parts[2])
		}
		out = append(out, d)
	}
	return out
}

func (s *Server) anImport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		s.renderStatistics(w, r, http.StatusBadRequest, nil, s.d.Catalog.T(s.lang(r), "an.import.nofile"))
		return
	}
	file, _, err := r.FormFile("file")
	if err != nil {
		s.renderStatistics(w, r, http.StatusBadRequest, nil, s.d.Catalog.T(s.lang(r), "an.import.nofile"))
		return
	}
	defer file.Close()
	body, err := io.ReadAll(io.LimitReader(file, 8<<20))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	in := analysis.TableInput{Set: r.FormValue("set"), Title: r.FormValue("title"), Period: r.FormValue("period"), Jurisdiction: r.FormValue("jurisdiction"),
		Source: r.FormValue("source"), Definitions: anDefinitions(r.FormValue("definitions"))}
	rep, err := s.d.Analysis.ImportTable(ctx, PrincipalFrom(ctx), in, body)
	if err != nil {
		p := problemFor(s.d.Logger, err, r.URL.Path)
		s.renderStatistics(w, r, p.Status, nil, p.Detail)
		return
	}
	if !rep.Saved {
		s.renderStatistics(w, r, http.StatusBadRequest, rep.Errors, s.d.Catalog.T(s.lang(r), "an.import.refused", len(rep.Errors)))
		return
	}
	http.Redirect(w, r, "/analysis/statistics/"+rep.Table.ID+"?ok=imported", http.StatusSeeOther)
}

func (s *Server) anProfile(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.renderStatistics(w, r, http.StatusBadRequest, nil, s.d.Catalog.T(s.lang(r), "an.import.nofile"))
		return
	}
	year, _ := strconv.Atoi(r.PostFormValue("year"))
	t, err := s.d.Analysis.ComputeProfile(ctx, PrincipalFrom(ctx), year, r.PostFormValue("jurisdiction"))
	if err != nil {
		p := problemFor(s.d.Logger, err, r.URL.Path)
		s.renderStatistics(w, r, p.Status, nil, p.Detail)
		return
	}
	http.Redirect(w, r, "/analysis/statistics/"+t.ID+"?ok=computed", http.StatusSeeOther)
}

func (s *Server) anTable(w http.ResponseWriter, r *http.Request) {
	s.renderTable(w, r, http.StatusOK, "")
}

func (s *Server) renderTable(w http.ResponseWriter, r *http.Request, status int, errMsg string) {
	ctx := r.Context()
	t, err := s.d.Analysis.Table(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	labels, values := analysis.IndicatorTotals(t)
	lang := s.lang(r)
	for i, l := range labels {
		labels[i] = s.d.Catalog.T(lang, "an.ind."+l)
	}
	chart := chartSpec{Type: "bar", Labels: labels, Horizontal: true, Series: []chartSeries{{Label: t.Jurisdiction + " " + t.Period, Data: values}}}
	var peers any
	if t.Node == s.d.Analysis.NodeID() && s.d.Federation != nil && auth.Can(PrincipalFrom(ctx), auth.ActAnalysisShare) {
		ps, err := s.d.Federation.Peers(ctx)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		peers = ps
	}
	flash := ""
	if k := r.URL.Query().Get("ok"); k == "imported" || k == "shared" || k == "computed" {
		flash = s.d.Catalog.T(lang, "an.ok."+k)
	}
	data := map[string]any{"T": t, "Chart": jsonString(chart), "Peers": peers, "Own": t.Node == s.d.Analysis.NodeID(), "MinCell": analysis.MinCell}
	s.render(w, r, status, "analysis_table", "an.table", "nav.analysis", data, flash, errMsg)
}

func (s *Server) anTableCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	t, err := s.d.Analysis.Table(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="table-`+t.ID+`.csv"`)
	_, _ = w.Write(analysis.TableCSV(t))
}

func (s *Server) anTableShare(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.renderTable(w, r, http.StatusBadRequest, s.d.Catalog.T(s.lang(r), "an.import.nofile"))
		return
	}
	id := r.PathValue("id")
	if _, err := s.d.Analysis.ShareTable(ctx, PrincipalFrom(ctx), id, analysis.ShareInput{Peers: r.PostForm["peer"]}); err != nil {
		p := problemFor(s.d.Logger, err, r.URL.Path)
		s.renderTable(w, r, p.Status, p.Detail)
		return
	}
	http.Redirect(w, r, "/analysis/statistics/"+id+"?ok=shared", http.StatusSeeOther)
}

func (s *Server) anRegional(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	set, period := q.Get("set"), q.Get("period")
	if _, ok := analysis.SetOf(set); !ok {
		set = "gbv"
	}
	if len(period) > 7 {
		period = ""
	}
	reg, err := s.d.Analysis.RegionalTable(ctx, PrincipalFrom(ctx), set, period)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lang := s.lang(r)
	var labels []string
	var series []chartSeries
	totals := map[string][]float64{}
	for _, row := range reg.Rows {
		if row.Sex != "" || row.AgeBand != "" || row.Relationship != "" || row.Form != "" || row.Nationality != "" || row.Area != "" {
			continue
		}
		labels = append(labels, s.d.Catalog.T(lang, "an.ind."+row.Indicator))
		for i, c := range reg.Contributions {
			v := 0.0
			if row.Values[i] != nil {
				v = float64(*row.Values[i])
			}
			totals[c.Jurisdiction+" ("+c.Node+")"] = append(totals[c.Jurisdiction+" ("+c.Node+")"], v)
		}
	}
	for _, c := range reg.Contributions {
		k := c.Jurisdiction + " (" + c.Node + ")"
		series = append(series, chartSeries{Label: k, Data: totals[k]})
	}
	chart := chartSpec{Type: "bar", Labels: labels, Series: series}
	data := map[string]any{"R": reg, "Sets": analysis.IndicatorSets, "Chart": jsonString(chart), "HasChart": len(labels) > 0}
	s.render(w, r, http.StatusOK, "analysis_regional", "an.regional", "nav.analysis", data, "", "")
}

package web

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/textutil"
)

type anShareInput struct {
	Body analysis.ShareInput
}

type anShareOutput struct {
	Body struct {
		Envelopes []string `json:"envelopes" doc:"outgoing envelopes, waiting for the NCU"`
	}
}

type anExportInput struct {
	Partner string `query:"partner" maxLength:"32" doc:"only this node's rows (as reporter or partner)"`
}

type anFileOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

// registerAnalysis adds the analysis module's API operations and pages.
func (s *Server) registerAnalysis() {
	if s.d.Analysis == nil {
		return
	}
	a := s.d.Analysis
	tags := []string{"Analysis"}
	p := PrincipalFrom
	register(s, huma.Operation{OperationID: "analysis-scoreboard", Method: http.MethodGet, Path: "/api/v1/analysis/scoreboard",
		Summary: "This node's cooperation scoreboard: per partner and quarter, exchange requests and answers, hit/no-hit, judicial requests, JITs, operations; agreements with no recorded use flagged declaratory", Tags: tags},
		auth.ActAnalysisView, func(ctx context.Context, _ *struct{}) (*Body[analysis.Scoreboard], error) {
			r, err := a.Scoreboard(ctx, p(ctx))
			return &Body[analysis.Scoreboard]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-scoreboards", Method: http.MethodGet, Path: "/api/v1/analysis/scoreboards",
		Summary: "This node's scoreboard followed by the scoreboards partners shared with it", Tags: tags},
		auth.ActAnalysisView, func(ctx context.Context, _ *struct{}) (*Body[[]analysis.Scoreboard], error) {
			r, err := a.Scoreboards(ctx, p(ctx))
			return &Body[[]analysis.Scoreboard]{r}, err
		})
	register(s, huma.Operation{OperationID: "analysis-scoreboard-export", Method: http.MethodGet, Path: "/api/v1/analysis/scoreboard/export",
		Summary: "The scoreboards as CSV: one row per reporting node and partner (total) and per quarter", Tags: tags, Errors: []int{http.StatusBadRequest},
		Responses: map[string]*huma.Response{"200": {Description: "CSV file", Content: map[string]*huma.MediaType{"text/csv": {}}}}},
		auth.ActAnalysisView, func(ctx context.Context, in *anExportInput) (*anFileOutput, error) {
			r, err := a.Scoreboards(ctx, p(ctx))
			if err != nil {
				return nil, err
			}
			return &anFileOutput{ContentType: "text/csv; charset=utf-8", ContentDisposition: `attachment; filename="scoreboard.csv"`, Body: analysis.ScoreboardCSV(r, in.Partner)}, nil
		})
	register(s, huma.Operation{OperationID: "analysis-scoreboard-share", Method: http.MethodPost, Path: "/api/v1/analysis/scoreboard/share",
		Summary: "Send this node's scoreboard (aggregate counts, no personal data) to partner nodes; the envelopes wait for the NCU", Tags: tags,
		Errors: []int{http.StatusBadRequest, http.StatusConflict}},
		auth.ActAnalysisShare, func(ctx context.Context, in *anShareInput) (*anShareOutput, error) {
			ids, err := a.ShareScoreboard(ctx, p(ctx), in.Body)
			out := &anShareOutput{}
			out.Body.Envelopes = ids
			return out, err
		})

	s.registerAnalysisTables()
	s.registerAnalysisGraph()
	s.registerAssessments()
	s.registerAnalysisRoutes()
	s.handle("GET", "/analysis", auth.ActAnalysisView, s.anScoreboard)
	s.handle("GET", "/analysis/scoreboard", auth.ActAnalysisView, s.anScoreboard)
	s.handle("GET", "/analysis/scoreboard.csv", auth.ActAnalysisView, s.anScoreboardCSV)
	s.handle("POST", "/analysis/scoreboard/share", auth.ActAnalysisShare, s.anShare)
	s.handle("GET", "/analysis/scoreboard/{node}", auth.ActAnalysisView, s.anCountry)
}

func (s *Server) anFlash(r *http.Request) string {
	if k := r.URL.Query().Get("ok"); k == "shared" {
		return s.d.Catalog.T(s.lang(r), "an.ok.shared")
	}
	return ""
}

func (s *Server) anScoreboard(w http.ResponseWriter, r *http.Request) {
	s.renderScoreboard(w, r, http.StatusOK, s.anFlash(r), "")
}

func (s *Server) renderScoreboard(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	ctx := r.Context()
	boards, err := s.d.Analysis.Scoreboards(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	partners, rows := analysis.Matrix(boards)
	var peers any
	if s.d.Federation != nil && auth.Can(PrincipalFrom(ctx), auth.ActAnalysisShare) {
		ps, err := s.d.Federation.Peers(ctx)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		peers = ps
	}
	data := map[string]any{"Own": boards[0], "Partners": partners, "Rows": rows, "Peers": peers}
	s.render(w, r, status, "analysis_scoreboard", "an.scoreboard", "nav.analysis", data, flash, errMsg)
}

func (s *Server) anScoreboardCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	boards, err := s.d.Analysis.Scoreboards(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	partner := r.URL.Query().Get("partner")
	if len(partner) > 32 {
		partner = ""
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="scoreboard.csv"`)
	_, _ = w.Write(analysis.ScoreboardCSV(boards, partner))
}

func (s *Server) anShare(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
		return
	}
	if _, err := s.d.Analysis.ShareScoreboard(ctx, PrincipalFrom(ctx), analysis.ShareInput{Peers: r.PostForm["peer"]}); err != nil {
		p := problemFor(s.d.Logger, err, r.URL.Path)
		s.renderScoreboard(w, r, p.Status, "", p.Detail)
		return
	}
	http.Redirect(w, r, "/analysis/scoreboard?ok=shared", http.StatusSeeOther)
}

// anCountry is one partner's page: this node's record with it per
// quarter (chart and table) and, when it shared its own, its side.
func (s *Server) anCountry(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	node := strings.ToLower(r.PathValue("node"))
	boards, err := s.d.Analysis.Scoreboards(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	own := boards[0]
	pair, ok := own.Pair(node)
	var theirs *analysis.Scoreboard
	for i := range boards[1:] {
		if boards[i+1].Node == node {
			theirs = &boards[i+1]
		}
	}
	if !ok && theirs == nil {
		s.uiError(w, r, errs.Newf(errs.NotFound, "web.analysis", "no recorded cooperation with %q", textutil.Ellipsis(node, 32)))
		return
	}
	lang := s.lang(r)
	t := func(k string) string { return s.d.Catalog.T(lang, k) }
	var labels []string
	var sent, answered, mla, hits, joint []float64
	for _, q := range pair.Quarters {
		labels = append(labels, q.Quarter)
		sent = append(sent, float64(q.RequestsSent))
		answered = append(answered, float64(q.RequestsAnswered))
		mla = append(mla, float64(q.MLASent))
		hits = append(hits, float64(q.Hits))
		joint = append(joint, float64(q.JITs+q.Operations+q.Patrols))
	}
	chart := chartSpec{Type: "bar", Labels: labels, Series: []chartSeries{{Label: t("an.c.sent"), Data: sent}, {Label: t("an.c.answered"), Data: answered},
		{Label: t("an.c.mla"), Data: mla}, {Label: t("an.c.hits"), Data: hits}, {Label: t("an.c.joint"), Data: joint, Type: "line"}}}
	var agrs []analysis.AgreementUse
	country := strings.ToUpper(node)
	for _, a := range own.Agreements {
		for _, c := range a.Partners {
			if c == country {
				agrs = append(agrs, a)
			}
		}
	}
	data := map[string]any{"Node": node, "Self": own.Node, "Pair": pair, "Has": ok, "Theirs": theirs, "Chart": jsonString(chart), "Agreements": agrs}
	s.render(w, r, http.StatusOK, "analysis_country", "an.country", "nav.analysis", data, "", "")
}

package web

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
)

// registerCases adds the joint operational database's UI pages and API operations.
func (s *Server) registerCases() {
	if s.d.Cases == nil {
		return
	}
	s.registerCasesAPI()
	s.registerCasesUI()
}

type casesListInput struct {
	CrimeArea string `query:"crime_area" maxLength:"64"`
}

type caseCreateInput struct {
	Body cases.CaseInput
}

type casesIDInput struct {
	ID string `path:"id" maxLength:"100" doc:"case ID or reference"`
}

type entityCreateInput struct {
	Body cases.EntityInput
}

// EntityCreated reports whether the entity was new.
type EntityCreated struct {
	Entity  cases.Entity `json:"entity"`
	Created bool         `json:"created" doc:"false when an identical entity was already stored"`
}

type relationCreateInput struct {
	Body cases.RelationInput
}

type mergeInput struct {
	ID   string `path:"id" maxLength:"64" doc:"the duplicate"`
	Body struct {
		Into string `json:"into" minLength:"1" maxLength:"64" doc:"the entity to keep"`
	}
}

type duplicatesInput struct {
	Limit int `query:"limit" minimum:"0" maximum:"1000" default:"200"`
}

type searchInput struct {
	Body struct {
		cases.Probe
		Purpose string `json:"purpose" minLength:"1" maxLength:"500" doc:"why you search; recorded in the audit log"`
	}
}

type queryCreateInput struct {
	Body cases.QueryInput
}

type deconfRegisterInput struct {
	Body struct {
		Case string `json:"case" minLength:"1" maxLength:"100" doc:"case ID or reference"`
		cases.DeconfInput
	}
}

type deconfListInput struct {
	Case string `query:"case" maxLength:"100" required:"true" doc:"case ID or reference"`
}

type deconfNoticesInput struct {
	State string `query:"state" enum:"open,closed," doc:"open, closed; empty for all"`
}

type hitsInput struct {
	State string `query:"state" enum:"new,released,refused," doc:"new, released, refused; empty for all"`
}

type refInput struct {
	Ref string `path:"ref" maxLength:"64"`
}

type releaseInput struct {
	Ref  string `path:"ref" maxLength:"64"`
	Body cases.ReleaseInput
}

type importInput struct {
	Format   string   `query:"format" enum:"csv,json,ftm" default:"csv"`
	DryRun   bool     `query:"dry_run" doc:"validate and report without writing"`
	Kind     string   `query:"kind" maxLength:"20" doc:"entity kind of CSV rows without a kind column (default person)"`
	Case     string   `query:"case" maxLength:"100" doc:"case reference for rows without a case column"`
	Filename string   `query:"filename" maxLength:"200"`
	Map      []string `query:"map" doc:"CSV column mapping, HEADER=field (repeatable); field may be ignore"`
	RawBody  []byte   `contentType:"text/csv"`
}

type exportOutput struct {
	ContentType string `header:"Content-Type"`
	Body        []byte
}

type statsInput struct {
	Shared bool `query:"shared" doc:"the form shared with other nodes: cells under 3 suppressed"`
}

type shareInput struct {
	Body struct {
		Peer string `json:"peer" minLength:"2" maxLength:"32"`
	}
}

// FitOutput reports a model fit.
type FitOutput struct {
	Records int `json:"records" doc:"persons the weights were learnt from"`
}

func parseMapping(list []string) (map[string]string, error) {
	m := map[string]string{}
	for _, l := range list {
		for _, part := range strings.Split(l, "\n") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			h, f, ok := strings.Cut(part, "=")
			if !ok || strings.TrimSpace(h) == "" {
				return nil, errs.Newf(errs.Invalid, "cases.import", "mapping %q must be HEADER=field", part)
			}
			m[strings.TrimSpace(h)] = strings.TrimSpace(f)
		}
	}
	return m, nil
}

func (s *Server) registerCasesAPI() {
	c := s.d.Cases
	tags := []string{"Cases"}
	register(s, huma.Operation{OperationID: "list-cases", Method: http.MethodGet, Path: "/api/v1/cases", Summary: "List cases", Tags: tags},
		auth.ActCasesView, func(ctx context.Context, in *casesListInput) (*Body[[]cases.Case], error) {
			l, err := c.Cases(ctx, PrincipalFrom(ctx), in.CrimeArea)
			return &Body[[]cases.Case]{l}, err
		})
	register(s, huma.Operation{OperationID: "create-case", Method: http.MethodPost, Path: "/api/v1/cases", Summary: "Create a case (an existing reference returns that case)", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest}},
		auth.ActCasesEdit, func(ctx context.Context, in *caseCreateInput) (*Body[cases.Case], error) {
			k, err := c.CreateCase(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[cases.Case]{k}, err
		})
	register(s, huma.Operation{OperationID: "get-case", Method: http.MethodGet, Path: "/api/v1/cases/{id}", Summary: "A case with its entities and their relations", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActCasesView, func(ctx context.Context, in *casesIDInput) (*Body[cases.CaseDetail], error) {
			d, err := c.GetCase(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[cases.CaseDetail]{d}, err
		})
	register(s, huma.Operation{OperationID: "create-entity", Method: http.MethodPost, Path: "/api/v1/cases/entities", Summary: "Store an entity (idempotent), optionally in a case", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest}},
		auth.ActCasesEdit, func(ctx context.Context, in *entityCreateInput) (*Body[EntityCreated], error) {
			e, created, err := c.CreateEntity(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[EntityCreated]{EntityCreated{e, created}}, err
		})
	register(s, huma.Operation{OperationID: "get-entity", Method: http.MethodGet, Path: "/api/v1/cases/entities/{id}", Summary: "An entity with its cases, relations and merged duplicates", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActCasesView, func(ctx context.Context, in *idInput) (*Body[cases.EntityDetail], error) {
			d, err := c.GetEntity(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[cases.EntityDetail]{d}, err
		})
	register(s, huma.Operation{OperationID: "create-relation", Method: http.MethodPost, Path: "/api/v1/cases/relations", Summary: "Relate two entities", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusNotFound}},
		auth.ActCasesEdit, func(ctx context.Context, in *relationCreateInput) (*Body[cases.Relation], error) {
			r, err := c.Relate(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[cases.Relation]{r}, err
		})
	register(s, huma.Operation{OperationID: "merge-entity", Method: http.MethodPost, Path: "/api/v1/cases/entities/{id}/merge", Summary: "Merge a duplicate into another entity (reversible)", Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		auth.ActCasesEdit, func(ctx context.Context, in *mergeInput) (*struct{}, error) {
			return &struct{}{}, c.Merge(ctx, PrincipalFrom(ctx), in.Body.Into, in.ID)
		})
	register(s, huma.Operation{OperationID: "unmerge-entity", Method: http.MethodPost, Path: "/api/v1/cases/entities/{id}/unmerge", Summary: "Undo a merge", Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusConflict}},
		auth.ActCasesEdit, func(ctx context.Context, in *idInput) (*struct{}, error) {
			return &struct{}{}, c.Unmerge(ctx, PrincipalFrom(ctx), in.ID)
		})
	register(s, huma.Operation{OperationID: "list-duplicates", Method: http.MethodGet, Path: "/api/v1/cases/duplicates", Summary: "Suggested duplicates within this node, with explanations", Tags: tags},
		auth.ActCasesView, func(ctx context.Context, in *duplicatesInput) (*Body[[]cases.DuplicatePair], error) {
			d, err := c.Duplicates(ctx, PrincipalFrom(ctx), in.Limit)
			return &Body[[]cases.DuplicatePair]{d}, err
		})
	register(s, huma.Operation{OperationID: "search-entities", Method: http.MethodPost, Path: "/api/v1/cases/search", Summary: "Search this node's entities with the matching engine",
		Description: "Scripts, diacritics, name order and fuzzy dates are handled by the matching engine; each result has a per-field explanation.", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActCasesView, func(ctx context.Context, in *searchInput) (*Body[[]cases.Candidate], error) {
			r, err := c.Search(ctx, PrincipalFrom(ctx), in.Body.Probe, in.Body.Purpose)
			return &Body[[]cases.Candidate]{r}, err
		})
	register(s, huma.Operation{OperationID: "send-hit-query", Method: http.MethodPost, Path: "/api/v1/cases/queries", Summary: "Cross-border hit/no-hit search (one entity or a batch)",
		Description: "Peers answer only hit or no-hit with an opaque reference and a score band; the owner decides whether to release details.", Tags: tags,
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		auth.ActCasesQuery, func(ctx context.Context, in *queryCreateInput) (*Body[cases.OutQuery], error) {
			q, err := c.SendQuery(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[cases.OutQuery]{q}, err
		})
	register(s, huma.Operation{OperationID: "list-hit-queries", Method: http.MethodGet, Path: "/api/v1/cases/queries", Summary: "Hit/no-hit queries sent by your agency", Tags: tags},
		auth.ActCasesQuery, func(ctx context.Context, _ *emptyInput) (*Body[[]cases.QuerySummary], error) {
			l, err := c.Queries(ctx, PrincipalFrom(ctx))
			return &Body[[]cases.QuerySummary]{l}, err
		})
	register(s, huma.Operation{OperationID: "get-hit-query", Method: http.MethodGet, Path: "/api/v1/cases/queries/{id}", Summary: "A query with its answers and releases", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActCasesQuery, func(ctx context.Context, in *idInput) (*Body[cases.OutQuery], error) {
			q, err := c.Query(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[cases.OutQuery]{q}, err
		})
	register(s, huma.Operation{OperationID: "register-deconfliction", Method: http.MethodPost, Path: "/api/v1/cases/deconfliction", Summary: "Register a case's targets for regional deconfliction with chosen partners",
		Description: "Only keyed encodings of the targets leave the node. When a partner's active investigation shares a target, both NCUs get a notice naming the two contact points.", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		auth.ActCasesDeconflict, func(ctx context.Context, in *deconfRegisterInput) (*Body[cases.DeconfRegistration], error) {
			r, err := c.RegisterDeconfliction(ctx, PrincipalFrom(ctx), in.Body.Case, in.Body.DeconfInput)
			return &Body[cases.DeconfRegistration]{r}, err
		})
	register(s, huma.Operation{OperationID: "list-deconfliction", Method: http.MethodGet, Path: "/api/v1/cases/deconfliction", Summary: "A case's deconfliction registrations", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActCasesView, func(ctx context.Context, in *deconfListInput) (*Body[[]cases.DeconfRegistration], error) {
			l, err := c.CaseDeconfliction(ctx, in.Case)
			return &Body[[]cases.DeconfRegistration]{l}, err
		})
	register(s, huma.Operation{OperationID: "withdraw-deconfliction", Method: http.MethodPost, Path: "/api/v1/cases/deconfliction/{id}/withdraw", Summary: "Withdraw a deconfliction registration (partners remove its targets)", Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict}},
		auth.ActCasesDeconflict, func(ctx context.Context, in *idInput) (*struct{}, error) {
			return &struct{}{}, c.WithdrawDeconfliction(ctx, PrincipalFrom(ctx), in.ID)
		})
	register(s, huma.Operation{OperationID: "list-deconfliction-notices", Method: http.MethodGet, Path: "/api/v1/cases/deconfliction/notices", Summary: "Deconfliction notices: partner investigations sharing a target, with their contact points", Tags: tags},
		auth.ActCasesDeconfNotices, func(ctx context.Context, in *deconfNoticesInput) (*Body[[]cases.DeconfNotice], error) {
			l, err := c.DeconfNotices(ctx, PrincipalFrom(ctx), in.State)
			return &Body[[]cases.DeconfNotice]{l}, err
		})
	register(s, huma.Operation{OperationID: "close-case", Method: http.MethodPost, Path: "/api/v1/cases/{id}/close", Summary: "Close a case (its deconfliction registrations are withdrawn)", Tags: tags,
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound, http.StatusConflict}},
		auth.ActCasesEdit, func(ctx context.Context, in *casesIDInput) (*struct{}, error) {
			return &struct{}{}, c.CloseCase(ctx, PrincipalFrom(ctx), in.ID)
		})
	register(s, huma.Operation{OperationID: "add-case-route", Method: http.MethodPost, Path: "/api/v1/cases/{id}/routes", Summary: "Record a journey on a case: places and border crossings in order, with the day travelled", Tags: tags,
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusNotFound}},
		auth.ActCasesEdit, func(ctx context.Context, in *caseRouteInput) (*Body[cases.Route], error) {
			r, err := c.AddRoute(ctx, PrincipalFrom(ctx), in.ID, in.Body)
			return &Body[cases.Route]{r}, err
		})
	register(s, huma.Operation{OperationID: "list-route-places", Method: http.MethodGet, Path: "/api/v1/cases/places", Summary: "The gazetteer routes are recorded with: towns and border crossings with their codes", Tags: tags},
		auth.ActCasesView, func(ctx context.Context, _ *struct{}) (*Body[[]cases.Place], error) {
			return &Body[[]cases.Place]{cases.Places}, nil
		})
	register(s, huma.Operation{OperationID: "list-hits", Method: http.MethodGet, Path: "/api/v1/cases/hits", Summary: "Hit inbox: other nodes' queries that matched local data", Tags: tags},
		auth.ActCasesHits, func(ctx context.Context, in *hitsInput) (*Body[[]cases.Hit], error) {
			l, err := c.Hits(ctx, PrincipalFrom(ctx), in.State)
			return &Body[[]cases.Hit]{l}, err
		})
	register(s, huma.Operation{OperationID: "get-hit", Method: http.MethodGet, Path: "/api/v1/cases/hits/{ref}", Summary: "One hit: what was asked, by whom, why, and the local match", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActCasesHits, func(ctx context.Context, in *refInput) (*Body[cases.Hit], error) {
			h, err := c.GetHit(ctx, PrincipalFrom(ctx), in.Ref)
			return &Body[cases.Hit]{h}, err
		})
	register(s, huma.Operation{OperationID: "release-hit", Method: http.MethodPost, Path: "/api/v1/cases/hits/{ref}/release", Summary: "Release selected fields (or refuse with a reason)",
		Description: "The decision travels as a secure-exchange message (exchange.message) with protective markings to the requesting agency: it waits for this node's NCU, is routed by the requesting NCU and appears in the requester's exchange inbox; a cases.release notice without personal data links the thread to the query. Returns the exchange envelope ID.", Tags: tags,
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		auth.ActCasesRelease, func(ctx context.Context, in *releaseInput) (*Body[sentOutput], error) {
			id, err := c.Release(ctx, PrincipalFrom(ctx), in.Ref, in.Body)
			return &Body[sentOutput]{sentOutput{ID: id}}, err
		})
	register(s, huma.Operation{OperationID: "import-entities", Method: http.MethodPost, Path: "/api/v1/cases/import", Summary: "Import CSV, JSON or FollowTheMoney entities (idempotent; dry_run reports every rejected row)",
		Description: "The request body is the file. Larger files than the node's body limit are imported with `liaison cases import`.", Tags: tags, Errors: []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge}},
		auth.ActCasesImport, func(ctx context.Context, in *importInput) (*Body[cases.ImportResult], error) {
			m, err := parseMapping(in.Map)
			if err != nil {
				return nil, err
			}
			rep, err := c.Import(ctx, PrincipalFrom(ctx), bytes.NewReader(in.RawBody), cases.ImportOptions{Format: in.Format, DryRun: in.DryRun, Kind: in.Kind, Case: in.Case, Filename: in.Filename, Mapping: m})
			return &Body[cases.ImportResult]{rep}, err
		})
	register(s, huma.Operation{OperationID: "export-ftm", Method: http.MethodGet, Path: "/api/v1/cases/export", Summary: "Export entities and relations as FollowTheMoney JSON lines", Tags: tags},
		auth.ActCasesImport, func(ctx context.Context, _ *emptyInput) (*exportOutput, error) {
			var buf bytes.Buffer
			_, err := c.ExportFtM(ctx, PrincipalFrom(ctx), &buf)
			return &exportOutput{ContentType: "application/x-ndjson", Body: buf.Bytes()}, err
		})
	register(s, huma.Operation{OperationID: "get-case-stats", Method: http.MethodGet, Path: "/api/v1/cases/stats", Summary: "Aggregate statistics per crime area", Tags: tags},
		auth.ActCasesStats, func(ctx context.Context, in *statsInput) (*Body[cases.Statistics], error) {
			st, err := c.Stats(ctx, PrincipalFrom(ctx), in.Shared)
			return &Body[cases.Statistics]{st}, err
		})
	register(s, huma.Operation{OperationID: "list-shared-stats", Method: http.MethodGet, Path: "/api/v1/cases/stats/shared", Summary: "Aggregate statistics shared by peers", Tags: tags},
		auth.ActCasesStats, func(ctx context.Context, _ *emptyInput) (*Body[[]cases.Statistics], error) {
			st, err := c.SharedStats(ctx, PrincipalFrom(ctx))
			return &Body[[]cases.Statistics]{st}, err
		})
	register(s, huma.Operation{OperationID: "share-case-stats", Method: http.MethodPost, Path: "/api/v1/cases/stats/share", Summary: "Send the aggregate statistics (small cells suppressed) to a peer", Tags: tags,
		DefaultStatus: http.StatusAccepted, Errors: []int{http.StatusBadRequest}},
		auth.ActCasesShare, func(ctx context.Context, in *shareInput) (*Body[sentOutput], error) {
			id, err := c.ShareStats(ctx, PrincipalFrom(ctx), in.Body.Peer)
			return &Body[sentOutput]{sentOutput{ID: id}}, err
		})
	register(s, huma.Operation{OperationID: "fit-match-model", Method: http.MethodPost, Path: "/api/v1/cases/model/fit", Summary: "Learn match weights (EM) from this node's persons", Tags: tags, Errors: []int{http.StatusConflict}},
		auth.ActCasesModel, func(ctx context.Context, _ *emptyInput) (*Body[FitOutput], error) {
			n, err := c.FitModel(ctx, PrincipalFrom(ctx), 0)
			return &Body[FitOutput]{FitOutput{n}}, err
		})
}

// ---- UI ----

func (s *Server) registerCasesUI() {
	s.handle("GET", "/cases", auth.ActCasesView, s.casesPage)
	s.handle("POST", "/cases", auth.ActCasesEdit, s.caseCreate)
	s.handle("GET", "/cases/c/{id}", auth.ActCasesView, s.casePage)
	s.handle("POST", "/cases/c/{id}/entities", auth.ActCasesEdit, s.caseAddEntity)
	s.handle("GET", "/cases/e/{id}", auth.ActCasesView, s.entityPage)
	s.handle("POST", "/cases/e/{id}/relations", auth.ActCasesEdit, s.entityRelate)
	s.handle("POST", "/cases/e/{id}/merge", auth.ActCasesEdit, s.entityMerge)
	s.handle("POST", "/cases/e/{id}/unmerge", auth.ActCasesEdit, s.entityUnmerge)
	s.handle("GET", "/cases/search", auth.ActCasesView, s.casesSearchPage)
	s.handle("POST", "/cases/search", auth.ActCasesView, s.casesSearch)
	s.handle("POST", "/cases/queries", auth.ActCasesQuery, s.casesQuerySend)
	s.handle("GET", "/cases/queries", auth.ActCasesQuery, s.casesQueriesPage)
	s.handle("GET", "/cases/queries/{id}", auth.ActCasesQuery, s.casesQueryPage)
	s.handle("GET", "/cases/hits", auth.ActCasesHits, s.casesHitsPage)
	s.handle("GET", "/cases/hits/{ref}", auth.ActCasesHits, s.casesHitPage)
	s.handle("POST", "/cases/hits/{ref}/release", auth.ActCasesRelease, s.casesRelease)
	s.handle("GET", "/cases/import", auth.ActCasesImport, s.casesImportPage)
	s.handle("POST", "/cases/import", auth.ActCasesImport, s.casesImport)
	s.handle("GET", "/cases/duplicates", auth.ActCasesView, s.casesDuplicatesPage)
	s.handle("GET", "/cases/stats", auth.ActCasesStats, s.casesStatsPage)
	s.handle("POST", "/cases/stats/share", auth.ActCasesShare, s.casesShareStats)
	s.handle("POST", "/cases/c/{id}/deconfliction", auth.ActCasesDeconflict, s.caseDeconflict)
	s.handle("POST", "/cases/c/{id}/close", auth.ActCasesEdit, s.caseClose)
	s.handle("POST", "/cases/c/{id}/routes", auth.ActCasesEdit, s.caseAddRoute)
	s.handle("POST", "/cases/deconfliction/{id}/withdraw", auth.ActCasesDeconflict, s.deconfWithdraw)
	s.handle("GET", "/cases/deconfliction", auth.ActCasesDeconfNotices, s.deconfNoticesPage)
}

func (s *Server) caseDeconflict(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	back := "/cases/c/" + url.PathEscape(r.PathValue("id"))
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
		return
	}
	_, err := s.d.Cases.RegisterDeconfliction(ctx, PrincipalFrom(ctx), r.PathValue("id"), cases.DeconfInput{Peers: r.PostForm["peer"], Contact: r.PostFormValue("contact")})
	if err != nil {
		s.failForm(w, r, back, "deconf", err)
		return
	}
	http.Redirect(w, r, back+"?ok=deconf", http.StatusSeeOther)
}

type caseRouteInput struct {
	ID   string `path:"id" maxLength:"100" doc:"case ID or reference"`
	Body cases.RouteInput
}

// caseAddRoute records a journey from the case page's form; the stops are
// place codes separated by spaces, commas or ">".
func (s *Server) caseAddRoute(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	back := "/cases/c/" + url.PathEscape(r.PathValue("id"))
	stops := strings.FieldsFunc(r.PostFormValue("stops"), func(c rune) bool {
		return c == '>' || c == ',' || c == ';' || c == ' ' || c == '\n' || c == '\r' || c == '\t'
	})
	_, err := s.d.Cases.AddRoute(ctx, PrincipalFrom(ctx), r.PathValue("id"), cases.RouteInput{TravelledOn: r.PostFormValue("travelled_on"), Stops: stops, Note: r.PostFormValue("note")})
	if err != nil {
		s.failForm(w, r, back, "route", err)
		return
	}
	http.Redirect(w, r, back+"?ok=route#routes", http.StatusSeeOther)
}

func (s *Server) caseClose(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	back := "/cases/c/" + url.PathEscape(r.PathValue("id"))
	if err := s.d.Cases.CloseCase(ctx, PrincipalFrom(ctx), r.PathValue("id")); err != nil {
		s.failForm(w, r, back, "close", err)
		return
	}
	http.Redirect(w, r, back+"?ok=closed", http.StatusSeeOther)
}

func (s *Server) deconfWithdraw(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	back := "/cases/c/" + url.PathEscape(r.PostFormValue("case"))
	if err := s.d.Cases.WithdrawDeconfliction(ctx, PrincipalFrom(ctx), r.PathValue("id")); err != nil {
		s.failForm(w, r, back, "deconf", err)
		return
	}
	http.Redirect(w, r, back+"?ok=withdrawn", http.StatusSeeOther)
}

func (s *Server) deconfNoticesPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	state := r.URL.Query().Get("state")
	if state == "" {
		state = "open"
	}
	if state == "all" {
		state = ""
	}
	l, err := s.d.Cases.DeconfNotices(ctx, PrincipalFrom(ctx), state)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "cases_deconf", "cases.deconf.notices", "nav.cases", s.casesCommon(r, map[string]any{"Notices": l, "State": state}), "", "")
}

func (s *Server) casesFlash(r *http.Request) string {
	if ok := r.URL.Query().Get("ok"); ok != "" {
		return s.d.Catalog.T(s.lang(r), "cases.ok."+ok)
	}
	return ""
}

func (s *Server) casesCommon(r *http.Request, data map[string]any) map[string]any {
	p := PrincipalFrom(r.Context())
	data["CanEdit"] = auth.Can(p, auth.ActCasesEdit)
	data["CanQuery"] = auth.Can(p, auth.ActCasesQuery)
	data["CanHits"] = auth.Can(p, auth.ActCasesHits)
	data["CanImport"] = auth.Can(p, auth.ActCasesImport)
	data["CanStats"] = auth.Can(p, auth.ActCasesStats)
	data["CanRelease"] = auth.Can(p, auth.ActCasesRelease)
	data["CanDeconflict"] = auth.Can(p, auth.ActCasesDeconflict)
	data["CanDeconfNotices"] = auth.Can(p, auth.ActCasesDeconfNotices)
	data["RequirePrivate"] = s.d.Cases.RequirePrivate()
	data["CrimeAreas"] = cases.CrimeAreas
	data["Kinds"] = entity.Kinds
	data["RelationTypes"] = cases.RelationTypes
	data["Roles"] = cases.Roles
	return data
}

func (s *Server) renderCases(w http.ResponseWriter, r *http.Request, status int, form map[string]string, flash, errMsg string) {
	ctx := r.Context()
	if f := s.failedForm(r); form == nil && f.Is("case") {
		form = f.Map()
	}
	l, err := s.d.Cases.Cases(ctx, PrincipalFrom(ctx), r.URL.Query().Get("crime_area"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "cases", "cases.title", "nav.cases", s.casesCommon(r, map[string]any{"Cases": l, "Form": form}), flash, errMsg)
}

func (s *Server) casesPage(w http.ResponseWriter, r *http.Request) {
	s.renderCases(w, r, http.StatusOK, nil, s.casesFlash(r), "")
}

func splitCSV(v string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) caseCreate(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{}
	for _, k := range []string{"reference", "title", "crime_area", "opened_on", "places", "route", "modus_operandi", "links"} {
		form[k] = r.PostFormValue(k)
	}
	c, err := s.d.Cases.CreateCase(r.Context(), PrincipalFrom(r.Context()), cases.CaseInput{Reference: form["reference"], Title: form["title"], CrimeArea: form["crime_area"],
		OpenedOn: form["opened_on"], Places: splitCSV(form["places"]), Route: splitCSV(form["route"]), ModusOperandi: form["modus_operandi"], Links: splitCSV(form["links"])})
	if err != nil {
		s.failForm(w, r, "/cases", "case", err)
		return
	}
	http.Redirect(w, r, "/cases/c/"+c.ID+"?ok=case", http.StatusSeeOther)
}

// parseFieldLines reads "field: value" or "field=value" lines.
func parseFieldLines(text string) map[string]string {
	out := map[string]string{}
	for _, l := range strings.Split(text, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			k, v, ok = strings.Cut(l, "=")
		}
		if ok && strings.TrimSpace(k) != "" {
			out[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return out
}

func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, status int, form map[string]string, flash, errMsg string) {
	ctx := r.Context()
	if f := s.failedForm(r); form == nil && f.Is("entity") {
		form = f.Map()
	}
	d, err := s.d.Cases.GetCase(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var nodes []cases.EntitySlim
	for _, m := range d.Entities {
		nodes = append(nodes, m.Entity)
	}
	regs, err := s.d.Cases.CaseDeconfliction(ctx, d.Case.ID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var peers any
	if s.d.Federation != nil && auth.Can(PrincipalFrom(ctx), auth.ActCasesDeconflict) {
		if peers, err = s.d.Federation.Peers(ctx); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	routeForm := map[string]string{}
	if f := s.failedForm(r); errMsg == "" && (f.Is("deconf") || f.Is("close") || f.Is("route")) {
		errMsg = f.Message
		if f.Is("route") {
			routeForm = f.Map()
		}
	}
	places := map[string]cases.Place{}
	for _, pl := range cases.Places {
		places[pl.Code] = pl
	}
	s.render(w, r, status, "cases_case", "cases.case", "nav.cases", s.casesCommon(r, map[string]any{"D": d, "Form": form, "Graph": layoutGraph("", nodes, d.Graph),
		"PersonFields": cases.KindFields(entity.KindPerson), "Deconf": regs, "DeconfPeers": s.queryPeers(ctx, peers), "PrivateEnabled": s.d.Cases.PrivateEnabled(),
		"RouteForm": routeForm, "Places": places, "PlaceList": cases.Places}), flash, errMsg)
}

func (s *Server) casePage(w http.ResponseWriter, r *http.Request) {
	s.renderCase(w, r, http.StatusOK, nil, s.casesFlash(r), "")
}

func (s *Server) caseAddEntity(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := map[string]string{"kind": r.PostFormValue("kind"), "fields": r.PostFormValue("fields"), "role": r.PostFormValue("role"), "aliases": r.PostFormValue("aliases")}
	_, _, err := s.d.Cases.CreateEntity(ctx, PrincipalFrom(ctx), cases.EntityInput{Kind: form["kind"], Fields: parseFieldLines(form["fields"]), Aliases: splitCSV(form["aliases"]),
		Case: r.PathValue("id"), Role: form["role"]})
	if err != nil {
		s.failForm(w, r, "/cases/c/"+url.PathEscape(r.PathValue("id")), "entity", err)
		return
	}
	http.Redirect(w, r, "/cases/c/"+r.PathValue("id")+"?ok=entity", http.StatusSeeOther)
}

// graphNode and graphEdge are the positioned network graph of an entity
// page, drawn as SVG on the server (no script needed).
type graphNode struct {
	ID, Label, Kind string
	X, Y            int
	Center          bool
}

type graphEdge struct {
	X1, Y1, X2, Y2, LX, LY int
	Type                   string
}

type graph struct {
	Nodes  []graphNode
	Edges  []graphEdge
	W, H   int
	Render bool
}

// layoutGraph places the centre entity (if any) in the middle and the
// others on a circle.
func layoutGraph(center string, nodes []cases.EntitySlim, rels []cases.Relation) graph {
	const w, h, cx, cy = 640, 420, 320, 210
	g := graph{W: w, H: h}
	pos := map[string][2]int{}
	var ring []cases.EntitySlim
	for _, n := range nodes {
		if n.ID == center {
			pos[n.ID] = [2]int{cx, cy}
			g.Nodes = append(g.Nodes, graphNode{ID: n.ID, Label: shorten(n.Label, 28), Kind: n.Kind, X: cx, Y: cy, Center: true})
		} else {
			ring = append(ring, n)
		}
	}
	rad := 160.0
	if center == "" && len(ring) < 3 {
		rad = 120
	}
	for i, n := range ring {
		a := 2*math.Pi*float64(i)/float64(max(len(ring), 1)) - math.Pi/2
		x, y := cx+int(rad*1.4*math.Cos(a)), cy+int(rad*math.Sin(a))
		pos[n.ID] = [2]int{x, y}
		g.Nodes = append(g.Nodes, graphNode{ID: n.ID, Label: shorten(n.Label, 28), Kind: n.Kind, X: x, Y: y})
	}
	for _, r := range rels {
		a, ok1 := pos[r.From]
		b, ok2 := pos[r.To]
		if ok1 && ok2 {
			g.Edges = append(g.Edges, graphEdge{X1: a[0], Y1: a[1], X2: b[0], Y2: b[1], LX: (a[0] + b[0]) / 2, LY: (a[1]+b[1])/2 - 4, Type: r.Type})
		}
	}
	g.Render = len(g.Nodes) > 0
	return g
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func (s *Server) renderEntity(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	ctx := r.Context()
	d, err := s.d.Cases.GetEntity(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	nodes := append([]cases.EntitySlim{{ID: d.Entity.ID, Kind: d.Entity.Kind, Label: d.Entity.Label}}, d.Neighbors...)
	fields := make([]string, 0, len(d.Entity.Fields))
	for k := range d.Entity.Fields {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	s.render(w, r, status, "cases_entity", "cases.entity", "nav.cases", s.casesCommon(r, map[string]any{"D": d, "Graph": layoutGraph(d.Entity.ID, nodes, d.Relations), "FieldNames": fields}), flash, errMsg)
}

func (s *Server) entityPage(w http.ResponseWriter, r *http.Request) {
	s.renderEntity(w, r, http.StatusOK, s.casesFlash(r), "")
}

func (s *Server) entityAction(w http.ResponseWriter, r *http.Request, ok string, fn func(ctx context.Context, p *auth.Principal) error) {
	if err := fn(r.Context(), PrincipalFrom(r.Context())); err != nil {
		s.failForm(w, r, "/cases/e/"+url.PathEscape(r.PathValue("id")), ok, err)
		return
	}
	http.Redirect(w, r, "/cases/e/"+r.PathValue("id")+"?ok="+ok, http.StatusSeeOther)
}

func (s *Server) entityRelate(w http.ResponseWriter, r *http.Request) {
	s.entityAction(w, r, "relation", func(ctx context.Context, p *auth.Principal) error {
		from, to := r.PathValue("id"), strings.TrimSpace(r.PostFormValue("to"))
		if r.PostFormValue("direction") == "in" {
			from, to = to, from
		}
		_, err := s.d.Cases.Relate(ctx, p, cases.RelationInput{From: from, To: to, Type: r.PostFormValue("type"), Note: r.PostFormValue("note")})
		return err
	})
}

func (s *Server) entityMerge(w http.ResponseWriter, r *http.Request) {
	s.entityAction(w, r, "merge", func(ctx context.Context, p *auth.Principal) error {
		return s.d.Cases.Merge(ctx, p, r.PathValue("id"), strings.TrimSpace(r.PostFormValue("duplicate")))
	})
}

func (s *Server) entityUnmerge(w http.ResponseWriter, r *http.Request) {
	s.entityAction(w, r, "unmerge", func(ctx context.Context, p *auth.Principal) error {
		return s.d.Cases.Unmerge(ctx, p, strings.TrimSpace(r.PostFormValue("duplicate")))
	})
}

func (s *Server) renderSearch(w http.ResponseWriter, r *http.Request, status int, form map[string]string, results []cases.Candidate, searched bool, errMsg string) {
	ctx := r.Context()
	var peers any = nil
	if s.d.Federation != nil && auth.Can(PrincipalFrom(ctx), auth.ActCasesQuery) {
		ps, err := s.d.Federation.Peers(ctx)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		peers = ps
	}
	if form == nil {
		form = map[string]string{"kind": "person"}
	}
	kind, ok := entity.ParseKind(form["kind"])
	if !ok {
		kind, form["kind"] = entity.KindPerson, "person"
	}
	// Only the chosen kind's fields are asked for, in the order people
	// fill them in.
	var fields []probeField
	for _, f := range probeFormFields {
		if slices.Contains(cases.KindFields(kind), f) {
			fields = append(fields, probeField{Name: f, Value: form[f]})
		}
	}
	s.render(w, r, status, "cases_search", "cases.search", "nav.cases", s.casesCommon(r, map[string]any{"Form": form, "Results": results, "Searched": searched,
		"Peers": s.queryPeers(ctx, peers), "Fields": fields, "PrivateEnabled": s.d.Cases.PrivateEnabled()}), "", errMsg)
}

// probeField is one input of a search form.
type probeField struct{ Name, Value string }

// queryPeer is a node a hit/no-hit query can go to, named as people know
// it; the region's countries are ticked by default.
type queryPeer struct {
	ID, Code string
	Country  bool
}

func (s *Server) queryPeers(ctx context.Context, peers any) []queryPeer {
	ps, _ := peers.([]federation.Peer)
	if len(ps) == 0 {
		return nil
	}
	byNode := map[string]string{}
	if s.d.Directory != nil {
		if cs, err := s.d.Directory.Countries(ctx, PrincipalFrom(ctx)); err == nil {
			for _, c := range cs {
				// A state, not one of its entities (BA, not BA-SRP).
				if c.Node != "" && (byNode[c.Node] == "" || !strings.Contains(c.Code, "-")) {
					byNode[c.Node] = c.Code
				}
			}
		}
	}
	out := make([]queryPeer, 0, len(ps))
	for _, p := range ps {
		if p.Suspended {
			continue
		}
		code, ok := byNode[p.ID]
		if !ok {
			code = strings.ToUpper(p.ID)
		}
		out = append(out, queryPeer{ID: p.ID, Code: code, Country: ok})
	}
	return out
}

func (s *Server) casesSearchPage(w http.ResponseWriter, r *http.Request) {
	var form map[string]string
	if k := r.URL.Query().Get("kind"); k != "" {
		form = map[string]string{"kind": k}
	}
	s.renderSearch(w, r, http.StatusOK, form, nil, false, "")
}

var probeFormFields = []string{"given_name", "family_name", "full_name", "date_of_birth", "personal_id", "nationality", "plate", "vin", "number", "iban", "serial", "name", "reg_no"}

func probeFromForm(r *http.Request) (cases.Probe, map[string]string) {
	form := map[string]string{"kind": r.PostFormValue("kind"), "purpose": r.PostFormValue("purpose"), "case_ref": r.PostFormValue("case_ref"), "batch": r.PostFormValue("batch"), "mode": r.PostFormValue("mode")}
	pr := cases.Probe{Kind: form["kind"], Fields: map[string]string{}}
	allowed := map[string]bool{}
	if k, ok := entity.ParseKind(form["kind"]); ok {
		for _, f := range cases.KindFields(k) {
			allowed[f] = true
		}
	}
	for _, f := range probeFormFields {
		v := strings.TrimSpace(r.PostFormValue(f))
		form[f] = v
		if v != "" && allowed[f] {
			pr.Fields[f] = v
		}
	}
	if pr.Kind == "phone" && pr.Fields["number"] == "" && form["number"] != "" {
		pr.Fields["number"] = form["number"]
	}
	return pr, form
}

func (s *Server) casesSearch(w http.ResponseWriter, r *http.Request) {
	pr, form := probeFromForm(r)
	res, err := s.d.Cases.Search(r.Context(), PrincipalFrom(r.Context()), pr, form["purpose"])
	if err != nil {
		p := problemFor(s.d.Logger, err, r.URL.Path)
		s.renderSearch(w, r, p.Status, form, nil, false, p.Detail)
		return
	}
	s.renderSearch(w, r, http.StatusOK, form, res, true, "")
}

// batchProbes reads one entity per line: "kind: field=value; field=value".
func batchProbes(text string) ([]cases.Probe, error) {
	var out []cases.Probe
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		kind, rest, ok := strings.Cut(l, ":")
		if !ok {
			return nil, errs.Newf(errs.Invalid, "cases.batch", "line %d: write kind: field=value; field=value", i+1)
		}
		pr := cases.Probe{Kind: strings.TrimSpace(kind), Fields: map[string]string{}}
		for _, kv := range strings.Split(rest, ";") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				if strings.TrimSpace(kv) != "" {
					return nil, errs.Newf(errs.Invalid, "cases.batch", "line %d: %q is not field=value", i+1, strings.TrimSpace(kv))
				}
				continue
			}
			pr.Fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
		out = append(out, pr)
	}
	return out, nil
}

func (s *Server) casesQuerySend(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	pr, form := probeFromForm(r)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
		return
	}
	items := []cases.Probe{pr}
	if strings.TrimSpace(form["batch"]) != "" {
		var err error
		if items, err = batchProbes(form["batch"]); err != nil {
			p := problemFor(s.d.Logger, err, r.URL.Path)
			s.renderSearch(w, r, p.Status, form, nil, false, p.Detail)
			return
		}
	}
	q, err := s.d.Cases.SendQuery(ctx, PrincipalFrom(ctx), cases.QueryInput{Purpose: form["purpose"], CaseRef: form["case_ref"], Peers: r.PostForm["peer"], Items: items, Mode: form["mode"]})
	if err != nil {
		p := problemFor(s.d.Logger, err, r.URL.Path)
		s.renderSearch(w, r, p.Status, form, nil, false, p.Detail)
		return
	}
	http.Redirect(w, r, "/cases/queries/"+q.ID+"?ok=query", http.StatusSeeOther)
}

func (s *Server) casesQueriesPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	l, err := s.d.Cases.Queries(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "cases_queries", "cases.queries", "nav.cases", s.casesCommon(r, map[string]any{"Queries": l}), s.casesFlash(r), "")
}

func (s *Server) casesQueryPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q, err := s.d.Cases.Query(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "cases_query", "cases.query", "nav.cases", s.casesCommon(r, map[string]any{"Q": q}), s.casesFlash(r), "")
}

func (s *Server) casesHitsPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	state := r.URL.Query().Get("state")
	if state == "" {
		state = "new"
	}
	if state == "all" {
		state = ""
	}
	l, err := s.d.Cases.Hits(ctx, PrincipalFrom(ctx), state)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "cases_hits", "cases.hits", "nav.cases", s.casesCommon(r, map[string]any{"Hits": l, "State": state}), s.casesFlash(r), "")
}

func (s *Server) renderHit(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	ctx := r.Context()
	h, err := s.d.Cases.GetHit(ctx, PrincipalFrom(ctx), r.PathValue("ref"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	fields := make([]string, 0, len(h.Entity.Fields))
	for k := range h.Entity.Fields {
		fields = append(fields, k)
	}
	slices.Sort(fields)
	s.render(w, r, status, "cases_hit", "cases.hit", "nav.cases", s.casesCommon(r, map[string]any{"H": h, "FieldNames": fields}), flash, errMsg)
}

func (s *Server) casesHitPage(w http.ResponseWriter, r *http.Request) {
	s.renderHit(w, r, http.StatusOK, s.casesFlash(r), "")
}

func (s *Server) casesRelease(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
		return
	}
	in := cases.ReleaseInput{Refuse: r.PostFormValue("decision") == "refuse", Reason: r.PostFormValue("reason"), Fields: r.PostForm["field"],
		Markings: cases.Markings{Classification: r.PostFormValue("classification"), HandlingCode: r.PostFormValue("handling_code"),
			SourceEvaluation: r.PostFormValue("source_evaluation"), InformationEvaluation: r.PostFormValue("information_evaluation"), Restrictions: r.PostFormValue("restrictions"),
			OnwardAllowed: r.PostFormValue("onward_allowed") == "1"}}
	if _, err := s.d.Cases.Release(ctx, PrincipalFrom(ctx), r.PathValue("ref"), in); err != nil {
		s.failForm(w, r, "/cases/hits/"+url.PathEscape(r.PathValue("ref")), "release", err)
		return
	}
	ok := "released"
	if in.Refuse {
		ok = "refused"
	}
	http.Redirect(w, r, "/cases/hits/"+r.PathValue("ref")+"?ok="+ok, http.StatusSeeOther)
}

func (s *Server) renderImport(w http.ResponseWriter, r *http.Request, status int, form map[string]string, rep *cases.ImportResult, errMsg string) {
	if form == nil {
		form = map[string]string{"format": "csv", "kind": "person"}
	}
	s.render(w, r, status, "cases_import", "cases.import", "nav.cases", s.casesCommon(r, map[string]any{"Form": form, "Report": rep}), "", errMsg)
}

func (s *Server) casesImportPage(w http.ResponseWriter, r *http.Request) {
	s.renderImport(w, r, http.StatusOK, nil, nil, "")
}

// casesImport is the import wizard: upload (or paste) → mapping preview
// and dry run → import. The file travels again with each step, so nothing
// half-imported is kept between steps.
func (s *Server) casesImport(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := map[string]string{"format": r.PostFormValue("format"), "kind": r.PostFormValue("kind"), "case": r.PostFormValue("case"), "mapping": r.PostFormValue("mapping"),
		"content": r.PostFormValue("content"), "filename": r.PostFormValue("filename"), "step": r.PostFormValue("step")}
	data := []byte(form["content"])
	if f, hdr, err := r.FormFile("file"); err == nil {
		b, err := io.ReadAll(io.LimitReader(f, s.d.MaxBodyBytes))
		f.Close()
		if err != nil {
			s.uiError(w, r, errs.New(errs.Invalid, "web", "the file cannot be read"))
			return
		}
		data, form["filename"] = b, hdr.Filename
		if len(b) <= 256<<10 {
			form["content"] = string(b) // carried to the next step of the wizard
		}
	}
	if len(data) == 0 {
		s.renderImport(w, r, http.StatusBadRequest, form, nil, s.d.Catalog.T(s.lang(r), "cases.import.nofile"))
		return
	}
	m, err := parseMapping([]string{form["mapping"]})
	if err != nil {
		p := problemFor(s.d.Logger, err, r.URL.Path)
		s.renderImport(w, r, p.Status, form, nil, p.Detail)
		return
	}
	rep, err := s.d.Cases.Import(ctx, PrincipalFrom(ctx), bytes.NewReader(data), cases.ImportOptions{Format: form["format"], Kind: form["kind"], Case: form["case"],
		Filename: form["filename"], Mapping: m, DryRun: form["step"] != "import"})
	if err != nil {
		p := problemFor(s.d.Logger, err, r.URL.Path)
		s.renderImport(w, r, p.Status, form, nil, p.Detail)
		return
	}
	if form["mapping"] == "" && len(rep.Columns) > 0 {
		var lines []string
		for _, c := range rep.Columns {
			lines = append(lines, c.Header+"="+c.Field)
		}
		form["mapping"] = strings.Join(lines, "\n")
	}
	s.renderImport(w, r, http.StatusOK, form, &rep, "")
}

func (s *Server) casesDuplicatesPage(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	d, err := s.d.Cases.Duplicates(ctx, PrincipalFrom(ctx), 200)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "cases_duplicates", "cases.duplicates", "nav.cases", s.casesCommon(r, map[string]any{"Pairs": d}), "", "")
}

func (s *Server) casesStatsPage(w http.ResponseWriter, r *http.Request) {
	s.renderStats(w, r, http.StatusOK, s.casesFlash(r), "")
}

// casesShareStats sends the aggregate statistics (small cells suppressed)
// to the chosen peers.
func (s *Server) casesShareStats(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
		return
	}
	peers := r.PostForm["peer"]
	if len(peers) == 0 {
		s.renderStats(w, r, http.StatusBadRequest, "", s.d.Catalog.T(s.lang(r), "cases.sharechoose"))
		return
	}
	for _, peer := range peers {
		if _, err := s.d.Cases.ShareStats(ctx, PrincipalFrom(ctx), peer); err != nil {
			p := problemFor(s.d.Logger, err, r.URL.Path)
			s.renderStats(w, r, p.Status, "", p.Detail)
			return
		}
	}
	http.Redirect(w, r, "/cases/stats?ok=shared", http.StatusSeeOther)
}

func (s *Server) renderStats(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	ctx := r.Context()
	var peers any
	if s.d.Federation != nil && auth.Can(PrincipalFrom(ctx), auth.ActCasesShare) {
		ps, err := s.d.Federation.Peers(ctx)
		if err != nil {
			s.uiError(w, r, err)
			return
		}
		peers = ps
	}
	st, err := s.d.Cases.Stats(ctx, PrincipalFrom(ctx), false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	shared, err := s.d.Cases.SharedStats(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "cases_stats", "cases.stats", "nav.cases", s.casesCommon(r, map[string]any{"S": st, "Shared": shared, "Peers": peers}), flash, errMsg)
}

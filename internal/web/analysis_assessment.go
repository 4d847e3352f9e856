package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/activities"
	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
)

type asIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type asGetInput struct {
	ID      string `path:"id" maxLength:"64"`
	Version string `query:"version" enum:"restricted,public," doc:"public: the version without restricted text and threats (always so for readers without access to the restricted one)"`
}

type asCreateInput struct {
	Body analysis.AssessmentInput
}

type asUpdateInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body analysis.AssessmentInput
}

type asNoteBody struct {
	Note string `json:"note,omitempty" maxLength:"2000" doc:"why it is returned"`
}

type asMoveInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body *asNoteBody
}

type coIDInput struct {
	Node string `path:"node" maxLength:"32"`
	ID   string `path:"id" maxLength:"64"`
}

type coCreateInput struct {
	Body analysis.ContributionInput
}

type coUpdateInput struct {
	Node string `path:"node" maxLength:"32"`
	ID   string `path:"id" maxLength:"64"`
	Body analysis.ContributionInput
}

type coMoveInput struct {
	Node string `path:"node" maxLength:"32"`
	ID   string `path:"id" maxLength:"64"`
	Body *asNoteBody
}

func noteOf(b *asNoteBody) string {
	if b == nil {
		return ""
	}
	return b.Note
}

// registerAssessments adds the joint risk assessment's API operations and
// pages.
func (s *Server) registerAssessments() {
	a := s.d.Analysis
	tags := []string{"Risk assessment"}
	p := PrincipalFrom
	bad := []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}
	register(s, huma.Operation{OperationID: "assessment-templates", Method: http.MethodGet, Path: "/api/v1/analysis/assessment-templates", Tags: tags,
		Summary: "The built-in templates per crime area: sections (indicators, trends, modus operandi, groups, routes) and their questions"},
		auth.ActAssessmentPublic, func(ctx context.Context, _ *struct{}) (*Body[[]analysis.AssessmentTemplate], error) {
			return &Body[[]analysis.AssessmentTemplate]{analysis.Templates()}, nil
		})
	register(s, huma.Operation{OperationID: "assessments", Method: http.MethodGet, Path: "/api/v1/analysis/assessments", Tags: tags,
		Summary: "This node's regional assessments: every state for analysts and the NCU, the public versions of approved ones for everyone else"},
		auth.ActAssessmentPublic, func(ctx context.Context, _ *struct{}) (*Body[[]analysis.Assessment], error) {
			r, err := a.Assessments(ctx, p(ctx))
			return &Body[[]analysis.Assessment]{r}, err
		})
	register(s, huma.Operation{OperationID: "assessment-create", Method: http.MethodPost, Path: "/api/v1/analysis/assessments", Tags: tags, Errors: bad, DefaultStatus: http.StatusCreated,
		Summary: "Start a regional assessment of a crime area and period; the approved national contributions received are merged with attribution"},
		auth.ActAssessmentEdit, func(ctx context.Context, in *asCreateInput) (*Body[analysis.Assessment], error) {
			r, err := a.CreateAssessment(ctx, p(ctx), in.Body)
			return &Body[analysis.Assessment]{r}, err
		})
	register(s, huma.Operation{OperationID: "assessment", Method: http.MethodGet, Path: "/api/v1/analysis/assessments/{id}", Tags: tags, Errors: bad,
		Summary: "One assessment, restricted or public version"},
		auth.ActAssessmentPublic, func(ctx context.Context, in *asGetInput) (*Body[analysis.Assessment], error) {
			r, err := a.Assessment(ctx, p(ctx), in.ID, in.Version == "public")
			return &Body[analysis.Assessment]{r}, err
		})
	register(s, huma.Operation{OperationID: "assessment-update", Method: http.MethodPut, Path: "/api/v1/analysis/assessments/{id}", Tags: tags, Errors: bad,
		Summary: "Edit a draft assessment: text per section, CIRAM-scored threats (1–5 each with reasoning), priorities; contributions received since are merged"},
		auth.ActAssessmentEdit, func(ctx context.Context, in *asUpdateInput) (*Body[analysis.Assessment], error) {
			r, err := a.UpdateAssessment(ctx, p(ctx), in.ID, in.Body)
			return &Body[analysis.Assessment]{r}, err
		})
	moves := []struct {
		move, summary string
		act           auth.Action
	}{
		{analysis.MoveSubmit, "Submit a draft assessment for review", auth.ActAssessmentEdit},
		{analysis.MoveReturn, "Return an assessment in review to its drafters, with a note", auth.ActAssessmentApprove},
		{analysis.MoveApprove, "Approve an assessment in review (a second person, not its drafter or submitter); earlier approved assessments of the crime area are superseded", auth.ActAssessmentApprove},
	}
	for _, m := range moves {
		move := m.move
		register(s, huma.Operation{OperationID: "assessment-" + move, Method: http.MethodPost, Path: "/api/v1/analysis/assessments/{id}/" + move, Tags: tags, Errors: bad,
			Summary: m.summary}, m.act, func(ctx context.Context, in *asMoveInput) (*Body[analysis.Assessment], error) {
			r, err := a.MoveAssessment(ctx, p(ctx), in.ID, analysis.MoveInput{Move: move, Note: noteOf(in.Body)})
			return &Body[analysis.Assessment]{r}, err
		})
	}
	register(s, huma.Operation{OperationID: "assessment-needs", Method: http.MethodPost, Path: "/api/v1/analysis/assessments/{id}/needs", Tags: tags, Errors: bad,
		Summary: "Declare an approved assessment's priorities as needs of the countries they name in the partner activity registry (once)"},
		auth.ActAssessmentNeeds, func(ctx context.Context, in *asIDInput) (*Body[[]activities.Need], error) {
			r, err := a.SendNeeds(ctx, p(ctx), in.ID)
			return &Body[[]activities.Need]{r}, err
		})
	register(s, huma.Operation{OperationID: "assessment-pdf", Method: http.MethodGet, Path: "/api/v1/analysis/assessments/{id}/pdf", Tags: tags, Errors: bad,
		Summary:   "The assessment as a PDF document with its risk chart, restricted or public version",
		Responses: map[string]*huma.Response{"200": {Description: "PDF document", Content: map[string]*huma.MediaType{"application/pdf": {}}}}},
		auth.ActAssessmentPublic, func(ctx context.Context, in *asGetInput) (*anFileOutput, error) {
			as, err := a.Assessment(ctx, p(ctx), in.ID, in.Version == "public")
			if err != nil {
				return nil, err
			}
			doc, err := analysis.AssessmentPDF(as, analysis.PDFOptions{Now: s.d.Clock.Now()})
			if err != nil {
				return nil, err
			}
			return &anFileOutput{ContentType: "application/pdf", ContentDisposition: `attachment; filename="` + asFileName(as) + `"`, Body: doc}, nil
		})
	register(s, huma.Operation{OperationID: "contributions", Method: http.MethodGet, Path: "/api/v1/analysis/contributions", Tags: tags,
		Summary: "National contributions: this node's and those received from national nodes"},
		auth.ActAssessmentView, func(ctx context.Context, _ *struct{}) (*Body[[]analysis.NationalContribution], error) {
			r, err := a.Contributions(ctx, p(ctx))
			return &Body[[]analysis.NationalContribution]{r}, err
		})
	register(s, huma.Operation{OperationID: "contribution-create", Method: http.MethodPost, Path: "/api/v1/analysis/contributions", Tags: tags, Errors: bad, DefaultStatus: http.StatusCreated,
		Summary: "Draft a national contribution to a regional assessment from the crime area's template"},
		auth.ActAssessmentEdit, func(ctx context.Context, in *coCreateInput) (*Body[analysis.NationalContribution], error) {
			r, err := a.CreateContribution(ctx, p(ctx), in.Body)
			return &Body[analysis.NationalContribution]{r}, err
		})
	register(s, huma.Operation{OperationID: "contribution", Method: http.MethodGet, Path: "/api/v1/analysis/contributions/{node}/{id}", Tags: tags, Errors: bad,
		Summary: "One contribution, by the node that wrote it"},
		auth.ActAssessmentView, func(ctx context.Context, in *coIDInput) (*Body[analysis.NationalContribution], error) {
			r, err := a.Contribution(ctx, p(ctx), in.Node, in.ID)
			return &Body[analysis.NationalContribution]{r}, err
		})
	register(s, huma.Operation{OperationID: "contribution-update", Method: http.MethodPut, Path: "/api/v1/analysis/contributions/{node}/{id}", Tags: tags, Errors: bad,
		Summary: "Edit a draft contribution of this node"},
		auth.ActAssessmentEdit, func(ctx context.Context, in *coUpdateInput) (*Body[analysis.NationalContribution], error) {
			if err := s.ownNode(in.Node); err != nil {
				return nil, err
			}
			r, err := a.UpdateContribution(ctx, p(ctx), in.ID, in.Body)
			return &Body[analysis.NationalContribution]{r}, err
		})
	cmoves := []struct {
		move, summary string
		act           auth.Action
	}{
		{analysis.MoveSubmit, "Submit a draft contribution for approval", auth.ActAssessmentEdit},
		{analysis.MoveReturn, "Return a submitted contribution to its drafter, with a note", auth.ActAssessmentApprove},
		{analysis.MoveApprove, "Approve a submitted contribution (a second person) and send it to the regional node; the envelope waits for the NCU", auth.ActAssessmentApprove},
	}
	for _, m := range cmoves {
		move := m.move
		register(s, huma.Operation{OperationID: "contribution-" + move, Method: http.MethodPost, Path: "/api/v1/analysis/contributions/{node}/{id}/" + move, Tags: tags, Errors: bad,
			Summary: m.summary}, m.act, func(ctx context.Context, in *coMoveInput) (*Body[analysis.NationalContribution], error) {
			if err := s.ownNode(in.Node); err != nil {
				return nil, err
			}
			r, err := a.MoveContribution(ctx, p(ctx), in.ID, analysis.MoveInput{Move: move, Note: noteOf(in.Body)})
			return &Body[analysis.NationalContribution]{r}, err
		})
	}

	s.handle("GET", "/analysis/assessments", auth.ActAssessmentPublic, s.asList)
	s.handle("POST", "/analysis/assessments", auth.ActAssessmentEdit, s.asCreate)
	s.handle("GET", "/analysis/assessments/{id}", auth.ActAssessmentPublic, s.asView)
	s.handle("GET", "/analysis/assessments/{id}/pdf", auth.ActAssessmentPublic, s.asPDF)
	s.handle("GET", "/analysis/assessments/{id}/threats.csv", auth.ActAssessmentPublic, s.asThreatsCSV)
	s.handle("POST", "/analysis/assessments/{id}", auth.ActAssessmentEdit, s.asSave)
	s.handle("POST", "/analysis/assessments/{id}/submit", auth.ActAssessmentEdit, s.asMove(analysis.MoveSubmit))
	s.handle("POST", "/analysis/assessments/{id}/return", auth.ActAssessmentApprove, s.asMove(analysis.MoveReturn))
	s.handle("POST", "/analysis/assessments/{id}/approve", auth.ActAssessmentApprove, s.asMove(analysis.MoveApprove))
	s.handle("POST", "/analysis/assessments/{id}/needs", auth.ActAssessmentNeeds, s.asNeeds)
	s.handle("POST", "/analysis/contributions", auth.ActAssessmentEdit, s.coCreate)
	s.handle("GET", "/analysis/contributions/{node}/{id}", auth.ActAssessmentView, s.coView)
	s.handle("POST", "/analysis/contributions/{node}/{id}", auth.ActAssessmentEdit, s.coSave)
	s.handle("POST", "/analysis/contributions/{node}/{id}/submit", auth.ActAssessmentEdit, s.coMove(analysis.MoveSubmit))
	s.handle("POST", "/analysis/contributions/{node}/{id}/return", auth.ActAssessmentApprove, s.coMove(analysis.MoveReturn))
	s.handle("POST", "/analysis/contributions/{node}/{id}/approve", auth.ActAssessmentApprove, s.coMove(analysis.MoveApprove))
}

func (s *Server) ownNode(node string) error {
	if node != s.d.Analysis.NodeID() {
		return errs.New(errs.NotFound, "web.contribution", "no such contribution of this node")
	}
	return nil
}

var unsafeFile = regexp.MustCompile(`[^A-Za-z0-9_-]+`)

func asFileName(a analysis.Assessment) string {
	v := "restricted"
	if a.Public {
		v = "public"
	}
	return "assessment-" + unsafeFile.ReplaceAllString(a.CrimeArea+"-"+a.Period, "-") + "-" + v + ".pdf"
}

// asLabels are the translated names of the crime areas, sections, states
// and risk levels, for templates.
func (s *Server) asLabels(lang string) map[string]string {
	t := func(k string) string { return s.d.Catalog.T(lang, k) }
	out := map[string]string{}
	for _, a := range analysis.CrimeAreas() {
		out["area."+a] = t("as.area." + a)
	}
	for _, k := range analysis.SectionKeys {
		out["sec."+k] = t("as.sec." + k)
	}
	for _, st := range []string{"draft", "submitted", "approved", "received", "in_review", "superseded"} {
		out["state."+st] = t("as.state." + st)
	}
	for _, l := range []string{"low", "medium", "high", "critical"} {
		out["level."+l] = t("as.level." + l)
	}
	return out
}

// asTemplate is a crime area's template with its questions in the
// reader's language (catalogue keys as.q.<area>.<section>.<n>).
func (s *Server) asTemplate(lang string, t analysis.AssessmentTemplate) analysis.AssessmentTemplate {
	secs := make([]analysis.SectionTemplate, len(t.Sections))
	for i, st := range t.Sections {
		qs := make([]string, len(st.Questions))
		for j, q := range st.Questions {
			qs[j] = q
			if v, ok := s.d.Catalog.Lookup(lang, fmt.Sprintf("as.q.%s.%s.%d", t.CrimeArea, st.Key, j+1)); ok {
				qs[j] = v
			}
		}
		secs[i] = st
		secs[i].Questions = qs
	}
	t.Sections = secs
	return t
}

// asTemplates is every template in the reader's language.
func (s *Server) asTemplates(lang string) []analysis.AssessmentTemplate {
	out := analysis.Templates()
	for i := range out {
		out[i] = s.asTemplate(lang, out[i])
	}
	return out
}

var flashKey = regexp.MustCompile(`^[a-z]{1,20}$`)

func (s *Server) asFlash(r *http.Request) string {
	if k := r.URL.Query().Get("ok"); flashKey.MatchString(k) {
		return s.d.Catalog.T(s.lang(r), "as.ok."+k)
	}
	return ""
}

func (s *Server) asList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	list, err := s.d.Analysis.Assessments(ctx, p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var contribs []analysis.NationalContribution
	if auth.Can(p, auth.ActAssessmentView) {
		if contribs, err = s.d.Analysis.Contributions(ctx, p); err != nil {
			s.uiError(w, r, err)
			return
		}
	}
	form := map[string]string{"period": strconv.Itoa(s.d.Clock.Now().Year() - 1)}
	cform := map[string]string{"period": form["period"], "regional_node": "selec"}
	if f := s.failedForm(r); f.Is("assessment") {
		form = f.Map()
	} else if f.Is("contribution") {
		cform = f.Map()
	}
	data := map[string]any{"Assessments": list, "Contributions": contribs, "Templates": s.asTemplates(s.lang(r)), "L": s.asLabels(s.lang(r)),
		"Node": s.d.Analysis.NodeID(), "CanEdit": auth.Can(p, auth.ActAssessmentEdit), "CanView": auth.Can(p, auth.ActAssessmentView),
		"Form": form, "CForm": cform, "Areas": analysis.CrimeAreas()}
	s.render(w, r, http.StatusOK, "analysis_assessments", "as.title", "nav.analysis", data, s.asFlash(r), "")
}

// asHead checks the fields every create form has, naming the field.
func asHead(f url.Values) error {
	if err := needField(f.Get("title"), "title", "as.err.title"); err != nil {
		return err
	}
	if !analysis.ValidPeriod(f.Get("period")) {
		return &fieldError{Field: "period", Key: "as.err.period"}
	}
	return nil
}

func (s *Server) asCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
		return
	}
	f := r.PostForm
	if err := asHead(f); err != nil {
		s.failForm(w, r, "/analysis/assessments", "assessment", err)
		return
	}
	a, err := s.d.Analysis.CreateAssessment(ctx, PrincipalFrom(ctx), analysis.AssessmentInput{CrimeArea: f.Get("crime_area"), Period: f.Get("period"), Title: f.Get("title")})
	if err != nil {
		s.failForm(w, r, "/analysis/assessments", "assessment", err)
		return
	}
	http.Redirect(w, r, "/analysis/assessments/"+url.PathEscape(a.ID)+"?ok=created", http.StatusSeeOther)
}

// asThreatRow is one row of the threat form, filled from a threat or from
// a failed submit.
type asThreatRow struct {
	N                                          int
	Title, Desc, T, TWhy, V, VWhy, I, IWhy     string
	Restricted                                 bool
	ErrTitle, ErrT, ErrV, ErrI, ErrWhy, AnyErr string
}

func (s *Server) asView(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	public := r.URL.Query().Get("version") == "public"
	a, err := s.d.Analysis.Assessment(ctx, p, r.PathValue("id"), public)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lang := s.lang(r)
	L := s.asLabels(lang)
	type bar struct {
		Title, Level, LevelText string
		Risk, Width             int
	}
	var bars []bar
	for _, t := range a.RankedThreats() {
		lvl := analysis.RiskLevel(t.Risk())
		bars = append(bars, bar{Title: t.Title, Risk: t.Risk(), Level: lvl, LevelText: L["level."+lvl], Width: t.Risk() * 100 / 125})
	}
	// The edit form: what was typed when a save failed, otherwise the
	// assessment.
	fail := s.failedForm(r)
	if !fail.Is("edit") {
		fail = nil
	}
	own := map[string]string{}
	ownR := map[string]bool{}
	for _, pg := range a.Paragraphs {
		if own[pg.Section] != "" {
			own[pg.Section] += "\n\n"
		}
		own[pg.Section] += pg.Text
		ownR[pg.Section] = ownR[pg.Section] || pg.Restricted
	}
	type secRow struct {
		Key, Title, Text string
		Restricted       bool
		Questions        []string
	}
	tpl, _ := analysis.TemplateOf(a.CrimeArea)
	tpl = s.asTemplate(s.lang(r), tpl)
	var secs []secRow
	for _, st := range tpl.Sections {
		row := secRow{Key: st.Key, Title: L["sec."+st.Key], Text: own[st.Key], Restricted: ownR[st.Key], Questions: st.Questions}
		if fail != nil {
			row.Text, row.Restricted = fail.V("sec_"+st.Key), fail.V("sec_"+st.Key+"_restricted") != ""
		}
		secs = append(secs, row)
	}
	var rows []asThreatRow
	for i, t := range a.Threats {
		rows = append(rows, asThreatRow{N: i, Title: t.Title, Desc: t.Description, T: strconv.Itoa(t.Threat.Value), TWhy: t.Threat.Reasoning,
			V: strconv.Itoa(t.Vulnerability.Value), VWhy: t.Vulnerability.Reasoning, I: strconv.Itoa(t.Impact.Value), IWhy: t.Impact.Reasoning, Restricted: t.Restricted})
	}
	rows = append(rows, asThreatRow{N: len(a.Threats)})
	form := map[string]string{"title": a.Title, "summary": a.Summary, "priorities": priorityLines(a.Priorities), "version": strconv.FormatInt(a.Version, 10)}
	if fail != nil {
		form = fail.Map()
		n, _ := strconv.Atoi(fail.V("threats"))
		rows = nil
		for i := 0; i <= n && i < 31; i++ {
			k := func(x string) string { return fmt.Sprintf("th_%s_%d", x, i) }
			rows = append(rows, asThreatRow{N: i, Title: fail.V(k("title")), Desc: fail.V(k("desc")), T: fail.V(k("t")), TWhy: fail.V(k("twhy")), V: fail.V(k("v")),
				VWhy: fail.V(k("vwhy")), I: fail.V(k("i")), IWhy: fail.V(k("iwhy")), Restricted: fail.V(k("restricted")) != "",
				ErrTitle: fail.Err(k("title")), ErrT: fail.Err(k("t")), ErrV: fail.Err(k("v")), ErrI: fail.Err(k("i")), ErrWhy: fail.Err(k("why"))})
			rows[i].AnyErr = rows[i].ErrTitle + rows[i].ErrT + rows[i].ErrV + rows[i].ErrI + rows[i].ErrWhy
		}
	}
	data := map[string]any{"A": a, "Merged": a.Merged(), "Bars": bars, "L": L, "Sections": secs, "Rows": rows, "Form": form,
		"CanEdit":   auth.Can(p, auth.ActAssessmentEdit) && a.State == analysis.AStateDraft && !a.Public,
		"CanSubmit": auth.Can(p, auth.ActAssessmentEdit) && a.State == analysis.AStateDraft && !a.Public,
		"CanDecide": auth.Can(p, auth.ActAssessmentApprove) && a.State == analysis.AStateReview && !a.Public,
		"CanNeeds":  auth.Can(p, auth.ActAssessmentNeeds) && a.State == analysis.AStateApproved && a.NeedsSentAt == nil && len(a.Priorities) > 0,
		"CanFull":   auth.Can(p, auth.ActAssessmentView)}
	s.render(w, r, http.StatusOK, "analysis_assessment", "as.assessment", "nav.analysis", data, s.asFlash(r), "")
}

// priorityLines writes priorities one a line: rank | title | countries |
// description.
func priorityLines(ps []analysis.Priority) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%d | %s | %s | %s\n", p.Rank, p.Title, strings.Join(p.Countries, " "), p.Description)
	}
	return b.String()
}

// parsePriorities reads the lines priorityLines writes; a line that does
// not fit is refused with its number.
func parsePriorities(v string) ([]analysis.Priority, error) {
	var out []analysis.Priority
	for _, line := range strings.Split(strings.ReplaceAll(v, "\r", ""), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, "|")
		rank, err := strconv.Atoi(strings.TrimSpace(parts[0]))
		if len(parts) < 2 || err != nil || rank < 1 || rank > 5 || strings.TrimSpace(parts[1]) == "" {
			return nil, &fieldError{Field: "priorities", Key: "as.err.priorities"}
		}
		p := analysis.Priority{Rank: rank, Title: strings.TrimSpace(parts[1])}
		if len(parts) > 2 {
			p.Countries = strings.FieldsFunc(parts[2], func(r rune) bool { return r == ' ' || r == ',' })
		}
		if len(parts) > 3 {
			p.Description = strings.TrimSpace(strings.Join(parts[3:], "|"))
		}
		out = append(out, p)
	}
	return out, nil
}

func scoreField(v, field string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 1 || n > 5 {
		return 0, &fieldError{Field: field, Key: "as.err.score"}
	}
	return n, nil
}

// asFormInput reads the edit form; errors name the field in error.
func asFormInput(f url.Values, a analysis.Assessment) (analysis.AssessmentInput, error) {
	in := analysis.AssessmentInput{CrimeArea: a.CrimeArea, Period: a.Period, Title: f.Get("title"), Summary: f.Get("summary")}
	in.Version, _ = strconv.ParseInt(f.Get("version"), 10, 64)
	if err := needField(in.Title, "title", "as.err.title"); err != nil {
		return in, err
	}
	for _, k := range analysis.SectionKeys {
		for _, text := range strings.Split(strings.ReplaceAll(f.Get("sec_"+k), "\r", ""), "\n\n") {
			if strings.TrimSpace(text) != "" {
				in.Paragraphs = append(in.Paragraphs, analysis.Paragraph{Section: k, Text: strings.TrimSpace(text), Restricted: f.Get("sec_"+k+"_restricted") != ""})
			}
		}
	}
	n, _ := strconv.Atoi(f.Get("threats"))
	for i := 0; i <= n && i < 31; i++ {
		k := func(x string) string { return fmt.Sprintf("th_%s_%d", x, i) }
		title := strings.TrimSpace(f.Get(k("title")))
		if title == "" && f.Get(k("t"))+f.Get(k("v"))+f.Get(k("i"))+f.Get(k("twhy"))+f.Get(k("vwhy"))+f.Get(k("iwhy")) == "" {
			continue // the empty row for a new threat
		}
		if title == "" {
			return in, &fieldError{Field: k("title"), Key: "as.err.threat"}
		}
		t := analysis.Threat{Title: title, Description: f.Get(k("desc")), Restricted: f.Get(k("restricted")) != ""}
		var err error
		if t.Threat.Value, err = scoreField(f.Get(k("t")), k("t")); err != nil {
			return in, err
		}
		if t.Vulnerability.Value, err = scoreField(f.Get(k("v")), k("v")); err != nil {
			return in, err
		}
		if t.Impact.Value, err = scoreField(f.Get(k("i")), k("i")); err != nil {
			return in, err
		}
		t.Threat.Reasoning, t.Vulnerability.Reasoning, t.Impact.Reasoning = f.Get(k("twhy")), f.Get(k("vwhy")), f.Get(k("iwhy"))
		if strings.TrimSpace(t.Threat.Reasoning) == "" || strings.TrimSpace(t.Vulnerability.Reasoning) == "" || strings.TrimSpace(t.Impact.Reasoning) == "" {
			return in, &fieldError{Field: k("why"), Key: "as.err.reasoning"}
		}
		in.Threats = append(in.Threats, t)
	}
	var err error
	in.Priorities, err = parsePriorities(f.Get("priorities"))
	return in, err
}

func (s *Server) asSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	id := r.PathValue("id")
	page := "/analysis/assessments/" + url.PathEscape(id)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
		return
	}
	a, err := s.d.Analysis.Assessment(ctx, p, id, false)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	in, err := asFormInput(r.PostForm, a)
	if err == nil {
		_, err = s.d.Analysis.UpdateAssessment(ctx, p, id, in)
	}
	if err != nil {
		s.failForm(w, r, page, "edit", err)
		return
	}
	http.Redirect(w, r, page+"?ok=saved", http.StatusSeeOther)
}

func (s *Server) asMove(move string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := r.PathValue("id")
		page := "/analysis/assessments/" + url.PathEscape(id)
		if err := r.ParseForm(); err != nil {
			s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
			return
		}
		if _, err := s.d.Analysis.MoveAssessment(ctx, PrincipalFrom(ctx), id, analysis.MoveInput{Move: move, Note: r.PostForm.Get("note")}); err != nil {
			s.failForm(w, r, page, "move", err)
			return
		}
		http.Redirect(w, r, page+"?ok="+move, http.StatusSeeOther)
	}
}

func (s *Server) asNeeds(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := r.PathValue("id")
	page := "/analysis/assessments/" + url.PathEscape(id)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
		return
	}
	if _, err := s.d.Analysis.SendNeeds(ctx, PrincipalFrom(ctx), id); err != nil {
		s.failForm(w, r, page, "needs", err)
		return
	}
	http.Redirect(w, r, page+"?ok=needs", http.StatusSeeOther)
}

// asThreatsCSV downloads the numbers of the risk chart (the version the
// reader may see, as on the page).
func (s *Server) asThreatsCSV(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := s.d.Analysis.Assessment(ctx, PrincipalFrom(ctx), r.PathValue("id"), r.URL.Query().Get("version") == "public")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+strings.TrimSuffix(asFileName(a), ".pdf")+`-threats.csv"`)
	_, _ = w.Write(analysis.ThreatsCSV(a))
}

func (s *Server) asPDF(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	a, err := s.d.Analysis.Assessment(ctx, PrincipalFrom(ctx), r.PathValue("id"), r.URL.Query().Get("version") == "public")
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	lang := s.lang(r)
	doc, err := analysis.AssessmentPDF(a, analysis.PDFOptions{Now: s.d.Clock.Now(), T: func(k string) string {
		key := "as.pdf." + k
		if area, ok := strings.CutPrefix(k, "area_"); ok {
			key = "as.area." + area
		} else if st, ok := strings.CutPrefix(k, "state_"); ok {
			key = "as.state." + st
		}
		if v, ok := s.d.Catalog.Lookup(lang, key); ok {
			return v
		}
		return ""
	}})
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="`+asFileName(a)+`"`)
	_, _ = w.Write(doc)
}

func (s *Server) coCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
		return
	}
	f := r.PostForm
	if err := asHead(f); err != nil {
		s.failForm(w, r, "/analysis/assessments", "contribution", err)
		return
	}
	if err := needField(f.Get("regional_node"), "regional_node", "as.err.regional"); err != nil {
		s.failForm(w, r, "/analysis/assessments", "contribution", err)
		return
	}
	c, err := s.d.Analysis.CreateContribution(ctx, PrincipalFrom(ctx), analysis.ContributionInput{RegionalNode: f.Get("regional_node"), CrimeArea: f.Get("crime_area"),
		Period: f.Get("period"), Title: f.Get("title")})
	if err != nil {
		s.failForm(w, r, "/analysis/assessments", "contribution", err)
		return
	}
	http.Redirect(w, r, "/analysis/contributions/"+url.PathEscape(c.Node)+"/"+url.PathEscape(c.ID)+"?ok=created", http.StatusSeeOther)
}

func (s *Server) coView(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	c, err := s.d.Analysis.Contribution(ctx, p, r.PathValue("node"), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	L := s.asLabels(s.lang(r))
	fail := s.failedForm(r)
	if !fail.Is("edit") {
		fail = nil
	}
	type secRow struct {
		Key, Title, Text string
		Restricted       bool
		Questions        []string
	}
	tpl, _ := analysis.TemplateOf(c.CrimeArea)
	tpl = s.asTemplate(s.lang(r), tpl)
	var secs []secRow
	for _, st := range tpl.Sections {
		row := secRow{Key: st.Key, Title: L["sec."+st.Key], Questions: st.Questions}
		for _, pg := range c.Paragraphs {
			if pg.Section == st.Key {
				if row.Text != "" {
					row.Text += "\n\n"
				}
				row.Text += pg.Text
				row.Restricted = row.Restricted || pg.Restricted
			}
		}
		if fail != nil {
			row.Text, row.Restricted = fail.V("sec_"+st.Key), fail.V("sec_"+st.Key+"_restricted") != ""
		}
		secs = append(secs, row)
	}
	form := map[string]string{"title": c.Title, "version": strconv.FormatInt(c.Version, 10)}
	if fail != nil {
		form = fail.Map()
	}
	own := c.Node == s.d.Analysis.NodeID()
	data := map[string]any{"C": c, "L": L, "Sections": secs, "Form": form, "Own": own,
		"CanEdit":   own && c.State == analysis.CStateDraft && auth.Can(p, auth.ActAssessmentEdit),
		"CanDecide": own && c.State == analysis.CStateSubmitted && auth.Can(p, auth.ActAssessmentApprove)}
	s.render(w, r, http.StatusOK, "analysis_contribution", "as.contribution", "nav.analysis", data, s.asFlash(r), "")
}

func (s *Server) coSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	node, id := r.PathValue("node"), r.PathValue("id")
	page := "/analysis/contributions/" + url.PathEscape(node) + "/" + url.PathEscape(id)
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
		return
	}
	if err := s.ownNode(node); err != nil {
		s.uiError(w, r, err)
		return
	}
	c, err := s.d.Analysis.Contribution(ctx, p, node, id)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	f := r.PostForm
	if err := needField(f.Get("title"), "title", "as.err.title"); err != nil {
		s.failForm(w, r, page, "edit", err)
		return
	}
	in := analysis.ContributionInput{RegionalNode: c.Regional, CrimeArea: c.CrimeArea, Period: c.Period, Title: f.Get("title")}
	in.Version, _ = strconv.ParseInt(f.Get("version"), 10, 64)
	for _, k := range analysis.SectionKeys {
		for _, text := range strings.Split(strings.ReplaceAll(f.Get("sec_"+k), "\r", ""), "\n\n") {
			if strings.TrimSpace(text) != "" {
				in.Paragraphs = append(in.Paragraphs, analysis.Paragraph{Section: k, Text: strings.TrimSpace(text), Restricted: f.Get("sec_"+k+"_restricted") != ""})
			}
		}
	}
	if _, err := s.d.Analysis.UpdateContribution(ctx, p, id, in); err != nil {
		s.failForm(w, r, page, "edit", err)
		return
	}
	http.Redirect(w, r, page+"?ok=saved", http.StatusSeeOther)
}

func (s *Server) coMove(move string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		node, id := r.PathValue("node"), r.PathValue("id")
		page := "/analysis/contributions/" + url.PathEscape(node) + "/" + url.PathEscape(id)
		if err := r.ParseForm(); err != nil {
			s.uiError(w, r, errs.New(errs.Invalid, "web", "the form cannot be read"))
			return
		}
		if err := s.ownNode(node); err != nil {
			s.uiError(w, r, err)
			return
		}
		if _, err := s.d.Analysis.MoveContribution(ctx, PrincipalFrom(ctx), id, analysis.MoveInput{Move: move, Note: r.PostForm.Get("note")}); err != nil {
			s.failForm(w, r, page, "move", err)
			return
		}
		http.Redirect(w, r, page+"?ok="+move, http.StatusSeeOther)
	}
}

package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/activities"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
)

// registerActivities adds the partner activity registry's API operations
// and UI pages.
func (s *Server) registerActivities() {
	if s.d.Activities == nil {
		return
	}
	s.registerActivitiesAPI()
	s.registerActivitiesUI()
}

type actListInput struct {
	Country string `query:"country" maxLength:"20" doc:"beneficiary country code"`
	Theme   string `query:"theme" maxLength:"60"`
	Kind    string `query:"kind" maxLength:"60"`
	Status  string `query:"status" maxLength:"20"`
	Owner   string `query:"owner" maxLength:"40" doc:"publishing node"`
	Agency  string `query:"agency" maxLength:"200" doc:"words of a beneficiary agency's name"`
	Q       string `query:"q" maxLength:"200" doc:"words in any of the region's languages or English"`
	Year    int    `query:"year" minimum:"0" maximum:"2100" doc:"only activities running in this year"`
	Drafts  bool   `query:"drafts" doc:"include this node's drafts (editors only)"`
}

func (in actListInput) filter() activities.Filter {
	return activities.Filter{Country: in.Country, Theme: in.Theme, Kind: in.Kind, Status: in.Status, Owner: in.Owner, Agency: in.Agency, Query: in.Q, Year: in.Year, Drafts: in.Drafts}
}

type actIDInput struct {
	ID string `path:"id" maxLength:"64"`
}

type actInputBody struct {
	Body activities.Input
}

type actUpdateInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body activities.Input
}

// ActivityDraft is a saved draft with the result of its overlap check.
type ActivityDraft struct {
	Activity activities.Activity  `json:"activity"`
	Overlaps []activities.Overlap `json:"overlaps" doc:"existing and planned activities that overlap, best first; each must be resolved before publishing"`
}

type actResolveInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body activities.ResolutionInput
}

type actPublishInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Status string `json:"status,omitempty" enum:"planned,ongoing,completed," doc:"default planned"`
	}
}

type actExportInput struct {
	Format string `query:"format" enum:"json,csv,xlsx" default:"json"`
	actListInput
}

type actFileOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

type actImportInput struct {
	Format  string `query:"format" enum:"csv,xlsx" default:"csv"`
	DryRun  bool   `query:"dry_run" doc:"only preview the mapping and the row-level errors"`
	RawBody []byte `contentType:"text/csv"`
}

type actGapInput struct {
	Year int `query:"year" minimum:"0" maximum:"2100" doc:"0 for all years"`
}

type actNeedListInput struct {
	Country string `query:"country" maxLength:"20"`
	Theme   string `query:"theme" maxLength:"60"`
}

type actNeedBody struct {
	Body activities.NeedInput
}

type actNeedUpdate struct {
	ID   string `path:"id" maxLength:"64"`
	Body activities.NeedInput
}

type actRoundBody struct {
	Body activities.RoundInput
}

type actVoteInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body activities.VoteInput
}

type actSearchInput struct {
	Q string `query:"q" maxLength:"200" doc:"words in any of the region's languages or English"`
}

type actEventBody struct {
	Body activities.EventInput
}

type actPracticeBody struct {
	Body activities.PracticeInput
}

// ActivityVocabularies are the code lists of the registry.
type ActivityVocabularies struct {
	Kinds      []directory.Code `json:"kinds"`
	Statuses   []directory.Code `json:"statuses"`
	Themes     []directory.Code `json:"themes"`
	Decisions  []directory.Code `json:"decisions"`
	EventKinds []directory.Code `json:"event_kinds"`
	Currencies []string         `json:"currencies"`
}

func (s *Server) registerActivitiesAPI() {
	a := s.d.Activities
	tags := []string{"Activities"}
	const base = "/api/v1/activities"
	created := http.StatusCreated
	bad := []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}

	register(s, huma.Operation{OperationID: "activities-vocabularies", Method: http.MethodGet, Path: base + "/vocabularies", Summary: "Code lists: activity types, statuses, themes, overlap decisions, event kinds, currencies", Tags: tags},
		auth.ActActivityView, func(ctx context.Context, _ *emptyInput) (*Body[ActivityVocabularies], error) {
			return &Body[ActivityVocabularies]{ActivityVocabularies{activities.Kinds, activities.Statuses, directory.Themes, activities.Decisions, activities.EventKinds, activities.Currencies()}}, nil
		})
	register(s, huma.Operation{OperationID: "activities-list", Method: http.MethodGet, Path: base, Summary: "List activities of the whole region", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActActivityView, func(ctx context.Context, in *actListInput) (*Body[[]activities.Activity], error) {
			out, err := a.List(ctx, PrincipalFrom(ctx), in.filter())
			return &Body[[]activities.Activity]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-check", Method: http.MethodPost, Path: base + "/check", Summary: "Overlap check for an unsaved draft",
		Description: "Scores existing and planned activities against the draft by beneficiary agency, theme, type, time window and the similarity of titles and descriptions in any of the region's languages, and explains each score.",
		Tags:        tags, Errors: []int{http.StatusBadRequest}},
		auth.ActActivityEdit, func(ctx context.Context, in *actInputBody) (*Body[[]activities.Overlap], error) {
			out, err := a.Check(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[[]activities.Overlap]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-create", Method: http.MethodPost, Path: base, Summary: "Save a draft activity and run the overlap check", DefaultStatus: created, Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActActivityEdit, func(ctx context.Context, in *actInputBody) (*Body[ActivityDraft], error) {
			p := PrincipalFrom(ctx)
			act, err := a.Create(ctx, p, in.Body)
			if err != nil {
				return nil, err
			}
			ovs, err := a.Overlaps(ctx, p, act.ID)
			return &Body[ActivityDraft]{ActivityDraft{act, ovs}}, err
		})
	register(s, huma.Operation{OperationID: "activities-get", Method: http.MethodGet, Path: base + "/{id}", Summary: "One activity", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActActivityView, func(ctx context.Context, in *actIDInput) (*Body[activities.Activity], error) {
			out, err := a.Get(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[activities.Activity]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-update", Method: http.MethodPut, Path: base + "/{id}", Summary: "Change an activity of this node", Tags: tags, Errors: bad},
		auth.ActActivityEdit, func(ctx context.Context, in *actUpdateInput) (*Body[activities.Activity], error) {
			out, err := a.Update(ctx, PrincipalFrom(ctx), in.ID, in.Body)
			return &Body[activities.Activity]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-overlaps", Method: http.MethodGet, Path: base + "/{id}/overlaps", Summary: "Overlap check of a saved activity, with the resolutions recorded", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActActivityView, func(ctx context.Context, in *actIDInput) (*Body[[]activities.Overlap], error) {
			out, err := a.Overlaps(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[[]activities.Overlap]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-resolve", Method: http.MethodPost, Path: base + "/{id}/resolutions", Summary: "Record how an overlap is resolved: coordinate, merge or proceed with a reason", Tags: tags, Errors: bad},
		auth.ActActivityEdit, func(ctx context.Context, in *actResolveInput) (*Body[activities.Activity], error) {
			out, err := a.Resolve(ctx, PrincipalFrom(ctx), in.ID, in.Body)
			return &Body[activities.Activity]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-publish", Method: http.MethodPost, Path: base + "/{id}/publish", Summary: "Publish a draft to the federation",
		Description: "Refused with `unresolved-overlaps` (409) while an overlap has no recorded resolution.", Tags: tags, Errors: bad},
		auth.ActActivityEdit, func(ctx context.Context, in *actPublishInput) (*Body[activities.Activity], error) {
			out, err := a.Publish(ctx, PrincipalFrom(ctx), in.ID, in.Body.Status)
			return &Body[activities.Activity]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-export", Method: http.MethodGet, Path: base + "/export", Summary: "Export activities as JSON, CSV or XLSX", Tags: tags, Errors: []int{http.StatusBadRequest},
		Responses: map[string]*huma.Response{"200": {Description: "The export file", Content: map[string]*huma.MediaType{"application/json": {}, "text/csv": {},
			"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}}}},
		auth.ActActivityExport, func(ctx context.Context, in *actExportInput) (*actFileOutput, error) {
			body, mt, name, err := a.Export(ctx, PrincipalFrom(ctx), in.Format, in.filter())
			if err != nil {
				return nil, err
			}
			return &actFileOutput{ContentType: mt, ContentDisposition: `attachment; filename="` + name + `"`, Body: body}, nil
		})
	register(s, huma.Operation{OperationID: "activities-import", Method: http.MethodPost, Path: base + "/import", Summary: "Import draft activities from CSV or XLSX",
		Description: "Columns are found by header name (see docs/activities.md). With `dry_run` nothing is saved: the answer shows how each column was mapped and every row's errors, naming row and column. Without it, valid rows are saved as drafts and invalid rows are reported; nothing is dropped silently.",
		Tags:        tags, Errors: []int{http.StatusBadRequest}},
		auth.ActActivityImport, func(ctx context.Context, in *actImportInput) (*Body[activities.ImportReport], error) {
			rep, err := a.Import(ctx, PrincipalFrom(ctx), in.Format, in.RawBody, in.DryRun)
			return &Body[activities.ImportReport]{rep}, err
		})
	register(s, huma.Operation{OperationID: "activities-gap", Method: http.MethodGet, Path: base + "/gap", Summary: "Gap map: country × theme and agency × theme funding, activities, participants and needs", Tags: tags},
		auth.ActActivityView, func(ctx context.Context, in *actGapInput) (*Body[activities.GapMap], error) {
			out, err := a.Gap(ctx, PrincipalFrom(ctx), in.Year)
			return &Body[activities.GapMap]{out}, err
		})

	register(s, huma.Operation{OperationID: "activities-needs", Method: http.MethodGet, Path: base + "/needs", Summary: "Needs register of the beneficiary countries", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActActivityView, func(ctx context.Context, in *actNeedListInput) (*Body[[]activities.Need], error) {
			out, err := a.Needs(ctx, PrincipalFrom(ctx), in.Country, in.Theme)
			return &Body[[]activities.Need]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-need-create", Method: http.MethodPost, Path: base + "/needs", Summary: "Declare a need of this node's country", DefaultStatus: created, Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActNeedEdit, func(ctx context.Context, in *actNeedBody) (*Body[activities.Need], error) {
			out, err := a.CreateNeed(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[activities.Need]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-need-update", Method: http.MethodPut, Path: base + "/needs/{id}", Summary: "Change a need of this node", Tags: tags, Errors: bad},
		auth.ActNeedEdit, func(ctx context.Context, in *actNeedUpdate) (*Body[activities.Need], error) {
			out, err := a.UpdateNeed(ctx, PrincipalFrom(ctx), in.ID, in.Body)
			return &Body[activities.Need]{out}, err
		})

	register(s, huma.Operation{OperationID: "activities-rounds", Method: http.MethodGet, Path: base + "/rounds", Summary: "Joint prioritisation rounds", Tags: tags},
		auth.ActActivityView, func(ctx context.Context, _ *emptyInput) (*Body[[]activities.Round], error) {
			out, err := a.Rounds(ctx, PrincipalFrom(ctx))
			return &Body[[]activities.Round]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-round-open", Method: http.MethodPost, Path: base + "/rounds", Summary: "Open a prioritisation round", DefaultStatus: created, Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActRoundManage, func(ctx context.Context, in *actRoundBody) (*Body[activities.Round], error) {
			out, err := a.OpenRound(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[activities.Round]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-round-result", Method: http.MethodGet, Path: base + "/rounds/{id}/result", Summary: "Shared priority list of a round, with votes and comments for participants", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActActivityView, func(ctx context.Context, in *actIDInput) (*Body[activities.RoundResult], error) {
			out, err := a.Result(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[activities.RoundResult]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-round-vote", Method: http.MethodPost, Path: base + "/rounds/{id}/votes", Summary: "Give 1–5 points to a need, with a comment", DefaultStatus: http.StatusNoContent, Tags: tags, Errors: bad},
		auth.ActRoundVote, func(ctx context.Context, in *actVoteInput) (*struct{}, error) {
			return nil, a.CastVote(ctx, PrincipalFrom(ctx), in.ID, in.Body)
		})
	register(s, huma.Operation{OperationID: "activities-round-close", Method: http.MethodPost, Path: base + "/rounds/{id}/close", Summary: "Close a round", DefaultStatus: http.StatusNoContent, Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActRoundManage, func(ctx context.Context, in *actIDInput) (*struct{}, error) {
			return nil, a.CloseRound(ctx, PrincipalFrom(ctx), in.ID)
		})

	register(s, huma.Operation{OperationID: "activities-events", Method: http.MethodGet, Path: base + "/events", Summary: "Events of the experts' networks: trainings, study visits, meetings", Tags: tags},
		auth.ActActivityView, func(ctx context.Context, in *actSearchInput) (*Body[[]activities.Event], error) {
			out, err := a.Events(ctx, PrincipalFrom(ctx), in.Q)
			return &Body[[]activities.Event]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-event-create", Method: http.MethodPost, Path: base + "/events", Summary: "Record an event with participants by agency and country", DefaultStatus: created, Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActEventEdit, func(ctx context.Context, in *actEventBody) (*Body[activities.Event], error) {
			out, err := a.CreateEvent(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[activities.Event]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-practices", Method: http.MethodGet, Path: base + "/practices", Summary: "Search the best-practice library in any of the region's languages", Tags: tags},
		auth.ActActivityView, func(ctx context.Context, in *actSearchInput) (*Body[[]activities.Practice], error) {
			out, err := a.Practices(ctx, PrincipalFrom(ctx), in.Q)
			return &Body[[]activities.Practice]{out}, err
		})
	register(s, huma.Operation{OperationID: "activities-practice-create", Method: http.MethodPost, Path: base + "/practices", Summary: "Add a best practice", DefaultStatus: created, Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActEventEdit, func(ctx context.Context, in *actPracticeBody) (*Body[activities.Practice], error) {
			out, err := a.CreatePractice(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[activities.Practice]{out}, err
		})
}

// ---- UI ----

func (s *Server) registerActivitiesUI() {
	s.handle("GET", "/activities", auth.ActActivityView, s.actList)
	s.handle("GET", "/activities/new", auth.ActActivityEdit, s.actNew)
	s.handle("POST", "/activities", auth.ActActivityEdit, s.actCreate)
	s.handle("GET", "/activities/strategic", auth.ActActivityView, s.actStrategic)
	s.handle("GET", "/activities/experts", auth.ActActivityView, s.actExperts)
	s.handle("GET", "/activities/needs", auth.ActActivityView, s.actNeeds)
	s.handle("POST", "/activities/needs", auth.ActNeedEdit, s.actNeedCreate)
	s.handle("POST", "/activities/events", auth.ActEventEdit, s.actEventCreate)
	s.handle("POST", "/activities/practices", auth.ActEventEdit, s.actPracticeCreate)
	s.handle("POST", "/activities/rounds", auth.ActRoundManage, s.actRoundOpen)
	s.handle("GET", "/activities/rounds/{id}", auth.ActActivityView, s.actRound)
	s.handle("POST", "/activities/rounds/{id}/vote", auth.ActRoundVote, s.actRoundVote)
	s.handle("GET", "/activities/import", auth.ActActivityImport, s.actImportPage)
	s.handle("POST", "/activities/import", auth.ActActivityImport, s.actImport)
	s.handle("GET", "/activities/{id}", auth.ActActivityView, s.actView)
	s.handle("POST", "/activities/{id}/resolve", auth.ActActivityEdit, s.actResolve)
	s.handle("POST", "/activities/{id}/publish", auth.ActActivityEdit, s.actPublish)
}

// actLabels are the code lists as slug → label maps for templates.
func actLabels(tr func(list string, codes []directory.Code) []directory.Code) map[string]map[string]string {
	m := map[string]map[string]string{}
	for name, codes := range map[string][]directory.Code{"kind": activities.Kinds, "status": activities.Statuses, "theme": directory.Themes,
		"decision": activities.Decisions, "eventKind": activities.EventKinds} {
		m[name] = map[string]string{}
		for _, c := range tr(name, codes) {
			m[name][c.Slug] = c.Label
		}
	}
	return m
}

// actVocabList names the catalogue vocabulary (voc.<list>.*) of a registry code list.
var actVocabList = map[string]string{"kind": "actKind", "status": "actStatus", "theme": "theme", "decision": "decision", "eventKind": "eventKind"}

func (s *Server) actPage(w http.ResponseWriter, r *http.Request, status int, name, titleKey string, data map[string]any, flash, errMsg string) {
	p := PrincipalFrom(r.Context())
	tr := func(list string, codes []directory.Code) []directory.Code {
		return s.vocab(r, actVocabList[list], codes)
	}
	data["L"] = actLabels(tr)
	if _, ok := data["Retry"]; !ok {
		data["Retry"] = map[string]map[string]string{}
		// A failed submit of one of the page's forms, keyed by its action.
		if f := s.failedForm(r); f != nil {
			data["Retry"] = map[string]map[string]string{f.Form: f.Map()}
		}
	}
	data["Node"] = s.d.Activities.Node()
	data["CanEdit"] = auth.Can(p, auth.ActActivityEdit)
	data["CanImport"] = auth.Can(p, auth.ActActivityImport)
	data["CanNeed"] = auth.Can(p, auth.ActNeedEdit)
	data["CanEvent"] = auth.Can(p, auth.ActEventEdit)
	data["CanVote"] = auth.Can(p, auth.ActRoundVote)
	data["CanRound"] = auth.Can(p, auth.ActRoundManage)
	data["Vocab"] = map[string]any{"kinds": tr("kind", activities.Kinds), "themes": tr("theme", directory.Themes), "decisions": tr("decision", activities.Decisions),
		"eventKinds": tr("eventKind", activities.EventKinds), "currencies": activities.Currencies(), "participants": activities.Participants}
	if flash == "" {
		if k := r.URL.Query().Get("ok"); k != "" && len(k) < 40 {
			flash = s.d.Catalog.T(s.lang(r), "act.ok."+k)
		}
	}
	s.render(w, r, status, name, titleKey, "nav.activities", data, flash, errMsg)
}

// parseParticipants reads one participating agency a line,
// "RS: Ministry of Interior: 4". A line that does not fit is refused with its
// number, never skipped.
func parseParticipants(v string) ([]activities.Participation, error) {
	var out []activities.Participation
	for i, line := range strings.Split(strings.ReplaceAll(v, "\r", ""), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		parts := strings.Split(line, ":")
		bad := errs.Newf(errs.Invalid, "web.participants", "participants, line %d: write COUNTRY: agency: number of people, e.g. RS: Ministry of Interior: 4", i+1)
		if len(parts) < 3 {
			return nil, bad
		}
		n, err := strconv.Atoi(strings.TrimSpace(parts[len(parts)-1]))
		country, agency := strings.TrimSpace(parts[0]), strings.TrimSpace(strings.Join(parts[1:len(parts)-1], ":"))
		if err != nil || n < 0 || country == "" || agency == "" {
			return nil, bad
		}
		out = append(out, activities.Participation{Country: country, Agency: agency, Count: n})
	}
	return out, nil
}

// actRetry sends the browser back to the activities page that holds the
// failed form (POST/redirect/GET). What the user typed is offered again
// under Retry, keyed by the form's action, so a page with several forms
// refills only the one submitted.
func (s *Server) actRetry(w http.ResponseWriter, r *http.Request, err error, name, _ string, _ func() (map[string]any, error)) {
	page := map[string]string{"activities_view": "/activities/" + url.PathEscape(r.PathValue("id")), "activities_experts": "/activities/experts",
		"activities_needs": "/activities/needs", "activities_round": "/activities/rounds/" + url.PathEscape(r.PathValue("id"))}[name]
	if page == "" {
		page = "/activities"
	}
	s.failForm(w, r, page, r.URL.Path, err)
}

func (s *Server) actList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	year, _ := strconv.Atoi(q.Get("year"))
	f := activities.Filter{Country: q.Get("country"), Theme: q.Get("theme"), Kind: q.Get("kind"), Status: q.Get("status"), Agency: q.Get("agency"), Query: q.Get("q"), Year: year, Drafts: true}
	list, err := s.d.Activities.List(r.Context(), PrincipalFrom(r.Context()), f)
	data := map[string]any{"Activities": list, "Q": q}
	if err != nil {
		st, msg := s.formStatus(err, r.URL.Path)
		s.actPage(w, r, st, "activities", "act.title", data, "", msg)
		return
	}
	s.actPage(w, r, http.StatusOK, "activities", "act.title", data, "", "")
}

func (s *Server) actNew(w http.ResponseWriter, r *http.Request) {
	data := map[string]any{"Form": map[string]string{"currency": "EUR"}, "SelC": map[string]bool{}, "SelT": map[string]bool{}}
	if f := s.failedForm(r); f.Is("activity") {
		data = map[string]any{"Form": f.Map(), "SelC": sliceSet(f.Values["countries"]), "SelT": sliceSet(f.Values["themes"]), "Retry": map[string]map[string]string{}}
	}
	s.actPage(w, r, http.StatusOK, "activities_form", "act.new", data, "", "")
}

func actFormInput(r *http.Request) (activities.Input, error) {
	f := r.PostForm
	budget, err := parseWhole(f.Get("budget"), "Budget")
	if err != nil {
		return activities.Input{}, err
	}
	benef, err := parseWhole(f.Get("beneficiaries"), "Beneficiaries")
	if err != nil {
		return activities.Input{}, err
	}
	in := activities.Input{Title: f.Get("title"), Description: f.Get("description"), Kind: f.Get("kind"), Implementer: f.Get("implementer"),
		Donor: f.Get("donor"), Budget: budget, Currency: f.Get("currency"), Countries: f["countries"], Themes: f["themes"],
		StartDate: f.Get("start_date"), EndDate: f.Get("end_date"), ExpectedResults: f.Get("expected_results"),
		Indicators: strings.Split(strings.ReplaceAll(f.Get("indicators"), "\r", ""), "\n"), Beneficiaries: int(benef),
		ContactName: f.Get("contact_name"), ContactEmail: f.Get("contact_email"), ContactPhone: f.Get("contact_phone")}
	// One agency a line, "RS: Ministry of Interior"; without a country the
	// first beneficiary country is assumed.
	for _, line := range strings.Split(strings.ReplaceAll(f.Get("agencies"), "\r", ""), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		b := activities.Beneficiary{Agency: line}
		if c, rest, ok := strings.Cut(line, ":"); ok && len(strings.TrimSpace(c)) <= 6 {
			b.Country, b.Agency = strings.ToUpper(strings.TrimSpace(c)), strings.TrimSpace(rest)
		} else if len(in.Countries) > 0 {
			b.Country = in.Countries[0]
		}
		in.Agencies = append(in.Agencies, b)
	}
	for _, u := range splitList(f.Get("documents")) {
		in.Documents = append(in.Documents, activities.Document{URL: u})
	}
	return in, nil
}

// formData keeps what the user typed when a form is shown again.
func formData(r *http.Request) map[string]any {
	m := map[string]string{}
	for k, v := range r.PostForm {
		if len(v) == 1 && k != "csrf_token" {
			m[k] = v[0]
		}
	}
	return map[string]any{"Form": m, "SelC": sliceSet(r.PostForm["countries"]), "SelT": sliceSet(r.PostForm["themes"])}
}

func sliceSet(v []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range v {
		m[x] = true
	}
	return m
}

func (s *Server) actCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.uiError(w, r, err)
		return
	}
	p := PrincipalFrom(r.Context())
	in, err := actFormInput(r)
	if err != nil {
		s.failForm(w, r, "/activities/new", "activity", err)
		return
	}
	if r.PostForm.Get("check") != "" {
		// Overlap check before saving: show what overlaps, keep the form.
		ovs, err := s.d.Activities.Check(r.Context(), p, in)
		data := formData(r)
		data["Overlaps"], data["Checked"] = ovs, err == nil
		if err != nil {
			st, msg := s.formStatus(err, r.URL.Path)
			s.actPage(w, r, st, "activities_form", "act.new", data, "", msg)
			return
		}
		s.actPage(w, r, http.StatusOK, "activities_form", "act.new", data, "", "")
		return
	}
	a, err := s.d.Activities.Create(r.Context(), p, in)
	if err != nil {
		s.failForm(w, r, "/activities/new", "activity", err)
		return
	}
	http.Redirect(w, r, "/activities/"+a.ID+"?ok=draft", http.StatusSeeOther)
}

func (s *Server) actViewData(r *http.Request, id string) (map[string]any, error) {
	p := PrincipalFrom(r.Context())
	a, err := s.d.Activities.Get(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	ovs, err := s.d.Activities.Overlaps(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	open := 0
	for _, o := range ovs {
		if o.Resolution == nil {
			open++
		}
	}
	return map[string]any{"A": a, "Overlaps": ovs, "Open": open, "Mine": a.OwnerNode == s.d.Activities.Node()}, nil
}

func (s *Server) actView(w http.ResponseWriter, r *http.Request) {
	data, err := s.actViewData(r, r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.actPage(w, r, http.StatusOK, "activities_view", "act.view", data, "", "")
}

func (s *Server) actAfter(w http.ResponseWriter, r *http.Request, id, ok string, err error) {
	if err != nil {
		s.actRetry(w, r, err, "activities_view", "act.view", func() (map[string]any, error) { return s.actViewData(r, id) })
		return
	}
	http.Redirect(w, r, "/activities/"+id+"?ok="+ok, http.StatusSeeOther)
}

func (s *Server) actResolve(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	_, err := s.d.Activities.Resolve(r.Context(), PrincipalFrom(r.Context()), id, activities.ResolutionInput{
		With: r.PostFormValue("with"), Decision: r.PostFormValue("decision"), Reason: r.PostFormValue("reason")})
	s.actAfter(w, r, id, "resolved", err)
}

func (s *Server) actPublish(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	_, err := s.d.Activities.Publish(r.Context(), PrincipalFrom(r.Context()), id, r.PostFormValue("status"))
	s.actAfter(w, r, id, "published", err)
}

// chartSpec is what assets/activities-charts.js reads from data-chart.
type chartSpec struct {
	Type       string        `json:"type"`
	Labels     []string      `json:"labels"`
	Series     []chartSeries `json:"series"`
	Horizontal bool          `json:"horizontal,omitempty"`
}

type chartSeries struct {
	Label string    `json:"label"`
	Data  []float64 `json:"data"`
	Axis  string    `json:"axis,omitempty"`
	Type  string    `json:"type,omitempty"`
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// mapTile places a participant on the tile map of the region.
type mapTile struct {
	Code, Name       string
	X, Y, LX, LY     int
	FundingEUR       float64
	Activities, Gaps int
	Fill             string
	Link             string
}

// tilePos approximates the geography of the region on a 3 × 3 grid.
var tilePos = map[string][2]int{"BA": {0, 0}, "RS": {1, 0}, "ME": {0, 1}, "XK": {1, 1}, "AL": {0, 2}, "MK": {1, 2}}

func (s *Server) actStrategic(w http.ResponseWriter, r *http.Request) {
	p := PrincipalFrom(r.Context())
	year, _ := strconv.Atoi(r.URL.Query().Get("year"))
	g, err := s.d.Activities.Gap(r.Context(), p, year)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	rounds, err := s.d.Activities.Rounds(r.Context(), p)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var latest *activities.RoundResult
	if len(rounds) > 0 {
		res, err := s.d.Activities.Result(r.Context(), p, rounds[0].ID)
		if err == nil {
			latest = &res
		}
	}
	g.Themes = s.vocab(r, "theme", g.Themes)
	// Charts: funding by theme (region), activities and funding by year.
	themeTotals := make([]float64, len(g.Themes))
	themeCounts := make([]float64, len(g.Themes))
	labels := make([]string, len(g.Themes))
	for i, t := range g.Themes {
		labels[i] = t.Label
		for _, row := range g.Countries {
			themeTotals[i] += row.Cells[i].FundingEUR
			themeCounts[i] += float64(row.Cells[i].Activities)
		}
	}
	byTheme := chartSpec{Type: "bar", Labels: labels, Horizontal: true, Series: []chartSeries{{Label: "EUR", Data: themeTotals}}}
	var yl []string
	var yf, ya, yp []float64
	for _, y := range g.ByYear {
		yl = append(yl, strconv.Itoa(y.Year))
		yf = append(yf, y.FundingEUR)
		ya = append(ya, float64(y.Activities))
		yp = append(yp, float64(y.Participants))
	}
	byYear := chartSpec{Type: "bar", Labels: yl, Series: []chartSeries{{Label: "EUR", Data: yf}, {Label: s.d.Catalog.T(s.lang(r), "act.activities"), Data: ya, Axis: "y2", Type: "line"},
		{Label: s.d.Catalog.T(s.lang(r), "act.participants"), Data: yp, Axis: "y2", Type: "line"}}}
	// Tile map.
	maxF := 1.0
	totals := map[string]*mapTile{}
	for _, row := range g.Countries {
		pos, ok := tilePos[row.Key]
		if !ok {
			continue
		}
		t := &mapTile{Code: row.Key, Name: row.Label, X: 10 + pos[0]*150, Y: 10 + pos[1]*110, Link: "/activities?country=" + row.Key}
		t.LX, t.LY = t.X+70, t.Y+40
		for _, c := range row.Cells {
			t.FundingEUR += c.FundingEUR
			t.Activities += c.Activities
			if c.Gap {
				t.Gaps++
			}
		}
		maxF = max(maxF, t.FundingEUR)
		totals[row.Key] = t
	}
	var tiles []mapTile
	for _, code := range activities.Participants {
		t, ok := totals[code]
		if !ok {
			continue
		}
		shade := int(230 - 150*t.FundingEUR/maxF)
		t.Fill = "rgb(" + strconv.Itoa(shade) + "," + strconv.Itoa(shade+15) + ",245)"
		tiles = append(tiles, *t)
	}
	data := map[string]any{"G": g, "Year": year, "ThemeChart": jsonString(byTheme), "YearChart": jsonString(byYear), "Tiles": tiles, "Rounds": rounds, "Latest": latest,
		"ThemeCounts": themeCounts, "ThemeTotals": themeTotals}
	s.actPage(w, r, http.StatusOK, "activities_strategic", "act.strategic", data, "", "")
}

func (s *Server) actExpertsData(r *http.Request) (map[string]any, error) {
	p := PrincipalFrom(r.Context())
	q := r.URL.Query().Get("q")
	events, err := s.d.Activities.Events(r.Context(), p, q)
	if err != nil {
		return nil, err
	}
	practices, err := s.d.Activities.Practices(r.Context(), p, q)
	if err != nil {
		return nil, err
	}
	list, err := s.d.Activities.List(r.Context(), p, activities.Filter{})
	if err != nil {
		return nil, err
	}
	type contact struct{ Name, Email, Phone, Implementer, Title, ID string }
	var contacts []contact
	seen := map[string]bool{}
	for _, a := range list {
		if a.ContactName == "" && a.ContactEmail == "" {
			continue
		}
		k := strings.ToLower(a.ContactEmail + "|" + a.ContactName)
		if seen[k] {
			continue
		}
		seen[k] = true
		contacts = append(contacts, contact{a.ContactName, a.ContactEmail, a.ContactPhone, a.Implementer, a.Title, a.ID})
	}
	return map[string]any{"Events": events, "Practices": practices, "Contacts": contacts, "Q": q, "Form": map[string]string{}}, nil
}

func (s *Server) actExperts(w http.ResponseWriter, r *http.Request) {
	data, err := s.actExpertsData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.actPage(w, r, http.StatusOK, "activities_experts", "act.experts", data, "", "")
}

func (s *Server) actEventCreate(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	if f == nil {
		_ = r.ParseForm()
		f = r.PostForm
	}
	in := activities.EventInput{Title: f.Get("title"), Kind: f.Get("kind"), StartDate: f.Get("start_date"), EndDate: f.Get("end_date"),
		Country: f.Get("country"), City: f.Get("city"), Themes: f["themes"], Description: f.Get("description"),
		ContactName: f.Get("contact_name"), ContactEmail: f.Get("contact_email")}
	parts, err := parseParticipants(f.Get("participants"))
	in.Participants = parts
	for _, u := range splitList(f.Get("materials")) {
		in.Materials = append(in.Materials, activities.Document{URL: u, Title: u})
	}
	if err == nil {
		_, err = s.d.Activities.CreateEvent(r.Context(), PrincipalFrom(r.Context()), in)
	}
	if err != nil {
		s.actRetry(w, r, err, "activities_experts", "act.experts", func() (map[string]any, error) { return s.actExpertsData(r) })
		return
	}
	http.Redirect(w, r, "/activities/experts?ok=event", http.StatusSeeOther)
}

func (s *Server) actPracticeCreate(w http.ResponseWriter, r *http.Request) {
	in := activities.PracticeInput{Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"), Language: r.PostFormValue("language"),
		Themes: r.PostForm["themes"], Link: r.PostFormValue("link")}
	if _, err := s.d.Activities.CreatePractice(r.Context(), PrincipalFrom(r.Context()), in); err != nil {
		s.actRetry(w, r, err, "activities_experts", "act.experts", func() (map[string]any, error) { return s.actExpertsData(r) })
		return
	}
	http.Redirect(w, r, "/activities/experts?ok=practice", http.StatusSeeOther)
}

func (s *Server) actNeedsData(r *http.Request) (map[string]any, error) {
	p := PrincipalFrom(r.Context())
	needs, err := s.d.Activities.Needs(r.Context(), p, r.URL.Query().Get("country"), r.URL.Query().Get("theme"))
	if err != nil {
		return nil, err
	}
	rounds, err := s.d.Activities.Rounds(r.Context(), p)
	if err != nil {
		return nil, err
	}
	return map[string]any{"Needs": needs, "Rounds": rounds, "Form": map[string]string{}}, nil
}

func (s *Server) actNeeds(w http.ResponseWriter, r *http.Request) {
	data, err := s.actNeedsData(r)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.actPage(w, r, http.StatusOK, "activities_needs", "act.needs", data, "", "")
}

func (s *Server) actNeedCreate(w http.ResponseWriter, r *http.Request) {
	prio, err := parseWhole(r.PostFormValue("priority"), "Priority")
	if err == nil {
		_, err = s.d.Activities.CreateNeed(r.Context(), PrincipalFrom(r.Context()), activities.NeedInput{Country: r.PostFormValue("country"),
			Agency: r.PostFormValue("agency"), Theme: r.PostFormValue("theme"), Priority: int(prio),
			Title: r.PostFormValue("title"), Description: r.PostFormValue("description")})
	}
	if err != nil {
		s.actRetry(w, r, err, "activities_needs", "act.needs", func() (map[string]any, error) { return s.actNeedsData(r) })
		return
	}
	http.Redirect(w, r, "/activities/needs?ok=need", http.StatusSeeOther)
}

func (s *Server) actRoundOpen(w http.ResponseWriter, r *http.Request) {
	rd, err := s.d.Activities.OpenRound(r.Context(), PrincipalFrom(r.Context()), activities.RoundInput{Title: r.PostFormValue("title"),
		Description: r.PostFormValue("description"), ClosesOn: r.PostFormValue("closes_on")})
	if err != nil {
		s.actRetry(w, r, err, "activities_needs", "act.needs", func() (map[string]any, error) { return s.actNeedsData(r) })
		return
	}
	http.Redirect(w, r, "/activities/rounds/"+rd.ID+"?ok=round", http.StatusSeeOther)
}

func (s *Server) actRound(w http.ResponseWriter, r *http.Request) {
	res, err := s.d.Activities.Result(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.actPage(w, r, http.StatusOK, "activities_round", "act.round", map[string]any{"R": res}, "", "")
}

func (s *Server) actRoundVote(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	pts, err := parseWhole(r.PostFormValue("points"), "Points")
	if err == nil {
		err = s.d.Activities.CastVote(r.Context(), PrincipalFrom(r.Context()), id, activities.VoteInput{NeedID: r.PostFormValue("need_id"), Points: int(pts), Comment: r.PostFormValue("comment")})
	}
	if err != nil {
		s.actRetry(w, r, err, "activities_round", "act.round", func() (map[string]any, error) {
			res, err := s.d.Activities.Result(r.Context(), PrincipalFrom(r.Context()), id)
			return map[string]any{"R": res}, err
		})
		return
	}
	http.Redirect(w, r, "/activities/rounds/"+id+"?ok=vote", http.StatusSeeOther)
}

func (s *Server) actImportPage(w http.ResponseWriter, r *http.Request) {
	s.actPage(w, r, http.StatusOK, "activities_import", "act.import", map[string]any{}, "", "")
}

// actImport previews (dry run) or imports an uploaded CSV or XLSX file.
func (s *Server) actImport(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		s.actPage(w, r, http.StatusBadRequest, "activities_import", "act.import", map[string]any{}, "", s.d.Catalog.T(s.lang(r), "act.import.nofile"))
		return
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		s.actPage(w, r, http.StatusBadRequest, "activities_import", "act.import", map[string]any{}, "", s.d.Catalog.T(s.lang(r), "act.import.nofile"))
		return
	}
	defer file.Close()
	body, err := io.ReadAll(io.LimitReader(file, 8<<20))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	format := "csv"
	if strings.HasSuffix(strings.ToLower(hdr.Filename), ".xlsx") {
		format = "xlsx"
	}
	dry := r.FormValue("confirm") == ""
	rep, err := s.d.Activities.Import(r.Context(), PrincipalFrom(r.Context()), format, body, dry)
	data := map[string]any{"Report": rep, "File": hdr.Filename}
	if err != nil {
		st, msg := s.formStatus(err, r.URL.Path)
		s.actPage(w, r, st, "activities_import", "act.import", data, "", msg)
		return
	}
	s.actPage(w, r, http.StatusOK, "activities_import", "act.import", data, "", "")
}

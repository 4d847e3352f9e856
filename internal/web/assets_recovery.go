package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/assets"
	"github.com/liaison-wb/liaison/internal/auth"
)

type arListInput struct {
	CaseRef string `query:"case_ref" maxLength:"100"`
	Person  string `query:"person" maxLength:"300"`
	Step    string `query:"step" enum:"traced,frozen,seized,confiscated,managed,disposed,returned,"`
	Country string `query:"country" maxLength:"2"`
}

type arStepInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body assets.StepInput
}

type arAnswerInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body assets.AROAnswer
}

// registerAssetRecovery adds the asset recovery API operations and pages
// (under /asset-recovery: /assets serves the UI's static files).
func (s *Server) registerAssetRecovery() {
	if s.d.Assets == nil {
		return
	}
	a := s.d.Assets
	tags := []string{"Asset recovery"}
	p := PrincipalFrom
	register(s, huma.Operation{OperationID: "list-assets", Method: http.MethodGet, Path: "/api/v1/asset-recovery/assets",
		Summary: "Assets under recovery, by case, person, step or country", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActARView, func(ctx context.Context, in *arListInput) (*Body[[]assets.Asset], error) {
			as, err := a.List(ctx, p(ctx), assets.Filter{CaseRef: in.CaseRef, Person: in.Person, Step: in.Step, Country: in.Country})
			return &Body[[]assets.Asset]{as}, err
		})
	register(s, huma.Operation{OperationID: "create-asset", Method: http.MethodPost, Path: "/api/v1/asset-recovery/assets",
		Summary: "Register an asset with its first step (normally traced)", Tags: tags, DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest}},
		auth.ActAREdit, func(ctx context.Context, in *Body[assets.NewAsset]) (*Body[assets.Asset], error) {
			x, err := a.Create(ctx, p(ctx), in.Body)
			return &Body[assets.Asset]{x}, err
		})
	register(s, huma.Operation{OperationID: "get-asset", Method: http.MethodGet, Path: "/api/v1/asset-recovery/assets/{id}",
		Summary: "An asset with the history of its recovery steps", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActARView, func(ctx context.Context, in *idInput) (*Body[assets.Asset], error) {
			x, err := a.Get(ctx, p(ctx), in.ID)
			return &Body[assets.Asset]{x}, err
		})
	register(s, huma.Operation{OperationID: "record-asset-step", Method: http.MethodPost, Path: "/api/v1/asset-recovery/assets/{id}/steps",
		Summary: "Record the next recovery step; skipping a freeze/seizure before confiscation (or confiscation before management, disposal, return) needs skip_reason",
		Tags:    tags, DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		auth.ActAREdit, func(ctx context.Context, in *arStepInput) (*Body[assets.Asset], error) {
			x, err := a.RecordStep(ctx, p(ctx), in.ID, in.Body)
			return &Body[assets.Asset]{x}, err
		})
	register(s, huma.Operation{OperationID: "asset-dashboard", Method: http.MethodGet, Path: "/api/v1/asset-recovery/dashboard",
		Summary: "Values of assets at each step by country and year", Tags: tags},
		auth.ActARView, func(ctx context.Context, _ *emptyInput) (*Body[[]assets.ValueRow], error) {
			d, err := a.Dashboard(ctx, p(ctx))
			return &Body[[]assets.ValueRow]{d}, err
		})
	register(s, huma.Operation{OperationID: "list-aro-requests", Method: http.MethodGet, Path: "/api/v1/asset-recovery/requests",
		Summary: "Requests to and from other countries' asset recovery offices held by your agency", Tags: tags},
		auth.ActARView, func(ctx context.Context, _ *emptyInput) (*Body[[]assets.ARORequest], error) {
			rs, err := a.Requests(ctx, p(ctx))
			return &Body[[]assets.ARORequest]{rs}, err
		})
	register(s, huma.Operation{OperationID: "send-aro-request", Method: http.MethodPost, Path: "/api/v1/asset-recovery/requests",
		Summary: "Ask another country's asset recovery office (through the NCU)", Tags: tags, DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest}},
		auth.ActARRequest, func(ctx context.Context, in *Body[assets.NewRequest]) (*Body[assets.ARORequest], error) {
			r, err := a.SendRequest(ctx, p(ctx), in.Body)
			return &Body[assets.ARORequest]{r}, err
		})
	register(s, huma.Operation{OperationID: "get-aro-request", Method: http.MethodGet, Path: "/api/v1/asset-recovery/requests/{id}",
		Summary: "One request to or from an asset recovery office", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActARView, func(ctx context.Context, in *idInput) (*Body[assets.ARORequest], error) {
			r, err := a.Request(ctx, p(ctx), in.ID)
			return &Body[assets.ARORequest]{r}, err
		})
	register(s, huma.Operation{OperationID: "answer-aro-request", Method: http.MethodPost, Path: "/api/v1/asset-recovery/requests/{id}/answer",
		Summary: "AROAnswer or refuse a request from another country's asset recovery office", Tags: tags, Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		auth.ActARRequest, func(ctx context.Context, in *arAnswerInput) (*Body[assets.ARORequest], error) {
			r, err := a.AnswerRequest(ctx, p(ctx), in.ID, in.Body)
			return &Body[assets.ARORequest]{r}, err
		})

	s.handle("GET", "/asset-recovery", auth.ActARView, s.arHome)
	s.handle("POST", "/asset-recovery/assets", auth.ActAREdit, s.arCreate)
	s.handle("GET", "/asset-recovery/assets/{id}", auth.ActARView, s.arAsset)
	s.handle("POST", "/asset-recovery/assets/{id}/steps", auth.ActAREdit, s.arStep)
	s.handle("POST", "/asset-recovery/requests", auth.ActARRequest, s.arSendRequest)
	s.handle("POST", "/asset-recovery/requests/{id}/answer", auth.ActARRequest, s.arAnswer)
}

// arChart turns dashboard rows of one currency into a chart: one series
// per step, one bar group per country and year.
func arChart(rows []assets.ValueRow, currency string, stepLabels map[string]string) (string, []string) {
	var labels, currencies []string
	for _, r := range rows {
		if !slices.Contains(currencies, r.Currency) {
			currencies = append(currencies, r.Currency)
		}
		if l := r.Country + " " + r.Year; r.Currency == currency && !slices.Contains(labels, l) {
			labels = append(labels, l)
		}
	}
	var series []chartSeries
	for _, st := range assets.Steps {
		data := make([]float64, len(labels))
		any := false
		for _, r := range rows {
			if r.Currency == currency && r.Step == st {
				data[slices.Index(labels, r.Country+" "+r.Year)] += float64(r.ValueCents) / 100
				any = true
			}
		}
		if any {
			series = append(series, chartSeries{Label: stepLabels[st], Data: data})
		}
	}
	return jsonString(chartSpec{Type: "bar", Labels: labels, Series: series}), currencies
}

func (s *Server) arHome(w http.ResponseWriter, r *http.Request) {
	var form map[string]string
	if f := s.failedForm(r); f.Is("asset") {
		form = f.Map()
	}
	s.renderAR(w, r, http.StatusOK, "", "", form)
}

func (s *Server) renderAR(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string, form map[string]string) {
	ctx := r.Context()
	pr := PrincipalFrom(ctx)
	q := r.URL.Query()
	f := assets.Filter{CaseRef: q.Get("case_ref"), Person: q.Get("person"), Step: q.Get("step"), Country: q.Get("country")}
	list, err := s.d.Assets.List(ctx, pr, f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	dash, err := s.d.Assets.Dashboard(ctx, pr)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	reqs, err := s.d.Assets.Requests(ctx, pr)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	cur := q.Get("currency")
	if cur == "" {
		cur = "EUR"
	}
	stepLabels, kindLabels := s.labels(r, "ar.step.", assets.StepLabels), s.labels(r, "ar.kind.", assets.KindLabels)
	chart, currencies := arChart(dash, cur, stepLabels)
	if form == nil {
		form = map[string]string{"currency": "EUR", "step": "traced"}
	}
	if ok := q.Get("ok"); ok != "" && flash == "" {
		flash = s.d.Catalog.T(s.lang(r), "ar.ok."+ok)
	}
	data := map[string]any{"Assets": list, "Dashboard": dash, "Chart": chart, "Currency": cur, "Currencies": currencies, "Requests": reqs, "F": f,
		"Kinds": assets.Kinds, "KindLabels": kindLabels, "Steps": assets.Steps, "StepLabels": stepLabels, "Purposes": assets.Purposes,
		"Peers": s.exchangeFormData(r)["Peers"], "Form": form, "Amount": assets.FormatAmount}
	s.render(w, r, status, "ar", "ar.title", "nav.assetrecovery", data, flash, errMsg)
}

func (s *Server) arCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := formValues(r, "kind", "description", "identifier", "country", "person", "case_ref", "value", "currency", "step", "date", "authority", "decision_ref", "skip_reason")
	x, err := s.d.Assets.Create(ctx, PrincipalFrom(ctx), assets.NewAsset{Kind: form["kind"], Description: form["description"], Identifier: form["identifier"],
		Country: form["country"], Person: form["person"], CaseRef: form["case_ref"], Value: form["value"], Currency: form["currency"],
		First: assets.StepInput{Step: form["step"], Date: form["date"], Authority: form["authority"], DecisionRef: form["decision_ref"], SkipReason: form["skip_reason"]}})
	if err != nil {
		s.failForm(w, r, "/asset-recovery", "asset", err)
		return
	}
	http.Redirect(w, r, "/asset-recovery/assets/"+url.PathEscape(x.ID)+"?ok=created", http.StatusSeeOther)
}

func (s *Server) renderAsset(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string, form map[string]string) {
	ctx := r.Context()
	x, err := s.d.Assets.Get(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	var next []string
	for _, st := range assets.Steps {
		hist := []string{}
		for _, h := range x.History {
			hist = append(hist, h.Step)
		}
		if code, _ := assets.CheckStep(hist, st, "reason"); code == "" {
			next = append(next, st)
		}
	}
	if form == nil {
		form = map[string]string{}
	}
	s.render(w, r, status, "ar_asset", "ar.asset", "nav.assetrecovery", map[string]any{"A": x, "Next": next, "StepLabels": s.labels(r, "ar.step.", assets.StepLabels), "KindLabels": s.labels(r, "ar.kind.", assets.KindLabels), "Form": form,
		"Amount": assets.FormatAmount}, flash, errMsg)
}

func (s *Server) arAsset(w http.ResponseWriter, r *http.Request) {
	flash := ""
	if ok := r.URL.Query().Get("ok"); ok != "" {
		flash = s.d.Catalog.T(s.lang(r), "ar.ok."+ok)
	}
	var form map[string]string
	if f := s.failedForm(r); f.Is("step") {
		form = f.Map()
	}
	s.renderAsset(w, r, http.StatusOK, flash, "", form)
}

func (s *Server) arStep(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := formValues(r, "step", "date", "authority", "decision_ref", "value", "skip_reason", "note")
	_, err := s.d.Assets.RecordStep(ctx, PrincipalFrom(ctx), r.PathValue("id"), assets.StepInput{Step: form["step"], Date: form["date"], Authority: form["authority"],
		DecisionRef: form["decision_ref"], Value: form["value"], SkipReason: form["skip_reason"], Note: form["note"]})
	if err != nil {
		s.failForm(w, r, "/asset-recovery/assets/"+url.PathEscape(r.PathValue("id")), "step", err)
		return
	}
	http.Redirect(w, r, "/asset-recovery/assets/"+url.PathEscape(r.PathValue("id"))+"?ok=step", http.StatusSeeOther)
}

func (s *Server) arSendRequest(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := formValues(r, "target_node", "purpose", "subject", "details", "case_ref")
	_, err := s.d.Assets.SendRequest(ctx, PrincipalFrom(ctx), assets.NewRequest{TargetNode: form["target_node"], Purpose: form["purpose"], Subject: form["subject"],
		Details: form["details"], CaseRef: form["case_ref"]})
	if err != nil {
		s.failForm(w, r, "/asset-recovery", "request", err)
		return
	}
	http.Redirect(w, r, "/asset-recovery?ok=requested#requests", http.StatusSeeOther)
}

func (s *Server) arAnswer(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	refuse, _ := strconv.ParseBool(r.PostFormValue("refuse"))
	_, err := s.d.Assets.AnswerRequest(ctx, PrincipalFrom(ctx), r.PathValue("id"), assets.AROAnswer{Refuse: refuse, Text: r.PostFormValue("text")})
	if err != nil {
		s.failForm(w, r, "/asset-recovery", "answer", err)
		return
	}
	http.Redirect(w, r, "/asset-recovery?ok=answered#requests", http.StatusSeeOther)
}

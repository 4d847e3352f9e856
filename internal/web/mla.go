package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/mla"
)

type mlaListInput struct {
	Direction string `query:"direction" enum:"outgoing,incoming," doc:"outgoing: requests this node made; incoming: requests to this node"`
	Status    string `query:"status" enum:"draft,sent,received,in_execution,partially_executed,executed,refused,withdrawn,"`
	Overdue   bool   `query:"overdue" doc:"only requests past their recognition or execution deadline"`
	DueSoon   bool   `query:"due_soon" doc:"only requests with a deadline within the reminder period"`
}

type mlaDraftInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body mla.Draft
}

type mlaChangeInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body mla.Change
}

type mlaExtendInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Reason string `json:"reason" minLength:"1" maxLength:"4000"`
	}
}

type mlaTranslationInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body mla.Translation
}

// registerMLA adds the judicial requests module's API operations and pages.
func (s *Server) registerMLA() {
	if s.d.MLA == nil {
		return
	}
	m := s.d.MLA
	tags := []string{"Judicial requests"}
	p := PrincipalFrom
	register(s, huma.Operation{OperationID: "list-mla-requests", Method: http.MethodGet, Path: "/api/v1/mla/requests",
		Summary: "Judicial requests (MLA, extradition, ...) held by your agency, with deadline flags", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActMLAView, func(ctx context.Context, in *mlaListInput) (*Body[[]mla.Request], error) {
			rs, err := m.List(ctx, p(ctx), mla.Filter{Direction: in.Direction, Status: in.Status, Overdue: in.Overdue, DueSoon: in.DueSoon})
			return &Body[[]mla.Request]{rs}, err
		})
	register(s, huma.Operation{OperationID: "create-mla-request", Method: http.MethodPost, Path: "/api/v1/mla/requests",
		Summary: "Draft a judicial request (police or prosecutor)", Tags: tags, DefaultStatus: http.StatusCreated, Errors: []int{http.StatusBadRequest}},
		auth.ActMLADraft, func(ctx context.Context, in *Body[mla.Draft]) (*Body[mla.Request], error) {
			r, err := m.Create(ctx, p(ctx), in.Body)
			return &Body[mla.Request]{r}, err
		})
	register(s, huma.Operation{OperationID: "get-mla-request", Method: http.MethodGet, Path: "/api/v1/mla/requests/{id}",
		Summary: "A judicial request with its timeline", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActMLAView, func(ctx context.Context, in *idInput) (*Body[mla.Request], error) {
			r, err := m.Get(ctx, p(ctx), in.ID)
			return &Body[mla.Request]{r}, err
		})
	register(s, huma.Operation{OperationID: "update-mla-request", Method: http.MethodPut, Path: "/api/v1/mla/requests/{id}",
		Summary: "Change a draft", Tags: tags, Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		auth.ActMLADraft, func(ctx context.Context, in *mlaDraftInput) (*Body[mla.Request], error) {
			r, err := m.Update(ctx, p(ctx), in.ID, in.Body)
			return &Body[mla.Request]{r}, err
		})
	register(s, huma.Operation{OperationID: "send-mla-request", Method: http.MethodPost, Path: "/api/v1/mla/requests/{id}/send",
		Summary: "Sign and send a draft to the requested country through the NCU (prosecutor only)", Tags: tags,
		Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusConflict}},
		auth.ActMLASend, func(ctx context.Context, in *idInput) (*Body[mla.Request], error) {
			r, err := m.Send(ctx, p(ctx), in.ID)
			return &Body[mla.Request]{r}, err
		})
	register(s, huma.Operation{OperationID: "change-mla-status", Method: http.MethodPost, Path: "/api/v1/mla/requests/{id}/status",
		Summary: "Move a request along the status table: recognise, report execution, refuse (with reason) or withdraw", Tags: tags,
		Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusConflict}},
		auth.ActMLAUpdate, func(ctx context.Context, in *mlaChangeInput) (*Body[mla.Request], error) {
			r, err := m.Transition(ctx, p(ctx), in.ID, in.Body)
			return &Body[mla.Request]{r}, err
		})
	register(s, huma.Operation{OperationID: "extend-mla-request", Method: http.MethodPost, Path: "/api/v1/mla/requests/{id}/extend",
		Summary: "Extend the recognition deadline once, with a reason (requested side, prosecutor)", Tags: tags,
		Errors: []int{http.StatusBadRequest, http.StatusForbidden, http.StatusNotFound, http.StatusConflict}},
		auth.ActMLAUpdate, func(ctx context.Context, in *mlaExtendInput) (*Body[mla.Request], error) {
			r, err := m.Extend(ctx, p(ctx), in.ID, in.Body.Reason)
			return &Body[mla.Request]{r}, err
		})
	register(s, huma.Operation{OperationID: "mark-mla-translation", Method: http.MethodPost, Path: "/api/v1/mla/requests/{id}/translations",
		Summary: "Mark a translation as required or done", Tags: tags, Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}},
		auth.ActMLADraft, func(ctx context.Context, in *mlaTranslationInput) (*Body[mla.Request], error) {
			r, err := m.SetTranslation(ctx, p(ctx), in.ID, in.Body.Language, in.Body.Done)
			return &Body[mla.Request]{r}, err
		})
	register(s, huma.Operation{OperationID: "mla-stats", Method: http.MethodGet, Path: "/api/v1/mla/stats",
		Summary: "Turnaround of judicial requests per country pair", Tags: tags},
		auth.ActMLAView, func(ctx context.Context, _ *emptyInput) (*Body[[]mla.PairStats], error) {
			st, err := m.Stats(ctx, p(ctx))
			return &Body[[]mla.PairStats]{st}, err
		})

	s.handle("GET", "/mla", auth.ActMLAView, s.mlaList)
	s.handle("GET", "/mla/new", auth.ActMLADraft, s.mlaNew)
	s.handle("POST", "/mla", auth.ActMLADraft, s.mlaCreate)
	s.handle("GET", "/mla/requests/{id}", auth.ActMLAView, s.mlaView)
	s.handle("GET", "/mla/requests/{id}/print", auth.ActMLAView, s.mlaPrint)
	s.handle("POST", "/mla/requests/{id}/send", auth.ActMLASend, s.mlaSend)
	s.handle("POST", "/mla/requests/{id}/status", auth.ActMLAUpdate, s.mlaStatus)
	s.handle("POST", "/mla/requests/{id}/extend", auth.ActMLAUpdate, s.mlaExtend)
	s.handle("POST", "/mla/requests/{id}/translation", auth.ActMLADraft, s.mlaTranslation)
}

func (s *Server) mlaList(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	q := r.URL.Query()
	f := mla.Filter{Direction: q.Get("direction"), Status: q.Get("status"), Overdue: q.Get("overdue") != "", DueSoon: q.Get("due_soon") != ""}
	rs, err := s.d.MLA.List(ctx, PrincipalFrom(ctx), f)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	st, err := s.d.MLA.Stats(ctx, PrincipalFrom(ctx))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "mla", "mla.title", "nav.mla", map[string]any{"Requests": rs, "Stats": st, "F": f, "Statuses": mla.Statuses}, "", "")
}

// mlaFormData offers the peers, the kinds and the agreements that can be
// a legal basis (mutual legal assistance or extradition).
// mlaTarget is a country a judicial request can go to: a peer node that is
// a country (not a regional body), named as people know it.
type mlaTarget struct {
	Node, Code, Name string
	// Bases are the agreements on legal assistance or extradition in force
	// between this country and the requested one today.
	Bases []directory.Agreement
}

func (s *Server) mlaFormData(r *http.Request, form map[string]string) map[string]any {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	d := s.exchangeFormData(r)
	var targets []mlaTarget
	if s.d.Directory != nil && s.d.Federation != nil {
		peers := map[string]bool{}
		if ps, err := s.d.Federation.Peers(ctx); err == nil {
			for _, pe := range ps {
				peers[pe.ID] = true
			}
		}
		var agreements []directory.Agreement
		for _, typ := range []string{"mla", "extradition"} {
			as, err := s.d.Directory.Agreements(ctx, p, "", typ)
			if err != nil {
				continue
			}
			for _, a := range as {
				if !slices.ContainsFunc(agreements, func(b directory.Agreement) bool { return b.ID == a.ID }) {
					agreements = append(agreements, a)
				}
			}
		}
		own := strings.ToUpper(s.d.Node.ID)
		today := directory.Day(s.d.Clock.Now().UTC().Format("2006-01-02"))
		countries, _ := s.d.Directory.Countries(ctx, p)
		for _, c := range countries {
			if c.Node == "" || !peers[c.Node] || c.Node == s.d.Node.ID || strings.Contains(c.Code, "-") { // states, not their entities
				continue
			}
			t := mlaTarget{Node: c.Node, Code: c.Code, Name: c.Name}
			for _, a := range agreements {
				if a.StateBetween(own, c.Code, today) == directory.StateInForce {
					t.Bases = append(t.Bases, a)
				}
			}
			targets = append(targets, t)
		}
	}
	d["Targets"], d["Kinds"], d["KindLabels"], d["Form"] = targets, mla.Kinds, mla.KindLabels, form
	return d
}

func (s *Server) mlaNew(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{"channel": "formal"}
	// A form may be prefilled by a link, e.g. an extradition request from
	// an arrest-alert hit.
	for _, k := range []string{"target_node", "kind", "title", "facts", "measures", "persons", "case_refs"} {
		if v := r.URL.Query().Get(k); v != "" && len(v) <= 5000 {
			form[k] = v
		}
	}
	if f := s.failedForm(r); f.Is("mla") {
		form = f.Map()
	}
	s.render(w, r, http.StatusOK, "mla_form", "mla.new", "nav.mla", s.mlaFormData(r, form), "", "")
}

func (s *Server) mlaCreate(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	form := formValues(r, "target_node", "kind", "title", "facts", "measures", "persons", "case_refs", "legal_basis_id", "channel", "translations", "urgent")
	ts, err := mla.ParseLanguages(form["translations"])
	if err == nil {
		var req mla.Request
		req, err = s.d.MLA.Create(ctx, PrincipalFrom(ctx), mla.Draft{TargetNode: form["target_node"], Kind: form["kind"], Title: form["title"], Facts: form["facts"],
			Measures: form["measures"], Persons: form["persons"], CaseRefs: splitList(form["case_refs"]), Urgent: form["urgent"] != "", LegalBasisID: form["legal_basis_id"],
			Channel: form["channel"], Translations: ts})
		if err == nil {
			http.Redirect(w, r, "/mla/requests/"+url.PathEscape(req.ID)+"?ok=created", http.StatusSeeOther)
			return
		}
	}
	s.failForm(w, r, "/mla/new", "mla", err)
}

func (s *Server) renderMLA(w http.ResponseWriter, r *http.Request, status int, flash, errMsg string) {
	ctx := r.Context()
	req, err := s.d.MLA.Get(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	s.render(w, r, status, "mla_request", "mla.request", "nav.mla", map[string]any{"R": req, "Languages": mla.FormatLanguages(req.Translations)}, flash, errMsg)
}

func (s *Server) mlaView(w http.ResponseWriter, r *http.Request) {
	flash := ""
	if ok := r.URL.Query().Get("ok"); ok != "" {
		flash = s.d.Catalog.T(s.lang(r), "mla.ok."+ok)
	}
	s.renderMLA(w, r, http.StatusOK, flash, "")
}

func (s *Server) mlaPrint(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	req, err := s.d.MLA.Get(ctx, PrincipalFrom(ctx), r.PathValue("id"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	// The printout names people and agencies, not accounts and codes.
	data := map[string]any{"R": req, "AgencyName": req.Agency, "SignerName": req.SignedBy,
		"From": strings.ToUpper(req.OriginNode), "To": strings.ToUpper(req.TargetNode)}
	if s.d.Directory != nil {
		if as, err := s.d.Directory.Agencies(ctx, PrincipalFrom(ctx), directory.AgencyFilter{Country: strings.ToUpper(s.d.Node.ID)}); err == nil {
			for _, a := range as {
				if a.Code == req.Agency {
					data["AgencyName"] = a.Name
				}
			}
		}
	}
	if req.Direction == mla.Outgoing && req.SignedBy != "" {
		if u, err := s.d.Auth.UserByName(ctx, req.SignedBy); err == nil && u.DisplayName != "" {
			data["SignerName"] = u.DisplayName
		}
	}
	s.render(w, r, http.StatusOK, "mla_print", "mla.request", "nav.mla", data, "", "")
}

func (s *Server) mlaAfter(w http.ResponseWriter, r *http.Request, err error, ok string) {
	s.mlaAfterForm(w, r, "", err, ok)
}

// mlaAfterForm redirects back to the request, keeping the failed form when
// err is set.
func (s *Server) mlaAfterForm(w http.ResponseWriter, r *http.Request, form string, err error, ok string) {
	if err != nil {
		s.failForm(w, r, "/mla/requests/"+url.PathEscape(r.PathValue("id")), form, err)
		return
	}
	http.Redirect(w, r, "/mla/requests/"+url.PathEscape(r.PathValue("id"))+"?ok="+ok, http.StatusSeeOther)
}

func (s *Server) mlaSend(w http.ResponseWriter, r *http.Request) {
	// Signing is a prosecutor's act: the form asks for an explicit confirmation.
	if err := needField(r.PostFormValue("confirm"), "confirm", "mla.send.confirm.needed"); err != nil {
		s.mlaAfterForm(w, r, "send", err, "")
		return
	}
	_, err := s.d.MLA.Send(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"))
	s.mlaAfter(w, r, err, "sent")
}

func (s *Server) mlaStatus(w http.ResponseWriter, r *http.Request) {
	if st := r.PostFormValue("status"); st == mla.StatusRefused || st == mla.StatusWithdrawn {
		if err := needField(r.PostFormValue("reason"), "reason", "form.err.reason"); err != nil {
			s.mlaAfterForm(w, r, "status", err, "")
			return
		}
	}
	_, err := s.d.MLA.Transition(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"),
		mla.Change{Status: r.PostFormValue("status"), Reason: r.PostFormValue("reason"), Note: r.PostFormValue("note")})
	s.mlaAfterForm(w, r, "status", err, "status")
}

func (s *Server) mlaExtend(w http.ResponseWriter, r *http.Request) {
	_, err := s.d.MLA.Extend(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"), r.PostFormValue("reason"))
	s.mlaAfterForm(w, r, "extend", err, "extended")
}

func (s *Server) mlaTranslation(w http.ResponseWriter, r *http.Request) {
	_, err := s.d.MLA.SetTranslation(r.Context(), PrincipalFrom(r.Context()), r.PathValue("id"), r.PostFormValue("language"), r.PostFormValue("done") != "")
	s.mlaAfter(w, r, err, "translation")
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/operations"
)

type opsAgreementInput struct {
	ID string `path:"id" maxLength:"64" doc:"the agreement's ID in the directory"`
}

// registerOperationsTerms adds the reading of the states' declared terms
// under an agreement (API) and the page where they are declared.
func (s *Server) registerOperationsTerms() {
	m := s.d.Ops
	register(s, huma.Operation{OperationID: "operations-agreement-terms", Method: http.MethodGet, Path: "/api/v1/directory/agreements/{id}/terms",
		Summary: "What each state declared under an agreement for cross-border operations (hot pursuit, limits, right to apprehend, surveillance deadline), when and by whom",
		Tags:    []string{"Directory", "Operations room"}, Errors: []int{http.StatusNotFound}},
		auth.ActOpsTermsView, func(ctx context.Context, in *opsAgreementInput) (*Body[[]operations.Declaration], error) {
			r, err := m.AgreementTerms(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[[]operations.Declaration]{r}, err
		})
	s.handle("GET", "/directory/agreements/{agreement}/terms", auth.ActOpsTerms, s.opsTermsForm)
	s.handle("POST", "/directory/agreements/{agreement}/terms", auth.ActOpsTerms, s.opsTermsSave)
}

// agreementTermsData adds to an agreement's page what its parties declared
// for cross-border operations (Terms, in the order of the parties) and
// which parties declared nothing (TermsNone), when the operations room runs
// here and the user may read them; the directory knows nothing of
// operations.
func (s *Server) agreementTermsData(r *http.Request, a directory.Agreement, data map[string]any) {
	p := PrincipalFrom(r.Context())
	if s.d.Ops == nil || !auth.Can(p, auth.ActOpsTermsView) {
		return
	}
	ds, err := s.d.Ops.AgreementTerms(r.Context(), p, a.ID)
	if err != nil {
		// The agreement's page stands without them.
		s.d.Logger.WarnContext(r.Context(), "declared terms not read", "agreement", a.ID, "err", err)
		return
	}
	data["CanDeclare"] = auth.Can(p, auth.ActOpsTerms)
	var declared []operations.Declaration
	var none []string
	for _, party := range a.Parties {
		if i := slices.IndexFunc(ds, func(d operations.Declaration) bool { return d.Country == party.Country }); i >= 0 {
			declared = append(declared, ds[i])
		} else {
			none = append(none, party.Country)
		}
	}
	// A declaration by a state no longer listed as a party is still shown.
	for _, d := range ds {
		if !slices.ContainsFunc(a.Parties, func(x directory.Party) bool { return x.Country == d.Country }) {
			declared = append(declared, d)
		}
	}
	data["Terms"], data["TermsNone"] = declared, strings.Join(none, ", ")
}

func (s *Server) opsTermsForm(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p := PrincipalFrom(ctx)
	if s.d.Directory == nil {
		s.uiError(w, r, errs.New(errs.NotFound, "web.opsTerms", "the directory is not available on this node"))
		return
	}
	a, err := s.d.Directory.Agreement(ctx, p, r.PathValue("agreement"))
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	ds, err := s.d.Ops.AgreementTerms(ctx, p, a.ID)
	if err != nil {
		s.uiError(w, r, err)
		return
	}
	country := strings.ToUpper(r.URL.Query().Get("country"))
	if !slices.ContainsFunc(a.Parties, func(x directory.Party) bool { return x.Country == country }) {
		country = strings.ToUpper(s.d.Node.ID)
	}
	form := map[string]string{"country": country, "surveillance_minutes": strconv.Itoa(int(s.d.Ops.Config().SurveillanceDeadline.Minutes()))}
	if i := slices.IndexFunc(ds, func(d operations.Declaration) bool { return d.Country == country }); i >= 0 {
		d := ds[i]
		form = map[string]string{"country": country, "pursuit_km": strconv.Itoa(d.PursuitKm), "pursuit_hours": strconv.Itoa(d.PursuitHours),
			"surveillance_minutes": strconv.Itoa(d.SurveillanceMinutes), "note": d.Note}
		if d.Pursuit {
			form["pursuit"] = "1"
		}
		if d.Apprehend {
			form["apprehend"] = "1"
		}
	}
	if f := s.failedForm(r); f.Is("terms") {
		form = f.Map()
	}
	data := map[string]any{"A": a, "Form": form}
	s.render(w, r, http.StatusOK, "operations_terms", "ops.terms.declare", "nav.directory", data, "", "")
}

func (s *Server) opsTermsSave(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	_ = r.ParseForm()
	id := r.PathValue("agreement")
	f := formValues(r, "country", "pursuit_km", "pursuit_hours", "surveillance_minutes", "note")
	back := "/directory/agreements/" + url.PathEscape(id) + "/terms" + "?country=" + url.QueryEscape(f["country"])
	in := operations.TermsInput{AgreementID: id, Country: f["country"], Pursuit: r.PostFormValue("pursuit") != "", Apprehend: r.PostFormValue("apprehend") != "", Note: f["note"]}
	for _, x := range []struct {
		field string
		to    *int
	}{{"pursuit_km", &in.PursuitKm}, {"pursuit_hours", &in.PursuitHours}, {"surveillance_minutes", &in.SurveillanceMinutes}} {
		if strings.TrimSpace(f[x.field]) == "" {
			continue
		}
		n, err := parseWhole(f[x.field], x.field)
		if err != nil {
			s.failForm(w, r, back, "terms", err)
			return
		}
		*x.to = int(n)
	}
	t, err := s.d.Ops.SetTerms(ctx, PrincipalFrom(ctx), in)
	if err != nil {
		s.failForm(w, r, back, "terms", err)
		return
	}
	http.Redirect(w, r, "/directory/agreements/"+url.PathEscape(t.AgreementID)+"?ok=terms#terms", http.StatusSeeOther)
}

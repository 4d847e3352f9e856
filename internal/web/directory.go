package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
)

// registerDirectory adds the directory's UI pages and API operations.
func (s *Server) registerDirectory() {
	if s.d.Directory == nil {
		return
	}
	s.registerDirectoryAPI()
	s.registerDirectoryUI()
}

type dirCountryList struct {
	Body []directory.Country
}

type dirCodeInput struct {
	ID string `path:"id" maxLength:"20" doc:"country code, e.g. RS or BA-SRP"`
}

type dirAgencyListInput struct {
	Country string `query:"country" maxLength:"20" doc:"country code; BA includes the entities and Brčko District"`
	Type    string `query:"type" maxLength:"40"`
}

type dirAgencyBody struct {
	Body directory.AgencyInput
}

type dirAgencyUpdate struct {
	ID   string `path:"id" maxLength:"64"`
	Body directory.AgencyInput
}

type dirContactListInput struct {
	Country string `query:"country" maxLength:"20"`
	Role    string `query:"role" maxLength:"80"`
	Stale   bool   `query:"stale" doc:"only contact points not confirmed for 90 days"`
}

type dirContactBody struct {
	Body directory.ContactPointInput
}

type dirContactUpdate struct {
	ID   string `path:"id" maxLength:"64"`
	Body directory.ContactPointInput
}

// ContactPointDetail is a contact point with its handover history.
type ContactPointDetail struct {
	directory.ContactPoint
	Handovers []directory.Handover `json:"handovers"`
}

type dirHandoverInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body directory.HandoverInput
}

type dirLookupInput struct {
	Country string `query:"country" required:"true" maxLength:"60" doc:"code or name in any script, e.g. RS, Srbija, Србија"`
	Role    string `query:"role" required:"true" maxLength:"80" doc:"slug, label or alias, e.g. aro, asset recovery office, sirene"`
}

type dirMechanismListInput struct {
	Theme  string `query:"theme" maxLength:"40"`
	Member string `query:"member" maxLength:"20"`
}

type dirMechanismBody struct {
	Body directory.MechanismInput
}

type dirMechanismUpdate struct {
	ID   string `path:"id" maxLength:"64"`
	Body directory.MechanismInput
}

type dirAgreementListInput struct {
	Country string `query:"country" maxLength:"20" doc:"only agreements this country is party to"`
	Type    string `query:"type" maxLength:"40"`
}

type dirAgreementBody struct {
	Body directory.AgreementInput
}

type dirAgreementUpdate struct {
	ID   string `path:"id" maxLength:"64"`
	Body directory.AgreementInput
}

type dirMatrixInput struct {
	Type  string   `query:"type" maxLength:"40" doc:"only instruments of this type"`
	Extra []string `query:"extra" maxItems:"40" doc:"partner countries to add to the six participants, e.g. AT,DE"`
}

type dirActivityInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body directory.ActivityInput
}

type dirStatusInput struct {
	ID   string `path:"id" maxLength:"64"`
	Body struct {
		Status string `json:"status" maxLength:"20" doc:"active, limited, dormant, declaratory, unknown"`
		Note   string `json:"note,omitempty" maxLength:"1000"`
	}
}

type dirSearchInput struct {
	Q     string `query:"q" required:"true" maxLength:"200" doc:"words to find, in any script"`
	Limit int    `query:"limit" minimum:"0" maximum:"200" default:"50"`
}

type dirExportInput struct {
	Format string `query:"format" enum:"json,csv" default:"json"`
	Kind   string `query:"kind" maxLength:"30" doc:"countries, agencies, contact-points, mechanisms or agreements; required for CSV"`
}

type dirExportOutput struct {
	ContentType        string `header:"Content-Type"`
	ContentDisposition string `header:"Content-Disposition"`
	Body               []byte
}

// Vocabularies lists the closed code lists of the directory.
type Vocabularies struct {
	CountryKinds   []directory.Code `json:"country_kinds"`
	AgencyTypes    []directory.Code `json:"agency_types"`
	ContactRoles   []directory.Code `json:"contact_roles"`
	ChannelKinds   []directory.Code `json:"channel_kinds"`
	Themes         []directory.Code `json:"themes"`
	MechanismKinds []directory.Code `json:"mechanism_kinds"`
	AgreementTypes []directory.Code `json:"agreement_types"`
	Statuses       []directory.Code `json:"statuses"`
	ActivityKinds  []directory.Code `json:"activity_kinds"`
}

func (s *Server) registerDirectoryAPI() {
	d := s.d.Directory
	tags := []string{"Directory"}
	const base = "/api/v1/directory"
	created := http.StatusCreated
	bad := []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict}

	register(s, huma.Operation{OperationID: "directory-vocabularies", Method: http.MethodGet, Path: base + "/vocabularies", Summary: "Code lists: agency types, contact roles, themes, agreement types, statuses", Tags: tags},
		auth.ActDirView, func(ctx context.Context, _ *emptyInput) (*Body[Vocabularies], error) {
			return &Body[Vocabularies]{Vocabularies{directory.CountryKinds, directory.AgencyTypes, directory.ContactRoles, directory.ChannelKinds, directory.Themes,
				directory.MechanismKinds, directory.AgreementTypes, directory.Statuses, directory.ActivityKinds}}, nil
		})
	register(s, huma.Operation{OperationID: "directory-list-countries", Method: http.MethodGet, Path: base + "/countries", Summary: "List countries, entities and partners", Tags: tags},
		auth.ActDirView, func(ctx context.Context, _ *emptyInput) (*dirCountryList, error) {
			cs, err := d.Countries(ctx, PrincipalFrom(ctx))
			return &dirCountryList{cs}, err
		})
	register(s, huma.Operation{OperationID: "directory-get-country", Method: http.MethodGet, Path: base + "/countries/{id}", Summary: "One country", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActDirView, func(ctx context.Context, in *dirCodeInput) (*Body[directory.Country], error) {
			c, err := d.Country(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[directory.Country]{c}, err
		})

	register(s, huma.Operation{OperationID: "directory-lookup", Method: http.MethodGet, Path: base + "/lookup", Summary: "Who do I contact in country X for Y now?",
		Description: "Current contact points for a role in a country, freshest and 24/7 first. When nobody holds the role the national contact unit is returned with `fallback: true`.",
		Tags:        tags, Errors: []int{http.StatusBadRequest, http.StatusNotFound}},
		auth.ActDirView, func(ctx context.Context, in *dirLookupInput) (*Body[directory.LookupResult], error) {
			res, err := d.Lookup(ctx, PrincipalFrom(ctx), in.Country, in.Role)
			return &Body[directory.LookupResult]{res}, err
		})
	register(s, huma.Operation{OperationID: "directory-search", Method: http.MethodGet, Path: base + "/search", Summary: "Search agencies, people in roles, mechanisms and agreements in any script", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActDirSearch, func(ctx context.Context, in *dirSearchInput) (*Body[[]directory.SearchHit], error) {
			hits, err := d.Search(ctx, PrincipalFrom(ctx), in.Q, in.Limit)
			return &Body[[]directory.SearchHit]{hits}, err
		})
	register(s, huma.Operation{OperationID: "directory-export", Method: http.MethodGet, Path: base + "/export", Summary: "Export the directory as JSON or CSV",
		Description: "JSON holds every record kind; CSV holds one kind per file (choose `kind`). Cells that a spreadsheet would run as a formula are prefixed with an apostrophe.",
		Tags:        tags, Errors: []int{http.StatusBadRequest},
		Responses: map[string]*huma.Response{"200": {Description: "The export file", Content: map[string]*huma.MediaType{"application/json": {}, "text/csv": {}}}}},
		auth.ActDirExport, func(ctx context.Context, in *dirExportInput) (*dirExportOutput, error) {
			body, mt, name, err := d.Export(ctx, PrincipalFrom(ctx), in.Format, in.Kind)
			if err != nil {
				return nil, err
			}
			return &dirExportOutput{ContentType: mt, ContentDisposition: `attachment; filename="` + name + `"`, Body: body}, nil
		})

	register(s, huma.Operation{OperationID: "directory-list-agencies", Method: http.MethodGet, Path: base + "/agencies", Summary: "List agencies", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActDirView, func(ctx context.Context, in *dirAgencyListInput) (*Body[[]directory.Agency], error) {
			as, err := d.Agencies(ctx, PrincipalFrom(ctx), directory.AgencyFilter{Country: in.Country, Type: in.Type})
			return &Body[[]directory.Agency]{as}, err
		})
	register(s, huma.Operation{OperationID: "directory-create-agency", Method: http.MethodPost, Path: base + "/agencies", Summary: "Add an agency of this node's country", Tags: tags, DefaultStatus: created, Errors: bad},
		auth.ActDirEdit, func(ctx context.Context, in *dirAgencyBody) (*Body[directory.Agency], error) {
			a, err := d.CreateAgency(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[directory.Agency]{a}, err
		})
	register(s, huma.Operation{OperationID: "directory-get-agency", Method: http.MethodGet, Path: base + "/agencies/{id}", Summary: "One agency", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActDirView, func(ctx context.Context, in *idInput) (*Body[directory.Agency], error) {
			a, err := d.Agency(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[directory.Agency]{a}, err
		})
	register(s, huma.Operation{OperationID: "directory-update-agency", Method: http.MethodPut, Path: base + "/agencies/{id}", Summary: "Change an agency owned by this node", Tags: tags, Errors: bad},
		auth.ActDirEdit, func(ctx context.Context, in *dirAgencyUpdate) (*Body[directory.Agency], error) {
			a, err := d.UpdateAgency(ctx, PrincipalFrom(ctx), in.ID, in.Body)
			return &Body[directory.Agency]{a}, err
		})

	register(s, huma.Operation{OperationID: "directory-list-contact-points", Method: http.MethodGet, Path: base + "/contact-points", Summary: "List contact points", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActDirView, func(ctx context.Context, in *dirContactListInput) (*Body[[]directory.ContactPoint], error) {
			cs, err := d.ContactPoints(ctx, PrincipalFrom(ctx), directory.ContactFilter{Country: in.Country, Role: in.Role, StaleOnly: in.Stale})
			return &Body[[]directory.ContactPoint]{cs}, err
		})
	register(s, huma.Operation{OperationID: "directory-create-contact-point", Method: http.MethodPost, Path: base + "/contact-points", Summary: "Add a contact point", Tags: tags, DefaultStatus: created, Errors: bad},
		auth.ActDirEdit, func(ctx context.Context, in *dirContactBody) (*Body[directory.ContactPoint], error) {
			c, err := d.CreateContactPoint(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[directory.ContactPoint]{c}, err
		})
	register(s, huma.Operation{OperationID: "directory-get-contact-point", Method: http.MethodGet, Path: base + "/contact-points/{id}", Summary: "One contact point with its handover history", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActDirView, func(ctx context.Context, in *idInput) (*Body[ContactPointDetail], error) {
			p := PrincipalFrom(ctx)
			c, err := d.ContactPoint(ctx, p, in.ID)
			if err != nil {
				return nil, err
			}
			hs, err := d.Handovers(ctx, p, in.ID)
			return &Body[ContactPointDetail]{ContactPointDetail{c, hs}}, err
		})
	register(s, huma.Operation{OperationID: "directory-update-contact-point", Method: http.MethodPut, Path: base + "/contact-points/{id}", Summary: "Correct a contact point owned by this node",
		Description: "For a change of person use the handover operation so open items follow the role.", Tags: tags, Errors: bad},
		auth.ActDirEdit, func(ctx context.Context, in *dirContactUpdate) (*Body[directory.ContactPoint], error) {
			c, err := d.UpdateContactPoint(ctx, PrincipalFrom(ctx), in.ID, in.Body)
			return &Body[directory.ContactPoint]{c}, err
		})
	register(s, huma.Operation{OperationID: "directory-confirm-contact-point", Method: http.MethodPost, Path: base + "/contact-points/{id}/confirm", Summary: "Confirm a contact point is still right (clears the 90-day stale flag)", Tags: tags, Errors: bad},
		auth.ActDirConfirm, func(ctx context.Context, in *idInput) (*Body[directory.ContactPoint], error) {
			c, err := d.ConfirmContactPoint(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[directory.ContactPoint]{c}, err
		})
	register(s, huma.Operation{OperationID: "directory-handover-contact-point", Method: http.MethodPost, Path: base + "/contact-points/{id}/handover", Summary: "Hand a contact point to a new holder, now or from a date",
		Description: "An immediate handover changes the holder, confirms the contact point and reassigns open items held by other modules; a dated one shows as pending until its day.",
		Tags:        tags, DefaultStatus: created, Errors: bad},
		auth.ActDirHandover, func(ctx context.Context, in *dirHandoverInput) (*Body[directory.Handover], error) {
			h, err := d.Handover(ctx, PrincipalFrom(ctx), in.ID, in.Body)
			return &Body[directory.Handover]{h}, err
		})

	register(s, huma.Operation{OperationID: "directory-list-mechanisms", Method: http.MethodGet, Path: base + "/mechanisms", Summary: "List regional mechanisms", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActDirView, func(ctx context.Context, in *dirMechanismListInput) (*Body[[]directory.Mechanism], error) {
			ms, err := d.Mechanisms(ctx, PrincipalFrom(ctx), in.Theme, in.Member)
			return &Body[[]directory.Mechanism]{ms}, err
		})
	register(s, huma.Operation{OperationID: "directory-create-mechanism", Method: http.MethodPost, Path: base + "/mechanisms", Summary: "Register a mechanism owned by this node", Tags: tags, DefaultStatus: created, Errors: bad},
		auth.ActDirEdit, func(ctx context.Context, in *dirMechanismBody) (*Body[directory.Mechanism], error) {
			m, err := d.CreateMechanism(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[directory.Mechanism]{m}, err
		})
	register(s, huma.Operation{OperationID: "directory-get-mechanism", Method: http.MethodGet, Path: base + "/mechanisms/{id}", Summary: "One mechanism, by ID or code", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActDirView, func(ctx context.Context, in *idInput) (*Body[directory.Mechanism], error) {
			m, err := d.Mechanism(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[directory.Mechanism]{m}, err
		})
	register(s, huma.Operation{OperationID: "directory-update-mechanism", Method: http.MethodPut, Path: base + "/mechanisms/{id}", Summary: "Change a mechanism owned by this node", Tags: tags, Errors: bad},
		auth.ActDirEdit, func(ctx context.Context, in *dirMechanismUpdate) (*Body[directory.Mechanism], error) {
			m, err := d.UpdateMechanism(ctx, PrincipalFrom(ctx), in.ID, in.Body)
			return &Body[directory.Mechanism]{m}, err
		})

	register(s, huma.Operation{OperationID: "directory-list-agreements", Method: http.MethodGet, Path: base + "/agreements", Summary: "List agreements", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActDirView, func(ctx context.Context, in *dirAgreementListInput) (*Body[[]directory.Agreement], error) {
			as, err := d.Agreements(ctx, PrincipalFrom(ctx), in.Country, in.Type)
			return &Body[[]directory.Agreement]{as}, err
		})
	register(s, huma.Operation{OperationID: "directory-create-agreement", Method: http.MethodPost, Path: base + "/agreements", Summary: "Register an agreement this node's country is party to", Tags: tags, DefaultStatus: created, Errors: bad},
		auth.ActDirEdit, func(ctx context.Context, in *dirAgreementBody) (*Body[directory.Agreement], error) {
			a, err := d.CreateAgreement(ctx, PrincipalFrom(ctx), in.Body)
			return &Body[directory.Agreement]{a}, err
		})
	register(s, huma.Operation{OperationID: "directory-get-agreement", Method: http.MethodGet, Path: base + "/agreements/{id}", Summary: "One agreement", Tags: tags, Errors: []int{http.StatusNotFound}},
		auth.ActDirView, func(ctx context.Context, in *idInput) (*Body[directory.Agreement], error) {
			a, err := d.Agreement(ctx, PrincipalFrom(ctx), in.ID)
			return &Body[directory.Agreement]{a}, err
		})
	register(s, huma.Operation{OperationID: "directory-update-agreement", Method: http.MethodPut, Path: base + "/agreements/{id}", Summary: "Change an agreement owned by this node", Tags: tags, Errors: bad},
		auth.ActDirEdit, func(ctx context.Context, in *dirAgreementUpdate) (*Body[directory.Agreement], error) {
			a, err := d.UpdateAgreement(ctx, PrincipalFrom(ctx), in.ID, in.Body)
			return &Body[directory.Agreement]{a}, err
		})
	register(s, huma.Operation{OperationID: "directory-matrix", Method: http.MethodGet, Path: base + "/matrix", Summary: "Country × country matrix of the instruments that apply", Tags: tags, Errors: []int{http.StatusBadRequest}},
		auth.ActDirView, func(ctx context.Context, in *dirMatrixInput) (*Body[directory.Matrix], error) {
			m, err := d.Matrix(ctx, PrincipalFrom(ctx), in.Type, in.Extra)
			return &Body[directory.Matrix]{m}, err
		})

	for _, kind := range []string{"agreement", "mechanism"} {
		plural := kind + "s"
		register(s, huma.Operation{OperationID: "directory-" + kind + "-implementation", Method: http.MethodGet, Path: base + "/" + plural + "/{id}/implementation",
			Summary: "Record of use of the " + kind + ": indicators from other modules, manual entries, status", Tags: tags, Errors: []int{http.StatusNotFound}},
			auth.ActDirView, func(ctx context.Context, in *idInput) (*Body[directory.Implementation], error) {
				im, err := d.Implementation(ctx, PrincipalFrom(ctx), kind, in.ID)
				return &Body[directory.Implementation]{im}, err
			})
		register(s, huma.Operation{OperationID: "directory-" + kind + "-add-activity", Method: http.MethodPost, Path: base + "/" + plural + "/{id}/activity",
			Summary: "Record use of the " + kind + " by hand (requests, JITs, joint operations, trainings, meetings)", Tags: tags, DefaultStatus: created, Errors: bad},
			auth.ActDirActivity, func(ctx context.Context, in *dirActivityInput) (*Body[directory.Activity], error) {
				a, err := d.AddActivity(ctx, PrincipalFrom(ctx), kind, in.ID, in.Body)
				return &Body[directory.Activity]{a}, err
			})
		register(s, huma.Operation{OperationID: "directory-" + kind + "-set-status", Method: http.MethodPost, Path: base + "/" + plural + "/{id}/status",
			Summary: "Assess whether the " + kind + " lives or exists only on paper", Tags: tags, DefaultStatus: http.StatusNoContent, Errors: bad},
			auth.ActDirEdit, func(ctx context.Context, in *dirStatusInput) (*struct{}, error) {
				return &struct{}{}, d.SetStatus(ctx, PrincipalFrom(ctx), kind, in.ID, in.Body.Status, in.Body.Note)
			})
	}
}

package assets

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
	"github.com/liaison-wb/liaison/internal/validate"
)

// CaseFinder resolves a case reference in the joint case database.
type CaseFinder interface {
	GetCase(ctx context.Context, p *auth.Principal, idOrRef string) (cases.CaseDetail, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Store  *store.Store
	Audit  *audit.Log
	Fed    *federation.Service // nil: no requests to other countries
	Cases  CaseFinder          // nil: case references are not checked
	Clock  clock.Clock
	Logger *slog.Logger
	NodeID string
}

// Service is the asset recovery module of one node.
type Service struct{ d Deps }

// New builds the service; call Register before the federation starts.
func New(d Deps) *Service {
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Clock == nil {
		d.Clock = clock.System{}
	}
	if d.NodeID == "" && d.Fed != nil {
		d.NodeID = d.Fed.NodeID()
	}
	return &Service{d: d}
}

// Asset is an asset under recovery.
type Asset struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind" enum:"real_estate,vehicle,account,company,cash,crypto"`
	KindLabel   string    `json:"kind_label"`
	Description string    `json:"description"`
	Identifier  string    `json:"identifier,omitempty" doc:"land registry number, plate or VIN, IBAN, company number, wallet address"`
	Country     string    `json:"country" doc:"where the asset is (ISO 3166-1 alpha-2)"`
	Person      string    `json:"person,omitempty" doc:"owner or beneficial owner"`
	CaseRef     string    `json:"case_ref,omitempty" doc:"case in the joint case database"`
	ValueCents  int64     `json:"value_cents" doc:"estimated value in minor units"`
	Value       string    `json:"value" doc:"estimated value, formatted"`
	Currency    string    `json:"currency" doc:"ISO 4217"`
	Step        string    `json:"step" enum:"traced,frozen,seized,confiscated,managed,disposed,returned"`
	StepLabel   string    `json:"step_label"`
	Agency      string    `json:"agency"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	History     []Step    `json:"history,omitempty"`
}

// Step is one recorded step of an asset's recovery.
type Step struct {
	ID          string    `json:"id"`
	Step        string    `json:"step"`
	StepLabel   string    `json:"step_label"`
	Date        string    `json:"date" doc:"YYYY-MM-DD"`
	Authority   string    `json:"authority"`
	DecisionRef string    `json:"decision_ref,omitempty"`
	ValueCents  int64     `json:"value_cents,omitempty" doc:"value at this step when it differs from the estimate"`
	SkipReason  string    `json:"skip_reason,omitempty" doc:"why a safeguard step was skipped"`
	Note        string    `json:"note,omitempty"`
	RecordedBy  string    `json:"recorded_by"`
	RecordedAt  time.Time `json:"recorded_at"`
}

// NewAsset registers an asset with its first step (normally traced).
type NewAsset struct {
	Kind        string    `json:"kind" enum:"real_estate,vehicle,account,company,cash,crypto"`
	Description string    `json:"description" minLength:"1" maxLength:"1000"`
	Identifier  string    `json:"identifier,omitempty" maxLength:"200"`
	Country     string    `json:"country" minLength:"2" maxLength:"2" doc:"ISO 3166-1 alpha-2 (XK for Kosovo)"`
	Person      string    `json:"person,omitempty" maxLength:"300"`
	CaseRef     string    `json:"case_ref,omitempty" maxLength:"100"`
	Value       string    `json:"value,omitempty" maxLength:"30" doc:"estimated value, e.g. 125000 or 12,500.50"`
	Currency    string    `json:"currency" minLength:"3" maxLength:"3" doc:"ISO 4217, e.g. EUR"`
	First       StepInput `json:"first"`
}

// StepInput records a step.
type StepInput struct {
	Step        string `json:"step" enum:"traced,frozen,seized,confiscated,managed,disposed,returned"`
	Date        string `json:"date" maxLength:"10" doc:"YYYY-MM-DD, not in the future"`
	Authority   string `json:"authority" minLength:"1" maxLength:"300" doc:"authority that took the decision or action"`
	DecisionRef string `json:"decision_ref,omitempty" maxLength:"200"`
	Value       string `json:"value,omitempty" maxLength:"30" doc:"value at this step, if different from the estimate"`
	SkipReason  string `json:"skip_reason,omitempty" maxLength:"2000" doc:"required when a freeze or seizure (before confiscation) or a confiscation (before management, disposal or return) is not on record"`
	Note        string `json:"note,omitempty" maxLength:"2000"`
}

func dbErr(op, msg string, err error) error {
	return errs.WrapPlain(errs.Unavailable, op, msg, err)
}

func upperCode(op, name, v string, n int) (string, error) {
	v = strings.ToUpper(strings.TrimSpace(v))
	if len(v) != n {
		return "", errs.Newf(errs.Invalid, op, "the %s must be %d letters", name, n)
	}
	for _, r := range v {
		if r < 'A' || r > 'Z' {
			return "", errs.Newf(errs.Invalid, op, "the %s must be %d letters", name, n)
		}
	}
	return v, nil
}

func (s *Service) auditEntry(actor *auth.Principal, action, object, detail string) audit.Entry {
	name, agency := "system:assets", s.d.NodeID
	if actor != nil {
		name, agency = actor.Username, actor.Agency
	}
	return audit.Entry{Actor: name, Agency: agency, Action: action, Object: object, Detail: detail}
}

// audit records a read or a refused attempt, which change no state.
func (s *Service) audit(ctx context.Context, actor *auth.Principal, action, object, detail string) error {
	return s.d.Audit.Record(ctx, s.auditEntry(actor, action, object, detail))
}

// auditTx queues the audit entry of a change in the change's transaction.
func (s *Service) auditTx(ctx context.Context, tx *store.Tx, actor *auth.Principal, action, object, detail string) error {
	return s.d.Audit.Queue(ctx, tx, s.auditEntry(actor, action, object, detail))
}

func (s *Service) cleanStep(op string, in StepInput) (Step, error) {
	var st Step
	var err error
	st.Step = strings.TrimSpace(in.Step)
	if st.Date, err = s.cleanDate(op, in.Date); err != nil {
		return st, err
	}
	if st.Authority, err = validate.Field(op, "authority", in.Authority, 300, true); err != nil {
		return st, err
	}
	if st.DecisionRef, err = validate.Field(op, "decision reference", in.DecisionRef, 200, false); err != nil {
		return st, err
	}
	if st.SkipReason, err = validate.Field(op, "reason for skipping a step", in.SkipReason, 2000, false); err != nil {
		return st, err
	}
	if st.Note, err = validate.Field(op, "note", in.Note, 2000, false); err != nil {
		return st, err
	}
	if st.ValueCents, err = ParseAmount(in.Value); err != nil {
		return st, err
	}
	return st, nil
}

func (s *Service) cleanDate(op, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return s.d.Clock.Now().UTC().Format("2006-01-02"), nil
	}
	d, err := time.Parse("2006-01-02", v)
	if err != nil {
		return "", errs.Newf(errs.Invalid, op, "the date %q must be written YYYY-MM-DD", textutil.Ellipsis(v, 20))
	}
	if d.After(s.d.Clock.Now()) {
		return "", errs.New(errs.Invalid, op, "the date of a step cannot be in the future")
	}
	return v, nil
}

// Create registers an asset with its first recorded step.
func (s *Service) Create(ctx context.Context, actor *auth.Principal, in NewAsset) (Asset, error) {
	const op = "assets.Create"
	if err := auth.Authorize(actor, auth.ActAREdit); err != nil {
		return Asset{}, err
	}
	var a Asset
	var err error
	a.Kind = strings.TrimSpace(in.Kind)
	if !slices.Contains(Kinds, a.Kind) {
		return Asset{}, errs.Newf(errs.Invalid, op, "kind must be one of %s", strings.Join(Kinds, ", "))
	}
	if a.Description, err = validate.Field(op, "description", in.Description, 1000, true); err != nil {
		return Asset{}, err
	}
	if a.Identifier, err = validate.Field(op, "identifier", in.Identifier, 200, false); err != nil {
		return Asset{}, err
	}
	if a.Person, err = validate.Field(op, "person", in.Person, 300, false); err != nil {
		return Asset{}, err
	}
	if a.CaseRef, err = validate.Field(op, "case reference", in.CaseRef, 100, false); err != nil {
		return Asset{}, err
	}
	if a.Country, err = upperCode(op, "country code", in.Country, 2); err != nil {
		return Asset{}, err
	}
	if a.Currency, err = upperCode(op, "currency code", in.Currency, 3); err != nil {
		return Asset{}, err
	}
	if a.ValueCents, err = ParseAmount(in.Value); err != nil {
		return Asset{}, err
	}
	if in.First.Step == "" {
		in.First.Step = StepTraced
	}
	st, err := s.cleanStep(op, in.First)
	if err != nil {
		return Asset{}, err
	}
	if code, msg := CheckStep(nil, st.Step, st.SkipReason); code != "" {
		return Asset{}, &errs.E{Kind: errs.Invalid, Op: op, Code: code, Msg: msg}
	}
	if a.CaseRef != "" && s.d.Cases != nil {
		c, err := s.d.Cases.GetCase(ctx, actor, a.CaseRef)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return Asset{}, errs.Newf(errs.Invalid, op, "case %q is not in the joint case database", textutil.Ellipsis(a.CaseRef, 40))
			}
			return Asset{}, err
		}
		a.CaseRef = c.Case.Reference
	}
	now := s.d.Clock.Now()
	a.ID, a.Step, a.Agency, a.CreatedBy, a.CreatedAt, a.UpdatedAt = store.NewID(), st.Step, actor.Agency, actor.Username, now, now
	st.ID, st.RecordedBy, st.RecordedAt = store.NewID(), actor.Username, now
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := insertAsset(ctx, tx, a); err != nil {
			return err
		}
		if err := insertStep(ctx, tx, a.ID, st); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, actor, "assetrecovery.asset.create", "asset/"+a.ID, a.Kind+" in "+a.Country+"; "+st.Step)
	})
	if err != nil {
		return Asset{}, dbErr(op, "could not save the asset", err)
	}
	return s.Get(ctx, actor, a.ID)
}

// RecordStep records the next step of an asset's recovery, enforcing the
// order and the safeguards of CheckStep.
func (s *Service) RecordStep(ctx context.Context, actor *auth.Principal, assetID string, in StepInput) (Asset, error) {
	const op = "assets.RecordStep"
	if err := auth.Authorize(actor, auth.ActAREdit); err != nil {
		return Asset{}, err
	}
	st, err := s.cleanStep(op, in)
	if err != nil {
		return Asset{}, err
	}
	a, err := s.get(ctx, assetID)
	if err != nil {
		return Asset{}, err
	}
	var history []string
	last := ""
	for _, h := range a.History {
		history = append(history, h.Step)
		last = h.Date
	}
	if code, msg := CheckStep(history, st.Step, st.SkipReason); code != "" {
		_ = s.audit(ctx, actor, "assetrecovery.step.record", "asset/"+a.ID, "refused "+a.Step+" → "+st.Step+": "+code)
		return Asset{}, &errs.E{Kind: errs.Conflict, Op: op, Code: code, Msg: msg}
	}
	if st.Date < last {
		return Asset{}, errs.Newf(errs.Invalid, op, "the date %s is before the previous step (%s)", st.Date, last)
	}
	now := s.d.Clock.Now()
	st.ID, st.RecordedBy, st.RecordedAt = store.NewID(), actor.Username, now
	detail := a.Step + " → " + st.Step + " on " + st.Date + " by " + st.Authority
	if st.SkipReason != "" {
		detail += "; skip reason: " + st.SkipReason
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		moved, err := moveStep(ctx, tx, a.ID, a.Step, st.Step, now)
		if err != nil {
			return err
		}
		if !moved {
			return &errs.E{Kind: errs.Conflict, Op: op, Code: "changed", Msg: "the asset was changed meanwhile; reload it"}
		}
		if err := insertStep(ctx, tx, a.ID, st); err != nil {
			return err
		}
		return s.auditTx(ctx, tx, actor, "assetrecovery.step.record", "asset/"+a.ID, detail)
	})
	if err != nil {
		return Asset{}, dbErr(op, "could not record the step", err)
	}
	return s.Get(ctx, actor, a.ID)
}

func (s *Service) get(ctx context.Context, id string) (Asset, error) {
	a, err := assetByID(ctx, s.d.Store, strings.TrimSpace(id))
	if errors.Is(err, sql.ErrNoRows) {
		return Asset{}, errs.New(errs.NotFound, "assets.Get", "no such asset")
	}
	if err != nil {
		return Asset{}, dbErr("assets.Get", "cannot read the asset", err)
	}
	if a.History, err = assetSteps(ctx, s.d.Store, a.ID); err != nil {
		return Asset{}, dbErr("assets.Get", "cannot read the steps", err)
	}
	return a, nil
}

// Get returns an asset with its steps. Reading is audited.
func (s *Service) Get(ctx context.Context, actor *auth.Principal, id string) (Asset, error) {
	if err := auth.Authorize(actor, auth.ActARView); err != nil {
		return Asset{}, err
	}
	a, err := s.get(ctx, id)
	if err != nil {
		return Asset{}, err
	}
	return a, s.audit(ctx, actor, "assetrecovery.asset.read", "asset/"+a.ID, "")
}

// Filter narrows a listing of assets.
type Filter struct {
	CaseRef string
	Person  string
	Step    string
	Country string
}

// List returns assets, most recently changed first.
func (s *Service) List(ctx context.Context, actor *auth.Principal, f Filter) ([]Asset, error) {
	const op = "assets.List"
	if err := auth.Authorize(actor, auth.ActARView); err != nil {
		return nil, err
	}
	if f.Step != "" && !slices.Contains(Steps, f.Step) {
		return nil, errs.Newf(errs.Invalid, op, "step must be one of %s", strings.Join(Steps, ", "))
	}
	f.CaseRef, f.Person, f.Country = strings.TrimSpace(f.CaseRef), strings.TrimSpace(f.Person), strings.ToUpper(strings.TrimSpace(f.Country))
	out, err := listAssets(ctx, s.d.Store, f)
	if err != nil {
		return nil, dbErr(op, "cannot list assets", err)
	}
	return out, s.audit(ctx, actor, "assetrecovery.asset.list", "assets", "case="+f.CaseRef+" step="+f.Step+" country="+f.Country)
}

// ValueRow is the value of assets that reached a step, by country
// (where the asset is), year (of the step) and currency.
type ValueRow struct {
	Country    string `json:"country"`
	Year       string `json:"year"`
	Step       string `json:"step"`
	Currency   string `json:"currency"`
	Count      int    `json:"count"`
	ValueCents int64  `json:"value_cents" doc:"sum of the value at the step (the estimate when none was recorded)"`
}

// Dashboard returns values at each step by country and year.
func (s *Service) Dashboard(ctx context.Context, actor *auth.Principal) ([]ValueRow, error) {
	const op = "assets.Dashboard"
	if err := auth.Authorize(actor, auth.ActARView); err != nil {
		return nil, err
	}
	out, err := valuesByStep(ctx, s.d.Store)
	if err != nil {
		return nil, dbErr(op, "cannot read the dashboard", err)
	}
	slices.SortStableFunc(out, func(a, b ValueRow) int {
		if c := strings.Compare(a.Country+a.Year+a.Currency, b.Country+b.Year+b.Currency); c != 0 {
			return c
		}
		return rank(a.Step) - rank(b.Step)
	})
	return out, s.audit(ctx, actor, "assetrecovery.dashboard.view", "assets", "")
}

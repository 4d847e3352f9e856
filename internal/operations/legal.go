package operations

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Basis is the legal basis for an operation entering another country:
// the agreement in force between the two countries and what the host
// state declared under it.
type Basis struct {
	From        string  `json:"from" doc:"this country"`
	Node        string  `json:"node"`
	Kind        string  `json:"kind"`
	Allowed     bool    `json:"allowed"`
	AgreementID string  `json:"agreement_id,omitempty"`
	Agreement   string  `json:"agreement,omitempty"`
	Terms       OpTerms `json:"terms"`
	// Reason says why the operation is not allowed (code and English text).
	Code   string `json:"code,omitempty" enum:"no-agreement,pursuit-excluded,"`
	Reason string `json:"reason,omitempty"`
}

// Err is the error a refused basis gives (nil when allowed).
func (b Basis) Err() error {
	if b.Allowed {
		return nil
	}
	const op = "operations.LegalBasis"
	if b.Code == "pursuit-excluded" {
		e := errs.Newf(errs.Invalid, op, "%s declared under %s that it does not allow hot pursuit on its territory", countryOf(b.Node), b.Agreement)
		e.Code = "no-legal-basis"
		return e
	}
	e := errs.Newf(errs.Invalid, op, "no agreement in force in the directory between %s and %s allows this cross-border operation; nothing was sent", b.From, countryOf(b.Node))
	e.Code = "no-legal-basis"
	return e
}

func (b Basis) deadline(def time.Duration) time.Duration {
	if b.Terms.SurveillanceMinutes > 0 {
		return time.Duration(b.Terms.SurveillanceMinutes) * time.Minute
	}
	return def
}

func agreementName(a directory.Agreement) string {
	if a.ShortName != "" {
		return a.ShortName
	}
	return a.Title
}

// LegalBasis finds the agreement that allows an operation of kind from this
// country into node's country: a police-cooperation agreement in force
// between the two (a bilateral one first, then a multilateral convention
// such as PCC SEE), with the host state's declared terms (defaults where
// it declared none). Without the directory every operation is allowed.
func (s *Service) LegalBasis(ctx context.Context, actor *auth.Principal, kind, node string) (Basis, error) {
	const op = "operations.LegalBasis"
	node = strings.ToLower(strings.TrimSpace(node))
	b := Basis{From: countryOf(s.d.NodeID), Node: node, Kind: kind}
	if !slices.Contains(Kinds, kind) {
		return b, errs.New(errs.Invalid, op, "choose the kind of operation")
	}
	us, them := countryOf(s.d.NodeID), countryOf(node)
	if s.d.Dir == nil || kind == KindIncident {
		b.Allowed = true
		b.Terms = OpTerms{Country: them, Pursuit: true, SurveillanceMinutes: int(s.cfg.SurveillanceDeadline / time.Minute)}
		return b, nil
	}
	as, err := s.d.Dir.Agreements(ctx, actor, them, "police_cooperation")
	if err != nil {
		return b, err
	}
	today := directory.Day(s.d.Clock.Now().UTC().Format("2006-01-02"))
	// An agreement allows the operation when its scope provides for it
	// (PCC SEE: hot pursuit, cross-border surveillance, controlled
	// delivery, mixed patrols) or when the host state's declared terms
	// under it are recorded. A bilateral agreement comes before a
	// multilateral convention.
	var found *directory.Agreement
	var t OpTerms
	for _, bilateral := range []bool{true, false} {
		for i, a := range as {
			if found != nil || a.Multilateral == bilateral || a.StateBetween(us, them, today) != directory.StateInForce {
				continue
			}
			dt, declared, err := declaredTerms(ctx, s.d.Store, a.ID, them)
			if err != nil {
				return b, dbErr(op, err)
			}
			if declared || covers(a, kind) {
				found, t = &as[i], dt
			}
		}
	}
	if found == nil {
		b.Code, b.Reason = "no-agreement", "no agreement in force between "+us+" and "+them+" provides for this operation"
		return b, nil
	}
	b.AgreementID, b.Agreement = found.ID, agreementName(*found)
	if !t.Declared {
		t.Pursuit, t.SurveillanceMinutes = true, int(s.cfg.SurveillanceDeadline/time.Minute)
	}
	t.Agreement = b.Agreement
	b.Terms = t
	if kind == KindPursuit && !t.Pursuit {
		b.Code, b.Reason = "pursuit-excluded", them+" declared under "+b.Agreement+" that it does not allow hot pursuit on its territory"
		return b, nil
	}
	b.Allowed = true
	return b, nil
}

// scopeWords are the words of an agreement's scope that provide for each
// kind of operation.
var scopeWords = map[string][]string{
	KindPursuit:      {"hot pursuit"},
	KindSurveillance: {"surveillance"},
	KindDelivery:     {"controlled deliver"},
	KindPatrol:       {"joint patrol", "mixed patrol", "patrols"},
}

func covers(a directory.Agreement, kind string) bool {
	scope := strings.ToLower(a.Scope)
	for _, w := range scopeWords[kind] {
		if strings.Contains(scope, w) {
			return true
		}
	}
	return false
}

// TermsInput records what a state declared under an agreement.
type TermsInput struct {
	AgreementID         string `json:"agreement_id" maxLength:"64"`
	Country             string `json:"country" maxLength:"10" doc:"the declaring state"`
	Pursuit             bool   `json:"pursuit" doc:"hot pursuit allowed on its territory"`
	PursuitKm           int    `json:"pursuit_km,omitempty" minimum:"0" maximum:"1000" doc:"distance limit from the border (0: none)"`
	PursuitHours        int    `json:"pursuit_hours,omitempty" minimum:"0" maximum:"72" doc:"time limit (0: none)"`
	Apprehend           bool   `json:"apprehend" doc:"pursuing officers may apprehend"`
	SurveillanceMinutes int    `json:"surveillance_minutes,omitempty" minimum:"0" maximum:"2880" doc:"deadline for authorising urgent surveillance (0: the node's default)"`
	Note                string `json:"note,omitempty" maxLength:"1000"`
}

// SetTerms records a state's declared terms under an agreement of the
// directory (NCU).
func (s *Service) SetTerms(ctx context.Context, actor *auth.Principal, in TermsInput) (OpTerms, error) {
	const op = "operations.SetTerms"
	if err := auth.Authorize(actor, auth.ActOpsTerms); err != nil {
		return OpTerms{}, err
	}
	var err error
	if in.Note, err = validate.Field(op, "note", in.Note, 1000, false); err != nil {
		return OpTerms{}, err
	}
	in.Country = strings.ToUpper(strings.TrimSpace(in.Country))
	if s.d.Dir == nil {
		return OpTerms{}, errs.New(errs.Invalid, op, "the directory is not available on this node")
	}
	a, err := s.d.Dir.Agreement(ctx, actor, strings.TrimSpace(in.AgreementID))
	if err != nil {
		return OpTerms{}, err
	}
	if !slices.ContainsFunc(a.Parties, func(p directory.Party) bool { return p.Country == in.Country }) {
		return OpTerms{}, errs.New(errs.Invalid, op, "the declaring state is not a party to this agreement")
	}
	if in.PursuitKm < 0 || in.PursuitKm > 1000 || in.PursuitHours < 0 || in.PursuitHours > 72 || in.SurveillanceMinutes < 0 || in.SurveillanceMinutes > 2880 {
		return OpTerms{}, errs.New(errs.Invalid, op, "a declared limit is out of range")
	}
	if in.SurveillanceMinutes == 0 {
		in.SurveillanceMinutes = int(s.cfg.SurveillanceDeadline / time.Minute)
	}
	t := OpTerms{AgreementID: a.ID, Agreement: agreementName(a), Country: in.Country, Pursuit: in.Pursuit, PursuitKm: in.PursuitKm, PursuitHours: in.PursuitHours,
		Apprehend: in.Apprehend, SurveillanceMinutes: in.SurveillanceMinutes, Note: in.Note, Declared: true}
	// This state's own declaration goes to the other parties' nodes; one
	// recorded for another state is kept here only.
	peers := map[string]bool{}
	var parties []string
	if s.d.Fed != nil && in.Country == countryOf(s.d.NodeID) {
		ps, err := s.d.Fed.Peers(ctx)
		if err != nil {
			return OpTerms{}, err
		}
		for _, p := range ps {
			peers[p.ID] = !p.Suspended
		}
		for _, p := range a.Parties {
			parties = append(parties, p.Country)
		}
	}
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		if err := putTerms(ctx, tx, t, actor.Username, s.d.Clock.Now()); err != nil {
			return err
		}
		if err := s.sendTerms(ctx, tx, actor, t, parties, peers); err != nil {
			return err
		}
		return s.d.Audit.Queue(ctx, tx, s.auditEntry(actor, "operations.terms", "terms/"+a.ID+"/"+in.Country, store.JSONText(t)))
	})
	if err != nil {
		return OpTerms{}, dbErr(op, err)
	}
	return t, nil
}

// Declaration is what one state declared under an agreement, with who
// recorded it and when ("@node" when it came from that state's node).
type Declaration struct {
	OpTerms
	DeclaredBy string    `json:"declared_by"`
	DeclaredAt time.Time `json:"declared_at"`
}

// AgreementTerms returns the terms each state declared under an agreement
// of the directory, by country (none declared: an empty list). Reads are
// audited.
func (s *Service) AgreementTerms(ctx context.Context, actor *auth.Principal, agreementID string) ([]Declaration, error) {
	const op = "operations.AgreementTerms"
	if err := auth.Authorize(actor, auth.ActOpsTermsView); err != nil {
		return nil, err
	}
	agreementID = strings.TrimSpace(agreementID)
	name := ""
	if s.d.Dir != nil {
		a, err := s.d.Dir.Agreement(ctx, actor, agreementID)
		if err != nil {
			return nil, err
		}
		agreementID, name = a.ID, agreementName(a)
	}
	ds, err := agreementTerms(ctx, s.d.Store, agreementID)
	if err != nil {
		return nil, dbErr(op, err)
	}
	for i := range ds {
		ds[i].Agreement = name
	}
	return ds, s.d.Audit.Record(ctx, s.auditEntry(actor, "operations.terms.read", "terms/"+agreementID, ""))
}

package directory

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// Party is one party to an agreement, with its own dates where they differ
// from the agreement's (accession, entry into force for that party).
type Party struct {
	Country string `json:"country" maxLength:"10"`
	Joined  Day    `json:"joined,omitempty" doc:"signature or accession date for this party"`
	InForce Day    `json:"in_force,omitempty" doc:"entry into force for this party, if different"`
}

// Agreement is a bilateral or multilateral instrument.
type Agreement struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	ShortName    string   `json:"short_name,omitempty"`
	Types        []string `json:"types" doc:"police_cooperation, mla, extradition, readmission, jit, asset_sharing, data_protection"`
	Multilateral bool     `json:"multilateral"`
	Parties      []Party  `json:"parties"`
	Signed       Day      `json:"signed,omitempty"`
	Ratified     Day      `json:"ratified,omitempty"`
	InForce      Day      `json:"in_force,omitempty"`
	Ended        Day      `json:"ended,omitempty"`
	LegalBasis   string   `json:"legal_basis,omitempty"`
	Scope        string   `json:"scope,omitempty"`
	MechanismID  string   `json:"mechanism_id,omitempty"`
	Status       string   `json:"status"`
	StatusNote   string   `json:"status_note,omitempty"`
	Meta
}

// AgreementInput creates or changes an agreement.
type AgreementInput struct {
	Title        string   `json:"title" maxLength:"400"`
	ShortName    string   `json:"short_name,omitempty" maxLength:"80"`
	Types        []string `json:"types" maxItems:"10"`
	Multilateral bool     `json:"multilateral,omitempty"`
	Parties      []Party  `json:"parties" maxItems:"100"`
	Signed       string   `json:"signed,omitempty" maxLength:"10"`
	Ratified     string   `json:"ratified,omitempty" maxLength:"10"`
	InForce      string   `json:"in_force,omitempty" maxLength:"10"`
	Ended        string   `json:"ended,omitempty" maxLength:"10"`
	LegalBasis   string   `json:"legal_basis,omitempty" maxLength:"1000"`
	Scope        string   `json:"scope,omitempty" maxLength:"3000"`
	MechanismID  string   `json:"mechanism_id,omitempty" maxLength:"64"`
	Status       string   `json:"status,omitempty" maxLength:"20"`
	StatusNote   string   `json:"status_note,omitempty" maxLength:"1000"`
	Sources      []string `json:"sources,omitempty" maxItems:"20"`
	Version      int64    `json:"version,omitempty"`
}

// cleaned is an AgreementInput after validation, with typed dates.
type cleanedAgreement struct {
	AgreementInput
	parties                          []Party
	signed, ratified, inForce, ended Day
}

func (s *Service) cleanAgreement(ctx context.Context, q store.Querier, op string, in AgreementInput) (cleanedAgreement, error) {
	out := cleanedAgreement{}
	var err error
	if in.Title, err = text(op, "title", in.Title, 400, true); err != nil {
		return out, err
	}
	for _, f := range []struct {
		name string
		v    *string
		max  int
	}{{"short name", &in.ShortName, 80}, {"legal basis", &in.LegalBasis, 1000}, {"scope", &in.Scope, 3000}, {"status note", &in.StatusNote, 1000}} {
		if *f.v, err = text(op, f.name, *f.v, f.max, false); err != nil {
			return out, err
		}
	}
	types := cleanList(in.Types)
	if len(types) == 0 {
		return out, errs.Newf(errs.Invalid, op, "give at least one type of instrument: %s", slugs(AgreementTypes))
	}
	for i, t := range types {
		slug, ok := resolveCode(AgreementTypes, t)
		if !ok {
			return out, errs.Newf(errs.Invalid, op, "agreement type %q is not known; use one of %s", textutil.Ellipsis(t, 40), slugs(AgreementTypes))
		}
		types[i] = slug
	}
	in.Types = cleanList(types)
	if in.Status == "" {
		in.Status = "unknown"
	}
	if !validCode(Statuses, in.Status) {
		return out, errs.Newf(errs.Invalid, op, "status %q is not known; use one of %s", textutil.Ellipsis(in.Status, 30), slugs(Statuses))
	}
	if in.Sources, err = cleanSources(op, in.Sources); err != nil {
		return out, err
	}
	if out.signed, err = parseDay(op, "signed", in.Signed); err != nil {
		return out, err
	}
	if out.ratified, err = parseDay(op, "ratified", in.Ratified); err != nil {
		return out, err
	}
	if out.inForce, err = parseDay(op, "in force", in.InForce); err != nil {
		return out, err
	}
	if out.ended, err = parseDay(op, "ended", in.Ended); err != nil {
		return out, err
	}
	if out.inForce != "" && out.signed == "" {
		return out, errs.New(errs.Invalid, op, "an agreement in force must have a signature date")
	}
	if out.signed != "" && out.inForce != "" && out.inForce < out.signed {
		return out, errs.Newf(errs.Invalid, op, "the agreement cannot enter into force (%s) before it was signed (%s)", out.inForce, out.signed)
	}
	if out.signed != "" && out.ratified != "" && out.ratified < out.signed {
		return out, errs.Newf(errs.Invalid, op, "the agreement cannot be ratified (%s) before it was signed (%s)", out.ratified, out.signed)
	}
	if out.ended != "" && (out.ended < out.signed || (out.inForce != "" && out.ended < out.inForce)) {
		return out, errs.Newf(errs.Invalid, op, "the agreement cannot end (%s) before it was signed or entered into force", out.ended)
	}
	seen := map[string]bool{}
	for _, pt := range in.Parties {
		pt.Country = strings.ToUpper(strings.TrimSpace(pt.Country))
		if pt.Country == "" {
			continue
		}
		if seen[pt.Country] {
			return out, errs.Newf(errs.Invalid, op, "%s is listed twice as a party", pt.Country)
		}
		seen[pt.Country] = true
		if _, err := s.checkCountries(ctx, q, op, "parties", []string{pt.Country}); err != nil {
			return out, err
		}
		if pt.Joined, err = parseDay(op, pt.Country+" joined", string(pt.Joined)); err != nil {
			return out, err
		}
		if pt.InForce, err = parseDay(op, pt.Country+" in force", string(pt.InForce)); err != nil {
			return out, err
		}
		if pt.Joined != "" && pt.InForce != "" && pt.InForce < pt.Joined {
			return out, errs.Newf(errs.Invalid, op, "for %s the agreement cannot enter into force (%s) before %s joined it (%s)", pt.Country, pt.InForce, pt.Country, pt.Joined)
		}
		if pt.InForce != "" && out.inForce != "" && pt.InForce < out.inForce {
			return out, errs.Newf(errs.Invalid, op, "for %s the agreement cannot be in force (%s) before the agreement itself (%s)", pt.Country, pt.InForce, out.inForce)
		}
		out.parties = append(out.parties, pt)
	}
	switch {
	case len(out.parties) < 2:
		return out, errs.New(errs.Invalid, op, "an agreement needs at least two parties")
	case !in.Multilateral && len(out.parties) != 2:
		return out, errs.Newf(errs.Invalid, op, "a bilateral agreement has exactly two parties, not %d; mark it multilateral", len(out.parties))
	}
	in.MechanismID = strings.TrimSpace(in.MechanismID)
	if in.MechanismID != "" {
		m, err := s.mechanism(ctx, q, in.MechanismID)
		if errs.Is(err, errs.NotFound) {
			return out, errs.New(errs.Invalid, op, "the linked mechanism does not exist")
		} else if err != nil {
			return out, err
		}
		in.MechanismID = m.ID
	}
	out.AgreementInput = in
	return out, nil
}

func agreementSearch(in cleanedAgreement) string {
	parts := []string{in.Title, in.ShortName, in.LegalBasis, in.Scope}
	for _, t := range in.Types {
		parts = append(parts, Label(AgreementTypes, t))
	}
	for _, p := range in.parties {
		parts = append(parts, p.Country)
	}
	return searchText(parts...)
}

// checkParty: a national node registers agreements its country is party
// to; a regional node (which owns no country) registers its conventions.
func (s *Service) checkParty(ctx context.Context, q store.Querier, op string, parties []Party) error {
	own, err := s.nodeCountries(ctx, q)
	if err != nil {
		return err
	}
	if len(own) == 0 {
		return nil
	}
	for _, p := range parties {
		if own[p.Country] {
			return nil
		}
	}
	return &errs.E{Kind: errs.Forbidden, Op: op, Code: "not-owner", Msg: "this node may only register agreements its own country is party to"}
}

// CreateAgreement registers an agreement owned by this node.
func (s *Service) CreateAgreement(ctx context.Context, p *auth.Principal, in AgreementInput) (Agreement, error) {
	const op = "directory.CreateAgreement"
	if err := auth.Authorize(p, auth.ActDirEdit); err != nil {
		return Agreement{}, err
	}
	id := store.NewID()
	var c cleanedAgreement
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = s.cleanAgreement(ctx, tx, op, in); err != nil {
			return err
		}
		if err := s.checkParty(ctx, tx, op, c.parties); err != nil {
			return err
		}
		if err := s.insertAgreement(ctx, tx, id, s.node, c, "", actorName(p)); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "directory.agreement.create", "directory/agreement/"+id, c.Title)
	})
	if err != nil {
		return Agreement{}, err
	}
	return s.agreement(ctx, s.st, id)
}

// UpdateAgreement changes an agreement this node owns.
func (s *Service) UpdateAgreement(ctx context.Context, p *auth.Principal, id string, in AgreementInput) (Agreement, error) {
	const op = "directory.UpdateAgreement"
	cur, err := s.agreement(ctx, s.st, id)
	if err != nil {
		return Agreement{}, err
	}
	if err := s.mayEdit(ctx, p, op, auth.ActDirEdit, cur.OwnerNode, "directory/agreement/"+id); err != nil {
		return Agreement{}, err
	}
	var c cleanedAgreement
	err = s.st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if c, err = s.cleanAgreement(ctx, tx, op, in); err != nil {
			return err
		}
		res, err := updateAgreementRow(ctx, tx, id, c, in.Version, s.clock.Now(), actorName(p))
		if store.IsUniqueViolation(err) {
			return errs.Newf(errs.Conflict, op, "an agreement titled %q is already registered", c.Title)
		}
		if err != nil {
			return dbErr(op, err)
		}
		if err := versionConflict(op, res); err != nil {
			return err
		}
		return s.recordTx(ctx, tx, p, "directory.agreement.update", "directory/agreement/"+id, c.Title+" status="+c.Status)
	})
	if err != nil {
		return Agreement{}, err
	}
	return s.agreement(ctx, s.st, id)
}

// Agreement returns one agreement.
func (s *Service) Agreement(ctx context.Context, p *auth.Principal, id string) (Agreement, error) {
	a, err := s.agreement(ctx, s.st, id)
	if err != nil {
		return a, err
	}
	return a, s.record(ctx, p, "directory.agreement.view", "directory/agreement/"+id, "")
}

// Agreements lists agreements, optionally those a country is party to or
// of one type.
func (s *Service) Agreements(ctx context.Context, p *auth.Principal, country, typ string) ([]Agreement, error) {
	out, err := s.agreements(ctx)
	if err != nil {
		return nil, err
	}
	if country = strings.ToUpper(strings.TrimSpace(country)); country != "" {
		out = filter(out, func(a Agreement) bool { return a.hasParty(country) })
	}
	if typ != "" {
		t, ok := resolveCode(AgreementTypes, typ)
		if !ok {
			return nil, errs.Newf(errs.Invalid, "directory.Agreements", "agreement type %q is not known; use one of %s", textutil.Ellipsis(typ, 40), slugs(AgreementTypes))
		}
		out = filter(out, func(a Agreement) bool { return slices.Contains(a.Types, t) })
	}
	return out, s.record(ctx, p, "directory.agreement.list", "directory/agreements", "country="+country+" type="+typ)
}

func (a Agreement) hasParty(c string) bool {
	for _, p := range a.Parties {
		if p.Country == c {
			return true
		}
	}
	return false
}

func (a Agreement) party(c string) (Party, bool) {
	for _, p := range a.Parties {
		if p.Country == c {
			return p, true
		}
	}
	return Party{}, false
}

// Matrix states.
const (
	StateInForce = "in_force"
	StateSigned  = "signed"
)

// StateBetween says whether the agreement applies between two parties on
// day: "in_force", "signed" (not yet in force for both) or "" (does not
// apply, or has ended).
func (a Agreement) StateBetween(x, y string, day Day) string {
	px, okx := a.party(x)
	py, oky := a.party(y)
	if !okx || !oky || x == y {
		return ""
	}
	if a.Ended != "" && a.Ended <= day {
		return ""
	}
	inForce := func(p Party) bool {
		if p.InForce != "" {
			return p.InForce <= day
		}
		return a.InForce != "" && a.InForce <= day && (p.Joined == "" || p.Joined <= day)
	}
	if inForce(px) && inForce(py) {
		return StateInForce
	}
	return StateSigned
}

// MatrixCell lists the instruments between a row and a column country.
type MatrixCell struct {
	Row   string       `json:"row"`
	Col   string       `json:"col"`
	Items []MatrixItem `json:"items"`
}

// MatrixItem is one agreement in a cell.
type MatrixItem struct {
	AgreementID string   `json:"agreement_id"`
	Name        string   `json:"name"`
	Types       []string `json:"types"`
	State       string   `json:"state"`
	Status      string   `json:"status"`
}

// Matrix is the country × country view of which instruments apply.
type Matrix struct {
	Countries []Country    `json:"countries"`
	Cells     []MatrixCell `json:"cells" doc:"one per ordered pair of different countries, row-major"`
	Type      string       `json:"type,omitempty"`
	AsOf      Day          `json:"as_of"`
}

// Cell returns the cell for (row, col).
func (m Matrix) Cell(row, col string) MatrixCell {
	for _, c := range m.Cells {
		if c.Row == row && c.Col == col {
			return c
		}
	}
	return MatrixCell{Row: row, Col: col}
}

// Matrix builds the agreement matrix for the six participants and any extra
// country codes, optionally for one type of instrument.
func (s *Service) Matrix(ctx context.Context, p *auth.Principal, typ string, extra []string) (Matrix, error) {
	const op = "directory.Matrix"
	if typ != "" {
		t, ok := resolveCode(AgreementTypes, typ)
		if !ok {
			return Matrix{}, errs.Newf(errs.Invalid, op, "agreement type %q is not known; use one of %s", textutil.Ellipsis(typ, 40), slugs(AgreementTypes))
		}
		typ = t
	}
	all, err := s.countries(ctx)
	if err != nil {
		return Matrix{}, err
	}
	want := map[string]bool{}
	for _, e := range extra {
		want[strings.ToUpper(strings.TrimSpace(e))] = true
	}
	m := Matrix{Type: typ, AsOf: s.today(), Cells: []MatrixCell{}}
	for _, c := range all {
		if c.Kind == "participant" || want[c.Code] {
			m.Countries = append(m.Countries, c)
			delete(want, c.Code)
		}
	}
	if len(want) > 0 {
		var unknown []string
		for k := range want {
			unknown = append(unknown, k)
		}
		sort.Strings(unknown)
		return Matrix{}, errs.Newf(errs.Invalid, op, "unknown country code(s): %s", strings.Join(unknown, ", "))
	}
	ags, err := s.agreements(ctx)
	if err != nil {
		return Matrix{}, err
	}
	for _, r := range m.Countries {
		for _, c := range m.Countries {
			if r.Code == c.Code {
				continue
			}
			cell := MatrixCell{Row: r.Code, Col: c.Code, Items: []MatrixItem{}}
			for _, a := range ags {
				if typ != "" && !slices.Contains(a.Types, typ) {
					continue
				}
				if st := a.StateBetween(r.Code, c.Code, m.AsOf); st != "" {
					name := a.ShortName
					if name == "" {
						name = a.Title
					}
					cell.Items = append(cell.Items, MatrixItem{AgreementID: a.ID, Name: name, Types: a.Types, State: st, Status: a.Status})
				}
			}
			m.Cells = append(m.Cells, cell)
		}
	}
	return m, s.record(ctx, p, "directory.matrix", "directory/matrix", fmt.Sprintf("type=%s countries=%d", typ, len(m.Countries)))
}

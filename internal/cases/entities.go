package cases

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
	"github.com/liaison-wb/liaison/internal/validate"
)

// Case statuses.
var Statuses = []string{"open", "suspended", "closed"}

// CrimeAreas are the crime areas cases are filed under (EMPACT-like).
var CrimeAreas = []string{"drugs", "firearms", "migrant_smuggling", "trafficking_human_beings", "organised_property_crime",
	"money_laundering", "corruption", "cybercrime", "terrorism", "excise_fraud", "environmental_crime", "other"}

// RelationTypes are the typed links between entities.
var RelationTypes = []string{"member_of", "owns", "uses", "called", "paid", "travelled_with", "related_to"}

// Roles of an entity in a case.
var Roles = []string{"suspect", "victim", "witness", "associate", "object", ""}

// kindFields lists the fields each kind may carry; person fields are the
// matching engine's column kinds.
var kindFields = map[entity.Kind][]string{
	entity.KindPerson: {match.ColGiven, match.ColFamily, match.ColFull, match.ColFather, match.ColDOB, match.ColSex, match.ColPersonalID,
		match.ColNationality, match.ColPhone, match.ColAddress1, match.ColStreetNumber, match.ColCity, match.ColPostcode, match.ColCountry},
	entity.KindOrganisation: {"name", "reg_no", "country"},
	entity.KindVehicle:      {"plate", "vin", "make", "model", "colour", "country"},
	entity.KindPhone:        {"number", "imei"},
	entity.KindAccount:      {"iban", "number", "bank", "holder"},
	entity.KindDocument:     {"doc_type", "number", "country", "issued", "expires"},
	entity.KindWeapon:       {"type", "make", "model", "serial", "calibre"},
	entity.KindAddress:      {match.ColAddress1, match.ColStreetNumber, match.ColCity, match.ColPostcode, match.ColCountry},
}

// KindFields returns the allowed field names of a kind.
func KindFields(k entity.Kind) []string { return kindFields[k] }

// Case is one investigation file.
type Case struct {
	ID            string    `json:"id"`
	Reference     string    `json:"reference" doc:"the node's own case reference"`
	Title         string    `json:"title"`
	CrimeArea     string    `json:"crime_area"`
	Status        string    `json:"status" enum:"open,suspended,closed"`
	OpenedOn      string    `json:"opened_on,omitempty" doc:"YYYY-MM-DD"`
	ClosedOn      string    `json:"closed_on,omitempty" doc:"YYYY-MM-DD"`
	Places        []string  `json:"places"`
	ModusOperandi string    `json:"modus_operandi,omitempty"`
	Route         []string  `json:"route" doc:"countries crossed, in order (ISO 3166-1 alpha-2)"`
	Links         []string  `json:"links" doc:"references of exchange threads and JITs"`
	CreatedBy     string    `json:"created_by,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

// CaseInput creates a case.
type CaseInput struct {
	Reference     string   `json:"reference" minLength:"1" maxLength:"100"`
	Title         string   `json:"title" minLength:"1" maxLength:"300"`
	CrimeArea     string   `json:"crime_area" maxLength:"64"`
	Status        string   `json:"status,omitempty" maxLength:"20"`
	OpenedOn      string   `json:"opened_on,omitempty" maxLength:"10"`
	ClosedOn      string   `json:"closed_on,omitempty" maxLength:"10"`
	Places        []string `json:"places,omitempty" maxItems:"50"`
	ModusOperandi string   `json:"modus_operandi,omitempty" maxLength:"5000"`
	Route         []string `json:"route,omitempty" maxItems:"50"`
	Links         []string `json:"links,omitempty" maxItems:"50"`
}

func normDay(op, field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	d, err := entity.ParseDate(v)
	if err != nil || !d.Full() {
		return "", errs.Newf(errs.Invalid, op, "%s %q is not a date (use YYYY-MM-DD)", field, v)
	}
	return d.String(), nil
}

func (in *CaseInput) normalise() error {
	const op = "cases.CreateCase"
	in.Reference, in.Title = textutil.Clip(strings.TrimSpace(in.Reference), 100), textutil.Clip(strings.TrimSpace(in.Title), 300)
	if in.Reference == "" {
		return errs.New(errs.Invalid, op, "reference is required")
	}
	if in.Title == "" {
		return errs.New(errs.Invalid, op, "title is required")
	}
	in.CrimeArea = strings.ToLower(strings.TrimSpace(in.CrimeArea))
	if in.CrimeArea == "" {
		in.CrimeArea = "other"
	}
	if !slices.Contains(CrimeAreas, in.CrimeArea) {
		return errs.Newf(errs.Invalid, op, "crime_area %q is unknown; use one of %s", in.CrimeArea, strings.Join(CrimeAreas, ", "))
	}
	in.Status = strings.ToLower(strings.TrimSpace(in.Status))
	if in.Status == "" {
		in.Status = "open"
	}
	if !slices.Contains(Statuses, in.Status) {
		return errs.Newf(errs.Invalid, op, "status %q is unknown; use open, suspended or closed", in.Status)
	}
	var err error
	if in.OpenedOn, err = normDay(op, "opened_on", in.OpenedOn); err != nil {
		return err
	}
	if in.ClosedOn, err = normDay(op, "closed_on", in.ClosedOn); err != nil {
		return err
	}
	for i, c := range in.Route {
		cc := strings.ToUpper(entity.ParseCountry(c))
		if len(cc) != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' {
			return errs.Newf(errs.Invalid, op, "route[%d] %q is not a known country", i, c)
		}
		in.Route[i] = cc
	}
	in.Places = cleanList(in.Places, 200)
	in.Links = cleanList(in.Links, 200)
	in.ModusOperandi = textutil.Clip(strings.TrimSpace(in.ModusOperandi), 5000)
	return nil
}

func cleanList(in []string, n int) []string {
	return textutil.CleanList(in, func(v string) string { return textutil.Clip(v, n) })
}

// CreateCase files a new case. A case reference already present returns
// the existing case unchanged (idempotent imports).
func (s *Service) CreateCase(ctx context.Context, p *auth.Principal, in CaseInput) (Case, error) {
	if err := in.normalise(); err != nil {
		return Case{}, err
	}
	var c Case
	created := false
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		c, created, err = s.createCase(ctx, tx, p, in)
		if err != nil || !created {
			return err
		}
		return s.queue(ctx, tx, entry(p, "cases.case.create", "case/"+c.ID, "", c.Reference))
	})
	if err != nil {
		return Case{}, unavailable("cases.CreateCase", err)
	}
	return c, nil
}

func (s *Service) createCase(ctx context.Context, tx *store.Tx, p *auth.Principal, in CaseInput) (Case, bool, error) {
	if c, err := caseByReference(ctx, tx, in.Reference); err == nil {
		return c, false, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return Case{}, false, err
	}
	now := s.now()
	by := ""
	if p != nil {
		by = p.Username
	}
	c := Case{ID: store.NewID(), Reference: in.Reference, Title: in.Title, CrimeArea: in.CrimeArea, Status: in.Status, OpenedOn: in.OpenedOn,
		ClosedOn: in.ClosedOn, Places: nz(in.Places), ModusOperandi: in.ModusOperandi, Route: nz(in.Route), Links: nz(in.Links), CreatedBy: by,
		CreatedAt: now, UpdatedAt: now}
	return c, true, insertCase(ctx, tx, c)
}

func nz(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Cases lists cases, newest first. Reading is audited.
func (s *Service) Cases(ctx context.Context, p *auth.Principal, crimeArea string) ([]Case, error) {
	out, err := listCases(ctx, s.d.Store, crimeArea)
	if err != nil {
		return nil, unavailable("cases.Cases", err)
	}
	return out, s.record(ctx, entry(p, "cases.case.list", "cases", "", crimeArea))
}

// HasCase reports whether a case with the reference is filed here, for
// modules that link to national cases (not a read of the case: unaudited).
func (s *Service) HasCase(ctx context.Context, reference string) (bool, error) {
	n, err := countCases(ctx, s.d.Store, reference, false)
	if err != nil {
		return false, unavailable("cases.HasCase", err)
	}
	return n > 0, nil
}

// CaseDetail is a case with its entities.
type CaseDetail struct {
	Case     Case         `json:"case"`
	Entities []CaseMember `json:"entities"`
	Graph    []Relation   `json:"relations"`
	Routes   []Route      `json:"routes" doc:"journeys recorded on the case, the most recent first"`
}

// CaseMember is an entity in a case with its role.
type CaseMember struct {
	Entity EntitySlim `json:"entity"`
	Role   string     `json:"role"`
}

// EntitySlim is an entity without its fields, for lists.
type EntitySlim struct {
	ID    string `json:"id"`
	Kind  string `json:"kind"`
	Label string `json:"label"`
}

// GetCase returns one case by ID or reference with its entities and the
// relations between them. Reading is audited.
func (s *Service) GetCase(ctx context.Context, p *auth.Principal, idOrRef string) (CaseDetail, error) {
	c, err := caseByIDOrRef(ctx, s.d.Store, idOrRef)
	if err != nil {
		return CaseDetail{}, store.NotFound(err, "cases.GetCase", "no such case")
	}
	d := CaseDetail{Case: c, Graph: []Relation{}}
	if d.Entities, err = caseMembers(ctx, s.d.Store, c.ID); err != nil {
		return CaseDetail{}, unavailable("cases.GetCase", err)
	}
	ids := make([]string, 0, len(d.Entities))
	for _, m := range d.Entities {
		ids = append(ids, m.Entity.ID)
	}
	if d.Graph, err = s.relationsAmong(ctx, ids); err != nil {
		return CaseDetail{}, err
	}
	if d.Routes, err = routesOfCase(ctx, s.d.Store, c.ID); err != nil {
		return CaseDetail{}, unavailable("cases.GetCase", err)
	}
	return d, s.record(ctx, entry(p, "cases.case.read", "case/"+c.ID, "", c.Reference))
}

// Entity is a stored entity of any kind.
type Entity struct {
	ID         string            `json:"id"`
	Kind       string            `json:"kind"`
	Label      string            `json:"label"`
	Fields     map[string]string `json:"fields"`
	Aliases    []string          `json:"aliases"`
	Source     string            `json:"source,omitempty" doc:"provenance: import file, user or merge"`
	MergedInto string            `json:"merged_into,omitempty"`
	CreatedBy  string            `json:"created_by,omitempty"`
	CreatedAt  time.Time         `json:"created_at"`
	pk         int64
}

// EntityInput creates an entity, optionally linked to a case.
type EntityInput struct {
	Kind    string            `json:"kind" doc:"person, organisation, vehicle, phone, account, document, weapon or address"`
	Fields  map[string]string `json:"fields" doc:"kind-specific fields; persons use the matching column names (given_name, family_name, date_of_birth, personal_id, ...)"`
	Aliases []string          `json:"aliases,omitempty" maxItems:"20" doc:"other names the person or organisation is known by"`
	Case    string            `json:"case,omitempty" maxLength:"100" doc:"case reference to link the entity to"`
	Role    string            `json:"role,omitempty" maxLength:"20" doc:"suspect, victim, witness, associate or object"`
	Source  string            `json:"-"`
}

// FieldError is a validation problem in one field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// normaliseEntity validates and normalises an entity. Errors name the field.
func (s *Service) normaliseEntity(in *EntityInput) (entity.Kind, error) {
	return s.normalise(in, validate.FieldValue)
}

// normalise is normaliseEntity with the check applied to every value
// (validate.ProbeValue for what is searched for).
func (s *Service) normalise(in *EntityInput, check func(key, v string) string) (entity.Kind, error) {
	kind, ok := entity.ParseKind(in.Kind)
	if !ok {
		return "", &FieldError{"kind", fmt.Sprintf("%q is not an entity kind (person, organisation, vehicle, phone, account, document, weapon, address)", in.Kind)}
	}
	allowed := kindFields[kind]
	out := map[string]string{}
	for k, v := range in.Fields {
		k = strings.ToLower(strings.TrimSpace(k))
		if m := check(k, v); m != "" {
			return "", &FieldError{k, m}
		}
		v = textutil.Clip(strings.TrimSpace(v), 300)
		if v == "" {
			continue
		}
		if !slices.Contains(allowed, k) {
			return "", &FieldError{k, fmt.Sprintf("is not a field of a %s (use %s)", kind, strings.Join(allowed, ", "))}
		}
		out[k] = v
	}
	fe := func(f, msg string) error { return &FieldError{f, msg} }
	switch kind {
	case entity.KindPerson:
		if out[match.ColGiven] == "" && out[match.ColFamily] == "" && out[match.ColFull] == "" {
			return "", fe(match.ColFamily, "a person needs a name (given_name and family_name, or full_name)")
		}
		if v := out[match.ColDOB]; v != "" {
			d, err := entity.ParseDate(v)
			if err != nil && d.Year == 0 {
				return "", fe(match.ColDOB, fmt.Sprintf("%q is not a date (YYYY-MM-DD, DD.MM.YYYY or YYYYMMDD)", v))
			}
		}
		if v := out[match.ColSex]; v != "" && entity.ParseSex(v) == entity.SexUnknown {
			return "", fe(match.ColSex, fmt.Sprintf("%q is not a sex (m/f)", v))
		}
	case entity.KindOrganisation:
		if out["name"] == "" && out["reg_no"] == "" {
			return "", fe("name", "an organisation needs a name or a registration number")
		}
	case entity.KindVehicle:
		if out["plate"] == "" && out["vin"] == "" {
			return "", fe("plate", "a vehicle needs a plate or a VIN")
		}
		if v := out["plate"]; v != "" {
			n, err := entity.NormalizePlate(v)
			if err != nil || n == "" {
				return "", fe("plate", fmt.Sprintf("%q is not a registration plate", v))
			}
			out["plate"] = n
		}
		if v := out["vin"]; v != "" {
			n, err := entity.NormalizeVIN(v)
			if err != nil && !errors.Is(err, entity.ErrChecksum) {
				return "", fe("vin", fmt.Sprintf("%q is not a VIN (17 characters, no I, O or Q)", v))
			}
			out["vin"] = n
		}
	case entity.KindPhone:
		v := out["number"]
		if v == "" {
			return "", fe("number", "a phone needs a number")
		}
		n, err := entity.NormalizePhone(v, s.d.Region)
		if err != nil {
			return "", fe("number", fmt.Sprintf("%q is not a phone number (use +CC… or a national number)", v))
		}
		out["number"] = n
	case entity.KindAccount:
		if out["iban"] == "" && out["number"] == "" {
			return "", fe("iban", "an account needs an IBAN or an account number")
		}
		if v := out["iban"]; v != "" {
			n, err := entity.NormalizeIBAN(v)
			if err != nil {
				return "", fe("iban", fmt.Sprintf("%q is not a valid IBAN (%v)", v, err))
			}
			out["iban"] = n
		}
	case entity.KindDocument:
		if out["number"] == "" {
			return "", fe("number", "a document needs a number")
		}
		out["number"] = alnumUpper(out["number"])
	case entity.KindWeapon:
		if out["serial"] == "" {
			return "", fe("serial", "a weapon needs a serial number")
		}
		out["serial"] = alnumUpper(out["serial"])
	case entity.KindAddress:
		if out[match.ColAddress1] == "" && out[match.ColCity] == "" {
			return "", fe(match.ColAddress1, "an address needs a street or a city")
		}
	}
	in.Fields = out
	in.Aliases = cleanList(in.Aliases, 300)
	in.Role = strings.ToLower(strings.TrimSpace(in.Role))
	if !slices.Contains(Roles, in.Role) {
		return "", fe("role", fmt.Sprintf("%q is not a role (suspect, victim, witness, associate, object)", in.Role))
	}
	return kind, nil
}

func alnumUpper(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		if r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func label(kind entity.Kind, f map[string]string) string {
	join := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, " ")
	}
	switch kind {
	case entity.KindPerson:
		n := join(f[match.ColGiven], f[match.ColFamily])
		if n == "" {
			n = f[match.ColFull]
		}
		if d := f[match.ColDOB]; d != "" {
			n += " (" + d + ")"
		}
		return n
	case entity.KindOrganisation:
		return join(f["name"], f["reg_no"])
	case entity.KindVehicle:
		return join(f["plate"], f["vin"], f["make"], f["model"])
	case entity.KindPhone:
		return f["number"]
	case entity.KindAccount:
		return join(f["iban"], f["number"], f["bank"])
	case entity.KindDocument:
		return join(f["doc_type"], f["number"], f["country"])
	case entity.KindWeapon:
		return join(f["type"], f["make"], f["model"], f["serial"])
	case entity.KindAddress:
		return join(f[match.ColAddress1], f[match.ColStreetNumber], f[match.ColCity], f[match.ColCountry])
	}
	return ""
}

func fingerprint(kind entity.Kind, f map[string]string, aliases []string) string {
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	// One buffer hashed once (an import computes this for every row).
	b := make([]byte, 0, 256)
	b = append(b, kind...)
	for _, k := range keys {
		b = append(append(append(append(b, 0), k...), '='), entity.Fold(f[k])...)
	}
	for _, a := range aliases {
		b = append(append(b, 1), entity.Fold(a)...)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CreateEntity stores an entity (or finds the identical one already
// stored) and links it to a case when one is named. It reports whether a
// new entity was created.
func (s *Service) CreateEntity(ctx context.Context, p *auth.Principal, in EntityInput) (Entity, bool, error) {
	const op = "cases.CreateEntity"
	kind, err := s.normaliseEntity(&in)
	if err != nil {
		return Entity{}, false, errs.Newf(errs.Invalid, op, "%v", err)
	}
	var e Entity
	var created bool
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		e, created, err = s.storeEntity(ctx, tx, p, kind, in)
		if err != nil || !created {
			return err
		}
		return s.queue(ctx, tx, entry(p, "cases.entity.create", "entity/"+e.ID, "", e.Kind))
	})
	var fe *FieldError
	if errors.As(err, &fe) {
		return Entity{}, false, errs.Newf(errs.Invalid, op, "%v", fe)
	}
	if err != nil {
		return Entity{}, false, unavailable(op, err)
	}
	return e, created, nil
}

// storeEntity inserts a normalised entity with its index keys inside tx
// and adds it to the in-memory candidate index.
func (s *Service) storeEntity(ctx context.Context, tx *store.Tx, p *auth.Principal, kind entity.Kind, in EntityInput) (Entity, bool, error) {
	return s.storePrepared(ctx, tx, p, s.prepareEntity(kind, in), in)
}

// preparedEntity is what storing an entity computes before it touches the
// database: an import prepares its rows on every core while one
// transaction writes them.
type preparedEntity struct {
	kind        entity.Kind
	fingerprint string
	label       string
	item        memItem
	stored      storedIndex
	// Set by an import's preparation only: the new entity's ID and its
	// fields and aliases as JSON text.
	id              string
	fields, aliases string
}

func (s *Service) prepareEntity(kind entity.Kind, in EntityInput) preparedEntity {
	it := s.indexItem(0, kind, in.Fields, in.Aliases)
	return preparedEntity{kind: kind, fingerprint: fingerprint(kind, in.Fields, in.Aliases), label: label(kind, in.Fields), item: it, stored: s.storedIndex(it)}
}

// storePrepared is storeEntity after prepareEntity.
func (s *Service) storePrepared(ctx context.Context, tx *store.Tx, p *auth.Principal, pe preparedEntity, in EntityInput) (Entity, bool, error) {
	kind, fp := pe.kind, pe.fingerprint
	var caseID string
	if in.Case != "" {
		var err error
		if caseID, _, err = caseKey(ctx, tx, in.Case); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return Entity{}, false, &FieldError{"case", fmt.Sprintf("no case with reference %q", in.Case)}
			}
			return Entity{}, false, err
		}
	}
	by := ""
	if p != nil {
		by = p.Username
	}
	e := Entity{ID: store.NewID(), Kind: string(kind), Label: pe.label, Fields: in.Fields, Aliases: nz(in.Aliases), Source: in.Source, CreatedBy: by, CreatedAt: s.now()}
	if e.Source == "" {
		e.Source = "user:" + by
	}
	it := pe.item
	created, err := insertEntity(ctx, tx, &e, fp, pe.stored)
	if err != nil {
		return Entity{}, false, err
	}
	if !created {
		if e, err = entityByFingerprint(ctx, tx, fp); err != nil {
			return Entity{}, false, err
		}
	} else {
		it.ID = e.pk
		// Indexed now rather than after commit, so every caller's write is
		// searchable: a rolled-back row is never reported (candidates are
		// read back from the database) and its pk, if reused, is replaced.
		s.indexAdd([]memItem{it}, true)
	}
	if caseID != "" {
		if err := linkEntity(ctx, tx, caseID, e.ID, in.Role); err != nil {
			return Entity{}, false, err
		}
	}
	return e, created, nil
}

// EntityDetail is an entity with its cases and relations.
type EntityDetail struct {
	Entity    Entity       `json:"entity"`
	Cases     []CaseRole   `json:"cases"`
	Relations []Relation   `json:"relations"`
	Neighbors []EntitySlim `json:"neighbours" doc:"entities at the other end of the relations"`
	Merged    []EntitySlim `json:"merged" doc:"duplicates merged into this entity"`
}

// CaseRole is a case an entity appears in.
type CaseRole struct {
	CaseID    string `json:"case_id"`
	Reference string `json:"reference"`
	Title     string `json:"title"`
	Role      string `json:"role"`
}

// GetEntity returns one entity with its cases and relations; audited.
func (s *Service) GetEntity(ctx context.Context, p *auth.Principal, id string) (EntityDetail, error) {
	e, err := entityByID(ctx, s.d.Store, id)
	if err != nil {
		return EntityDetail{}, store.NotFound(err, "cases.GetEntity", "no such entity")
	}
	d := EntityDetail{Entity: e, Neighbors: []EntitySlim{}}
	if d.Cases, err = entityCases(ctx, s.d.Store, id); err != nil {
		return d, unavailable("cases.GetEntity", err)
	}
	if d.Relations, err = s.relationsOf(ctx, id); err != nil {
		return d, err
	}
	seen := map[string]bool{id: true}
	var nids []string
	for _, r := range d.Relations {
		for _, x := range []string{r.From, r.To} {
			if !seen[x] {
				seen[x] = true
				nids = append(nids, x)
			}
		}
	}
	if d.Neighbors, err = slimsByID(ctx, s.d.Store, nids); err != nil {
		return d, unavailable("cases.GetEntity", err)
	}
	sort.Slice(d.Neighbors, func(i, j int) bool { return d.Neighbors[i].Label < d.Neighbors[j].Label })
	if d.Merged, err = mergedSlims(ctx, s.d.Store, id); err != nil {
		return d, unavailable("cases.GetEntity", err)
	}
	return d, s.record(ctx, entry(p, "cases.entity.read", "entity/"+id, "", e.Kind))
}

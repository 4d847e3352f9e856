package cases

import (
	"context"
	"database/sql"
	"encoding/json"
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
)

// ProvenanceInput is an entity provided by another agency or country (for
// example in a received exchange message) to be filed into a local case
// together with where it came from.
type ProvenanceInput struct {
	Case         string            // target case: reference or ID
	Role         string            // suspect, victim, witness, associate, object or ""
	Kind         string            // person, organisation, vehicle, ...
	Label        string            // how the provider labelled it
	Fields       map[string]string // as the provider wrote them
	SourceNode   string            // providing node
	SourceAgency string
	ThreadID     string
	MessageID    string
	EntityIndex  int       // position of the entity in the message
	SentAt       time.Time // when the provider sent it
	Markings     any       // the provider's protective markings (stored as JSON)
	MarkingLabel string    // the markings in one line
}

// Provenance is the record of an entity filed from another source.
type Provenance struct {
	ID             string            `json:"id"`
	CaseID         string            `json:"case_id"`
	CaseReference  string            `json:"case_reference"`
	EntityID       string            `json:"entity_id"`
	SourceNode     string            `json:"source_node"`
	SourceAgency   string            `json:"source_agency,omitempty"`
	ThreadID       string            `json:"thread_id,omitempty"`
	MessageID      string            `json:"message_id"`
	EntityIndex    int               `json:"entity_index"`
	SentAt         time.Time         `json:"sent_at,omitzero"`
	Markings       json.RawMessage   `json:"markings"`
	MarkingLabel   string            `json:"marking_label"`
	Original       ProvidedEntity    `json:"original" doc:"the entity exactly as the provider sent it"`
	Unmapped       map[string]string `json:"unmapped,omitempty" doc:"provider's fields that have no place in a case entity; kept here"`
	ImportedBy     string            `json:"imported_by"`
	ImportedAgency string            `json:"imported_agency,omitempty"`
	ImportedAt     time.Time         `json:"imported_at"`
	// Created is true when the import stored a new entity (false: an
	// identical entity already existed and was linked to the case).
	Created bool `json:"created"`
	// AlreadyImported is true when this entity of this message was filed
	// into this case before; nothing was changed.
	AlreadyImported bool `json:"already_imported"`
}

// ProvidedEntity is an entity as its provider wrote it.
type ProvidedEntity struct {
	Kind   string            `json:"kind"`
	Label  string            `json:"label"`
	Fields map[string]string `json:"fields,omitempty"`
}

// fieldSynonyms maps names providers commonly use to the case fields.
var fieldSynonyms = map[string]string{
	"first_name": match.ColGiven, "given": match.ColGiven, "forename": match.ColGiven,
	"surname": match.ColFamily, "last_name": match.ColFamily, "family": match.ColFamily,
	"name_full": match.ColFull, "fullname": match.ColFull,
	"dob": match.ColDOB, "birth_date": match.ColDOB, "born": match.ColDOB, "birthdate": match.ColDOB,
	"jmbg": match.ColPersonalID, "id_number": match.ColPersonalID, "personal_number": match.ColPersonalID, "national_id": match.ColPersonalID,
	"father": match.ColFather, "citizenship": match.ColNationality,
	"street": match.ColAddress1, "address": match.ColAddress1, "address1": match.ColAddress1,
	"place": match.ColCity, "town": match.ColCity, "zip": match.ColPostcode, "postal_code": match.ColPostcode,
	"registration": "plate", "plate_number": "plate", "registration_plate": "plate",
	"phone_number": "number", "msisdn": "number",
	"account_number": "number", "serial_number": "serial", "document_number": "number", "type_of_document": "doc_type",
	"registration_number": "reg_no", "company_number": "reg_no",
}

// mapProvidedFields turns a provider's fields into the kind's case fields;
// what has no place is returned separately and kept in the provenance.
func mapProvidedFields(kind entity.Kind, label string, in map[string]string) (map[string]string, map[string]string) {
	allowed := kindFields[kind]
	out, rest := map[string]string{}, map[string]string{}
	keys := make([]string, 0, len(in))
	for k := range in {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := strings.TrimSpace(in[k])
		key := strings.ToLower(strings.TrimSpace(k))
		if v == "" {
			continue
		}
		switch {
		case slices.Contains(allowed, key):
		case slices.Contains(allowed, fieldSynonyms[key]):
			key = fieldSynonyms[key]
		case kind == entity.KindPhone && key == "phone":
			key = "number"
		default:
			rest[k] = v
			continue
		}
		if out[key] == "" {
			out[key] = v
		} else {
			rest[k] = v
		}
	}
	// The label stands in for the identifying field the provider left out.
	label = strings.TrimSpace(label)
	first := map[entity.Kind]string{entity.KindPerson: match.ColFull, entity.KindOrganisation: "name", entity.KindPhone: "number", entity.KindAddress: match.ColAddress1}
	if f, ok := first[kind]; ok && label != "" {
		switch kind {
		case entity.KindPerson:
			if out[match.ColGiven] == "" && out[match.ColFamily] == "" && out[match.ColFull] == "" {
				out[f] = label
			}
		case entity.KindAddress:
			if out[match.ColAddress1] == "" && out[match.ColCity] == "" {
				out[f] = label
			}
		default:
			if out[f] == "" {
				out[f] = label
			}
		}
	}
	return out, rest
}

// ImportWithProvenance files a provided entity into a local case: the
// entity is stored (or the identical stored one reused), linked to the
// case, and the provenance — providing node and agency, thread, message,
// markings, who imported it and when — is recorded. Importing the same
// entity of the same message into the same case again changes nothing
// and reports AlreadyImported. Needs the right to edit cases; audited.
func (s *Service) ImportWithProvenance(ctx context.Context, p *auth.Principal, in ProvenanceInput) (Provenance, error) {
	job, err := s.prepareProvenance(p, in)
	if err != nil {
		return Provenance{}, err
	}
	var pr Provenance
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		pr, err = s.fileProvenance(ctx, tx, p, job)
		return err
	})
	if err != nil {
		return Provenance{}, unavailable("cases.ImportWithProvenance", err)
	}
	return pr, nil
}

// ImportWithProvenanceIn is ImportWithProvenance inside the caller's
// transaction, so that another module's record of the import (and its
// audit entry) commits with the filing or not at all.
func (s *Service) ImportWithProvenanceIn(ctx context.Context, tx *store.Tx, p *auth.Principal, in ProvenanceInput) (Provenance, error) {
	job, err := s.prepareProvenance(p, in)
	if err != nil {
		return Provenance{}, err
	}
	return s.fileProvenance(ctx, tx, p, job)
}

// provenanceJob is a validated filing.
type provenanceJob struct {
	in       ProvenanceInput
	kind     entity.Kind
	ei       EntityInput
	markings string
	pr       Provenance
}

func (s *Service) prepareProvenance(p *auth.Principal, in ProvenanceInput) (provenanceJob, error) {
	const op = "cases.ImportWithProvenance"
	if err := auth.Authorize(p, auth.ActCasesEdit); err != nil {
		return provenanceJob{}, err
	}
	in.Case = strings.TrimSpace(in.Case)
	if in.Case == "" || len(in.Case) > 100 {
		return provenanceJob{}, errs.New(errs.Invalid, op, "choose the local case to import into (its reference)")
	}
	if in.SourceNode == "" || in.MessageID == "" || in.EntityIndex < 0 {
		return provenanceJob{}, errs.New(errs.Invalid, op, "the provenance (providing node and message) is required")
	}
	kind, ok := entity.ParseKind(strings.TrimSpace(in.Kind))
	if !ok {
		return provenanceJob{}, errs.Newf(errs.Invalid, op, "%q is not an entity kind", in.Kind)
	}
	fields, unmapped := mapProvidedFields(kind, in.Label, in.Fields)
	ei := EntityInput{Kind: string(kind), Fields: fields, Case: in.Case, Role: in.Role,
		Source: textutil.Clip(strings.TrimSpace("exchange:"+in.SourceNode+"/"+in.SourceAgency+" thread "+in.ThreadID+" message "+in.MessageID+fmt.Sprintf(" #%d", in.EntityIndex)), 300)}
	if _, err := s.normaliseEntity(&ei); err != nil {
		return provenanceJob{}, errs.Newf(errs.Invalid, op, "the entity cannot be filed into a case: %v", err)
	}
	mk, _ := json.Marshal(in.Markings)
	if in.Markings == nil {
		mk = []byte("{}")
	}
	pr := Provenance{ID: store.NewID(), SourceNode: in.SourceNode, SourceAgency: in.SourceAgency, ThreadID: in.ThreadID, MessageID: in.MessageID,
		EntityIndex: in.EntityIndex, SentAt: in.SentAt, Markings: mk, MarkingLabel: in.MarkingLabel,
		Original: ProvidedEntity{Kind: string(kind), Label: in.Label, Fields: in.Fields},
		Unmapped: unmapped, ImportedBy: p.Username, ImportedAgency: p.Agency, ImportedAt: s.now()}
	return provenanceJob{in: in, kind: kind, ei: ei, markings: string(mk), pr: pr}, nil
}

// fileProvenance files a prepared entity inside tx.
func (s *Service) fileProvenance(ctx context.Context, tx *store.Tx, p *auth.Principal, job provenanceJob) (Provenance, error) {
	const op = "cases.ImportWithProvenance"
	in, kind, ei, mk, pr := job.in, job.kind, job.ei, job.markings, job.pr
	var err error
	if pr.CaseID, pr.CaseReference, err = caseKey(ctx, tx, in.Case); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Provenance{}, errs.Newf(errs.NotFound, op, "no local case with reference %q", in.Case)
		}
		return Provenance{}, err
	}
	prev, err := provenanceOfImport(ctx, tx, pr.CaseID, in.SourceNode, in.MessageID, in.EntityIndex)
	if err == nil {
		prev.AlreadyImported = true
		return prev, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return Provenance{}, err
	}
	ei.Case = pr.CaseID
	e, created, err := s.storeEntity(ctx, tx, p, kind, ei)
	var fe *FieldError
	if errors.As(err, &fe) {
		return Provenance{}, errs.Newf(errs.Invalid, op, "%v", fe)
	}
	if err != nil {
		return Provenance{}, err
	}
	pr.EntityID, pr.Created = e.ID, created
	stored := pr
	stored.SourceNode, stored.SourceAgency, stored.ThreadID = textutil.Clip(strings.TrimSpace(pr.SourceNode), 64), textutil.Clip(strings.TrimSpace(pr.SourceAgency), 200), textutil.Clip(strings.TrimSpace(pr.ThreadID), 64)
	stored.MessageID, stored.MarkingLabel = textutil.Clip(strings.TrimSpace(pr.MessageID), 64), textutil.Clip(strings.TrimSpace(pr.MarkingLabel), 2000)
	err = insertProvenance(ctx, tx, stored, string(mk))
	if store.IsUniqueViolation(err) {
		return Provenance{}, errs.New(errs.Conflict, op, "this entity is being imported into the case at the same time; try again")
	}
	if err != nil {
		return Provenance{}, err
	}
	detail := fmt.Sprintf("%s from %s/%s thread %s message %s #%d into case %s; %s", kind, pr.SourceNode, pr.SourceAgency, pr.ThreadID, pr.MessageID, pr.EntityIndex, pr.CaseReference, pr.MarkingLabel)
	if !pr.Created {
		detail += "; identical entity already stored, linked"
	}
	return pr, s.queue(ctx, tx, entry(p, "cases.entity.import", "entity/"+pr.EntityID, "", detail))
}

func fmtOptTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return store.FormatTime(t)
}

// ProvenanceOf lists where the entities of a case came from (caseRef) or
// where one entity came from (entityID); either may be empty. Needs the
// right to view cases; audited.
func (s *Service) ProvenanceOf(ctx context.Context, p *auth.Principal, caseRef, entityID string) ([]Provenance, error) {
	const op = "cases.ProvenanceOf"
	if err := auth.Authorize(p, auth.ActCasesView); err != nil {
		return nil, err
	}
	if caseRef == "" && entityID == "" {
		return nil, errs.New(errs.Invalid, op, "name a case or an entity")
	}
	out, err := provenanceRecords(ctx, s.d.Store, caseRef, entityID)
	if err != nil {
		return nil, unavailable(op, err)
	}
	return out, s.record(ctx, entry(p, "cases.provenance.read", "case/"+caseRef, "", "entity "+entityID+": "+fmt.Sprint(len(out))+" records"))
}

// Filing received entities into the local case database.

package exchange

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// CaseImport is a received entity to be filed into a local case with its
// provenance; the case database (internal/cases) does the filing.
type CaseImport struct {
	CaseRef      string
	Role         string
	Entity       MessageEntity
	SourceNode   string
	SourceAgency string
	ThreadID     string
	MessageID    string
	EntityIndex  int
	SentAt       time.Time
	Markings     MessageMarkings
	MarkingLabel string // without the free-text handling note
}

// CaseImportResult is what the case database did with an import.
type CaseImportResult struct {
	CaseReference   string
	EntityID        string
	Created         bool // a new case entity was stored (false: an identical one was linked)
	AlreadyImported bool // this entity of this message was in the case already
	Unmapped        map[string]string
}

// CaseImporter files an entity into a local case inside the caller's
// transaction, so that the filing, the exchange's record of it and both
// audit entries commit together (wired by the app to internal/cases, so
// neither package imports the other).
type CaseImporter func(ctx context.Context, tx *store.Tx, actor *auth.Principal, in CaseImport) (CaseImportResult, error)

// SetCaseImporter connects the local case database.
func (s *Service) SetCaseImporter(f CaseImporter) { s.importer = f }

// ImportInput chooses the local case (and the entity's role in it).
type ImportInput struct {
	CaseRef string `json:"case_ref" minLength:"1" maxLength:"100" doc:"reference of the local case to import into"`
	Role    string `json:"role,omitempty" enum:"suspect,victim,witness,associate,object," doc:"the entity's role in the case"`
}

// ImportEntity files a structured entity of a message into a local case of
// the case database, with its provenance (providing node and agency,
// thread, message, time, markings, importing user). Importing the same
// entity into the same case again changes nothing. Audited here and by the
// case database, in one transaction with the filing.
func (s *Service) ImportEntity(ctx context.Context, actor *auth.Principal, threadID, messageID string, index int, in ImportInput) (EntityImport, error) {
	const op = "exchange.ImportEntity"
	in.CaseRef = strings.TrimSpace(in.CaseRef)
	if in.CaseRef == "" || len(in.CaseRef) > 100 {
		return EntityImport{}, errs.New(errs.Invalid, op, "the local case reference is required")
	}
	t, err := s.visibleThread(ctx, actor, threadID)
	if err != nil {
		return EntityImport{}, err
	}
	m, err := s.message(ctx, t.ID, messageID)
	if err != nil {
		return EntityImport{}, err
	}
	if index < 0 || index >= len(m.Entities) {
		return EntityImport{}, errs.New(errs.NotFound, op, "the message has no such entity")
	}
	if s.importer == nil {
		return EntityImport{}, errs.New(errs.Unavailable, op, "the case database is not available on this node")
	}
	e := m.Entities[index]
	var im EntityImport
	err = s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		res, err := s.importer(ctx, tx, actor, CaseImport{CaseRef: in.CaseRef, Role: in.Role, Entity: e, SourceNode: m.Node, SourceAgency: m.Agency, ThreadID: t.ID,
			MessageID: m.ID, EntityIndex: index, SentAt: m.CreatedAt, Markings: m.Markings, MarkingLabel: m.Markings.auditLabel()})
		if err != nil {
			return err
		}
		prov := map[string]any{"node": m.Node, "agency": m.Agency, "thread": t.ID, "message": m.ID, "entity_index": index, "sent_at": m.CreatedAt,
			"markings": m.Markings, "marking_label": m.Markings.Label(), "case_entity": res.EntityID}
		if len(res.Unmapped) > 0 {
			prov["unmapped"] = res.Unmapped
		}
		pj, err := json.Marshal(prov)
		if err != nil {
			return errs.Wrap(errs.Internal, op, "cannot encode the provenance", err)
		}
		im = EntityImport{ID: store.NewID(), CaseRef: res.CaseReference, CaseEntityID: res.EntityID, MessageID: m.ID, EntityIndex: index, Entity: e, Provenance: pj,
			ImportedBy: actor.Username, ImportedAt: s.d.Clock.Now(), Created: res.Created, AlreadyImported: res.AlreadyImported}
		inserted, err := insertEntityImport(ctx, tx, t.ID, im)
		if err != nil {
			return err
		}
		if !inserted || res.AlreadyImported {
			im.AlreadyImported = true
			return nil
		}
		return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: actor.Username, Agency: actor.Agency, Action: "exchange.entity.import", Object: "thread/" + t.ID,
			Detail: "entity " + strconv.Itoa(index) + " of message " + m.ID + " from " + m.Node + " into case " + res.CaseReference + " as entity " + res.EntityID})
	})
	if err != nil {
		return EntityImport{}, dbErr(op, "could not record the import", err)
	}
	return im, nil
}

// EntityImport is an entity imported into a local case.
type EntityImport struct {
	ID              string          `json:"id"`
	CaseRef         string          `json:"case_ref"`
	CaseEntityID    string          `json:"case_entity_id,omitempty" doc:"the entity in the case database"`
	MessageID       string          `json:"message_id"`
	EntityIndex     int             `json:"entity_index"`
	Entity          MessageEntity   `json:"entity"`
	Provenance      json.RawMessage `json:"provenance"`
	ImportedBy      string          `json:"imported_by"`
	ImportedAt      time.Time       `json:"imported_at"`
	Created         bool            `json:"created,omitempty" doc:"a new entity was stored in the case database (false: an identical one was linked)"`
	AlreadyImported bool            `json:"already_imported,omitempty" doc:"this entity was imported into this case before; nothing changed"`
}

// Imports lists entities imported from a thread.
func (s *Service) Imports(ctx context.Context, actor *auth.Principal, threadID string) ([]EntityImport, error) {
	t, err := s.visibleThread(ctx, actor, threadID)
	if err != nil {
		return nil, err
	}
	out, err := threadImports(ctx, s.d.Store, t.ID)
	if err != nil {
		return nil, dbErr("exchange.Imports", "cannot read imports", err)
	}
	return out, nil
}

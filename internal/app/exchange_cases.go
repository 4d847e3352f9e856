package app

import (
	"context"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/store"
)

// exchangeCaseImporter files entities received in exchange messages into
// the node's case database with their provenance.
func exchangeCaseImporter(c *cases.Service) exchange.CaseImporter {
	return func(ctx context.Context, tx *store.Tx, p *auth.Principal, in exchange.CaseImport) (exchange.CaseImportResult, error) {
		pr, err := c.ImportWithProvenanceIn(ctx, tx, p, cases.ProvenanceInput{Case: in.CaseRef, Role: in.Role, Kind: in.Entity.Kind, Label: in.Entity.Label,
			Fields: in.Entity.Fields, SourceNode: in.SourceNode, SourceAgency: in.SourceAgency, ThreadID: in.ThreadID, MessageID: in.MessageID,
			EntityIndex: in.EntityIndex, SentAt: in.SentAt, Markings: in.Markings, MarkingLabel: in.MarkingLabel})
		if err != nil {
			return exchange.CaseImportResult{}, err
		}
		return exchange.CaseImportResult{CaseReference: pr.CaseReference, EntityID: pr.EntityID, Created: pr.Created, AlreadyImported: pr.AlreadyImported, Unmapped: pr.Unmapped}, nil
	}
}

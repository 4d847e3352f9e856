package app

import (
	"context"
	"strconv"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/store"
)

// casesReleaseSender sends an owner's hit/no-hit release (or refusal) as a
// secure-exchange thread to the requesting node: protective markings,
// the owner's NCU gate, the requesting NCU's routing and the requester's
// exchange inbox all come from the exchange module.
func casesReleaseSender(x *exchange.Service) cases.ExchangeSender {
	return func(ctx context.Context, tx *store.Tx, p *auth.Principal, m cases.ReleaseMessage) (string, string, error) {
		acc, _ := strconv.Atoi(m.Markings.InformationEvaluation)
		mk := exchange.MessageMarkings{Classification: m.Markings.Classification, Handling: []string{m.Markings.HandlingCode},
			HandlingNote: m.Markings.Restrictions, Reliability: m.Markings.SourceEvaluation, Accuracy: acc, OnwardAllowed: m.Markings.OnwardAllowed}
		var ents []exchange.MessageEntity
		if m.Entity != nil {
			ents = []exchange.MessageEntity{{Kind: m.Entity.Kind, Label: m.Entity.Label, Fields: m.Entity.Fields}}
		}
		threadID, envs, err := x.ComposeIn(ctx, tx, p, exchange.NewThread{Subject: m.Subject, Priority: exchange.PriorityNormal, Information: true,
			CaseRefs: m.CaseRefs, Parties: []string{m.To}, Body: m.Body, Markings: mk, Entities: ents})
		if err != nil {
			return "", "", err
		}
		return threadID, envs[m.To], nil
	}
}

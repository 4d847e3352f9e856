package jit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// apply changes the state by one sequenced event. It is the same code on
// the leader and on every party, and depends only on the event, so every
// copy ends in the same state.
func (s *Service) apply(ctx context.Context, tx *store.Tx, ev TimelineEvent, ch change) error {
	ws := ev.Workspace
	var err error
	switch ev.Kind {
	case EvCreate:
		w := ch.Workspace
		if w == nil {
			return errs.New(errs.Invalid, "jit.apply", "missing workspace")
		}
		if err = insertWorkspace(ctx, tx, w, ev.Actor.String(), ev.At); err != nil {
			return err
		}
		for _, m := range w.Members {
			if err = insertMember(ctx, tx, ws, m, ev.At); err != nil {
				return err
			}
		}
	case EvMemberAdd:
		if err = insertMember(ctx, tx, ws, *ch.Member, ev.At); err != nil {
			return err
		}
		var ps []string
		if ps, err = workspaceParties(ctx, tx, ws); err != nil {
			return err
		}
		if !slices.Contains(ps, ch.Member.Node) {
			err = setParties(ctx, tx, ws, append(ps, ch.Member.Node))
		}
	case EvExtend:
		var list []Extension
		if list, err = workspaceExtensions(ctx, tx, ws); err != nil {
			return err
		}
		x := *ch.Extension
		x.At = ev.At
		err = setExtensions(ctx, tx, ws, x.To, append(list, x))
	case EvTaskAdd:
		err = insertTask(ctx, tx, ws, *ch.Task, ev.At)
	case EvTaskStatus:
		err = setTaskStatus(ctx, tx, ws, ch.Task.ID, ch.Task.Status, ev.At)
	case EvPlanApprove:
		err = approvePlan(ctx, tx, ws, ev.Actor.String(), ev.At)
	case EvMessage:
		err = insertTeamMessage(ctx, tx, ws, *ch.Message, ev.At)
	case EvEvidenceAdd:
		e := ch.Evidence
		if err = insertEvidence(ctx, tx, ws, *e, ev.At); err != nil {
			return err
		}
		err = appendCustody(ctx, tx, ws, e.ID, Custody{Action: "registered", To: e.Custodian, Actor: ev.Actor.String(), ActorNode: ev.Actor.Node,
			Note: "collected by " + e.CollectingParty + "; " + e.Origin, At: ev.At})
	case EvTransfer:
		c := *ch.Custody
		c.Actor, c.At = ev.Actor.String(), ev.At
		if err = setCustodian(ctx, tx, ws, ch.Evidence2, c.To); err != nil {
			return err
		}
		err = appendCustody(ctx, tx, ws, ch.Evidence2, c)
	case EvAccess:
		c := *ch.Custody
		c.Actor, c.At = ev.Actor.String(), ev.At
		err = appendCustody(ctx, tx, ws, ch.Evidence2, c)
	case EvAuthorise:
		if err = authoriseUse(ctx, tx, ws, ch.Evidence2, ev.Actor.String()); err != nil {
			return err
		}
		c := *ch.Custody
		c.Actor, c.At = ev.Actor.String(), ev.At
		err = appendCustody(ctx, tx, ws, ch.Evidence2, c)
	case EvCaseLink:
		err = insertCaseLink(ctx, tx, ws, *ch.Case, ev.At)
	case EvTargetAdd:
		err = insertTarget(ctx, tx, ws, *ch.Target, ev.At)
	case EvWarning:
		err = insertWarning(ctx, tx, ws, *ch.Warning, ev.At)
	case EvExchangeAdd:
		// A changed plan has to be agreed again.
		err = insertExchangeItem(ctx, tx, ws, *ch.Exchange, ev.At)
	case EvAgree:
		var list []string
		if list, err = exchangeAgreed(ctx, tx, ws); err != nil {
			return err
		}
		if !slices.Contains(list, ev.Actor.Node) {
			list = append(list, ev.Actor.Node)
		}
		err = setExchangeAgreed(ctx, tx, ws, list)
	default:
		return errs.Newf(errs.Invalid, "jit.apply", "unknown event kind %q", textutil.Clip(strings.TrimSpace(ev.Kind), 40))
	}
	if err != nil {
		return err
	}
	return insertEvent(ctx, tx, ev)
}

// custodyGenesis anchors an item's chain in its identity and content
// hash, so a changed register hash breaks the chain too.
func custodyGenesis(evidenceID, itemSHA string) string {
	h := sha256.Sum256([]byte("liaison-custody\x00" + evidenceID + "\x00" + itemSHA))
	return hex.EncodeToString(h[:])
}

// custodyHash is the hash of one entry: the previous hash and every field,
// in a fixed JSON encoding.
func custodyHash(evidenceID string, c Custody) string {
	b, _ := json.Marshal(struct {
		E, Prev, Action, From, To, Actor, ActorNode, Note, At string
		N                                                     int64
	}{evidenceID, c.PrevHash, c.Action, c.From, c.To, c.Actor, c.ActorNode, c.Note, store.FormatTime(c.At), c.N})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func appendCustody(ctx context.Context, tx *store.Tx, ws, evidenceID string, c Custody) error {
	last, prev, err := lastCustody(ctx, tx, evidenceID)
	if err != nil {
		return err
	}
	c.N, c.PrevHash, c.Note = last+1, prev, textutil.Clip(strings.TrimSpace(c.Note), 2000)
	c.Hash = custodyHash(evidenceID, c)
	return insertCustody(ctx, tx, ws, evidenceID, c)
}

// verifyChain checks an item's chain of custody against the register's
// content hash; it returns the number of the first bad entry, or 0.
func verifyChain(itemID, itemSHA string, chain []Custody) (int64, string) {
	prev := custodyGenesis(itemID, itemSHA)
	for i, c := range chain {
		if c.N != int64(i+1) {
			return int64(i + 1), "entry missing or out of order"
		}
		if c.PrevHash != prev {
			return c.N, "does not follow the previous entry"
		}
		if custodyHash(itemID, c) != c.Hash {
			return c.N, "content changed after it was recorded"
		}
		prev = c.Hash
	}
	if len(chain) == 0 {
		return 1, "the chain is empty"
	}
	return 0, ""
}

package jit

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
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
	at := store.FormatTime(ev.At)
	ws := ev.Workspace
	var err error
	var jc store.JSONColumns
	switch ev.Kind {
	case EvCreate:
		w := ch.Workspace
		if w == nil {
			return errs.New(errs.Invalid, "jit.apply", "missing workspace")
		}
		if _, err = tx.ExecContext(ctx, `INSERT INTO jit_workspaces (id, kind, leader_node, reference, title, template, purpose, legal_basis, parties, start_date, end_date,
			extensions, plan_status, plan_version, exchange_agreed, last_seq, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, 1, '[]', 0, ?, ?, ?)`,
			w.ID, w.Kind, w.LeaderNode, w.Reference, w.Title, w.Template, w.Purpose, w.LegalBasis, store.JSONText(w.Parties), w.StartDate, w.EndDate, PlanDraft, at, ev.Actor.String(), at); err != nil {
			return err
		}
		for _, m := range w.Members {
			if err = insertMember(ctx, tx, ws, m, at); err != nil {
				return err
			}
		}
	case EvMemberAdd:
		if err = insertMember(ctx, tx, ws, *ch.Member, at); err != nil {
			return err
		}
		var parties string
		if err = tx.QueryRowContext(ctx, `SELECT parties FROM jit_workspaces WHERE id = ?`, ws).Scan(&parties); err != nil {
			return err
		}
		ps := store.ParseJSON[[]string](&jc, "parties", parties)
		if !slices.Contains(ps, ch.Member.Node) {
			ps = append(ps, ch.Member.Node)
			_, err = tx.ExecContext(ctx, `UPDATE jit_workspaces SET parties = ? WHERE id = ?`, store.JSONText(ps), ws)
		}
	case EvExtend:
		var ext string
		if err = tx.QueryRowContext(ctx, `SELECT extensions FROM jit_workspaces WHERE id = ?`, ws).Scan(&ext); err != nil {
			return err
		}
		x := *ch.Extension
		x.At = ev.At
		list := append(store.ParseJSON[[]Extension](&jc, "extensions", ext), x)
		_, err = tx.ExecContext(ctx, `UPDATE jit_workspaces SET end_date = ?, extensions = ? WHERE id = ?`, x.To, store.JSONText(list), ws)
	case EvTaskAdd:
		t := ch.Task
		if _, err = tx.ExecContext(ctx, `INSERT INTO jit_tasks (workspace_id, id, title, description, owner, due_date, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ws, t.ID, t.Title, t.Description, t.Owner, t.DueDate, TaskOpen, at, at); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE jit_workspaces SET plan_version = plan_version + (CASE WHEN plan_status = ? THEN 1 ELSE 0 END), plan_status = ?, plan_approved_by = '', plan_approved_at = '' WHERE id = ?`,
			PlanApproved, PlanDraft, ws)
	case EvTaskStatus:
		_, err = tx.ExecContext(ctx, `UPDATE jit_tasks SET status = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`, ch.Task.Status, at, ws, ch.Task.ID)
	case EvPlanApprove:
		_, err = tx.ExecContext(ctx, `UPDATE jit_workspaces SET plan_status = ?, plan_approved_by = ?, plan_approved_at = ? WHERE id = ?`, PlanApproved, ev.Actor.String(), at, ws)
	case EvMessage:
		m := ch.Message
		_, err = tx.ExecContext(ctx, `INSERT INTO jit_messages (workspace_id, id, node, author, body, at) VALUES (?, ?, ?, ?, ?, ?)`, ws, m.ID, m.Node, m.Author, m.Body, at)
	case EvEvidenceAdd:
		e := ch.Evidence
		if _, err = tx.ExecContext(ctx, `INSERT INTO jit_evidence (id, workspace_id, title, description, sha256, size, file_name, content_type, origin, collecting_party,
			legal_basis, governing_law, custodian, registered_by, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, ws, e.Title, e.Description, e.SHA256, e.Size, e.FileName, e.ContentType, e.Origin, e.CollectingParty, e.LegalBasis, e.GoverningLaw, e.Custodian, e.RegisteredBy, at); err != nil {
			return err
		}
		err = appendCustody(ctx, tx, ws, e.ID, Custody{Action: "registered", To: e.Custodian, Actor: ev.Actor.String(), ActorNode: ev.Actor.Node,
			Note: "collected by " + e.CollectingParty + "; " + e.Origin, At: ev.At})
	case EvTransfer:
		c := *ch.Custody
		c.Actor, c.At = ev.Actor.String(), ev.At
		if _, err = tx.ExecContext(ctx, `UPDATE jit_evidence SET custodian = ? WHERE id = ? AND workspace_id = ?`, c.To, ch.Evidence2, ws); err != nil {
			return err
		}
		err = appendCustody(ctx, tx, ws, ch.Evidence2, c)
	case EvAccess:
		c := *ch.Custody
		c.Actor, c.At = ev.Actor.String(), ev.At
		err = appendCustody(ctx, tx, ws, ch.Evidence2, c)
	case EvAuthorise:
		if _, err = tx.ExecContext(ctx, `UPDATE jit_evidence SET use_authorised = 1, use_authorised_by = ? WHERE id = ? AND workspace_id = ?`, ev.Actor.String(), ch.Evidence2, ws); err != nil {
			return err
		}
		c := *ch.Custody
		c.Actor, c.At = ev.Actor.String(), ev.At
		err = appendCustody(ctx, tx, ws, ch.Evidence2, c)
	case EvCaseLink:
		c := ch.Case
		_, err = tx.ExecContext(ctx, `INSERT INTO jit_cases (workspace_id, node, case_ref, note, linked_by, at) VALUES (?, ?, ?, ?, ?, ?)`, ws, c.Node, c.CaseRef, c.Note, c.LinkedBy, at)
	case EvTargetAdd:
		t := ch.Target
		_, err = tx.ExecContext(ctx, `INSERT INTO jit_targets (workspace_id, id, node, kind, label, fields, added_by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			ws, t.ID, t.Node, t.Kind, t.Label, store.JSONText(t.Fields), t.AddedBy, at)
	case EvWarning:
		w := ch.Warning
		_, err = tx.ExecContext(ctx, `INSERT INTO jit_warnings (workspace_id, id, target_a, target_b, node_a, node_b, kind, score, explanation, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			ws, w.ID, w.TargetA, w.TargetB, w.NodeA, w.NodeB, w.Kind, w.Score, w.Explanation, at)
	case EvExchangeAdd:
		x := ch.Exchange
		if _, err = tx.ExecContext(ctx, `INSERT INTO jit_exchange (workspace_id, id, what, from_node, to_node, channel, schedule, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			ws, x.ID, x.What, x.From, x.To, x.Channel, x.Schedule, at); err != nil {
			return err
		}
		// A changed plan has to be agreed again.
		_, err = tx.ExecContext(ctx, `UPDATE jit_workspaces SET exchange_agreed = '[]' WHERE id = ?`, ws)
	case EvAgree:
		var agreed string
		if err = tx.QueryRowContext(ctx, `SELECT exchange_agreed FROM jit_workspaces WHERE id = ?`, ws).Scan(&agreed); err != nil {
			return err
		}
		list := store.ParseJSON[[]string](&jc, "exchange_agreed", agreed)
		if !slices.Contains(list, ev.Actor.Node) {
			list = append(list, ev.Actor.Node)
		}
		_, err = tx.ExecContext(ctx, `UPDATE jit_workspaces SET exchange_agreed = ? WHERE id = ?`, store.JSONText(list), ws)
	default:
		return errs.Newf(errs.Invalid, "jit.apply", "unknown event kind %q", textutil.Clip(strings.TrimSpace(ev.Kind), 40))
	}
	if err != nil {
		return err
	}
	if err := jc.Err("jit.apply", "workspace "+ws); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO jit_events (workspace_id, seq, kind, actor_node, actor, agency, summary, data, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ws, ev.Seq, ev.Kind, ev.Actor.Node, ev.Actor.Username, ev.Actor.Agency, textutil.Clip(strings.TrimSpace(ev.Summary), 2000), string(ev.Data), at); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `UPDATE jit_workspaces SET last_seq = ?, updated_at = ? WHERE id = ?`, ev.Seq, at, ws)
	return err
}

func insertMember(ctx context.Context, tx *store.Tx, ws string, m Member, at string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_members (workspace_id, id, node, username, name, agency, role, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ws, m.ID, m.Node, m.Username, m.Name, m.Agency, m.Role, at)
	return err
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
	var last int64
	var prev string
	err := tx.QueryRowContext(ctx, `SELECT n, hash FROM jit_custody WHERE evidence_id = ? ORDER BY n DESC LIMIT 1`, evidenceID).Scan(&last, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		var sha string
		if err := tx.QueryRowContext(ctx, `SELECT sha256 FROM jit_evidence WHERE id = ?`, evidenceID).Scan(&sha); err != nil {
			return err
		}
		prev, err = custodyGenesis(evidenceID, sha), nil
	}
	if err != nil {
		return err
	}
	c.N, c.PrevHash, c.Note = last+1, prev, textutil.Clip(strings.TrimSpace(c.Note), 2000)
	c.Hash = custodyHash(evidenceID, c)
	_, err = tx.ExecContext(ctx, `INSERT INTO jit_custody (evidence_id, n, workspace_id, action, from_party, to_party, actor, actor_node, note, at, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, evidenceID, c.N, ws, c.Action, c.From, c.To, c.Actor, c.ActorNode, c.Note, store.FormatTime(c.At), c.PrevHash, c.Hash)
	return err
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

// Storage of JIT and parallel-investigation workspaces: every SQL
// statement of the module is here, behind typed functions; the service
// holds none.

package jit

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/textutil"
)

func loadMembers(ctx context.Context, q store.Querier, w *Workspace) error {
	var err error
	w.Members, err = store.Collect(ctx, q, func(r store.Scanner) (Member, error) {
		var m Member
		var at string
		err := r.Scan(&m.ID, &m.Node, &m.Username, &m.Name, &m.Agency, &m.Role, &at)
		m.AddedAt = store.ParseTime(at)
		return m, err
	}, `SELECT id, node, username, name, agency, role, added_at FROM jit_members WHERE workspace_id = ? ORDER BY added_at, node, username`, w.ID)
	return err
}

func loadTasks(ctx context.Context, q store.Querier, w *Workspace) error {
	var err error
	w.Tasks, err = store.Collect(ctx, q, func(r store.Scanner) (Task, error) {
		var t Task
		var c, u string
		err := r.Scan(&t.ID, &t.Title, &t.Description, &t.Owner, &t.DueDate, &t.Status, &c, &u)
		t.CreatedAt, t.UpdatedAt = store.ParseTime(c), store.ParseTime(u)
		return t, err
	}, `SELECT id, title, description, owner, due_date, status, created_at, updated_at FROM jit_tasks WHERE workspace_id = ? ORDER BY created_at, id`, w.ID)
	if err != nil {
		return err
	}
	for i := range w.Tasks {
		if m := w.memberByID(w.Tasks[i].Owner); m != nil {
			w.Tasks[i].OwnerLabel = m.Name + " (" + m.Node + ")"
		}
	}
	return nil
}

func loadExchange(ctx context.Context, q store.Querier, w *Workspace) error {
	rows, err := q.QueryContext(ctx, `SELECT id, what, from_node, to_node, channel, schedule, at FROM jit_exchange WHERE workspace_id = ? ORDER BY at, id`, w.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x ExchangeItem
		var at string
		if err := rows.Scan(&x.ID, &x.What, &x.From, &x.To, &x.Channel, &x.Schedule, &at); err != nil {
			return err
		}
		x.At = store.ParseTime(at)
		w.Exchange = append(w.Exchange, x)
	}
	return rows.Err()
}

func loadTargets(ctx context.Context, q store.Querier, w *Workspace) error {
	rows, err := q.QueryContext(ctx, `SELECT id, node, kind, label, fields, added_by, at FROM jit_targets WHERE workspace_id = ? ORDER BY at, id`, w.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var t Target
		var f, at string
		if err := rows.Scan(&t.ID, &t.Node, &t.Kind, &t.Label, &f, &t.AddedBy, &at); err != nil {
			return err
		}
		var jc store.JSONColumns
		t.Fields, t.At = store.ParseJSON[map[string]string](&jc, "fields", f), store.ParseTime(at)
		if err := jc.Err("jit.loadTargets", "target "+t.ID); err != nil {
			return err
		}
		w.Targets = append(w.Targets, t)
	}
	return rows.Err()
}

func loadFull(ctx context.Context, q store.Querier, w *Workspace) error {
	rows, err := q.QueryContext(ctx, `SELECT id, node, author, body, at FROM jit_messages WHERE workspace_id = ? ORDER BY at, id`, w.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var m TeamMessage
		var at string
		if err := rows.Scan(&m.ID, &m.Node, &m.Author, &m.Body, &at); err != nil {
			rows.Close()
			return err
		}
		m.At = store.ParseTime(at)
		w.Messages = append(w.Messages, m)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT node, case_ref, note, linked_by, at FROM jit_cases WHERE workspace_id = ? ORDER BY node, case_ref`, w.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c CaseLink
		var at string
		if err := rows.Scan(&c.Node, &c.CaseRef, &c.Note, &c.LinkedBy, &at); err != nil {
			rows.Close()
			return err
		}
		c.At = store.ParseTime(at)
		w.Cases = append(w.Cases, c)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT id, target_a, target_b, node_a, node_b, kind, score, explanation, at FROM jit_warnings WHERE workspace_id = ? ORDER BY at, id`, w.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var x Warning
		var at string
		if err := rows.Scan(&x.ID, &x.TargetA, &x.TargetB, &x.NodeA, &x.NodeB, &x.Kind, &x.Score, &x.Explanation, &at); err != nil {
			rows.Close()
			return err
		}
		x.At = store.ParseTime(at)
		w.Warnings = append(w.Warnings, x)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT id, kind, actor, summary, submitted_at FROM jit_pending WHERE workspace_id = ? ORDER BY submitted_at`, w.ID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var x Pending
		var at string
		if err := rows.Scan(&x.ID, &x.Kind, &x.Actor, &x.Summary, &at); err != nil {
			rows.Close()
			return err
		}
		x.SubmittedAt = store.ParseTime(at)
		w.Pending = append(w.Pending, x)
	}
	rows.Close()
	rows, err = q.QueryContext(ctx, `SELECT id, kind, actor, reason, at FROM jit_rejections WHERE workspace_id = ? ORDER BY at DESC`, w.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var x Rejection
		var at string
		if err := rows.Scan(&x.ID, &x.Kind, &x.Actor, &x.Reason, &at); err != nil {
			return err
		}
		x.At = store.ParseTime(at)
		w.Rejections = append(w.Rejections, x)
	}
	return rows.Err()
}

func custodyOf(ctx context.Context, q store.Querier, evidenceID string) ([]Custody, error) {
	rows, err := q.QueryContext(ctx, `SELECT n, action, from_party, to_party, actor, actor_node, note, at, prev_hash, hash FROM jit_custody WHERE evidence_id = ? ORDER BY n`, evidenceID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Custody
	for rows.Next() {
		var c Custody
		var at string
		if err := rows.Scan(&c.N, &c.Action, &c.From, &c.To, &c.Actor, &c.ActorNode, &c.Note, &at, &c.PrevHash, &c.Hash); err != nil {
			return nil, err
		}
		c.At = store.ParseTime(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

// ---- workspaces

// workspaceRow reads a workspace's own row into w (w.ID set);
// sql.ErrNoRows when there is none.
func workspaceRow(ctx context.Context, q store.Querier, w *Workspace) error {
	var parties, ext, agreed, approvedAt, created, updated string
	err := q.QueryRowContext(ctx, `SELECT kind, leader_node, reference, title, template, purpose, legal_basis, parties, start_date, end_date, extensions,
		plan_status, plan_version, plan_approved_by, plan_approved_at, exchange_agreed, last_seq, created_at, created_by, updated_at FROM jit_workspaces WHERE id = ?`, w.ID).
		Scan(&w.Kind, &w.LeaderNode, &w.Reference, &w.Title, &w.Template, &w.Purpose, &w.LegalBasis, &parties, &w.StartDate, &w.EndDate, &ext,
			&w.PlanStatus, &w.PlanVersion, &w.PlanApprovedBy, &approvedAt, &agreed, &w.LastSeq, &created, &w.CreatedBy, &updated)
	if err != nil {
		return err
	}
	var jc store.JSONColumns
	w.Parties, w.Extensions, w.ExchangeAgreed = store.ParseJSON[[]string](&jc, "parties", parties), store.ParseJSON[[]Extension](&jc, "extensions", ext), store.ParseJSON[[]string](&jc, "exchange_agreed", agreed)
	if w.Extensions == nil {
		w.Extensions = []Extension{}
	}
	w.PlanApprovedAt, w.CreatedAt, w.UpdatedAt = parseOpt(approvedAt), store.ParseTime(created), store.ParseTime(updated)
	return jc.Err("jit.load", "workspace "+w.ID)
}

// memberWorkspaces reads the workspaces where node's user is a member,
// optionally of one kind, most recently changed first.
func memberWorkspaces(ctx context.Context, q store.Querier, node, username, kind string) ([]WorkspaceSummary, error) {
	query := `SELECT w.id, w.kind, w.reference, w.title, w.leader_node, w.parties, w.start_date, w.end_date, w.plan_status, m.role, w.updated_at
		FROM jit_workspaces w JOIN jit_members m ON m.workspace_id = w.id WHERE m.node = ? AND m.username = ?`
	args := []any{node, username}
	if kind != "" {
		query += ` AND w.kind = ?`
		args = append(args, kind)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY w.updated_at DESC`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []WorkspaceSummary{}
	for rows.Next() {
		var w WorkspaceSummary
		var parties, upd string
		if err := rows.Scan(&w.ID, &w.Kind, &w.Reference, &w.Title, &w.LeaderNode, &parties, &w.StartDate, &w.EndDate, &w.PlanStatus, &w.MyRole, &upd); err != nil {
			return nil, err
		}
		var jc store.JSONColumns
		w.Parties, w.UpdatedAt = store.ParseJSON[[]string](&jc, "parties", parties), store.ParseTime(upd)
		if err := jc.Err("jit.List", "workspace "+w.ID); err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// countWorkspacesByReference counts the workspaces with a reference.
func countWorkspacesByReference(ctx context.Context, q store.Querier, ref string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM jit_workspaces WHERE reference = ?`, ref).Scan(&n)
	return n, err
}

// workspaceLeader reads a workspace's leader node and last sequence
// number; sql.ErrNoRows when this node does not hold it.
func workspaceLeader(ctx context.Context, q store.Querier, id string) (leader string, lastSeq int64, err error) {
	err = q.QueryRowContext(ctx, `SELECT leader_node, last_seq FROM jit_workspaces WHERE id = ?`, id).Scan(&leader, &lastSeq)
	return leader, lastSeq, err
}

// workspaceParties reads a workspace's party nodes; sql.ErrNoRows when
// this node does not hold it.
func workspaceParties(ctx context.Context, q store.Querier, id string) ([]string, error) {
	var parties string
	if err := q.QueryRowContext(ctx, `SELECT parties FROM jit_workspaces WHERE id = ?`, id).Scan(&parties); err != nil {
		return nil, err
	}
	var jc store.JSONColumns
	ps := store.ParseJSON[[]string](&jc, "parties", parties)
	return ps, jc.Err("jit.parties", "workspace "+id)
}

// ---- the timeline

// workspaceEvents reads a workspace's events, all or those before seq
// before (when > 0), oldest or newest first.
func workspaceEvents(ctx context.Context, q store.Querier, id string, before int64, desc bool) ([]TimelineEvent, error) {
	query := `SELECT seq, kind, actor_node, actor, agency, summary, data, at FROM jit_events WHERE workspace_id = ?`
	args := []any{id}
	if before > 0 {
		query += ` AND seq < ?`
		args = append(args, before)
	}
	if desc {
		query += ` ORDER BY seq DESC`
	} else {
		query += ` ORDER BY seq`
	}
	return store.Collect(ctx, q, func(r store.Scanner) (TimelineEvent, error) {
		e := TimelineEvent{Workspace: id}
		var data, at string
		err := r.Scan(&e.Seq, &e.Kind, &e.Actor.Node, &e.Actor.Username, &e.Actor.Agency, &e.Summary, &data, &at)
		e.Data, e.At = json.RawMessage(data), store.ParseTime(at)
		return e, err
	}, query, args...)
}

// insertEvent records an applied event and moves the workspace's sequence
// to it.
func insertEvent(ctx context.Context, tx *store.Tx, ev TimelineEvent) error {
	at := store.FormatTime(ev.At)
	if _, err := tx.ExecContext(ctx, `INSERT INTO jit_events (workspace_id, seq, kind, actor_node, actor, agency, summary, data, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.Workspace, ev.Seq, ev.Kind, ev.Actor.Node, ev.Actor.Username, ev.Actor.Agency, textutil.Clip(strings.TrimSpace(ev.Summary), 2000), string(ev.Data), at); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE jit_workspaces SET last_seq = ?, updated_at = ? WHERE id = ?`, ev.Seq, at, ev.Workspace)
	return err
}

// ---- what the events write

func insertWorkspace(ctx context.Context, tx *store.Tx, w *Workspace, by string, at time.Time) error {
	a := store.FormatTime(at)
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_workspaces (id, kind, leader_node, reference, title, template, purpose, legal_basis, parties, start_date, end_date,
		extensions, plan_status, plan_version, exchange_agreed, last_seq, created_at, created_by, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', ?, 1, '[]', 0, ?, ?, ?)`,
		w.ID, w.Kind, w.LeaderNode, w.Reference, w.Title, w.Template, w.Purpose, w.LegalBasis, store.JSONText(w.Parties), w.StartDate, w.EndDate, PlanDraft, a, by, a)
	return err
}

func insertMember(ctx context.Context, tx *store.Tx, ws string, m Member, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_members (workspace_id, id, node, username, name, agency, role, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ws, m.ID, m.Node, m.Username, m.Name, m.Agency, m.Role, store.FormatTime(at))
	return err
}

func setParties(ctx context.Context, tx *store.Tx, ws string, parties []string) error {
	_, err := tx.ExecContext(ctx, `UPDATE jit_workspaces SET parties = ? WHERE id = ?`, store.JSONText(parties), ws)
	return err
}

// workspaceExtensions reads a workspace's extensions.
func workspaceExtensions(ctx context.Context, q store.Querier, ws string) ([]Extension, error) {
	var ext string
	if err := q.QueryRowContext(ctx, `SELECT extensions FROM jit_workspaces WHERE id = ?`, ws).Scan(&ext); err != nil {
		return nil, err
	}
	var jc store.JSONColumns
	list := store.ParseJSON[[]Extension](&jc, "extensions", ext)
	return list, jc.Err("jit.apply", "workspace "+ws)
}

// setExtensions records the extensions and the new end date.
func setExtensions(ctx context.Context, tx *store.Tx, ws, endDate string, list []Extension) error {
	_, err := tx.ExecContext(ctx, `UPDATE jit_workspaces SET end_date = ?, extensions = ? WHERE id = ?`, endDate, store.JSONText(list), ws)
	return err
}

// insertTask adds an open task; an approved plan goes back to draft in a
// new version.
func insertTask(ctx context.Context, tx *store.Tx, ws string, t Task, at time.Time) error {
	a := store.FormatTime(at)
	if _, err := tx.ExecContext(ctx, `INSERT INTO jit_tasks (workspace_id, id, title, description, owner, due_date, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ws, t.ID, t.Title, t.Description, t.Owner, t.DueDate, TaskOpen, a, a); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE jit_workspaces SET plan_version = plan_version + (CASE WHEN plan_status = ? THEN 1 ELSE 0 END), plan_status = ?, plan_approved_by = '', plan_approved_at = '' WHERE id = ?`,
		PlanApproved, PlanDraft, ws)
	return err
}

func setTaskStatus(ctx context.Context, tx *store.Tx, ws, id, status string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE jit_tasks SET status = ?, updated_at = ? WHERE workspace_id = ? AND id = ?`, status, store.FormatTime(at), ws, id)
	return err
}

func approvePlan(ctx context.Context, tx *store.Tx, ws, by string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE jit_workspaces SET plan_status = ?, plan_approved_by = ?, plan_approved_at = ? WHERE id = ?`, PlanApproved, by, store.FormatTime(at), ws)
	return err
}

func insertTeamMessage(ctx context.Context, tx *store.Tx, ws string, m TeamMessage, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_messages (workspace_id, id, node, author, body, at) VALUES (?, ?, ?, ?, ?, ?)`, ws, m.ID, m.Node, m.Author, m.Body, store.FormatTime(at))
	return err
}

func insertEvidence(ctx context.Context, tx *store.Tx, ws string, e Evidence, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_evidence (id, workspace_id, title, description, sha256, size, file_name, content_type, origin, collecting_party,
		legal_basis, governing_law, custodian, registered_by, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, ws, e.Title, e.Description, e.SHA256, e.Size, e.FileName, e.ContentType, e.Origin, e.CollectingParty, e.LegalBasis, e.GoverningLaw, e.Custodian, e.RegisteredBy, store.FormatTime(at))
	return err
}

func setCustodian(ctx context.Context, tx *store.Tx, ws, evidenceID, custodian string) error {
	_, err := tx.ExecContext(ctx, `UPDATE jit_evidence SET custodian = ? WHERE id = ? AND workspace_id = ?`, custodian, evidenceID, ws)
	return err
}

func authoriseUse(ctx context.Context, tx *store.Tx, ws, evidenceID, by string) error {
	_, err := tx.ExecContext(ctx, `UPDATE jit_evidence SET use_authorised = 1, use_authorised_by = ? WHERE id = ? AND workspace_id = ?`, by, evidenceID, ws)
	return err
}

func insertCaseLink(ctx context.Context, tx *store.Tx, ws string, c CaseLink, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_cases (workspace_id, node, case_ref, note, linked_by, at) VALUES (?, ?, ?, ?, ?, ?)`, ws, c.Node, c.CaseRef, c.Note, c.LinkedBy, store.FormatTime(at))
	return err
}

func insertTarget(ctx context.Context, tx *store.Tx, ws string, t Target, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_targets (workspace_id, id, node, kind, label, fields, added_by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ws, t.ID, t.Node, t.Kind, t.Label, store.JSONText(t.Fields), t.AddedBy, store.FormatTime(at))
	return err
}

func insertWarning(ctx context.Context, tx *store.Tx, ws string, w Warning, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_warnings (workspace_id, id, target_a, target_b, node_a, node_b, kind, score, explanation, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ws, w.ID, w.TargetA, w.TargetB, w.NodeA, w.NodeB, w.Kind, w.Score, w.Explanation, store.FormatTime(at))
	return err
}

// insertExchangeItem adds an item to the exchange plan, which then has to
// be agreed again.
func insertExchangeItem(ctx context.Context, tx *store.Tx, ws string, x ExchangeItem, at time.Time) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO jit_exchange (workspace_id, id, what, from_node, to_node, channel, schedule, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ws, x.ID, x.What, x.From, x.To, x.Channel, x.Schedule, store.FormatTime(at)); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE jit_workspaces SET exchange_agreed = '[]' WHERE id = ?`, ws)
	return err
}

// exchangeAgreed reads the nodes that agreed the exchange plan.
func exchangeAgreed(ctx context.Context, q store.Querier, ws string) ([]string, error) {
	var agreed string
	if err := q.QueryRowContext(ctx, `SELECT exchange_agreed FROM jit_workspaces WHERE id = ?`, ws).Scan(&agreed); err != nil {
		return nil, err
	}
	var jc store.JSONColumns
	list := store.ParseJSON[[]string](&jc, "exchange_agreed", agreed)
	return list, jc.Err("jit.apply", "workspace "+ws)
}

func setExchangeAgreed(ctx context.Context, tx *store.Tx, ws string, nodes []string) error {
	_, err := tx.ExecContext(ctx, `UPDATE jit_workspaces SET exchange_agreed = ? WHERE id = ?`, store.JSONText(nodes), ws)
	return err
}

// ---- submissions and refusals

func insertPending(ctx context.Context, tx *store.Tx, sub Submission, summary string, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_pending (id, workspace_id, kind, actor, summary, submitted_at) VALUES (?, ?, ?, ?, ?, ?)`,
		sub.ID, sub.Workspace, sub.Kind, sub.Actor.String(), summary, store.FormatTime(at))
	return err
}

func deletePending(ctx context.Context, tx *store.Tx, id string) error {
	_, err := tx.ExecContext(ctx, `DELETE FROM jit_pending WHERE id = ?`, id)
	return err
}

// insertRejection records the leader's refusal of a change made here; a
// repeated refusal changes nothing.
func insertRejection(ctx context.Context, tx *store.Tx, ws string, r Rejection) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_rejections (workspace_id, id, kind, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
		ws, r.ID, r.Kind, r.Actor, r.Reason, store.FormatTime(r.At))
	return err
}

// ---- evidence, custody and files

// workspaceEvidence reads the register of a workspace with where this
// node holds each file.
func workspaceEvidence(ctx context.Context, q store.Querier, ws string) ([]Evidence, error) {
	rows, err := q.QueryContext(ctx, `SELECT e.id, e.title, e.description, e.sha256, e.size, e.file_name, e.content_type, e.origin, e.collecting_party, e.legal_basis,
		e.governing_law, e.custodian, e.use_authorised, e.use_authorised_by, e.registered_by, e.registered_at, COALESCE(f.area, ''), COALESCE(f.purge_at, '')
		FROM jit_evidence e LEFT JOIN jit_files f ON f.evidence_id = e.id WHERE e.workspace_id = ? ORDER BY e.registered_at, e.id`, ws)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Evidence
	for rows.Next() {
		e := Evidence{Workspace: ws}
		var ua int
		var at, purge string
		if err := rows.Scan(&e.ID, &e.Title, &e.Description, &e.SHA256, &e.Size, &e.FileName, &e.ContentType, &e.Origin, &e.CollectingParty, &e.LegalBasis,
			&e.GoverningLaw, &e.Custodian, &ua, &e.UseAuthorisedBy, &e.RegisteredBy, &at, &e.FileHere, &purge); err != nil {
			return nil, err
		}
		e.UseAuthorised, e.RegisteredAt, e.PurgeAt = ua == 1, store.ParseTime(at), parseOpt(purge)
		out = append(out, e)
	}
	return out, rows.Err()
}

// evidenceRegistered reads an item's registered hash and custodian;
// sql.ErrNoRows when the register has no such item.
func evidenceRegistered(ctx context.Context, q store.Querier, ws, evidenceID string) (sha, custodian string, err error) {
	err = q.QueryRowContext(ctx, `SELECT sha256, custodian FROM jit_evidence WHERE id = ? AND workspace_id = ?`, evidenceID, ws).Scan(&sha, &custodian)
	return sha, custodian, err
}

// lastCustody reads the last entry of an item's chain of custody (its
// number and hash); without entries, 0 and the chain's genesis.
func lastCustody(ctx context.Context, q store.Querier, evidenceID string) (int64, string, error) {
	var last int64
	var prev string
	err := q.QueryRowContext(ctx, `SELECT n, hash FROM jit_custody WHERE evidence_id = ? ORDER BY n DESC LIMIT 1`, evidenceID).Scan(&last, &prev)
	if errors.Is(err, sql.ErrNoRows) {
		var sha string
		if err := q.QueryRowContext(ctx, `SELECT sha256 FROM jit_evidence WHERE id = ?`, evidenceID).Scan(&sha); err != nil {
			return 0, "", err
		}
		return 0, custodyGenesis(evidenceID, sha), nil
	}
	return last, prev, err
}

func insertCustody(ctx context.Context, tx *store.Tx, ws, evidenceID string, c Custody) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_custody (evidence_id, n, workspace_id, action, from_party, to_party, actor, actor_node, note, at, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, evidenceID, c.N, ws, c.Action, c.From, c.To, c.Actor, c.ActorNode, c.Note, store.FormatTime(c.At), c.PrevHash, c.Hash)
	return err
}

// storedFile is an evidence file held by this node, encrypted.
type storedFile struct {
	area      string
	nonce, ct []byte
}

// fileOf reads the file of an item held by this node (of a workspace
// unless ws is ""); sql.ErrNoRows when it holds none.
func fileOf(ctx context.Context, q store.Querier, ws, evidenceID string) (storedFile, error) {
	var f storedFile
	var err error
	if ws != "" {
		err = q.QueryRowContext(ctx, `SELECT area, nonce, data FROM jit_files WHERE evidence_id = ? AND workspace_id = ?`, evidenceID, ws).Scan(&f.area, &f.nonce, &f.ct)
	} else {
		err = q.QueryRowContext(ctx, `SELECT area, nonce, data FROM jit_files WHERE evidence_id = ?`, evidenceID).Scan(&f.area, &f.nonce, &f.ct)
	}
	return f, err
}

// fileArea reads where this node holds an item's file; sql.ErrNoRows when
// it holds none.
func fileArea(ctx context.Context, q store.Querier, evidenceID string) (string, error) {
	var area string
	err := q.QueryRowContext(ctx, `SELECT area FROM jit_files WHERE evidence_id = ?`, evidenceID).Scan(&area)
	return area, err
}

// insertFile stores an encrypted file in an area; purgeAt is zero for the
// store area.
func insertFile(ctx context.Context, tx *store.Tx, ws, evidenceID, area string, f storedFile, at, purgeAt time.Time) error {
	if purgeAt.IsZero() {
		_, err := tx.ExecContext(ctx, `INSERT INTO jit_files (evidence_id, workspace_id, area, nonce, data, received_at) VALUES (?, ?, ?, ?, ?, ?)`,
			evidenceID, ws, area, f.nonce, f.ct, store.FormatTime(at))
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO jit_files (evidence_id, workspace_id, area, nonce, data, received_at, purge_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		evidenceID, ws, area, f.nonce, f.ct, store.FormatTime(at), store.FormatTime(purgeAt))
	return err
}

// deleteFile removes an item's file, from one area unless area is "".
func deleteFile(ctx context.Context, tx *store.Tx, evidenceID, area string) error {
	var err error
	if area != "" {
		_, err = tx.ExecContext(ctx, `DELETE FROM jit_files WHERE evidence_id = ? AND area = ?`, evidenceID, area)
	} else {
		_, err = tx.ExecContext(ctx, `DELETE FROM jit_files WHERE evidence_id = ?`, evidenceID)
	}
	return err
}

// dueTransfers reads the files in the transfer area whose time is up, as
// (evidence, workspace) pairs.
func dueTransfers(ctx context.Context, q store.Querier, now time.Time) ([][2]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT evidence_id, workspace_id FROM jit_files WHERE area = ? AND purge_at <= ?`, AreaTransfer, store.FormatTime(now))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]string
	for rows.Next() {
		var it [2]string
		if err := rows.Scan(&it[0], &it[1]); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

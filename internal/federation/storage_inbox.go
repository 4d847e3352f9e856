// Storage of the inbox and the NCU's routing of it: every SQL statement
// about fed_inbox is here, behind typed functions; the service holds none.

package federation

import (
	"context"

	"github.com/liaison-wb/liaison/internal/store"
)

// inboxEnvelope reads a received envelope as stored; sql.ErrNoRows when
// none has this id (receipts are deduplicated by it).
func inboxEnvelope(ctx context.Context, q store.Querier, id string) (string, error) {
	var stored string
	err := q.QueryRowContext(ctx, `SELECT envelope FROM fed_inbox WHERE id = ?`, id).Scan(&stored)
	return stored, err
}

// inboxRecord is a newly received envelope.
type inboxRecord struct {
	id, peer, typ, conversation string
	seq                         int64
	createdAt, receivedAt       string
	envelope, state, summary    string
}

func insertInbox(ctx context.Context, tx *store.Tx, r inboxRecord) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO fed_inbox (id, peer, type, conversation, seq, created_at, received_at, envelope, state, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.id, r.peer, r.typ, r.conversation, r.seq, r.createdAt, r.receivedAt, r.envelope, r.state, r.summary)
	return err
}

// receivedInbox lists up to 200 envelopes ready for their handler, in
// arrival order and, within a conversation, in sequence.
func receivedInbox(ctx context.Context, q store.Querier) ([]inboxItem, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (inboxItem, error) {
		var it inboxItem
		return it, r.Scan(&it.id, &it.envelope, &it.routed, &it.receivedAt)
	}, `SELECT id, envelope, routed_to, received_at FROM fed_inbox WHERE state = ? ORDER BY received_at, conversation, seq LIMIT 200`, InReceived)
}

// markInboxHandled marks a received envelope handled.
func markInboxHandled(ctx context.Context, tx *store.Tx, id, at string) error {
	_, err := tx.ExecContext(ctx, `UPDATE fed_inbox SET state = ?, handled_at = ?, last_error = '' WHERE id = ? AND state = ?`, InHandled, at, id, InReceived)
	return err
}

// setInboxError records why an envelope waits, leaving it received.
func setInboxError(ctx context.Context, q store.Querier, id, lastError string) error {
	_, err := q.ExecContext(ctx, `UPDATE fed_inbox SET last_error = ? WHERE id = ?`, lastError, id)
	return err
}

// failInbox sets an envelope aside as failed.
func failInbox(ctx context.Context, q store.Querier, id, lastError string) error {
	_, err := q.ExecContext(ctx, `UPDATE fed_inbox SET state = ?, last_error = ? WHERE id = ?`, InFailed, lastError, id)
	return err
}

// countInbox counts the envelopes in a state.
func countInbox(ctx context.Context, q store.Querier, state string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM fed_inbox WHERE state = ?`, state).Scan(&n)
	return n, err
}

// ncuIncoming lists the incoming envelopes waiting for the NCU to route
// them, oldest first.
func ncuIncoming(ctx context.Context, q store.Querier) ([]QueueItem, error) {
	return store.Collect(ctx, q, scanQueueItem("incoming"),
		`SELECT id, peer, type, summary, '', received_at, conversation FROM fed_inbox WHERE state = ? ORDER BY received_at LIMIT 500`, InNCUPending)
}

// ncuIncomingDetail reads an incoming envelope that waits for routing or
// was routed, with its stored envelope; sql.ErrNoRows when there is none.
func ncuIncomingDetail(ctx context.Context, q store.Querier, id string) (QueueDetail, string, error) {
	d := QueueDetail{QueueItem: QueueItem{Direction: "incoming"}}
	var at, raw string
	err := q.QueryRowContext(ctx, `SELECT id, peer, type, summary, received_at, conversation, envelope, state, routed_to FROM fed_inbox WHERE id = ? AND (state = ? OR routed_to <> '')`, id, InNCUPending).
		Scan(&d.ID, &d.Peer, &d.Type, &d.Summary, &at, &d.Conversation, &raw, &d.State, &d.RoutedTo)
	d.CreatedAt = store.ParseTime(at)
	return d, raw, err
}

// routeInbox hands an envelope waiting for the NCU to agency; it reports
// false when the envelope was not waiting (already routed or unknown),
// which decides the conflict.
func routeInbox(ctx context.Context, tx *store.Tx, id, agency, by, at string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE fed_inbox SET state = ?, routed_to = ?, decided_by = ?, decided_at = ? WHERE id = ? AND state = ?`,
		InReceived, agency, by, at, id, InNCUPending)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// routedInbox lists up to limit routed envelopes, most recently decided first.
func routedInbox(ctx context.Context, q store.Querier, limit int) ([]RoutedItem, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (RoutedItem, error) {
		it := RoutedItem{QueueItem: QueueItem{Direction: "incoming"}}
		var at, dec string
		err := r.Scan(&it.ID, &it.Peer, &it.Type, &it.Summary, &at, &it.Conversation, &it.RoutedTo, &it.DecidedBy, &dec)
		it.CreatedAt, it.DecidedAt = store.ParseTime(at), store.ParseTime(dec)
		return it, err
	}, `SELECT id, peer, type, summary, received_at, conversation, routed_to, decided_by, decided_at FROM fed_inbox
		WHERE routed_to <> '' AND state <> ? ORDER BY decided_at DESC, id LIMIT ?`, InFailed, limit)
}

// inboxRouting reads an envelope's state, agency and stored envelope;
// sql.ErrNoRows when there is none.
func inboxRouting(ctx context.Context, q store.Querier, id string) (state, routedTo, raw string, err error) {
	err = q.QueryRowContext(ctx, `SELECT state, routed_to, envelope FROM fed_inbox WHERE id = ?`, id).Scan(&state, &routedTo, &raw)
	return state, routedTo, raw, err
}

// rerouteInbox records that an envelope moved to another agency.
func rerouteInbox(ctx context.Context, tx *store.Tx, id, agency, by, at string) error {
	_, err := tx.ExecContext(ctx, `UPDATE fed_inbox SET routed_to = ?, decided_by = ?, decided_at = ? WHERE id = ?`, agency, by, at, id)
	return err
}

// noticeRow is a handled notice as stored.
type noticeRow struct{ id, from, raw, routedTo, receivedAt string }

// handledNotices lists up to 200 handled notices, newest first: all of
// them, or only those routed to agency.
func handledNotices(ctx context.Context, q store.Querier, all bool, agency string) ([]noticeRow, error) {
	query := `SELECT id, peer, envelope, routed_to, received_at FROM fed_inbox WHERE type = ? AND state = ?`
	args := []any{TypeNotice, InHandled}
	if !all {
		query += ` AND routed_to = ?`
		args = append(args, agency)
	}
	return store.Collect(ctx, q, func(r store.Scanner) (noticeRow, error) {
		var n noticeRow
		return n, r.Scan(&n.id, &n.from, &n.raw, &n.routedTo, &n.receivedAt)
	}, query+` ORDER BY received_at DESC LIMIT 200`, args...)
}

// inboxHealth fills the inbox's counts and oldest waiting envelope.
func inboxHealth(ctx context.Context, q store.Querier, h *store.QueueHealth) error {
	var oldest string
	err := q.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN state = ? AND last_error = '' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = ? AND last_error <> '' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = ? THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN state = ? THEN received_at END), '')
		FROM fed_inbox WHERE state IN (?, ?)`, InReceived, InReceived, InFailed, InReceived, InReceived, InFailed).
		Scan(&h.Waiting, &h.Retrying, &h.Failed, &oldest)
	h.Oldest = store.ParseTime(oldest)
	return err
}

// inboxProblems lists retrying and failed envelopes, newest first.
func inboxProblems(ctx context.Context, q store.Querier) ([]store.QueueProblem, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (store.QueueProblem, error) {
		var p store.QueueProblem
		var since string
		if err := r.Scan(&p.ID, &p.Peer, &p.What, &p.State, &p.LastError, &since); err != nil {
			return p, err
		}
		if p.State == InReceived {
			p.State = "retrying"
		}
		p.Since = store.ParseTime(since)
		return p, nil
	}, `SELECT id, peer, type, state, last_error, received_at FROM fed_inbox
		WHERE (state = ? AND last_error <> '') OR state = ? ORDER BY received_at DESC LIMIT ?`, InReceived, InFailed, store.MaxQueueProblems)
}

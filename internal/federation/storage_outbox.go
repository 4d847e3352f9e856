// Storage of the outbox and its delivery: every SQL statement about
// fed_outbox is here, behind typed functions; the service holds none.

package federation

import (
	"context"
	"strings"

	"github.com/liaison-wb/liaison/internal/store"
)

// outboxCount is how many envelopes of a peer (or of all peers) are in a
// state, and the oldest one's creation time.
type outboxCount struct {
	peer, state, oldest string
	n                   int
}

// outboxCountsByPeer counts queued and NCU-pending envelopes per peer.
func outboxCountsByPeer(ctx context.Context, q store.Querier) ([]outboxCount, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (outboxCount, error) {
		var c outboxCount
		return c, r.Scan(&c.peer, &c.state, &c.n, &c.oldest)
	}, `SELECT peer, state, COUNT(*), MIN(created_at) FROM fed_outbox WHERE state IN (?, ?) GROUP BY peer, state`, OutQueued, OutNCUPending)
}

// outboxCountsByState counts queued, NCU-pending and failed envelopes.
func outboxCountsByState(ctx context.Context, q store.Querier) ([]outboxCount, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (outboxCount, error) {
		var c outboxCount
		return c, r.Scan(&c.state, &c.n, &c.oldest)
	}, `SELECT state, COUNT(*), MIN(created_at) FROM fed_outbox WHERE state IN (?, ?, ?) GROUP BY state`, OutQueued, OutNCUPending, OutFailed)
}

// nextOutboxSeq is the next sequence number of a conversation with a peer.
func nextOutboxSeq(ctx context.Context, tx *store.Tx, peer, conversation string) (int64, error) {
	var seq int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM fed_outbox WHERE peer = ? AND conversation = ?`, peer, conversation).Scan(&seq)
	return seq, err
}

// outboxRecord is a new outgoing envelope.
type outboxRecord struct {
	id, peer, typ, conversation string
	seq                         int64
	createdAt, envelope, state  string
	sensitive                   bool
	summary, by, agency         string
	nextAttemptAt               string
}

func insertOutbox(ctx context.Context, tx *store.Tx, o outboxRecord) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO fed_outbox (id, peer, type, conversation, seq, created_at, envelope, state, sensitive, summary, created_by, created_agency, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.id, o.peer, o.typ, o.conversation, o.seq, o.createdAt, o.envelope, o.state, store.BoolInt(o.sensitive), o.summary, o.by, o.agency, o.nextAttemptAt)
	return err
}

// decideOutbox records the NCU's decision on an envelope that waits for
// it; it reports false when the envelope was not waiting (already decided
// or unknown), which decides the conflict.
func decideOutbox(ctx context.Context, tx *store.Tx, id, state, by, at, reason string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE fed_outbox SET state = ?, decided_by = ?, decided_at = ?, reason = ?, next_attempt_at = ? WHERE id = ? AND state = ?`,
		state, by, at, reason, at, id, OutNCUPending)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// outboxAgency is the agency of an envelope's author; sql.ErrNoRows when
// there is no such envelope.
func outboxAgency(ctx context.Context, q store.Querier, id string) (string, error) {
	var agency string
	err := q.QueryRowContext(ctx, `SELECT COALESCE(NULLIF(o.created_agency, ''), (SELECT u.agency FROM users u WHERE u.username = o.created_by), '') FROM fed_outbox o WHERE o.id = ?`, id).Scan(&agency)
	return agency, err
}

// outboxByID reads one envelope's status; sql.ErrNoRows when there is none.
func outboxByID(ctx context.Context, q store.Querier, id string) (OutboxEntry, error) {
	var e OutboxEntry
	var c, d string
	err := q.QueryRowContext(ctx, `SELECT id, peer, type, state, summary, created_at, delivered_at, attempts, last_error, reason FROM fed_outbox WHERE id = ?`, id).
		Scan(&e.ID, &e.Peer, &e.Type, &e.State, &e.Summary, &c, &d, &e.Attempts, &e.LastError, &e.Reason)
	e.CreatedAt, e.DeliveredAt = store.ParseTime(c), store.ParseTime(d)
	return e, err
}

// rescheduleOutbox makes queued envelopes to peer (all peers when "") due at now.
func rescheduleOutbox(ctx context.Context, q store.Querier, peer, now string) error {
	query := `UPDATE fed_outbox SET next_attempt_at = ? WHERE state = ?`
	args := []any{now, OutQueued}
	if peer != "" {
		query += ` AND peer = ?`
		args = append(args, peer)
	}
	_, err := q.ExecContext(ctx, query, args...)
	return err
}

// countOutbox counts the envelopes in a state.
func countOutbox(ctx context.Context, q store.Querier, state string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM fed_outbox WHERE state = ?`, state).Scan(&n)
	return n, err
}

// blockedConv is a conversation whose envelopes from seq on must wait.
type blockedConv struct {
	peer, conversation string
	seq                int64
}

// blockedConversations lists the conversations blocked by an envelope that
// waits for the NCU or for its next attempt, with the first blocked seq.
func blockedConversations(ctx context.Context, q store.Querier, now string) ([]blockedConv, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (blockedConv, error) {
		var c blockedConv
		return c, r.Scan(&c.peer, &c.conversation, &c.seq)
	}, `SELECT peer, conversation, MIN(seq) FROM fed_outbox
		WHERE state = ? OR (state = ? AND next_attempt_at > ?) GROUP BY peer, conversation`, OutNCUPending, OutQueued, now)
}

// announcingPeers lists the peers a queued key announcement waits for.
func announcingPeers(ctx context.Context, q store.Querier) ([]string, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (string, error) {
		var p string
		return p, r.Scan(&p)
	}, `SELECT DISTINCT peer FROM fed_outbox WHERE type IN (?, ?) AND state = ?`, TypeKeyRotate, TypeKeyRevoke, OutQueued)
}

// dueRow is a queued envelope due for delivery.
type dueRow struct {
	outRow
	conversation string
	seq          int64
}

// dueOutbox lists, for each active peer, up to limit queued envelopes due
// at now, in peer, conversation and sequence order.
//
// Each peer is read through the partial index fed_outbox_queued, which
// hands its queued envelopes over in order, so a round costs the rows it
// returns, not the backlog: read through fed_outbox_due, every round read
// and sorted the whole backlog (hundreds of thousands of envelopes when a
// register of alerts goes to every partner). The state is written into
// the statement (a constant) so that both databases can prove the index
// applies, and next_attempt_at is compared as an expression so that
// neither prefers fed_outbox_due for it.
func dueOutbox(ctx context.Context, q store.Querier, now string, limit int) ([]dueRow, error) {
	peers, err := store.Collect(ctx, q, func(r store.Scanner) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, `SELECT id FROM fed_peers WHERE suspended = 0 ORDER BY id`)
	if err != nil {
		return nil, err
	}
	var out []dueRow
	for _, peer := range peers {
		rows, err := store.Collect(ctx, q, func(r store.Scanner) (dueRow, error) {
			var d dueRow
			var c string
			err := r.Scan(&d.id, &d.peer, &d.envelope, &d.typ, &d.attempts, &c, &d.conversation, &d.seq)
			d.createdAt = store.ParseTime(c)
			return d, err
		}, `SELECT id, peer, envelope, type, attempts, created_at, conversation, seq FROM fed_outbox
			WHERE peer = ? AND state = '`+OutQueued+`' AND next_attempt_at || '' <= ?
			ORDER BY conversation, seq LIMIT ?`, peer, now, limit)
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
	}
	return out, nil
}

// outboxRefused marks an envelope the peer refused for good.
func outboxRefused(ctx context.Context, tx *store.Tx, id, lastError string) error {
	_, err := tx.ExecContext(ctx, `UPDATE fed_outbox SET state = ?, attempts = attempts + 1, last_error = ? WHERE id = ?`, OutFailed, lastError, id)
	return err
}

// outboxRetryAt counts a failed attempt and schedules the next one.
func outboxRetryAt(ctx context.Context, tx *store.Tx, id, next, lastError string) error {
	_, err := tx.ExecContext(ctx, `UPDATE fed_outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`, next, lastError, id)
	return err
}

// outboxDelivered marks envelopes acknowledged by their peer.
func outboxDelivered(ctx context.Context, tx *store.Tx, ids []string, at string) error {
	if len(ids) == 0 {
		return nil
	}
	args := []any{OutDelivered, at}
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := tx.ExecContext(ctx, `UPDATE fed_outbox SET state = ?, delivered_at = ?, attempts = attempts + 1, last_error = '' WHERE id IN (`+
		strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")+`)`, args...)
	return err
}

// pendingKeyAnnouncements counts undelivered key announcements to peer.
func pendingKeyAnnouncements(ctx context.Context, q store.Querier, peer string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM fed_outbox WHERE peer = ? AND type IN (?, ?) AND state IN (?, ?)`,
		peer, TypeKeyRotate, TypeKeyRevoke, OutQueued, OutNCUPending).Scan(&n)
	return n, err
}

// pendingCertAnnouncements counts undelivered certificate announcements
// to peer (to any peer when peer is "").
func pendingCertAnnouncements(ctx context.Context, q store.Querier, peer string) (int, error) {
	query := `SELECT COUNT(*) FROM fed_outbox WHERE type = ? AND state IN (?, ?)`
	args := []any{TypeCertRenew, OutQueued, OutNCUPending}
	if peer != "" {
		query += ` AND peer = ?`
		args = append(args, peer)
	}
	var n int
	err := q.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// unsentEnvelope is an envelope that has not left yet.
type unsentEnvelope struct{ id, raw string }

// unsentEnvelopes lists the queued and NCU-pending envelopes.
func unsentEnvelopes(ctx context.Context, tx *store.Tx) ([]unsentEnvelope, error) {
	return store.Collect(ctx, tx, func(r store.Scanner) (unsentEnvelope, error) {
		var p unsentEnvelope
		return p, r.Scan(&p.id, &p.raw)
	}, `SELECT id, envelope FROM fed_outbox WHERE state IN (?, ?)`, OutQueued, OutNCUPending)
}

// setOutboxEnvelope replaces an envelope (re-signed).
func setOutboxEnvelope(ctx context.Context, tx *store.Tx, id, raw string) error {
	_, err := tx.ExecContext(ctx, `UPDATE fed_outbox SET envelope = ? WHERE id = ?`, raw, id)
	return err
}

// ncuOutgoing lists the outgoing envelopes waiting for the NCU, oldest first.
func ncuOutgoing(ctx context.Context, q store.Querier) ([]QueueItem, error) {
	return store.Collect(ctx, q, scanQueueItem("outgoing"),
		`SELECT id, peer, type, summary, created_by, created_at, conversation FROM fed_outbox WHERE state = ? ORDER BY created_at LIMIT 500`, OutNCUPending)
}

func scanQueueItem(dir string) func(store.Scanner) (QueueItem, error) {
	return func(r store.Scanner) (QueueItem, error) {
		it := QueueItem{Direction: dir}
		var at string
		err := r.Scan(&it.ID, &it.Peer, &it.Type, &it.Summary, &it.CreatedBy, &at, &it.Conversation)
		it.CreatedAt = store.ParseTime(at)
		return it, err
	}
}

// ncuOutgoingDetail reads a sensitive outgoing envelope with its stored
// envelope; sql.ErrNoRows when there is none.
func ncuOutgoingDetail(ctx context.Context, q store.Querier, id string) (QueueDetail, string, error) {
	var d QueueDetail
	var at, raw string
	err := q.QueryRowContext(ctx, `SELECT id, peer, type, summary, created_by, created_at, conversation, envelope, state FROM fed_outbox WHERE id = ? AND sensitive = 1`, id).
		Scan(&d.ID, &d.Peer, &d.Type, &d.Summary, &d.CreatedBy, &at, &d.Conversation, &raw, &d.State)
	d.Direction = "outgoing"
	d.CreatedAt = store.ParseTime(at)
	return d, raw, err
}

// outboxHealth fills the outbox's counts and oldest waiting envelope.
func outboxHealth(ctx context.Context, q store.Querier, h *store.QueueHealth) error {
	var oldest string
	err := q.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN state = ? AND attempts = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = ? AND attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = ? THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN state = ? THEN created_at END), '')
		FROM fed_outbox WHERE state IN (?, ?)`, OutQueued, OutQueued, OutFailed, OutQueued, OutQueued, OutFailed).
		Scan(&h.Waiting, &h.Retrying, &h.Failed, &oldest)
	h.Oldest = store.ParseTime(oldest)
	return err
}

// outboxProblems lists retrying and failed envelopes, newest first.
func outboxProblems(ctx context.Context, q store.Querier) ([]store.QueueProblem, error) {
	return store.Collect(ctx, q, func(r store.Scanner) (store.QueueProblem, error) {
		var p store.QueueProblem
		var next, since string
		if err := r.Scan(&p.ID, &p.Peer, &p.What, &p.State, &p.Attempts, &next, &p.LastError, &since); err != nil {
			return p, err
		}
		if p.State == OutQueued {
			p.State, p.NextTry = "retrying", store.ParseTime(next)
		}
		p.Since = store.ParseTime(since)
		return p, nil
	}, `SELECT id, peer, type, state, attempts, next_attempt_at, last_error, created_at FROM fed_outbox
		WHERE (state = ? AND attempts > 0) OR state = ? ORDER BY created_at DESC LIMIT ?`, OutQueued, OutFailed, store.MaxQueueProblems)
}

// Storage of hit/no-hit queries: those sent, those received and their
// answers, the owner's hits and the releases learnt. Every SQL statement
// of these tables is here, behind typed functions.

package cases

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// ---- sent queries

func insertQuery(ctx context.Context, tx *store.Tx, q OutQuery) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_queries (id, purpose, case_ref, peers, items, created_by, agency, created_at, mode) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		q.ID, q.Purpose, q.CaseRef, jsonText(q.Peers), jsonText(q.Items), q.CreatedBy, q.Agency, store.FormatTime(q.CreatedAt), q.Mode)
	return err
}

// queryByID reads a sent query without its answers; sql.ErrNoRows when
// none.
func queryByID(ctx context.Context, q store.Querier, id string) (OutQuery, error) {
	var out OutQuery
	var peers, items, at string
	err := q.QueryRowContext(ctx, `SELECT id, purpose, case_ref, peers, items, created_by, agency, created_at, mode FROM cases_queries WHERE id = ?`, id).
		Scan(&out.ID, &out.Purpose, &out.CaseRef, &peers, &items, &out.CreatedBy, &out.Agency, &at, &out.Mode)
	if err != nil {
		return out, err
	}
	var jc store.JSONColumns
	jc.Decode("peers", peers, &out.Peers)
	jc.Decode("items", items, &out.Items)
	out.CreatedAt = store.ParseTime(at)
	return out, jc.Err("cases.Query", "query "+out.ID)
}

// queryAsker reads who sent a query, why and from which agency;
// sql.ErrNoRows when none.
func queryAsker(ctx context.Context, q store.Querier, id string) (by, purpose, agency string, err error) {
	err = q.QueryRowContext(ctx, `SELECT created_by, purpose, agency FROM cases_queries WHERE id = ?`, id).Scan(&by, &purpose, &agency)
	return by, purpose, agency, err
}

// querySummaries reads the newest 200 sent queries, of one agency unless
// agency is "".
func querySummaries(ctx context.Context, q store.Querier, agency string) ([]QuerySummary, error) {
	query := `SELECT q.id, q.purpose, q.case_ref, q.peers, q.items, q.created_by, q.created_at, q.mode,
		(SELECT COUNT(*) FROM cases_query_results r WHERE r.query_id = q.id AND r.hit = 1) FROM cases_queries q`
	var args []any
	if agency != "" {
		query += ` WHERE q.agency = ?`
		args = append(args, agency)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY q.created_at DESC LIMIT 200`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []QuerySummary{}
	for rows.Next() {
		var r QuerySummary
		var peers, items, at string
		if err := rows.Scan(&r.ID, &r.Purpose, &r.CaseRef, &peers, &items, &r.CreatedBy, &at, &r.Mode, &r.Hits); err != nil {
			return nil, err
		}
		var jc store.JSONColumns
		jc.Decode("peers", peers, &r.Peers)
		var its []json.RawMessage
		jc.Decode("items", items, &its)
		if err := jc.Err("cases.Queries", "query "+r.ID); err != nil {
			return nil, err
		}
		r.Items, r.CreatedAt = len(its), store.ParseTime(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// insertQueryResult records one item of a peer's answer; a repeated
// answer changes nothing.
func insertQueryResult(ctx context.Context, tx *store.Tx, queryID, peer string, r AnswerItem, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_query_results (query_id, peer, item, hit, reference, band, answered_at, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (query_id, peer, item) DO NOTHING`,
		queryID, peer, r.N, store.BoolInt(r.Hit), r.Reference, r.Band, store.FormatTime(at), r.Error)
	return err
}

// queryResults reads the answers to a query, by item and peer.
func queryResults(ctx context.Context, q store.Querier, id string) ([]PeerResult, error) {
	rows, err := q.QueryContext(ctx, `SELECT peer, item, hit, reference, band, answered_at, error FROM cases_query_results WHERE query_id = ? ORDER BY item, peer`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []PeerResult{}
	for rows.Next() {
		var r PeerResult
		var hit int
		var at string
		if err := rows.Scan(&r.Peer, &r.N, &hit, &r.Reference, &r.Band, &at, &r.Error); err != nil {
			return nil, err
		}
		r.Hit, r.AnsweredAt = hit == 1, store.ParseTime(at)
		out = append(out, r)
	}
	return out, rows.Err()
}

// ---- releases learnt

// insertRelease records a release notice received; a repeated notice
// changes nothing.
func insertRelease(ctx context.Context, tx *store.Tx, r Release, queryID string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_releases (id, query_id, peer, reference, refused, markings, released_by, routed_to, received_at, thread_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, r.ID, queryID, r.Peer, r.Reference, store.BoolInt(r.Refused), jsonText(r.Markings), r.ReleasedBy, r.RoutedTo,
		store.FormatTime(r.ReceivedAt), r.ThreadID)
	return err
}

// queryReleases reads the releases learnt for a query, of those routed to
// agency unless agency is "".
func queryReleases(ctx context.Context, q store.Querier, id, agency string) ([]Release, error) {
	query := `SELECT id, peer, reference, refused, reason, fields, markings, released_by, routed_to, received_at, thread_id FROM cases_releases WHERE query_id = ?`
	args := []any{id}
	if agency != "" {
		query += ` AND routed_to = ?`
		args = append(args, agency)
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY received_at`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Release{}
	for rows.Next() {
		var r Release
		var refused int
		var f, m, at string
		if err := rows.Scan(&r.ID, &r.Peer, &r.Reference, &refused, &r.Reason, &f, &m, &r.ReleasedBy, &r.RoutedTo, &at, &r.ThreadID); err != nil {
			return nil, err
		}
		r.Refused, r.ReceivedAt = refused == 1, store.ParseTime(at)
		var jc store.JSONColumns
		jc.Decode("fields", f, &r.Fields)
		jc.Decode("markings", m, &r.Markings)
		if err := jc.Err("cases.Query", "release "+r.ID); err != nil {
			return nil, err
		}
		if r.Fields == nil {
			r.Fields = map[string]string{}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ---- received queries

func insertInbound(ctx context.Context, tx *store.Tx, q inbound, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_inbound (id, query_id, peer, purpose, case_ref, requester, agency, items, state, received_at, mode, pprl_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?)
		ON CONFLICT (id) DO NOTHING`, q.id, q.queryID, q.peer, q.purpose, q.caseRef, q.requester, q.agency, jsonText(q.items), store.FormatTime(at), q.mode, q.key)
	return err
}

// dueInbound reads up to limit received queries waiting for an answer
// whose next attempt is due. A query whose items cannot be read is
// returned with unreadable set, so that it is put aside, not retried.
func dueInbound(ctx context.Context, q store.Querier, now time.Time, limit int) ([]inbound, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, query_id, peer, purpose, case_ref, requester, agency, items, attempts, mode, pprl_key FROM cases_inbound
		WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY received_at LIMIT ?`, store.FormatTime(now), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []inbound
	for rows.Next() {
		var r inbound
		var items string
		if err := rows.Scan(&r.id, &r.queryID, &r.peer, &r.purpose, &r.caseRef, &r.requester, &r.agency, &items, &r.attempts, &r.mode, &r.key); err != nil {
			return nil, err
		}
		var jc store.JSONColumns
		jc.Decode("items", items, &r.items)
		r.unreadable = jc.Err("cases.answer", "received query "+r.id)
		out = append(out, r)
	}
	return out, rows.Err()
}

// retryInbound records a failed attempt to answer: the attempts, when to
// try again, why, and the state (pending or failed).
func retryInbound(ctx context.Context, q store.Querier, id string, attempts int, next time.Time, lastErr, state string) error {
	_, err := q.ExecContext(ctx, `UPDATE cases_inbound SET attempts = ?, next_attempt_at = ?, last_error = ?, state = ? WHERE id = ? AND state = 'pending'`,
		attempts, store.FormatTime(next), lastErr, state, id)
	return err
}

// markAnswered claims a pending received query as answered; false when it
// was answered meanwhile.
func markAnswered(ctx context.Context, tx *store.Tx, id string, hits int, at time.Time) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE cases_inbound SET state = 'answered', hits = ?, answered_at = ? WHERE id = ? AND state = 'pending'`, hits, store.FormatTime(at), id)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// inboundHealth counts the received queries waiting, retrying and given up,
// and lists the latest problems.
func inboundHealth(ctx context.Context, q store.Querier) (store.QueueHealth, error) {
	h := store.QueueHealth{Queue: "cases.answers"}
	var oldest string
	if err := q.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN state = 'pending' AND attempts = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = 'pending' AND attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN state = 'pending' THEN received_at END), '')
		FROM cases_inbound WHERE state IN ('pending', 'failed')`).Scan(&h.Waiting, &h.Retrying, &h.Failed, &oldest); err != nil {
		return h, err
	}
	h.Oldest = store.ParseTime(oldest)
	rows, err := q.QueryContext(ctx, `SELECT query_id, peer, state, attempts, next_attempt_at, last_error, received_at FROM cases_inbound
		WHERE (state = 'pending' AND attempts > 0) OR state = 'failed' ORDER BY received_at DESC LIMIT ?`, store.MaxQueueProblems)
	if err != nil {
		return h, err
	}
	defer rows.Close()
	for rows.Next() {
		p := store.QueueProblem{What: "cases.query"}
		var next, since string
		if err := rows.Scan(&p.ID, &p.Peer, &p.State, &p.Attempts, &next, &p.LastError, &since); err != nil {
			return h, err
		}
		if p.State == "pending" {
			p.State, p.NextTry = "retrying", store.ParseTime(next)
		}
		p.Since = store.ParseTime(since)
		h.Problems = append(h.Problems, p)
	}
	return h, rows.Err()
}

// ---- the owner's hits

const hitCols = `h.reference, h.query_id, h.peer, h.item, h.score, h.band, h.asked, h.state, h.decided_by, h.decided_at, h.reason, h.released, h.created_at, h.thread_id, ` +
	`e.pk, e.id, e.kind, e.label, e.fields, e.aliases, e.source, e.merged_into, e.created_by, e.created_at`

func scanHit(r scanner) (Hit, error) {
	var jc store.JSONColumns
	var h Hit
	var score, asked, dat, rel, cat string
	var e Entity
	var f, a, eat string
	err := r.Scan(&h.Reference, &h.QueryID, &h.Peer, &h.Item, &score, &h.Band, &asked, &h.State, &h.DecidedBy, &dat, &h.Reason, &rel, &cat, &h.ThreadID,
		&e.pk, &e.ID, &e.Kind, &e.Label, &f, &a, &e.Source, &e.MergedInto, &e.CreatedBy, &eat)
	if err != nil {
		return h, err
	}
	var perr error
	if h.Score, perr = strconv.ParseFloat(score, 64); perr != nil {
		return h, errs.Wrap(errs.Internal, "cases.scanHit", "stored data of hit "+h.Reference+" cannot be read (column score)", perr)
	}
	jc.Decode("asked", asked, &h.Asked)
	jc.Decode("released", rel, &h.Released)
	jc.Decode("fields", f, &e.Fields)
	jc.Decode("aliases", a, &e.Aliases)
	e.Aliases = nz(e.Aliases)
	e.CreatedAt = store.ParseTime(eat)
	h.Entity = e
	h.DecidedAt, h.CreatedAt = store.ParseTime(dat), store.ParseTime(cat)
	return h, jc.Err("cases.scanHit", "hit "+h.Reference)
}

// newHit is a local entity hit by a received query item.
type newHit struct {
	reference, inboundID, queryID, peer string
	item                                int
	entityID                            string
	score                               float64
	band                                string
	asked                               any
}

func insertHit(ctx context.Context, tx *store.Tx, h newHit, at time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO cases_hits (reference, inbound_id, query_id, peer, item, entity_id, score, band, asked, state, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'new', ?)`,
		h.reference, h.inboundID, h.queryID, h.peer, h.item, h.entityID, strconv.FormatFloat(h.score, 'f', 4, 64), h.band, jsonText(h.asked), store.FormatTime(at))
	return err
}

// listHits reads the newest 500 hits, of one state unless state is "".
func listHits(ctx context.Context, q store.Querier, state string) ([]Hit, error) {
	query := `SELECT ` + hitCols + ` FROM cases_hits h JOIN cases_entities e ON e.id = h.entity_id`
	var args []any
	if state != "" {
		query += ` WHERE h.state = ?`
		args = append(args, state)
	}
	return store.Collect(ctx, q, scanHit, query+` ORDER BY h.created_at DESC LIMIT 500`, args...)
}

// hitByRef reads one hit; sql.ErrNoRows when none.
func hitByRef(ctx context.Context, q store.Querier, ref string) (Hit, error) {
	return scanHit(q.QueryRowContext(ctx, `SELECT `+hitCols+` FROM cases_hits h JOIN cases_entities e ON e.id = h.entity_id WHERE h.reference = ?`, ref))
}

// decideHit records the decision on a new hit; false when it was decided
// meanwhile.
func decideHit(ctx context.Context, tx *store.Tx, ref, state, by string, at time.Time, reason string, released map[string]string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE cases_hits SET state = ?, decided_by = ?, decided_at = ?, reason = ?, released = ? WHERE reference = ? AND state = 'new'`,
		state, by, store.FormatTime(at), reason, jsonText(released), ref)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// setHitThread links a decided hit to the exchange message that carries
// the decision.
func setHitThread(ctx context.Context, tx *store.Tx, ref, threadID, envelopeID string) error {
	_, err := tx.ExecContext(ctx, `UPDATE cases_hits SET thread_id = ?, envelope_id = ? WHERE reference = ?`, threadID, envelopeID, ref)
	return err
}

// countHits counts the hits in a state.
func countHits(ctx context.Context, q store.Querier, state string) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM cases_hits WHERE state = ?`, state).Scan(&n)
	return n, err
}

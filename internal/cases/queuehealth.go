package cases

import (
	"context"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// QueueHealth reports received hit/no-hit queries waiting for an answer,
// those retried after a failure and those given up, with their reasons.
// The problems name the query and the asking node only, never what was
// asked.
func (s *Service) QueueHealth(ctx context.Context) (store.QueueHealth, error) {
	const op = "cases.QueueHealth"
	h := store.QueueHealth{Queue: "cases.answers"}
	var oldest string
	if err := s.d.Store.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN state = 'pending' AND attempts = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = 'pending' AND attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = 'failed' THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN state = 'pending' THEN received_at END), '')
		FROM cases_inbound WHERE state IN ('pending', 'failed')`).Scan(&h.Waiting, &h.Retrying, &h.Failed, &oldest); err != nil {
		return h, errs.Wrap(errs.Unavailable, op, "cannot read received queries", err)
	}
	h.Oldest = store.ParseTime(oldest)
	rows, err := s.d.Store.QueryContext(ctx, `SELECT query_id, peer, state, attempts, next_attempt_at, last_error, received_at FROM cases_inbound
		WHERE (state = 'pending' AND attempts > 0) OR state = 'failed' ORDER BY received_at DESC LIMIT ?`, store.MaxQueueProblems)
	if err != nil {
		return h, errs.Wrap(errs.Unavailable, op, "cannot read received queries", err)
	}
	defer rows.Close()
	for rows.Next() {
		p := store.QueueProblem{What: "cases.query"}
		var next, since string
		if err := rows.Scan(&p.ID, &p.Peer, &p.State, &p.Attempts, &next, &p.LastError, &since); err != nil {
			return h, errs.Wrap(errs.Unavailable, op, "cannot read received queries", err)
		}
		if p.State == "pending" {
			p.State, p.NextTry = "retrying", store.ParseTime(next)
		}
		p.Since = store.ParseTime(since)
		h.Problems = append(h.Problems, p)
	}
	if err := rows.Err(); err != nil {
		return h, errs.Wrap(errs.Unavailable, op, "cannot read received queries", err)
	}
	return h, nil
}

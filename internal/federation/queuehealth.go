package federation

import (
	"context"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// QueueHealth reports the delivery outbox and the inbox of received
// envelopes: backlog, retries and failures with their reasons.
func (s *Service) QueueHealth(ctx context.Context) ([]store.QueueHealth, error) {
	const op = "federation.QueueHealth"
	out := store.QueueHealth{Queue: "federation.outbox"}
	var oldest string
	if err := s.d.Store.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN state = ? AND attempts = 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = ? AND attempts > 0 THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = ? THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN state = ? THEN created_at END), '')
		FROM fed_outbox WHERE state IN (?, ?)`, OutQueued, OutQueued, OutFailed, OutQueued, OutQueued, OutFailed).
		Scan(&out.Waiting, &out.Retrying, &out.Failed, &oldest); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the outbox", err)
	}
	out.Oldest = store.ParseTime(oldest)
	rows, err := s.d.Store.QueryContext(ctx, `SELECT id, peer, type, state, attempts, next_attempt_at, last_error, created_at FROM fed_outbox
		WHERE (state = ? AND attempts > 0) OR state = ? ORDER BY created_at DESC LIMIT ?`, OutQueued, OutFailed, store.MaxQueueProblems)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the outbox", err)
	}
	for rows.Next() {
		var p store.QueueProblem
		var next, since string
		if err := rows.Scan(&p.ID, &p.Peer, &p.What, &p.State, &p.Attempts, &next, &p.LastError, &since); err != nil {
			rows.Close()
			return nil, errs.Wrap(errs.Unavailable, op, "cannot read the outbox", err)
		}
		if p.State == OutQueued {
			p.State, p.NextTry = "retrying", store.ParseTime(next)
		}
		p.Since = store.ParseTime(since)
		out.Problems = append(out.Problems, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the outbox", err)
	}

	in := store.QueueHealth{Queue: "federation.inbox"}
	if err := s.d.Store.QueryRowContext(ctx, `SELECT
		COALESCE(SUM(CASE WHEN state = ? AND last_error = '' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = ? AND last_error <> '' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = ? THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN state = ? THEN received_at END), '')
		FROM fed_inbox WHERE state IN (?, ?)`, InReceived, InReceived, InFailed, InReceived, InReceived, InFailed).
		Scan(&in.Waiting, &in.Retrying, &in.Failed, &oldest); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the inbox", err)
	}
	in.Oldest = store.ParseTime(oldest)
	rows, err = s.d.Store.QueryContext(ctx, `SELECT id, peer, type, state, last_error, received_at FROM fed_inbox
		WHERE (state = ? AND last_error <> '') OR state = ? ORDER BY received_at DESC LIMIT ?`, InReceived, InFailed, store.MaxQueueProblems)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the inbox", err)
	}
	defer rows.Close()
	for rows.Next() {
		var p store.QueueProblem
		var since string
		if err := rows.Scan(&p.ID, &p.Peer, &p.What, &p.State, &p.LastError, &since); err != nil {
			return nil, errs.Wrap(errs.Unavailable, op, "cannot read the inbox", err)
		}
		if p.State == InReceived {
			p.State = "retrying"
		}
		p.Since = store.ParseTime(since)
		in.Problems = append(in.Problems, p)
	}
	if err := rows.Err(); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the inbox", err)
	}
	return []store.QueueHealth{out, in}, nil
}

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
	if err := outboxHealth(ctx, s.d.Store, &out); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the outbox", err)
	}
	problems, err := outboxProblems(ctx, s.d.Store)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the outbox", err)
	}
	out.Problems = append(out.Problems, problems...)

	in := store.QueueHealth{Queue: "federation.inbox"}
	if err := inboxHealth(ctx, s.d.Store, &in); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the inbox", err)
	}
	problems, err = inboxProblems(ctx, s.d.Store)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the inbox", err)
	}
	in.Problems = append(in.Problems, problems...)
	return []store.QueueHealth{out, in}, nil
}

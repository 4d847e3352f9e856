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
	h, err := inboundHealth(ctx, s.d.Store)
	if err != nil {
		return h, errs.Wrap(errs.Unavailable, op, "cannot read received queries", err)
	}
	return h, nil
}

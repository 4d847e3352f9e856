package auth

import (
	"context"

	"github.com/liaison-wb/liaison/internal/errs"
)

// UserAgencies lists the agency codes of the node's active accounts: the
// agencies that have someone to read what is routed to them.
func (s *Service) UserAgencies(ctx context.Context) ([]string, error) {
	out, err := activeAgencies(ctx, s.st)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "auth.UserAgencies", "cannot read users", err)
	}
	return out, nil
}

package auth

import (
	"context"

	"github.com/liaison-wb/liaison/internal/errs"
)

// UserAgencies lists the agency codes of the node's active accounts: the
// agencies that have someone to read what is routed to them.
func (s *Service) UserAgencies(ctx context.Context) ([]string, error) {
	rows, err := s.st.QueryContext(ctx, `SELECT DISTINCT agency FROM users WHERE disabled = 0 AND agency <> '' ORDER BY agency`)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "auth.UserAgencies", "cannot read users", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, errs.Wrap(errs.Unavailable, "auth.UserAgencies", "cannot read users", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

package cases

import (
	"context"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
)

// CaseLinks resolves case references written on other records (an alert's
// case references) to the IDs of the cases held on this node, so they can
// be shown as links. References with no case here, and every reference
// for a caller who may not view cases, are left out. The lookup is audited.
func (s *Service) CaseLinks(ctx context.Context, p *auth.Principal, refs []string) (map[string]string, error) {
	out := map[string]string{}
	if len(refs) == 0 || auth.Authorize(p, auth.ActCasesView) != nil {
		return out, nil
	}
	var found []string
	for _, r := range refs {
		id, ref, err := caseKey(ctx, s.d.Store, strings.TrimSpace(r))
		if err != nil {
			continue // not a case on this node (or unreadable): shown as text
		}
		out[r] = id
		found = append(found, ref)
	}
	if len(found) == 0 {
		return out, nil
	}
	return out, s.record(ctx, entry(p, "cases.case.resolve", "cases", "", strings.Join(found, ", ")))
}

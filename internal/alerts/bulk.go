package alerts

import (
	"context"
	"strconv"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// BulkLoad stores alerts as in force in one transaction, without
// recipients: for benchmarks and for loading a national register from the
// server's console. Each alert passes the same checks as a draft; the
// four-eyes validation is the console operator's responsibility, recorded
// as such in the audit log.
func (s *Service) BulkLoad(ctx context.Context, actor *auth.Principal, drafts []AlertDraft) error {
	const op = "alerts.BulkLoad"
	if actor == nil || !actor.Console {
		return errs.New(errs.Forbidden, op, "alerts are loaded in bulk only from the server's console")
	}
	now := s.d.Clock.Now()
	as := make([]Alert, 0, len(drafts))
	for i, d := range drafts {
		a, err := s.clean(op, d)
		if err != nil {
			return errs.Newf(errs.Invalid, op, "alert %d: %s", i+1, strings.TrimPrefix(errs.SafeMessage(err), op+": "))
		}
		a.ID, a.OriginNode, a.Status, a.Local = store.NewID(), s.d.NodeID, StatusActive, true
		a.Agency, a.CreatedBy, a.CreatedAt, a.UpdatedAt, a.ValidatedBy, a.ValidatedAt = actor.Agency, actor.Username, now, now, actor.Username, now
		a.ReviewDue = now.Add(s.cfg.Review[a.Kind])
		a.Digest = Digest(a)
		as = append(as, a)
	}
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		for _, a := range as {
			if err := insertAlert(ctx, tx, a); err != nil {
				return err
			}
			if err := insertKeys(ctx, tx, a.ID, alertKeys(a, s.d.Region)); err != nil {
				return err
			}
			if a.photo != nil {
				if err := putPhoto(ctx, tx, a.ID, *a.photo, ft(now)); err != nil {
					return err
				}
			}
		}
		s.indexAfterCommit(tx, as...)
		return s.queueAudit(ctx, tx, actor, "alerts.import", "bulk", "console bulk load of "+strconv.Itoa(len(as))+" alerts in force")
	})
	if err != nil {
		return dbErr(op, "could not load the alerts", err)
	}
	return nil
}

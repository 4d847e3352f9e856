package alerts

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// BulkLoad stores alerts as in force in one transaction: for benchmarks
// and for loading a national register from the server's console. Each
// alert passes the same checks as a draft; the four-eyes validation is the
// console operator's responsibility, recorded as such in the audit log.
// Alerts with recipients (or all partners) are distributed in the same
// transaction, many to an envelope (alerts.publish_batch).
func (s *Service) BulkLoad(ctx context.Context, actor *auth.Principal, drafts []AlertDraft) error {
	const op = "alerts.BulkLoad"
	if actor == nil || !actor.Console {
		return errs.New(errs.Forbidden, op, "alerts are loaded in bulk only from the server's console")
	}
	now := s.d.Clock.Now()
	as := make([]Alert, 0, len(drafts))
	// Recipient lists repeat across a register: each is resolved once.
	resolved := map[string][]Recipient{}
	recips := make([][]Recipient, len(drafts))
	for i, d := range drafts {
		a, err := s.clean(op, d)
		if err != nil {
			return errs.Newf(errs.Invalid, op, "alert %d: %s", i+1, strings.TrimPrefix(errs.SafeMessage(err), op+": "))
		}
		if len(d.Recipients) > 0 || d.AllPartners {
			key := fmt.Sprint(d.AllPartners, d.Recipients)
			rs, ok := resolved[key]
			if !ok {
				if rs, _, err = s.resolveRecipients(ctx, actor, op, d); err != nil {
					return errs.Newf(errs.Invalid, op, "alert %d: %s", i+1, strings.TrimPrefix(errs.SafeMessage(err), op+": "))
				}
				resolved[key] = rs
			}
			recips[i] = rs
		}
		a.ID, a.OriginNode, a.Status, a.Local = store.NewID(), s.d.NodeID, StatusActive, true
		a.Agency, a.CreatedBy, a.CreatedAt, a.UpdatedAt, a.ValidatedBy, a.ValidatedAt = actor.Agency, actor.Username, now, now, actor.Username, now
		a.ReviewDue = now.Add(s.cfg.Review[a.Kind])
		a.Digest = Digest(a)
		as = append(as, a)
	}
	sent := false
	err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
		batches := s.newBatchPublisher(actor)
		for i, a := range as {
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
			for _, r := range recips[i] { // after the photo: the copy sent carries it
				if err := insertRecipient(ctx, tx, a.ID, r); err != nil {
					return err
				}
				if err := batches.add(ctx, tx, a, r); err != nil {
					return err
				}
				sent = true
			}
		}
		if err := batches.flushAll(ctx, tx); err != nil {
			return err
		}
		s.indexAfterCommit(tx, as...)
		return s.queueAudit(ctx, tx, actor, "alerts.import", "bulk", "console bulk load of "+strconv.Itoa(len(as))+" alerts in force")
	})
	if err != nil {
		return dbErr(op, "could not load the alerts", err)
	}
	if sent {
		s.d.Fed.Notify()
	}
	return nil
}

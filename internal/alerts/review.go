package alerts

import (
	"context"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/store"
)

// Run checks review dates until ctx ends.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, _, err := s.Review(ctx); err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("alerts review job failed", "err", err)
			}
		}
	}
}

// Review warns the issuer once about each alert whose review date falls
// within WarnBefore, and expires the alerts whose review date has passed
// without an extension; the expiry replicates to every recipient. It also
// notes, once, every hit report whose answer is overdue. It returns how
// many warnings and expiries it wrote.
func (s *Service) Review(ctx context.Context) (warned, expired int, err error) {
	now := s.d.Clock.Now()
	if err := s.overdueHits(ctx, now); err != nil {
		return 0, 0, err
	}
	due, err := s.reviewCandidates(ctx, now, false)
	if err != nil {
		return 0, 0, err
	}
	for _, a := range due {
		u := update{AlertID: a.ID, Kind: "status", Status: StatusExpired, Reason: "review date " + a.ReviewDue.Format("2006-01-02") + " passed without extension", Actor: "system:alerts", At: now}
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := s.apply(ctx, tx, a, u, s.d.NodeID); err != nil {
				return err
			}
			if err := s.replicateAll(ctx, tx, nil, a, u); err != nil {
				return err
			}
			return s.queueAudit(ctx, tx, nil, "alerts.expire", a.ID, u.Reason)
		})
		if err != nil {
			s.d.Logger.Warn("alerts: expiring an alert failed; retrying later", "alert", a.ID, "err", err)
			continue
		}
		expired++
	}
	soon, err := s.reviewCandidates(ctx, now.Add(s.cfg.WarnBefore), true)
	if err != nil {
		return warned, expired, err
	}
	for _, a := range soon {
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := setWarned(ctx, tx, a.ID); err != nil {
				return err
			}
			return s.event(ctx, tx, a.ID, "system:alerts", "review_warning", "", "review due "+a.ReviewDue.Format("2006-01-02")+": extend with a reason or the alert expires")
		})
		if err != nil {
			s.d.Logger.Warn("alerts: review warning failed; retrying later", "alert", a.ID, "err", err)
			continue
		}
		warned++
	}
	return warned, expired, nil
}

// overdueHits writes to the alert's timeline, once per hit report, that
// the issuer's answer is overdue.
func (s *Service) overdueHits(ctx context.Context, now time.Time) error {
	ls, err := overdueHitReports(ctx, s.d.Store, now)
	if err != nil {
		return err
	}
	for _, l := range ls {
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := markHitOverdue(ctx, tx, l.id); err != nil {
				return err
			}
			return s.event(ctx, tx, l.alert, "system:alerts", "hit_overdue", "", "the answer to the hit at "+l.place+" was due "+pt(l.due).Format("2006-01-02 15:04")+" UTC")
		})
		if err != nil {
			s.d.Logger.Warn("alerts: noting an overdue hit report failed; retrying later", "hit", l.id, "err", err)
		}
	}
	return nil
}

// OpenHits counts the hit reports waiting for the caller's answer (its
// agency's, or all for the NCU), for the menu badge.
func (s *Service) OpenHits(ctx context.Context, actor *auth.Principal) (int, error) {
	if err := auth.Authorize(actor, auth.ActAlertsManage); err != nil {
		return 0, err
	}
	return countOpenHits(ctx, s.d.Store, agencyFilter(actor))
}

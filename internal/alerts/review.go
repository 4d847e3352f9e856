package alerts

import (
	"context"
	"time"

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
// without an extension; the expiry replicates to every recipient. It
// returns how many warnings and expiries it wrote.
func (s *Service) Review(ctx context.Context) (warned, expired int, err error) {
	now := s.d.Clock.Now()
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

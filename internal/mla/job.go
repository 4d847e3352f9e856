package mla

import (
	"context"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Run checks deadlines every Interval until ctx ends.
func (s *Service) Run(ctx context.Context) {
	tick := time.NewTicker(s.cfg.Interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if _, err := s.Deadlines(ctx); err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("mla deadline job failed", "err", err)
			}
		}
	}
}

// Deadlines writes a reminder to the timeline of every open request whose
// recognition or execution deadline falls within RemindBefore, and an
// overdue notice once it has passed, each once per deadline, on both the
// requesting side (to chase) and the requested side (to act). It returns
// how many reminders and notices it wrote.
func (s *Service) Deadlines(ctx context.Context) (int, error) {
	now := s.d.Clock.Now()
	soon := now.Add(s.cfg.RemindBefore)
	items, err := dueDeadlines(ctx, s.d.Store, "recognise", soon, StatusSent, StatusReceived)
	if err != nil {
		return 0, errs.Wrap(errs.Unavailable, "mla.Deadlines", "cannot read deadlines", err)
	}
	execute, err := dueDeadlines(ctx, s.d.Store, "execute", soon, StatusInExecution, StatusPartial)
	if err != nil {
		return 0, errs.Wrap(errs.Unavailable, "mla.Deadlines", "cannot read deadlines", err)
	}
	items = append(items, execute...)
	n := 0
	for _, d := range items {
		label := "recognition"
		if d.which == "execute" {
			label = "execution"
		}
		kind, note := "", ""
		switch {
		case !now.Before(d.at):
			kind = "overdue"
			note = "the " + label + " deadline (" + d.at.Format("2006-01-02") + ") has passed"
		case !d.reminded:
			kind = "reminder"
			note = "the " + label + " deadline is " + d.at.Format("2006-01-02")
		default:
			continue
		}
		if d.direction == Outgoing {
			note += "; chase the requested side"
		} else {
			note += "; the decision or execution is due from this side"
		}
		err := s.d.Store.InTx(ctx, func(tx *store.Tx) error {
			if err := markDeadline(ctx, tx, d.id, d.which, kind == "overdue"); err != nil {
				return err
			}
			if err := s.event(ctx, tx, d.id, "system:mla", kind, "", note); err != nil {
				return err
			}
			return s.d.Audit.Queue(ctx, tx, audit.Entry{Actor: "system:mla", Agency: d.agency, Action: "mla.deadline." + kind, Object: "mla/" + d.id, Detail: note})
		})
		if err != nil {
			// One request that cannot be updated does not hold back the
			// reminders of the others; it is tried again at the next run.
			s.d.Logger.Warn("mla: deadline reminder not recorded", "request", d.id, "kind", kind, "err", err)
			continue
		}
		n++
	}
	return n, nil
}

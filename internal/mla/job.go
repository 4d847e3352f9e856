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
	soon := store.FormatTime(now.Add(s.cfg.RemindBefore))
	type due struct {
		id, status, which, agency, direction string
		at                                   time.Time
		reminded, overdue                    bool
	}
	var items []due
	read := func(q, which string, statuses ...any) error {
		rows, err := s.d.Store.QueryContext(ctx, q, append(statuses, soon)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d due
			var at string
			var rem, over int
			if err := rows.Scan(&d.id, &d.status, &d.agency, &d.direction, &at, &rem, &over); err != nil {
				return err
			}
			d.which, d.at, d.reminded, d.overdue = which, store.ParseTime(at), rem == 1, over == 1
			items = append(items, d)
		}
		return rows.Err()
	}
	if err := read(`SELECT id, status, agency, direction, recognise_due, recognise_reminded, recognise_overdue FROM mla_requests
		WHERE status IN (?, ?) AND recognise_due != '' AND recognise_overdue = 0 AND recognise_due <= ?`, "recognise", StatusSent, StatusReceived); err != nil {
		return 0, errs.Wrap(errs.Unavailable, "mla.Deadlines", "cannot read deadlines", err)
	}
	if err := read(`SELECT id, status, agency, direction, execute_due, execute_reminded, execute_overdue FROM mla_requests
		WHERE status IN (?, ?) AND execute_due != '' AND execute_overdue = 0 AND execute_due <= ?`, "execute", StatusInExecution, StatusPartial); err != nil {
		return 0, errs.Wrap(errs.Unavailable, "mla.Deadlines", "cannot read deadlines", err)
	}
	n := 0
	for _, d := range items {
		label := "recognition"
		if d.which == "execute" {
			label = "execution"
		}
		kind, col, note := "", "", ""
		switch {
		case !now.Before(d.at):
			kind, col = "overdue", d.which+"_overdue"
			note = "the " + label + " deadline (" + d.at.Format("2006-01-02") + ") has passed"
		case !d.reminded:
			kind, col = "reminder", d.which+"_reminded"
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
			// The reminder flag is set with the overdue flag so a late run
			// does not write a reminder after the overdue notice.
			set := col + " = 1"
			if kind == "overdue" {
				set += ", " + d.which + "_reminded = 1"
			}
			if _, err := tx.ExecContext(ctx, `UPDATE mla_requests SET `+set+` WHERE id = ?`, d.id); err != nil {
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

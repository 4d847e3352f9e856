package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// The audit outbox.
//
// A state change is one transaction: its rows, its federation envelopes and
// its audit entries commit together or not at all. The Merkle log cannot be
// written inside another module's transaction (its tree state and head move
// with every commit), so a change queues its entries in audit_outbox with
// Queue, and the log drains the outbox into the tree right after commit,
// deleting what it drained in the same transaction that appends it. A node
// that stops in between drains at the next start: an entry is never lost and
// never appended twice.

const drainBatch = 500

// Queue adds entries to the audit outbox inside tx. Each keeps the time it
// was queued, the time of the change.
func (l *Log) Queue(ctx context.Context, tx *store.Tx, entries ...Entry) error {
	now := l.clock.Now()
	for _, e := range entries {
		if e.At.IsZero() {
			e.At = now
		}
		raw, err := json.Marshal(e)
		if err != nil {
			return errs.Wrap(errs.Internal, "audit.Queue", "cannot encode audit entry", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO audit_outbox (entry) VALUES (?)`, string(raw)); err != nil {
			return errs.Wrap(errs.Unavailable, "audit.Queue", "the audit log could not be written, so the action was not performed", err)
		}
	}
	tx.AfterCommit(l.wakeDrain)
	return nil
}

func (l *Log) wakeDrain() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

// Drain appends every queued entry to the log and returns how many.
func (l *Log) Drain(ctx context.Context) (int, error) {
	l.drainMu.Lock()
	defer l.drainMu.Unlock()
	total := 0
	for {
		rows, err := l.st.QueryContext(ctx, `SELECT seq, entry FROM audit_outbox ORDER BY seq LIMIT ?`, drainBatch)
		if err != nil {
			return total, errs.Wrap(errs.Unavailable, "audit.Drain", "cannot read the audit outbox", err)
		}
		var last int64
		var entries []Entry
		var seqs []any
		for rows.Next() {
			var raw string
			if err := rows.Scan(&last, &raw); err != nil {
				rows.Close()
				return total, errs.Wrap(errs.Unavailable, "audit.Drain", "cannot read the audit outbox", err)
			}
			var e Entry
			if err := json.Unmarshal([]byte(raw), &e); err != nil {
				// Never dropped silently: the unreadable row itself goes
				// into the log as a failed entry, for the auditors to see.
				l.logger.Error("unreadable audit outbox entry", "seq", last, "err", err)
				e = Entry{Actor: "system", Action: "audit.outbox.unreadable", Object: fmt.Sprintf("audit_outbox/%d", last), Outcome: Failed, Detail: raw}
			}
			entries = append(entries, e)
			seqs = append(seqs, last)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, errs.Wrap(errs.Unavailable, "audit.Drain", "cannot read the audit outbox", err)
		}
		if len(entries) == 0 {
			return total, nil
		}
		// Exactly the rows read are removed: on PostgreSQL a change with a
		// lower sequence number can commit after a higher one was read, and
		// it must wait for the next round, not vanish. Rows another
		// instance drained meanwhile roll this round back.
		_, err = l.commit(ctx, entries, true, func(tx *store.Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM audit_outbox WHERE seq IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(seqs)), ", ")+`)`, seqs...)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n != int64(len(seqs)) {
				return errDrainedElsewhere
			}
			return nil
		})
		if errors.Is(err, errDrainedElsewhere) {
			continue
		}
		if err != nil {
			return total, err
		}
		total += len(entries)
	}
}

// errDrainedElsewhere: another instance appended some of the entries read.
var errDrainedElsewhere = errors.New("audit outbox entries were drained by another instance")

// RunOutbox drains the outbox whenever a change queued entries, and every
// poll interval in case a wake-up was missed. It drains once more when ctx
// ends so that nothing waits for the next start.
func (l *Log) RunOutbox(ctx context.Context, poll time.Duration) {
	t := time.NewTicker(poll)
	defer t.Stop()
	for {
		if _, err := l.Drain(context.WithoutCancel(ctx)); err != nil {
			l.logger.Error("audit outbox not drained", "err", err)
		}
		select {
		case <-ctx.Done():
			if _, err := l.Drain(context.WithoutCancel(ctx)); err != nil {
				l.logger.Error("audit outbox not drained at shutdown", "err", err)
			}
			return
		case <-t.C:
		case <-l.wake:
		}
	}
}

// Pending is the number of entries waiting in the outbox.
func (l *Log) Pending(ctx context.Context) (int64, error) {
	var n int64
	err := l.st.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_outbox`).Scan(&n)
	return n, err
}

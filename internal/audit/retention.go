package audit

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
)

// Audit retention.
//
// Access records are personal data and are kept for a retention period, then
// erased. The log is append-only, so erasing must not break verification:
// only a prefix of the log is ever erased, each erased row keeps its index,
// time and leaf hash (the tree, signed checkpoints and inclusion proofs stay
// valid), and every erasure is announced first by a record of its own
// ("audit.prune", detail {"from":F,"through":N,"before":T}) that Verify checks erased
// rows against. Erasing a row that no such record covers is reported as
// tampering.

const (
	pruneAction = "audit.prune"
	pruneObject = "audit_log"
	pruneBatch  = 5000
)

// PruneRecord is the detail of an audit.prune entry: rows with index below
// Through and time before Before are erased.
type PruneRecord struct {
	From    int64     `json:"from"`
	Through int64     `json:"through"`
	Before  time.Time `json:"before"`
}

// PruneResult says what a Prune run did.
type PruneResult struct {
	From, Through int64 // rows [From, Through) were erased in this run
	Before        time.Time
}

// Erased is the number of rows erased in this run.
func (r PruneResult) Erased() int64 { return r.Through - r.From }

// ArchivedEntry is one line of a prune archive: the full entry and the leaf
// hash the tree commits to, so the archive can be checked against the log.
type ArchivedEntry struct {
	Entry
	LeafHash string `json:"leaf_hash"`
}

// Prune erases the content of entries recorded before the cut-off. When
// archive is not nil the entries are first written to it as JSON lines. It is
// idempotent and resumes an interrupted run. progress, when not nil, is called
// after each batch.
func (l *Log) Prune(ctx context.Context, before time.Time, archive io.Writer, progress func(done, total int64)) (PruneResult, error) {
	const op = "audit.Prune"
	before = before.UTC()
	if before.After(l.clock.Now()) {
		return PruneResult{}, errs.New(errs.Invalid, op, "the retention cut-off lies in the future")
	}
	prev, err := latestPrune(ctx, l.st)
	if err != nil {
		return PruneResult{}, err
	}
	from := prev.Through
	// Rows appended from now on carry the current time, which is after the
	// cut-off, so the size read here bounds the scan.
	size := l.Size()
	through := size
	var first int64
	err = l.st.QueryRowContext(ctx, `SELECT idx FROM audit_log WHERE idx >= ? AND idx < ? AND at >= ? ORDER BY idx LIMIT 1`,
		from, size, store.FormatTime(before)).Scan(&first)
	switch {
	case err == nil:
		through = first
	case !errors.Is(err, sql.ErrNoRows):
		return PruneResult{}, errs.Wrap(errs.Unavailable, op, "cannot read audit log", err)
	}
	res := PruneResult{From: from, Through: through, Before: before}
	if through > from {
		if archive != nil {
			if err := l.archive(ctx, from, through, archive); err != nil {
				return res, err
			}
		}
		detail, _ := json.Marshal(PruneRecord{From: from, Through: through, Before: before})
		if err := l.Record(ctx, Entry{Actor: "system", Action: pruneAction, Object: pruneObject, Detail: string(detail),
			Purpose: "retention period of access records ended"}); err != nil {
			return res, err
		}
	}
	// Erase from the start of the previous run: also finishes a run that was
	// interrupted after its record was written.
	start := min(prev.From, from)
	for lo := start; lo < through; lo += pruneBatch {
		hi := min(lo+pruneBatch, through)
		if _, err := l.st.ExecContext(ctx, `UPDATE audit_log SET actor = '', agency = '', action = '', object = '', purpose = '', outcome = '', detail = '', pruned = 1
			WHERE idx >= ? AND idx < ? AND pruned = 0`, lo, hi); err != nil {
			return res, errs.Wrap(errs.Unavailable, op, "cannot erase expired audit records", err)
		}
		if progress != nil {
			progress(hi-start, through-start)
		}
	}
	if res.Erased() > 0 {
		l.logger.Info("audit records past retention erased", "from", from, "through", through, "before", before)
	}
	return res, nil
}

func (l *Log) archive(ctx context.Context, from, through int64, w io.Writer) error {
	const op = "audit.Prune"
	rows, err := l.st.QueryContext(ctx, `SELECT idx, at, actor, agency, action, object, purpose, outcome, detail, leaf_hash FROM audit_log
		WHERE idx >= ? AND idx < ? AND pruned = 0 ORDER BY idx`, from, through)
	if err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot read audit log", err)
	}
	defer rows.Close()
	enc := json.NewEncoder(w)
	for rows.Next() {
		var a ArchivedEntry
		var at string
		var leaf []byte
		if err := rows.Scan(&a.Index, &at, &a.Actor, &a.Agency, &a.Action, &a.Object, &a.Purpose, &a.Outcome, &a.Detail, &leaf); err != nil {
			return errs.Wrap(errs.Unavailable, op, "cannot read audit log", err)
		}
		a.At = store.ParseTime(at)
		a.LeafHash = hex.EncodeToString(leaf)
		if err := enc.Encode(a); err != nil {
			return errs.Wrap(errs.Unavailable, op, "cannot write the audit archive; nothing was erased", err)
		}
	}
	if err := rows.Err(); err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot read audit log", err)
	}
	// An archive file reaches the disk before anything is erased.
	if f, ok := w.(interface{ Sync() error }); ok {
		if err := f.Sync(); err != nil {
			return errs.Wrap(errs.Unavailable, op, "cannot write the audit archive; nothing was erased", err)
		}
	}
	return nil
}

// latestPrune reads the newest retention record; zero when none exists.
func latestPrune(ctx context.Context, q store.Querier) (PruneRecord, error) {
	var detail string
	err := q.QueryRowContext(ctx, `SELECT detail FROM audit_log WHERE object = ? AND action = ? AND pruned = 0 ORDER BY idx DESC LIMIT 1`,
		pruneObject, pruneAction).Scan(&detail)
	if errors.Is(err, sql.ErrNoRows) {
		return PruneRecord{}, nil
	}
	if err != nil {
		return PruneRecord{}, errs.Wrap(errs.Unavailable, "audit.Prune", "cannot read audit log", err)
	}
	var rec PruneRecord
	if err := json.Unmarshal([]byte(detail), &rec); err != nil {
		return PruneRecord{}, errs.Wrap(errs.Internal, "audit.Prune", "the latest retention record is unreadable; run liaison audit verify", err)
	}
	return rec, nil
}

// RunRetention erases records older than retention once at start and then
// every interval. A zero retention keeps records for ever.
func (l *Log) RunRetention(ctx context.Context, retention, interval time.Duration) {
	if retention <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if _, err := l.Prune(ctx, l.clock.Now().Add(-retention), nil, nil); err != nil && ctx.Err() == nil {
			l.logger.Error("audit retention failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r PruneRecord) String() string {
	return fmt.Sprintf("entries %d to %d recorded before %s", r.From, r.Through-1, r.Before.Format(time.RFC3339))
}

package store

import (
	"context"
	"fmt"
	"strings"
)

// BulkUpdate describes rows changed many at a time by Tx.UpdateMany: each
// row gives the values of Set and then of Key. Table and column names are
// the caller's identifiers, never input.
type BulkUpdate struct {
	Table string
	Key   []string // columns identifying one row
	Set   []string // columns written
}

// UpdateMany writes the Set columns of the rows of b.Table identified by
// the Key columns, inside the transaction:
//
//   - PostgreSQL receives the values by COPY into a temporary staging
//     table and applies them with one UPDATE … FROM, instead of a round
//     trip per row (three million rows of statistics columns went from
//     minutes of round trips to seconds).
//   - SQLite, in process, runs one prepared UPDATE per row.
//
// A row whose key matches nothing changes nothing.
func (t *Tx) UpdateMany(ctx context.Context, b BulkUpdate, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	cols := append(append([]string{}, b.Set...), b.Key...)
	for i, r := range rows {
		if len(r) != len(cols) {
			return fmt.Errorf("store.UpdateMany: row %d has %d values for %d columns", i, len(r), len(cols))
		}
	}
	if t.s.Dialect == Postgres && len(rows) >= copyMinRows && t.conn != nil {
		return t.copyUpdate(ctx, b, cols, rows)
	}
	set := make([]string, len(b.Set))
	for i, c := range b.Set {
		set[i] = c + " = ?"
	}
	where := make([]string, len(b.Key))
	for i, c := range b.Key {
		where[i] = c + " = ?"
	}
	st, err := t.Prepared(ctx, "UPDATE "+b.Table+" SET "+strings.Join(set, ", ")+" WHERE "+strings.Join(where, " AND "))
	if err != nil {
		return err
	}
	for _, r := range rows {
		if _, err := st.ExecContext(ctx, r...); err != nil {
			return err
		}
	}
	return nil
}

// copyUpdate stages the rows by COPY and applies them with one UPDATE.
func (t *Tx) copyUpdate(ctx context.Context, b BulkUpdate, cols []string, rows [][]any) error {
	stage, err := t.stageRows(ctx, Bulk{Table: b.Table, Columns: cols}, rows)
	if err != nil {
		return err
	}
	set := make([]string, len(b.Set))
	for i, c := range b.Set {
		set[i] = c + " = s." + c
	}
	where := make([]string, len(b.Key))
	for i, c := range b.Key {
		where[i] = "t." + c + " = s." + c
	}
	if _, err := t.tx.ExecContext(ctx, "UPDATE "+b.Table+" t SET "+strings.Join(set, ", ")+" FROM "+stage+" s WHERE "+strings.Join(where, " AND ")); err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, "TRUNCATE "+stage)
	return err
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Bulk describes rows written many at a time by Tx.InsertMany. Table and
// column names are the caller's identifiers, never input.
type Bulk struct {
	Table   string
	Columns []string
	// Conflict, when set, is the unique column list whose conflicts skip
	// a row (ON CONFLICT (Conflict) DO NOTHING), also between rows of the
	// same call: the first one is kept.
	Conflict string
	// Returning, when set, lists the columns read back of the rows
	// actually inserted (never of those skipped), in the order given.
	Returning string
}

// sqliteMaxVars is SQLite's limit on the variables of one statement
// (SQLITE_MAX_VARIABLE_NUMBER, 32766 since 3.32).
const sqliteMaxVars = 32766

// maxRowsPerInsert bounds the rows of one multi-row INSERT: larger
// statements gain little and take longer to compile.
const maxRowsPerInsert = 1000

// copyMinRows is the smallest batch PostgreSQL receives by COPY; fewer
// rows go in one multi-row INSERT (a COPY through a staging table takes
// three round trips).
const copyMinRows = 64

// InsertMany writes rows (each with one value per column of b) into
// b.Table inside the transaction, and calls scan for each row b.Returning
// reads back. It is the one path for bulk writes on both databases:
//
//   - PostgreSQL receives the rows by COPY: straight into the table when
//     nothing can conflict and nothing is read back, otherwise into a
//     temporary staging table (dropped at commit) and from there by one
//     INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING, in row order.
//   - SQLite receives multi-row INSERTs as large as its variable limit
//     allows, each statement compiled once per transaction.
//
// Either way the rows commit or roll back with the rest of the transaction.
func (t *Tx) InsertMany(ctx context.Context, b Bulk, rows [][]any, scan func(Scanner) error) error {
	if len(rows) == 0 {
		return nil
	}
	if t.s.Dialect == Postgres && len(rows) >= copyMinRows && t.conn != nil {
		return t.copyRows(ctx, b, rows, scan)
	}
	per := min(maxRowsPerInsert, sqliteMaxVars/len(b.Columns))
	if t.s.Dialect == Postgres {
		per = min(maxRowsPerInsert, 65535/len(b.Columns))
	}
	for len(rows) > 0 {
		n := min(len(rows), per)
		if err := t.insertValues(ctx, b, rows[:n], scan); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// insertValues writes rows in one multi-row INSERT.
func (t *Tx) insertValues(ctx context.Context, b Bulk, rows [][]any, scan func(Scanner) error) error {
	tuple := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(b.Columns)), ", ") + ")"
	var q strings.Builder
	q.Grow(64 + len(rows)*(len(tuple)+2))
	q.WriteString("INSERT INTO " + b.Table + " (" + strings.Join(b.Columns, ", ") + ") VALUES ")
	args := make([]any, 0, len(rows)*len(b.Columns))
	for i, r := range rows {
		if len(r) != len(b.Columns) {
			return fmt.Errorf("store.InsertMany: row %d has %d values for %d columns", i, len(r), len(b.Columns))
		}
		if i > 0 {
			q.WriteString(", ")
		}
		q.WriteString(tuple)
		args = append(args, r...)
	}
	q.WriteString(conflictClause(b))
	st, err := t.Prepared(ctx, q.String())
	if err != nil {
		return err
	}
	if b.Returning == "" {
		_, err := st.ExecContext(ctx, args...)
		return err
	}
	res, err := st.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	return scanAll(res, scan)
}

func conflictClause(b Bulk) string {
	var s string
	if b.Conflict != "" {
		s += " ON CONFLICT (" + b.Conflict + ") DO NOTHING"
	}
	if b.Returning != "" {
		s += " RETURNING " + b.Returning
	}
	return s
}

func scanAll(res *sql.Rows, scan func(Scanner) error) error {
	defer res.Close()
	for res.Next() {
		if scan == nil {
			continue
		}
		if err := scan(res); err != nil {
			return err
		}
	}
	return res.Err()
}

// copyRows sends rows to PostgreSQL by COPY on the transaction's own
// connection.
func (t *Tx) copyRows(ctx context.Context, b Bulk, rows [][]any, scan func(Scanner) error) error {
	for i, r := range rows {
		if len(r) != len(b.Columns) {
			return fmt.Errorf("store.InsertMany: row %d has %d values for %d columns", i, len(r), len(b.Columns))
		}
	}
	if b.Conflict == "" && b.Returning == "" {
		return t.copyFrom(ctx, b.Table, b.Columns, len(rows), func(i int) []any { return rows[i] })
	}
	stage, err := t.stageRows(ctx, b, rows)
	if err != nil {
		return err
	}
	list := strings.Join(b.Columns, ", ")
	q := "INSERT INTO " + b.Table + " (" + list + ") SELECT " + list + " FROM " + stage + " ORDER BY stage_seq" + conflictClause(b)
	if b.Returning == "" {
		_, err = t.tx.ExecContext(ctx, q)
	} else {
		var res *sql.Rows
		if res, err = t.tx.QueryContext(ctx, q); err == nil {
			err = scanAll(res, scan)
		}
	}
	if err != nil {
		return err
	}
	_, err = t.tx.ExecContext(ctx, "TRUNCATE "+stage)
	return err
}

// stageRows copies rows (values of b.Columns) by COPY into the
// transaction's staging table for b, numbered in order by stage_seq, and
// returns its name. The caller empties it (TRUNCATE) once applied.
func (t *Tx) stageRows(ctx context.Context, b Bulk, rows [][]any) (string, error) {
	stage, err := t.stagingTable(ctx, b)
	if err != nil {
		return "", err
	}
	cols := append([]string{"stage_seq"}, b.Columns...)
	row := make([]any, len(cols))
	return stage, t.copyFrom(ctx, stage, cols, len(rows), func(i int) []any {
		row[0] = int64(i)
		copy(row[1:], rows[i])
		return row
	})
}

// stagingTable creates, once per transaction, a temporary table with the
// columns of b (and their types) and a stage_seq column keeping the rows'
// order; PostgreSQL drops it when the transaction ends.
func (t *Tx) stagingTable(ctx context.Context, b Bulk) (string, error) {
	key := b.Table + "(" + strings.Join(b.Columns, ",") + ")"
	if name, ok := t.stages[key]; ok {
		return name, nil
	}
	name := fmt.Sprintf("liaison_stage_%d", len(t.stages)+1)
	if _, err := t.tx.ExecContext(ctx, "CREATE TEMPORARY TABLE "+name+" ON COMMIT DROP AS SELECT 0::bigint AS stage_seq, "+
		strings.Join(b.Columns, ", ")+" FROM "+b.Table+" WITH NO DATA"); err != nil {
		return "", err
	}
	if t.stages == nil {
		t.stages = map[string]string{}
	}
	t.stages[key] = name
	return name, nil
}

// copyFrom runs COPY … FROM STDIN on the connection the transaction holds,
// so the rows belong to the transaction.
func (t *Tx) copyFrom(ctx context.Context, table string, cols []string, n int, row func(i int) []any) error {
	return t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store.InsertMany: the PostgreSQL driver connection is a %T, not pgx", dc)
		}
		_, err := c.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromSlice(n, func(i int) ([]any, error) { return row(i), nil }))
		return err
	})
}

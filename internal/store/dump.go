package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
)

// A logical dump is JSON lines: for each table a header line
// {"table": NAME, "columns": [...]}, one {"r": [...]} line per row and a
// trailer {"end": NAME, "rows": N}. Values are JSON null, strings, integers
// and booleans as themselves; byte strings as {"b": base64}, floats as
// {"f": number} and times as {"t": RFC 3339}. Tables come in foreign-key
// order, so loading them in file order never breaks a reference. The same
// format serves SQLite and PostgreSQL, so a dump of one loads into the other.

// DumpFormat names the dump format in backups.
const DumpFormat = "liaison-logical-dump-v1"

type dumpLine struct {
	Table   string            `json:"table,omitempty"`
	Columns []string          `json:"columns,omitempty"`
	Row     []json.RawMessage `json:"r,omitempty"`
	End     string            `json:"end,omitempty"`
	Rows    int64             `json:"rows,omitempty"`
}

// DumpProgress is told after each table and every 50,000 rows.
type DumpProgress func(table string, rows int64, done bool)

// Dump writes every table of the database to w as one consistent snapshot:
// a REPEATABLE READ, read-only transaction on PostgreSQL, a read
// transaction (a WAL snapshot) on SQLite. Writers carry on meanwhile. It
// returns the row count of each table.
func (s *Store) Dump(ctx context.Context, w io.Writer, progress DumpProgress) (map[string]int64, error) {
	const op = "store.Dump"
	var tx *sql.Tx
	var err error
	if s.Dialect == Postgres {
		tx, err = s.read.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	} else {
		tx, err = s.read.BeginTx(ctx, nil)
	}
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot start the snapshot transaction", err)
	}
	defer tx.Rollback()
	// Pin the snapshot before anything else is read.
	var one int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&one); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot read the schema", err)
	}
	names, err := tables(ctx, tx, s.Dialect)
	if err != nil {
		return nil, err
	}
	order, err := s.fkOrder(ctx, tx, names)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	counts := map[string]int64{}
	for _, t := range order {
		n, err := dumpTable(ctx, tx, enc, t, progress)
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, op, "cannot dump table "+t, err)
		}
		counts[t] = n
		if progress != nil {
			progress(t, n, true)
		}
	}
	if err := bw.Flush(); err != nil {
		return nil, errs.Wrap(errs.Unavailable, op, "cannot write the dump", err)
	}
	return counts, nil
}

func dumpTable(ctx context.Context, tx *sql.Tx, enc *json.Encoder, table string, progress DumpProgress) (int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT * FROM `+quoteIdent(table))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return 0, err
	}
	if err := enc.Encode(dumpLine{Table: table, Columns: cols}); err != nil {
		return 0, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	line := dumpLine{Row: make([]json.RawMessage, len(cols))}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		for i, v := range vals {
			if line.Row[i], err = encodeValue(v); err != nil {
				return n, fmt.Errorf("column %s: %w", cols[i], err)
			}
		}
		if err := enc.Encode(line); err != nil {
			return n, err
		}
		n++
		if progress != nil && n%50000 == 0 {
			progress(table, n, false)
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, enc.Encode(dumpLine{End: table, Rows: n})
}

func encodeValue(v any) (json.RawMessage, error) {
	switch x := v.(type) {
	case nil:
		return json.RawMessage("null"), nil
	case []byte:
		return json.Marshal(map[string]string{"b": base64.StdEncoding.EncodeToString(x)})
	case float64:
		return json.Marshal(map[string]float64{"f": x})
	case float32:
		return json.Marshal(map[string]float64{"f": float64(x)})
	case time.Time:
		return json.Marshal(map[string]string{"t": x.UTC().Format(time.RFC3339Nano)})
	case string, int64, int32, int, bool:
		return json.Marshal(x)
	default:
		return nil, fmt.Errorf("unsupported value type %T", v)
	}
}

func decodeValue(raw json.RawMessage) (any, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case 't', 'f':
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case '{':
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, err
		}
		if b, ok := m["b"]; ok {
			var s string
			if err := json.Unmarshal(b, &s); err != nil {
				return nil, err
			}
			return base64.StdEncoding.DecodeString(s)
		}
		if f, ok := m["f"]; ok {
			var x float64
			err := json.Unmarshal(f, &x)
			return x, err
		}
		if t, ok := m["t"]; ok {
			var s string
			if err := json.Unmarshal(t, &s); err != nil {
				return nil, err
			}
			return time.Parse(time.RFC3339Nano, s)
		}
		return nil, fmt.Errorf("unknown value %s", raw)
	default:
		return strconv.ParseInt(string(raw), 10, 64)
	}
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// fkOrder sorts tables so that every table comes after the tables it
// references (self-references aside).
func (s *Store) fkOrder(ctx context.Context, tx *sql.Tx, names []string) ([]string, error) {
	deps := map[string][]string{}
	if s.Dialect == Postgres {
		rows, err := tx.QueryContext(ctx, `SELECT c.conrelid::regclass::text, c.confrelid::regclass::text FROM pg_constraint c
			WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`)
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, "store.Dump", "cannot read foreign keys", err)
		}
		for rows.Next() {
			var from, to string
			if err := rows.Scan(&from, &to); err != nil {
				rows.Close()
				return nil, err
			}
			deps[unqualify(from)] = append(deps[unqualify(from)], unqualify(to))
		}
		rows.Close()
	} else {
		for _, t := range names {
			rows, err := tx.QueryContext(ctx, `SELECT "table" FROM pragma_foreign_key_list(?)`, t)
			if err != nil {
				return nil, errs.Wrap(errs.Unavailable, "store.Dump", "cannot read foreign keys", err)
			}
			for rows.Next() {
				var to string
				if err := rows.Scan(&to); err != nil {
					rows.Close()
					return nil, err
				}
				deps[t] = append(deps[t], to)
			}
			rows.Close()
		}
	}
	return topoSort(names, deps), nil
}

func unqualify(s string) string {
	s = s[strings.LastIndex(s, ".")+1:]
	return strings.Trim(s, `"`)
}

func topoSort(names []string, deps map[string][]string) []string {
	sort.Strings(names)
	done := map[string]bool{}
	visiting := map[string]bool{}
	var out []string
	var visit func(string)
	visit = func(t string) {
		if done[t] || visiting[t] {
			return
		}
		visiting[t] = true
		for _, d := range deps[t] {
			if d != t {
				visit(d)
			}
		}
		visiting[t] = false
		done[t] = true
		out = append(out, t)
	}
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	for _, n := range names {
		visit(n)
	}
	// Referenced tables outside the list (none expected) are dropped.
	filtered := out[:0]
	for _, t := range out {
		if known[t] {
			filtered = append(filtered, t)
		}
	}
	return filtered
}

// Load reads a dump into this database, which must hold the same schema
// (MigrateOnly with the dump's migrations) and nothing the dump does not
// replace: each dumped table is emptied first, then filled, all in one
// transaction. schema_migrations is left as the migrations wrote it.
func (s *Store) Load(ctx context.Context, r io.Reader, progress DumpProgress) (map[string]int64, error) {
	const op = "store.Load"
	dec := json.NewDecoder(bufio.NewReaderSize(r, 1<<16))
	counts := map[string]int64{}
	err := s.InTx(ctx, func(tx *Tx) error {
		var (
			table string
			cols  []string
			batch [][]any
			n     int64
			skip  bool
		)
		flush := func() error {
			if len(batch) == 0 || skip {
				batch = batch[:0]
				return nil
			}
			var q strings.Builder
			q.WriteString("INSERT INTO " + quoteIdent(table) + " (")
			for i, c := range cols {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString(quoteIdent(c))
			}
			q.WriteString(") VALUES ")
			args := make([]any, 0, len(batch)*len(cols))
			ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
			for i, row := range batch {
				if i > 0 {
					q.WriteString(", ")
				}
				q.WriteString(ph)
				args = append(args, row...)
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return fmt.Errorf("table %s: %w", table, err)
			}
			batch = batch[:0]
			return nil
		}
		batchSize := 1
		// Empty what the migrations seeded, children before parents.
		names, err := tables(ctx, tx.tx, s.Dialect)
		if err != nil {
			return err
		}
		order, err := s.fkOrder(ctx, tx.tx, names)
		if err != nil {
			return err
		}
		for i := len(order) - 1; i >= 0; i-- {
			if order[i] == "schema_migrations" {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+quoteIdent(order[i])); err != nil {
				return fmt.Errorf("table %s: %w", order[i], err)
			}
		}
		for {
			var l dumpLine
			if err := dec.Decode(&l); err == io.EOF {
				break
			} else if err != nil {
				return errs.Wrap(errs.Invalid, op, "the dump is damaged", err)
			}
			switch {
			case l.Table != "":
				table, cols, n, skip = l.Table, l.Columns, 0, l.Table == "schema_migrations"
				batchSize = max(1, min(500, 30000/max(1, len(cols))))
			case l.Row != nil:
				row := make([]any, len(l.Row))
				for i, raw := range l.Row {
					v, err := decodeValue(raw)
					if err != nil {
						return errs.Wrap(errs.Invalid, op, "the dump is damaged in table "+table, err)
					}
					row[i] = v
				}
				batch = append(batch, row)
				n++
				if len(batch) >= batchSize {
					if err := flush(); err != nil {
						return err
					}
				}
				if progress != nil && n%50000 == 0 {
					progress(table, n, false)
				}
			case l.End != "":
				if err := flush(); err != nil {
					return err
				}
				if l.Rows != n {
					return errs.Newf(errs.Invalid, op, "the dump of table %s is incomplete: %d of %d rows", table, n, l.Rows)
				}
				counts[table] = n
				if progress != nil {
					progress(table, n, true)
				}
			}
		}
		if s.Dialect == Postgres {
			return s.resetSequences(ctx, tx)
		}
		return nil
	})
	if err != nil {
		if errs.KindOf(err) == errs.Invalid {
			return nil, err
		}
		return nil, errs.Wrap(errs.Unavailable, op, "cannot load the dump", err)
	}
	return counts, nil
}

// resetSequences moves every serial column's sequence past the loaded rows.
func (s *Store) resetSequences(ctx context.Context, tx *Tx) error {
	rows, err := tx.QueryContext(ctx, `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_default LIKE 'nextval(%'`)
	if err != nil {
		return err
	}
	type col struct{ t, c string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.t, &c.c); err != nil {
			rows.Close()
			return err
		}
		cols = append(cols, c)
	}
	rows.Close()
	for _, c := range cols {
		q := fmt.Sprintf(`SELECT setval(pg_get_serial_sequence(?, ?), COALESCE((SELECT MAX(%s) FROM %s), 0) + 1, false)`, quoteIdent(c.c), quoteIdent(c.t))
		if _, err := tx.ExecContext(ctx, q, c.t, c.c); err != nil {
			return fmt.Errorf("sequence of %s.%s: %w", c.t, c.c, err)
		}
	}
	return nil
}

// CountRows counts the rows of every table.
func (s *Store) CountRows(ctx context.Context) (map[string]int64, error) {
	names, err := s.Tables(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, t := range names {
		var n int64
		if err := s.write.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+quoteIdent(t)).Scan(&n); err != nil {
			return nil, errs.Wrap(errs.Unavailable, "store.CountRows", "cannot count table "+t, err)
		}
		out[t] = n
	}
	return out, nil
}

// SnapshotSQLite writes a consistent copy of the live SQLite database to
// path with VACUUM INTO (a read transaction: the node keeps writing).
func (s *Store) SnapshotSQLite(ctx context.Context, path string) error {
	if s.Dialect != SQLite {
		return errs.New(errs.Invalid, "store.SnapshotSQLite", "not an SQLite database")
	}
	if _, err := s.read.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		// The read pool is query_only; VACUUM INTO may need the writer.
		if _, err2 := s.write.ExecContext(ctx, `VACUUM INTO ?`, path); err2 != nil {
			return errs.Wrap(errs.Unavailable, "store.SnapshotSQLite", "cannot snapshot the database", err2)
		}
	}
	return nil
}

// AppliedVersions lists the applied migrations in order.
func (s *Store) AppliedVersions(ctx context.Context) ([]int, error) {
	m, err := s.appliedVersions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]int, 0, len(m))
	for v := range m {
		out = append(out, v)
	}
	sort.Ints(out)
	return out, nil
}

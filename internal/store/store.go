// Package store opens the node's database (SQLite by default, PostgreSQL for
// production), runs the embedded migrations and offers the small set of
// helpers every domain package uses. SQL is written once with ? placeholders
// and rebound for PostgreSQL, so both databases share one code path.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"               // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/liaison-wb/liaison/internal/errs"
)

// Dialect names the SQL flavour in use.
type Dialect string

const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is the node's database. Writes go through a single connection on
// SQLite (SQLite allows one writer; queuing in Go beats SQLITE_BUSY) and reads
// through a pool; on PostgreSQL both use the same pool.
type Store struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	rebinds sync.Map // query text → rebound text (PostgreSQL only)
}

// Options selects the database.
type Options struct {
	// URL is empty (SQLite file in DataDir), "sqlite:PATH" or a postgres:// URL.
	URL     string
	DataDir string
}

// Open connects, checks the connection and runs migrations.
func Open(ctx context.Context, opt Options) (*Store, error) {
	s, err := connect(ctx, opt)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func connect(ctx context.Context, opt Options) (*Store, error) {
	const op = "store.Open"
	switch {
	case strings.HasPrefix(opt.URL, "postgres://"), strings.HasPrefix(opt.URL, "postgresql://"):
		db, err := sql.Open("pgx", opt.URL)
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, op, "cannot open PostgreSQL connection", err)
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(10)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s := &Store{Dialect: Postgres, write: db, read: db}
		if err := s.ping(ctx); err != nil {
			db.Close()
			return nil, errs.Wrap(errs.Unavailable, op, "PostgreSQL is not reachable at "+hostOf(opt.URL), err)
		}
		return s, nil
	default:
		path := strings.TrimPrefix(opt.URL, "sqlite:")
		if path == "" {
			if opt.DataDir == "" {
				return nil, errs.New(errs.Invalid, op, "no data directory for the SQLite database")
			}
			if err := os.MkdirAll(opt.DataDir, 0o700); err != nil {
				return nil, errs.Wrap(errs.Unavailable, op, "cannot create data directory "+opt.DataDir, err)
			}
			path = filepath.Join(opt.DataDir, "liaison.db")
		}
		pragmas := "_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_pragma=temp_store(MEMORY)&_pragma=cache_size(-65536)"
		w, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_txlock=immediate")
		if err != nil {
			return nil, errs.Wrap(errs.Unavailable, op, "cannot open SQLite database "+path, err)
		}
		w.SetMaxOpenConns(1)
		w.SetConnMaxLifetime(0)
		r, err := sql.Open("sqlite", "file:"+path+"?"+pragmas+"&_pragma=query_only(1)")
		if err != nil {
			w.Close()
			return nil, errs.Wrap(errs.Unavailable, op, "cannot open SQLite database "+path, err)
		}
		r.SetMaxOpenConns(4)
		// As many kept idle as may be open: database/sql keeps two by
		// default, so concurrent reads closed and reopened connections
		// (each with its pragmas and an empty page cache).
		r.SetMaxIdleConns(4)
		s := &Store{Dialect: SQLite, write: w, read: r}
		if err := s.ping(ctx); err != nil {
			s.Close()
			return nil, errs.Wrap(errs.Unavailable, op, "cannot use SQLite database "+path, err)
		}
		return s, nil
	}
}

func hostOf(url string) string {
	rest := url[strings.Index(url, "://")+3:]
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = rest[at+1:]
	}
	if slash := strings.IndexAny(rest, "/?"); slash >= 0 {
		rest = rest[:slash]
	}
	return rest
}

func (s *Store) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := s.write.PingContext(ctx); err != nil {
		return err
	}
	return s.read.PingContext(ctx)
}

// Ping reports whether the database answers; used by /readyz.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.ping(ctx); err != nil {
		return errs.Wrap(errs.Unavailable, "store.Ping", "database unreachable", err)
	}
	return nil
}

// Close releases all connections.
func (s *Store) Close() error {
	err := s.write.Close()
	if s.read != s.write {
		if rerr := s.read.Close(); err == nil {
			err = rerr
		}
	}
	return err
}

// Stats returns connection pool statistics for metrics.
func (s *Store) Stats() (write, read sql.DBStats) { return s.write.Stats(), s.read.Stats() }

// Rebind turns ? placeholders into the dialect's form. Question marks inside
// single-quoted literals are left alone.
func (s *Store) Rebind(query string) string {
	if s.Dialect != Postgres {
		return query
	}
	if v, ok := s.rebinds.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	n, inQuote := 0, false
	for _, r := range query {
		switch {
		case r == '\'':
			inQuote = !inQuote
			b.WriteRune(r)
		case r == '?' && !inQuote:
			n++
			fmt.Fprintf(&b, "$%d", n)
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	s.rebinds.Store(query, out)
	return out
}

// Querier is what reads and writes need; both *Store and *Tx satisfy it.
type Querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ExecContext runs a write outside an explicit transaction.
func (s *Store) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return s.write.ExecContext(ctx, s.Rebind(query), args...)
}

// QueryContext runs a read on the read pool.
func (s *Store) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return s.read.QueryContext(ctx, s.Rebind(query), args...)
}

// QueryRowContext runs a single-row read on the read pool.
func (s *Store) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return s.read.QueryRowContext(ctx, s.Rebind(query), args...)
}

// QueryRowWriteContext runs a single-row statement that writes (one with
// RETURNING, or a data-modifying WITH) on the write pool, outside an
// explicit transaction.
func (s *Store) QueryRowWriteContext(ctx context.Context, query string, args ...any) *sql.Row {
	return s.write.QueryRowContext(ctx, s.Rebind(query), args...)
}

// Tx is a write transaction.
type Tx struct {
	s      *Store
	conn   *sql.Conn // the connection the transaction holds (COPY uses it)
	tx     *sql.Tx
	after  []func()
	stmts  map[string]*sql.Stmt
	stages map[string]string // staging tables of InsertMany, by table and columns
}

// AfterCommit runs fn once the transaction has committed (never when it
// rolls back): the place to wake workers about what the change queued.
func (t *Tx) AfterCommit(fn func()) { t.after = append(t.after, fn) }

// ExecContext runs a write in the transaction. On SQLite each statement
// text is compiled once per transaction and reused: a transaction that
// writes many rows one statement at a time (a batch of federation
// envelopes, an import) otherwise spends a fifth of its time parsing the
// same SQL again. PostgreSQL's driver keeps its own statement cache per
// connection. Only writes are reused this way: a cached statement
// re-executed while an earlier result of it is still being read would
// reset that result (QueryRowContext's row is scanned at once, so it is
// reused too).
func (t *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if t.s.Dialect == SQLite && len(args) > 0 && (len(t.stmts) < maxTxStatements || t.stmts[query] != nil) {
		st, err := t.Prepared(ctx, query)
		if err != nil {
			return nil, err
		}
		return st.ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, t.s.Rebind(query), args...)
}

// maxTxStatements bounds the statements one transaction keeps compiled.
const maxTxStatements = 256

func (t *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.s.Rebind(query), args...)
}

// QueryRowContext reads one row in the transaction; on SQLite its
// statement is compiled once per transaction, as ExecContext's (a row is
// scanned before the next call, so reuse cannot reset a result being read).
func (t *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if t.s.Dialect == SQLite && len(args) > 0 && (len(t.stmts) < maxTxStatements || t.stmts[query] != nil) {
		if st, err := t.Prepared(ctx, query); err == nil {
			return st.QueryRowContext(ctx, args...)
		}
	}
	return t.tx.QueryRowContext(ctx, t.s.Rebind(query), args...)
}

// ForUpdate is the clause that keeps the rows a transaction reads locked
// until it ends, for read-then-write sequences that several processes may
// run at once (PostgreSQL); SQLite's single writer needs none.
func (t *Tx) ForUpdate() string {
	if t.s.Dialect == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// Prepared returns query prepared once for the transaction: statements
// run for every row of a large import are compiled once instead of every
// time (SQLite compiles any statement it is not handed prepared). The
// statements close with the transaction.
func (t *Tx) Prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := t.stmts[query]; ok {
		return st, nil
	}
	st, err := t.tx.PrepareContext(ctx, t.s.Rebind(query))
	if err != nil {
		return nil, err
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[query] = st
	return st, nil
}

// Dialect of the transaction's store.
func (t *Tx) Dialect() Dialect { return t.s.Dialect }

// InTx runs fn in a write transaction, committing if fn returns nil.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return errs.Wrap(errs.Unavailable, "store.InTx", "database unavailable", err)
	}
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return errs.Wrap(errs.Unavailable, "store.InTx", "database unavailable", err)
	}
	tx := &Tx{s: s, conn: conn, tx: sqlTx}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		conn.Close()
		return err
	}
	err = sqlTx.Commit()
	// The connection goes back to the pool before the hooks run: SQLite
	// has one writing connection, which a hook may need.
	conn.Close()
	if err != nil {
		return errs.Wrap(errs.Unavailable, "store.InTx", "could not save the change", err)
	}
	for _, fn := range tx.after {
		fn()
	}
	return nil
}

// Analyze refreshes the planner's statistics of tables after a large load:
// PostgreSQL otherwise plans on the sizes it saw before (a million new rows
// read as a few hundred) until autovacuum comes round. table names are the
// caller's identifiers, never input.
func (s *Store) Analyze(ctx context.Context, tables ...string) error {
	for _, t := range tables {
		if _, err := s.write.ExecContext(ctx, `ANALYZE `+t); err != nil {
			return err
		}
	}
	return nil
}

// AnalyzeColumns is Analyze for one table, limited on PostgreSQL to the
// statistics of cols (the table's size is refreshed whatever the list):
// columns of long or unique text cost most to sample and say least to the
// planner. SQLite keeps statistics of indexes only and refreshes them all.
// table and cols are the caller's identifiers, never input.
func (s *Store) AnalyzeColumns(ctx context.Context, table string, cols ...string) error {
	q := `ANALYZE ` + table
	if s.Dialect == Postgres && len(cols) > 0 {
		q += ` (` + strings.Join(cols, ", ") + `)`
	}
	_, err := s.write.ExecContext(ctx, q)
	return err
}

// SyncSerial moves the sequence of table's serial column past the highest
// value stored, after rows were inserted with values chosen by the caller.
// SQLite's rowid needs nothing; PostgreSQL's sequence does. table and
// column are the caller's identifiers, never input.
func (s *Store) SyncSerial(ctx context.Context, table, column string) error {
	if s.Dialect != Postgres {
		return nil
	}
	_, err := s.ExecContext(ctx, `SELECT setval(pg_get_serial_sequence(?, ?), (SELECT MAX(`+column+`) FROM `+table+`))`, table, column)
	return err
}

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either database, by the drivers' codes (SQLite extended result codes,
// PostgreSQL SQLSTATE 23505), not by message text.
func IsUniqueViolation(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// IsDivisionByZero reports whether err is PostgreSQL's division_by_zero
// (SQLSTATE 22012), which a statement can raise on purpose to fail, and
// so undo, itself.
func IsDivisionByZero(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "22012"
}

// NotFound maps sql.ErrNoRows to a NotFound domain error.
func NotFound(err error, op, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return errs.New(errs.NotFound, op, msg)
	}
	return err
}

// TimeLayout stores times as fixed-width UTC text so they sort and compare
// the same way on both databases.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// FormatTime renders t for storage.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeLayout) }

// ParseTime reads a stored time; the zero time for "".
func ParseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(TimeLayout, s)
	if err != nil {
		t, _ = time.Parse(time.RFC3339Nano, s)
	}
	return t.UTC()
}

// timeNow is only used for migration bookkeeping, which needs no injected clock.
func timeNow() time.Time { return time.Now().UTC() }

// BoolInt stores a boolean as INTEGER 0/1, the one form both databases
// read back the same way.
func BoolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// NodeID is the node ID this database was bound to on its first start.
func (s *Store) NodeID(ctx context.Context) (string, error) {
	var id string
	if err := s.QueryRowContext(ctx, `SELECT value FROM node_settings WHERE key = 'node_id'`).Scan(&id); err != nil {
		return "", NotFound(err, "store.NodeID", "this database has not been used by a node yet")
	}
	return id, nil
}

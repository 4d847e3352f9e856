package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"

	"github.com/liaison-wb/liaison/internal/errs"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Migration is one numbered schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations lists the embedded migrations in order.
func Migrations() ([]Migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []Migration
	for _, e := range entries {
		num, name, ok := strings.Cut(strings.TrimSuffix(e.Name(), ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			return nil, fmt.Errorf("migration file %q must be named NNNN_name.sql", e.Name())
		}
		body, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, Migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := range out {
		if out[i].Version < 1 || (i > 0 && out[i].Version == out[i-1].Version) {
			return nil, fmt.Errorf("migration numbers must be positive and unique; found %d twice or out of range", out[i].Version)
		}
	}
	return out, nil
}

// dialectSQL substitutes the few per-dialect type names.
func (s *Store) dialectSQL(q string) string {
	blob, serial := "BLOB", "INTEGER PRIMARY KEY AUTOINCREMENT"
	if s.Dialect == Postgres {
		blob, serial = "BYTEA", "BIGSERIAL PRIMARY KEY"
	}
	return strings.NewReplacer("{{BLOB}}", blob, "{{SERIAL}}", serial).Replace(q)
}

// Migrate applies every migration not yet applied, in version order, each in
// its own transaction. It is safe to run on every start. Versions are applied
// by set, not by "highest so far", so modules developed side by side may land
// their numbered migrations in any order.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, nil)
}

// MigrateOnly applies the listed migrations (not yet applied) and no
// others: a restore rebuilds the schema its backup was taken with, and the
// node applies newer migrations when it starts.
func (s *Store) MigrateOnly(ctx context.Context, versions []int) error {
	want := map[int]bool{}
	for _, v := range versions {
		want[v] = true
	}
	return s.migrate(ctx, want)
}

func (s *Store) migrate(ctx context.Context, only map[int]bool) error {
	const op = "store.Migrate"
	ms, err := Migrations()
	if err != nil {
		return errs.Wrap(errs.Internal, op, "embedded migrations are broken", err)
	}
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		return errs.Wrap(errs.Unavailable, op, "cannot create migrations table", err)
	}
	if s.Dialect == Postgres {
		// Serialise concurrent starts of several processes on one database.
		if _, err := s.write.ExecContext(ctx, `SELECT pg_advisory_lock(7341)`); err != nil {
			return errs.Wrap(errs.Unavailable, op, "cannot lock for migration", err)
		}
		defer s.write.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(7341)`)
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return err
	}
	known := map[int]bool{}
	for _, m := range ms {
		known[m.Version] = true
	}
	for v := range applied {
		if !known[v] {
			return errs.Newf(errs.Invalid, op, "database has schema migration %d, which this binary does not know; upgrade liaison", v)
		}
	}
	for v := range only {
		if !known[v] {
			return errs.Newf(errs.Invalid, op, "the backup has schema migration %d, which this binary does not know; restore with a newer liaison", v)
		}
	}
	for _, m := range ms {
		if applied[m.Version] || (only != nil && !only[m.Version]) {
			continue
		}
		err := s.InTx(ctx, func(tx *Tx) error {
			for _, stmt := range splitStatements(s.dialectSQL(m.SQL)) {
				if _, err := tx.tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("migration %04d_%s: %w\n%s", m.Version, m.Name, err, stmt)
				}
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name, FormatTime(timeNow()))
			return err
		})
		if err != nil {
			return errs.Wrap(errs.Internal, op, fmt.Sprintf("migration %d (%s) failed", m.Version, m.Name), err)
		}
	}
	return nil
}

// AppliedVersion is the highest applied migration, 0 for a new database.
func (s *Store) AppliedVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.write.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v); err != nil {
		return 0, errs.Wrap(errs.Unavailable, "store.AppliedVersion", "cannot read schema version", err)
	}
	return v, nil
}

func (s *Store) appliedVersions(ctx context.Context) (map[int]bool, error) {
	rows, err := s.write.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "store.Migrate", "cannot read schema version", err)
	}
	defer rows.Close()
	out := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, errs.Wrap(errs.Unavailable, "store.Migrate", "cannot read schema version", err)
		}
		out[v] = true
	}
	return out, rows.Err()
}

// splitStatements splits a migration on semicolons at line ends; migrations
// keep one statement per semicolon-terminated block and no semicolons inside
// literals.
func splitStatements(sqlText string) []string {
	var out []string
	for _, part := range strings.Split(sqlText, ";\n") {
		var lines []string
		for _, l := range strings.Split(part, "\n") {
			if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, "--") {
				lines = append(lines, l)
			}
		}
		if stmt := strings.TrimSuffix(strings.TrimSpace(strings.Join(lines, "\n")), ";"); stmt != "" {
			out = append(out, stmt)
		}
	}
	return out
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
)

// Connect opens the database without running migrations, for tools that
// must not change it (doctor, migrate --check, backup). An SQLite database
// that does not exist yet is reported as NotFound rather than created.
func Connect(ctx context.Context, opt Options) (*Store, error) {
	if !strings.HasPrefix(opt.URL, "postgres://") && !strings.HasPrefix(opt.URL, "postgresql://") {
		path := SQLitePath(opt)
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, errs.New(errs.NotFound, "store.Connect", "no database at "+path)
		}
	}
	return connect(ctx, opt)
}

// Create connects without migrating and creates an SQLite database that
// does not exist yet (restore builds the schema itself).
func Create(ctx context.Context, opt Options) (*Store, error) { return connect(ctx, opt) }

// SQLitePath is the SQLite file opt selects ("" for PostgreSQL).
func SQLitePath(opt Options) string {
	if strings.HasPrefix(opt.URL, "postgres://") || strings.HasPrefix(opt.URL, "postgresql://") {
		return ""
	}
	if p := strings.TrimPrefix(opt.URL, "sqlite:"); p != "" {
		return p
	}
	return filepath.Join(opt.DataDir, "liaison.db")
}

// MigrationStatus compares the database with the embedded migrations:
// pending are the migrations this binary would apply, unknown the applied
// versions it does not know (the database is newer than the binary). It
// writes nothing.
func (s *Store) MigrationStatus(ctx context.Context) (pending []Migration, unknown []int, err error) {
	const op = "store.MigrationStatus"
	ms, err := Migrations()
	if err != nil {
		return nil, nil, errs.Wrap(errs.Internal, op, "embedded migrations are broken", err)
	}
	tables, err := s.Tables(ctx)
	if err != nil {
		return nil, nil, err
	}
	applied := map[int]bool{}
	if contains(tables, "schema_migrations") {
		if applied, err = s.appliedVersions(ctx); err != nil {
			return nil, nil, err
		}
	}
	known := map[int]bool{}
	for _, m := range ms {
		known[m.Version] = true
		if !applied[m.Version] {
			pending = append(pending, m)
		}
	}
	for v := range applied {
		if !known[v] {
			unknown = append(unknown, v)
		}
	}
	sort.Ints(unknown)
	return pending, unknown, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Tables lists the node's tables (in the current schema on PostgreSQL),
// sorted by name.
func (s *Store) Tables(ctx context.Context) ([]string, error) {
	return tables(ctx, s.write, s.Dialect)
}

type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func tables(ctx context.Context, q queryer, d Dialect) ([]string, error) {
	query := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`
	if d == Postgres {
		query = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`
	}
	rows, err := q.QueryContext(ctx, query)
	if err != nil {
		return nil, errs.Wrap(errs.Unavailable, "store.Tables", "cannot list tables", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, errs.Wrap(errs.Unavailable, "store.Tables", "cannot list tables", err)
		}
		out = append(out, n)
	}
	return out, rows.Err()
}

// Setting reads one node_settings value; ok is false when it is not set.
func (s *Store) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.write.QueryRowContext(ctx, s.Rebind(`SELECT value FROM node_settings WHERE key = ?`), key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, errs.Wrap(errs.Unavailable, "store.Setting", "cannot read node settings", err)
	}
	return value, true, nil
}

// SetSetting writes one node_settings value.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	return s.InTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE node_settings SET value = ? WHERE key = ?`, value, key)
		if err != nil {
			return errs.Wrap(errs.Unavailable, "store.SetSetting", "cannot write node settings", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO node_settings (key, value) VALUES (?, ?)`, key, value); err != nil {
			return errs.Wrap(errs.Unavailable, "store.SetSetting", "cannot write node settings", err)
		}
		return nil
	})
}

// node_settings keys the operations tools keep.
const (
	// SettingLastBackup holds a JSON OpsRecord of the last complete backup.
	SettingLastBackup = "ops.last_backup"
	// SettingLastAuditVerify holds a JSON OpsRecord of the last `audit verify`.
	SettingLastAuditVerify = "ops.last_audit_verify"
)

// OpsRecord is what the operations tools remember about their last run.
type OpsRecord struct {
	At     time.Time `json:"at"`
	OK     bool      `json:"ok"`
	Detail string    `json:"detail,omitempty"`
	File   string    `json:"file,omitempty"`
	Bytes  int64     `json:"bytes,omitempty"`
}

// RecordOps saves rec under key.
func (s *Store) RecordOps(ctx context.Context, key string, rec OpsRecord) error {
	b, err := json.Marshal(rec)
	if err != nil {
		return errs.Wrap(errs.Internal, "store.RecordOps", "cannot encode", err)
	}
	return s.SetSetting(ctx, key, string(b))
}

// LastOps reads the record under key; ok is false when there is none.
func (s *Store) LastOps(ctx context.Context, key string) (rec OpsRecord, ok bool, err error) {
	v, ok, err := s.Setting(ctx, key)
	if err != nil || !ok {
		return rec, ok, err
	}
	if err := json.Unmarshal([]byte(v), &rec); err != nil {
		return rec, false, errs.Wrap(errs.Invalid, "store.LastOps", "unreadable record "+key, err)
	}
	return rec, true, nil
}

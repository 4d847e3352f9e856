package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		ms, err := store.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		v, err := s.AppliedVersion(ctx)
		if err != nil || v != ms[len(ms)-1].Version {
			t.Fatalf("applied version = %d, %v; want %d", v, err, ms[len(ms)-1].Version)
		}
		var n int
		if err := s.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(ms) {
			t.Fatalf("%d migrations recorded, %v; want %d", n, err, len(ms))
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("second migrate: %v", err)
		}
		if v2, _ := s.AppliedVersion(ctx); v2 != v {
			t.Fatalf("version changed on re-run: %d → %d", v, v2)
		}
	})
}

func TestMigrateRefusesASchemaFromANewerBinary(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, 9999, "future", "x"); err != nil {
			t.Fatal(err)
		}
		err := s.Migrate(ctx)
		if err == nil || !strings.Contains(errs.SafeMessage(err), "does not know") {
			t.Fatalf("migrate = %v, want a refusal naming the unknown migration", err)
		}
	})
}

func TestTxCommitAndRollback(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO node_settings (key, value) VALUES (?, ?)`, "a", "1")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO node_settings (key, value) VALUES (?, ?)`, "b", "2"); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("want boom, got %v", err)
		}
		var n int
		if err := s.QueryRowContext(ctx, `SELECT COUNT(*) FROM node_settings WHERE key IN (?, ?)`, "a", "b").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("rows = %d, want 1 (rollback must discard b)", n)
		}
		_, err = s.ExecContext(ctx, `INSERT INTO node_settings (key, value) VALUES (?, ?)`, "a", "again")
		if !store.IsUniqueViolation(err) {
			t.Fatalf("duplicate key: want unique violation, got %v", err)
		}
	})
}

func TestRebindSkipsLiterals(t *testing.T) {
	s := &store.Store{Dialect: store.Postgres}
	got := s.Rebind(`SELECT '?' , x FROM t WHERE a = ? AND b = ?`)
	want := `SELECT '?' , x FROM t WHERE a = $1 AND b = $2`
	if got != want {
		t.Fatalf("Rebind = %q, want %q", got, want)
	}
	lite := &store.Store{Dialect: store.SQLite}
	if q := lite.Rebind("a = ?"); q != "a = ?" {
		t.Fatalf("sqlite rebind changed query: %q", q)
	}
}

func TestUnreachablePostgresIsClearError(t *testing.T) {
	_, err := store.Open(context.Background(), store.Options{URL: "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=2"})
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("want Unavailable, got %v", err)
	}
	if msg := errs.SafeMessage(err); !strings.Contains(msg, "127.0.0.1:1") || strings.Contains(msg, "nobody") {
		t.Fatalf("message should name the host but not the user: %q", msg)
	}
}

func TestUnusableSQLitePath(t *testing.T) {
	_, err := store.Open(context.Background(), store.Options{URL: "sqlite:/proc/definitely/not/here.db"})
	if !errs.Is(err, errs.Unavailable) {
		t.Fatalf("want Unavailable, got %v", err)
	}
}

// After a load, AnalyzeColumns refreshes what the planner knows of the
// table's size (PostgreSQL) or of its indexes (SQLite), whatever columns
// it is limited to.
func TestAnalyzeColumnsRefreshesTheTableSize(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		err := s.InTx(ctx, func(tx *store.Tx) error {
			rows := make([][]any, 500)
			for i := range rows {
				rows[i] = []any{store.NewID(), "person", "p", "{}", strconv.Itoa(i), "2026-12-04T00:00:00Z"}
			}
			return tx.InsertMany(ctx, store.Bulk{Table: "cases_entities", Columns: []string{"id", "kind", "label", "fields", "fingerprint", "created_at"}}, rows, nil)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.AnalyzeColumns(ctx, "cases_entities", "pk", "kind", "merged_into"); err != nil {
			t.Fatal(err)
		}
		var n float64
		q := `SELECT reltuples FROM pg_class WHERE oid = 'cases_entities'::regclass`
		if s.Dialect != store.Postgres {
			q = `SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'cases_entities'`
		}
		if err := s.QueryRowContext(ctx, q).Scan(&n); err != nil || n == 0 || s.Dialect == store.Postgres && n != 500 {
			t.Fatalf("statistics after AnalyzeColumns: %v %v", n, err)
		}
	})
}

// A transaction that repeats statements (reused compiled on SQLite),
// interleaves single-row reads with writes, and runs more distinct
// statements than are kept compiled, writes and reads every row.
func TestTxRepeatedStatements(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.ExecContext(ctx, `CREATE TABLE rep_t (k BIGINT PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		err := s.InTx(ctx, func(tx *store.Tx) error {
			for i := range 300 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO rep_t (k, v) VALUES (?, ?)`, i, "v"+strconv.Itoa(i)); err != nil {
					return err
				}
				var v string
				if err := tx.QueryRowContext(ctx, `SELECT v FROM rep_t WHERE k = ?`, i).Scan(&v); err != nil || v != "v"+strconv.Itoa(i) {
					return errors.Join(err, errors.New("read back "+v))
				}
			}
			for i := range 300 { // distinct texts: beyond the statements kept compiled
				if _, err := tx.ExecContext(ctx, `UPDATE rep_t SET v = ? WHERE k = `+strconv.Itoa(i), "w"); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.QueryRowContext(ctx, `SELECT COUNT(*) FROM rep_t WHERE v = 'w'`).Scan(&n); err != nil || n != 300 {
			t.Fatalf("%d rows updated, %v", n, err)
		}
	})
}

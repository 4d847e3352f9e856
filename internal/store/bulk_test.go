package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// InsertMany writes small and large batches (COPY on PostgreSQL), skips
// conflicting rows (also repeated within a batch, keeping the first),
// reads back only the rows inserted, and rolls back with its transaction.
// A hook after the commit may write (SQLite's one writing connection is
// free again).
func TestInsertMany(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.ExecContext(ctx, `CREATE TABLE bulk_t (k TEXT NOT NULL UNIQUE, v BIGINT NOT NULL, b `+map[store.Dialect]string{store.SQLite: "BLOB", store.Postgres: "BYTEA"}[s.Dialect]+`)`); err != nil {
			t.Fatal(err)
		}
		b := store.Bulk{Table: "bulk_t", Columns: []string{"k", "v", "b"}, Conflict: "k", Returning: "k, v"}
		rows := func(from, to int) [][]any {
			var out [][]any
			for i := from; i < to; i++ {
				out = append(out, []any{fmt.Sprintf("k%d", i), int64(i), []byte{byte(i)}})
			}
			return out
		}
		count := func() int {
			var n int
			if err := s.QueryRowContext(ctx, `SELECT COUNT(*) FROM bulk_t`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		got := map[string]int64{}
		scan := func(r store.Scanner) error {
			var k string
			var v int64
			err := r.Scan(&k, &v)
			got[k] = v
			return err
		}
		hooked := false
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertMany(ctx, b, rows(0, 10), scan); err != nil { // small: one INSERT
				return err
			}
			big := append(rows(5, 3000), []any{"k2000", int64(-1), nil}) // overlaps, and repeats k2000
			if err := tx.InsertMany(ctx, b, big, scan); err != nil {
				return err
			}
			tx.AfterCommit(func() {
				_, err := s.ExecContext(ctx, `INSERT INTO bulk_t (k, v) VALUES ('hook', 0)`)
				hooked = err == nil
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 3000 || got["k2000"] != 2000 || got["k7"] != 7 || !hooked || count() != 3001 {
			t.Fatalf("inserted %d rows (k2000=%d), hook %v, %d stored", len(got), got["k2000"], hooked, count())
		}
		refused := errors.New("refused")
		err = s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertMany(ctx, store.Bulk{Table: "bulk_t", Columns: []string{"k", "v", "b"}}, rows(5000, 7000), nil); err != nil {
				return err
			}
			return refused
		})
		if !errors.Is(err, refused) || count() != 3001 {
			t.Fatalf("rolled back: %v, %d stored", err, count())
		}
	})
}

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

// UpdateMany changes the rows named by their keys (through a staging table
// on PostgreSQL for large batches), leaves the others, ignores keys that
// match nothing, and rolls back with its transaction.
func TestUpdateMany(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.ExecContext(ctx, `CREATE TABLE upd_t (a TEXT NOT NULL, b TEXT NOT NULL, v BIGINT NOT NULL DEFAULT 0, note TEXT NOT NULL DEFAULT '', PRIMARY KEY (a, b))`); err != nil {
			t.Fatal(err)
		}
		var seed [][]any
		for i := 0; i < 500; i++ {
			seed = append(seed, []any{fmt.Sprintf("a%d", i%7), fmt.Sprintf("b%d", i)})
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.InsertMany(ctx, store.Bulk{Table: "upd_t", Columns: []string{"a", "b"}}, seed, nil)
		}); err != nil {
			t.Fatal(err)
		}
		b := store.BulkUpdate{Table: "upd_t", Key: []string{"a", "b"}, Set: []string{"v", "note"}}
		change := func(from, to int) [][]any {
			var out [][]any
			for i := from; i < to; i++ {
				out = append(out, []any{int64(i * 10), fmt.Sprintf("n%d", i), fmt.Sprintf("a%d", i%7), fmt.Sprintf("b%d", i)})
			}
			return out
		}
		sum := func() (int64, int) {
			var v int64
			var notes int
			if err := s.QueryRowContext(ctx, `SELECT COALESCE(SUM(v), 0), COUNT(*) FILTER (WHERE note <> '') FROM upd_t`).Scan(&v, &notes); err != nil {
				t.Fatal(err)
			}
			return v, notes
		}
		for _, size := range []int{3, 300} { // one statement a row, and the staging table
			if _, err := s.ExecContext(ctx, `UPDATE upd_t SET v = 0, note = ''`); err != nil {
				t.Fatal(err)
			}
			rows := append(change(100, 100+size), []any{int64(1), "ghost", "a1", "nowhere"})
			if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateMany(ctx, b, rows) }); err != nil {
				t.Fatal(err)
			}
			var want int64
			for i := 100; i < 100+size; i++ {
				want += int64(i * 10)
			}
			if v, notes := sum(); v != want || notes != size {
				t.Fatalf("%d rows: sum %d with %d notes, want %d with %d", size, v, notes, want, size)
			}
			var note string
			if err := s.QueryRowContext(ctx, `SELECT note FROM upd_t WHERE a = 'a2' AND b = 'b100'`).Scan(&note); err != nil || note != "n100" {
				t.Fatalf("row b100: %q %v", note, err)
			}
		}
		before, _ := sum()
		refused := errors.New("refused")
		err := s.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.UpdateMany(ctx, b, change(0, 400)); err != nil {
				return err
			}
			return refused
		})
		if after, _ := sum(); !errors.Is(err, refused) || after != before {
			t.Fatalf("rolled back: %v, sum %d, want %d", err, after, before)
		}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.UpdateMany(ctx, b, [][]any{{int64(1)}}) }); err == nil {
			t.Fatal("a row with too few values was accepted")
		}
	})
}

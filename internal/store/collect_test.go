package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

func TestCollect(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		if _, err := s.ExecContext(ctx, `CREATE TABLE collect_t (n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		scan := func(r store.Scanner) (int, error) {
			var n int
			err := r.Scan(&n)
			return n, err
		}
		got, err := store.Collect(ctx, s, scan, `SELECT n FROM collect_t ORDER BY n`)
		if err != nil || got == nil || len(got) != 0 {
			t.Fatalf("empty table: %v %v", got, err)
		}
		for _, n := range []int{3, 1, 2} {
			if _, err := s.ExecContext(ctx, `INSERT INTO collect_t (n) VALUES (?)`, n); err != nil {
				t.Fatal(err)
			}
		}
		got, err = store.Collect(ctx, s, scan, `SELECT n FROM collect_t WHERE n > ? ORDER BY n`, 1)
		if err != nil || len(got) != 2 || got[0] != 2 || got[1] != 3 {
			t.Fatalf("rows: %v %v", got, err)
		}
		bad := errors.New("bad row")
		if _, err := store.Collect(ctx, s, func(store.Scanner) (int, error) { return 0, bad }, `SELECT n FROM collect_t`); !errors.Is(err, bad) {
			t.Fatalf("a scan error is returned: %v", err)
		}
		if _, err := store.Collect(ctx, s, scan, `SELECT nope FROM collect_t`); err == nil {
			t.Fatal("a query error is returned")
		}
	})
}

package store_test

import (
	"bytes"
	"context"
	"sort"
	"testing"

	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// TestDumpCoversEveryTableAndLoadsBack dumps a database with rows in
// referencing tables, binary columns and a serial column, loads it into a
// fresh database built with the same migrations and compares.
func TestDumpCoversEveryTableAndLoadsBack(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			ctx := context.Background()
			src := storetest.Open(t, b.Options(t))
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := src.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec(`INSERT INTO fed_peers (id, name, url, public_key, created_at) VALUES (?, ?, ?, ?, ?)`, "al", "Albania", "https://al", "key", "2026-01-01T00:00:00.000000Z")
			exec(`INSERT INTO fed_outbox (id, peer, type, conversation, seq, created_at, envelope, state, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				"m1", "al", "t", "c", 1, "2026-01-01T00:00:00.000000Z", `{"x":"ć \"q\""}`, "queued", "2026-01-01T00:00:00.000000Z")
			exec(`INSERT INTO audit_checkpoints (tree_size, root_hash, at, node_id, public_key, signature) VALUES (?, ?, ?, ?, ?, ?)`,
				int64(1)<<40, []byte{0, 1, 2, 255}, "2026", "rs", "pk", []byte{})
			exec(`INSERT INTO node_settings (key, value) VALUES (?, ?)`, "node_id", "rs")
			exec(`INSERT INTO audit_outbox (entry) VALUES (?)`, "{}")

			var buf bytes.Buffer
			counts, err := src.Dump(ctx, &buf, nil)
			if err != nil {
				t.Fatal(err)
			}
			names, err := src.Tables(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range names {
				if _, ok := counts[n]; !ok {
					t.Errorf("table %s is not in the dump", n)
				}
			}
			if len(counts) != len(names) {
				t.Fatalf("dump has %d tables, database %d", len(counts), len(names))
			}

			dst, err := store.Create(ctx, b.Options(t))
			if err != nil {
				t.Fatal(err)
			}
			defer dst.Close()
			versions, err := src.AppliedVersions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := dst.MigrateOnly(ctx, versions); err != nil {
				t.Fatal(err)
			}
			loaded, err := dst.Load(ctx, bytes.NewReader(buf.Bytes()), nil)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := src.CountRows(ctx)
			got, _ := dst.CountRows(ctx)
			if !equalCounts(want, got) {
				t.Fatalf("row counts differ:\n%v\n%v", want, got)
			}
			if loaded["fed_outbox"] != 1 {
				t.Fatalf("loaded %v", loaded)
			}
			var env string
			var root []byte
			var size int64
			dst.QueryRowContext(ctx, `SELECT envelope FROM fed_outbox WHERE id = 'm1'`).Scan(&env)
			dst.QueryRowContext(ctx, `SELECT tree_size, root_hash FROM audit_checkpoints`).Scan(&size, &root)
			if env != `{"x":"ć \"q\""}` || !bytes.Equal(root, []byte{0, 1, 2, 255}) || size != int64(1)<<40 {
				t.Fatalf("values changed: %q %v %d", env, root, size)
			}
			// Serial columns go on after the loaded rows.
			if _, err := dst.ExecContext(ctx, `INSERT INTO audit_outbox (entry) VALUES (?)`, "{}"); err != nil {
				t.Fatalf("insert after load: %v", err)
			}
		})
	}
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if a[k] != b[k] {
			return false
		}
	}
	return true
}

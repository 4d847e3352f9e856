package fedbench

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"runtime"
)

func numCPU() int { return runtime.NumCPU() }

// pgSchemas gives each benchmark node a fresh PostgreSQL schema when a
// database URL is given, and drops them afterwards.
func pgSchemas(ctx context.Context, base string) (func(run int) func(node string) string, func(), error) {
	if base == "" {
		return func(int) func(string) string { return func(string) string { return "" } }, func() {}, nil
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		return nil, nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("PostgreSQL is not reachable: %w", err)
	}
	var created []string
	make := func(run int) func(string) string {
		return func(node string) string {
			b := make([]byte, 4)
			_, _ = rand.Read(b)
			schema := fmt.Sprintf("bench_%s_%d_%s", node, run, hex.EncodeToString(b))
			if _, err := db.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
				return base
			}
			created = append(created, schema)
			u, _ := url.Parse(base)
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	cleanup := func() {
		for _, s := range created {
			_, _ = db.ExecContext(context.Background(), "DROP SCHEMA "+s+" CASCADE")
		}
		db.Close()
	}
	return make, cleanup, nil
}

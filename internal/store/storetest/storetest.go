// Package storetest gives tests a fresh, migrated database: SQLite always,
// and PostgreSQL too when LIAISON_TEST_POSTGRES holds a connection URL.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/liaison-wb/liaison/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL test URL.
const EnvPostgres = "LIAISON_TEST_POSTGRES"

// Backend is one database a test runs against.
type Backend struct {
	Name string
	// Options opens a fresh database for the calling test.
	Options func(t testing.TB) store.Options
}

// Backends lists SQLite and, when configured, PostgreSQL.
func Backends() []Backend {
	out := []Backend{{Name: "sqlite", Options: func(t testing.TB) store.Options {
		return store.Options{DataDir: t.TempDir()}
	}}}
	if pg := os.Getenv(EnvPostgres); pg != "" {
		out = append(out, Backend{Name: "postgres", Options: func(t testing.TB) store.Options {
			return store.Options{URL: FreshSchema(t, pg)}
		}})
	}
	return out
}

// EachBackend runs fn once per backend as a subtest; fn opens what it
// needs (nodes, stores) from the backend's options.
func EachBackend(t *testing.T, fn func(t *testing.T, b Backend)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, b) })
	}
}

// Each runs fn once per backend as a subtest with a fresh migrated store.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b.Name, func(t *testing.T) {
			fn(t, Open(t, b.Options(t)))
		})
	}
}

// Open opens and migrates a store, closing it when the test ends.
func Open(t testing.TB, opt store.Options) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), opt)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// SQLite opens a fresh SQLite store in a temporary directory.
func SQLite(t testing.TB) *store.Store { return Open(t, store.Options{DataDir: t.TempDir()}) }

// FreshSchema creates an empty schema in the PostgreSQL database at base and
// returns a URL whose search_path points at it; the schema is dropped when
// the test ends.
func FreshSchema(t testing.TB, base string) string {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "lt_" + hex.EncodeToString(b)
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("postgres: %v", err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("postgres: create schema: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("postgres url: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

package auth_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// lockedBuffer is a log sink safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// refuseWrites makes the database refuse the session and token upkeep
// writes (not the reads), on either dialect.
func refuseWrites(t *testing.T, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	stmts := []string{
		`CREATE TRIGGER refuse_session_delete BEFORE DELETE ON sessions BEGIN SELECT RAISE(ABORT, 'refused'); END`,
		`CREATE TRIGGER refuse_session_update BEFORE UPDATE ON sessions BEGIN SELECT RAISE(ABORT, 'refused'); END`,
		`CREATE TRIGGER refuse_token_update BEFORE UPDATE ON api_tokens BEGIN SELECT RAISE(ABORT, 'refused'); END`,
	}
	if st.Dialect == store.Postgres {
		stmts = []string{
			`CREATE FUNCTION refuse_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused'; END $$`,
			`CREATE TRIGGER refuse_session_delete BEFORE DELETE ON sessions FOR EACH ROW EXECUTE FUNCTION refuse_write()`,
			`CREATE TRIGGER refuse_session_update BEFORE UPDATE ON sessions FOR EACH ROW EXECUTE FUNCTION refuse_write()`,
			`CREATE TRIGGER refuse_token_update BEFORE UPDATE ON api_tokens FOR EACH ROW EXECUTE FUNCTION refuse_write()`,
		}
	}
	for _, q := range stmts {
		if _, err := st.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFailedSessionUpkeepIsLogged: when extending a session, removing an
// expired one or recording a token's last use fails, the request is
// answered as before and the failure is logged, without any token value.
func TestFailedSessionUpkeepIsLogged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
		node, _ := identity.LoadOrCreate(t.TempDir(), "me", "")
		al, err := audit.Open(ctx, st, node, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		var logged lockedBuffer
		s := auth.NewService(st, al, clk, slog.New(slog.NewTextHandler(&logged, nil)), auth.DefaultSettings())
		addUser(t, s, "ana", auth.RoleOfficer)
		sess, err := s.Login(ctx, auth.LoginInput{Username: "ana", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := s.CreateToken(ctx, sess.Principal, "export", nil)
		if err != nil {
			t.Fatal(err)
		}
		refuseWrites(t, st)

		clk.Advance(2 * time.Minute)
		if _, err := s.SessionPrincipal(ctx, sess.Token); err != nil {
			t.Fatalf("session refused when its extension failed: %v", err)
		}
		if _, err := s.TokenPrincipal(ctx, secret); err != nil {
			t.Fatalf("token refused when recording its use failed: %v", err)
		}
		clk.Advance(9 * time.Hour)
		if _, err := s.SessionPrincipal(ctx, sess.Token); errs.CodeOf(err) != "session-expired" {
			t.Fatalf("expired session: %v", err)
		}

		out := logged.String()
		for _, want := range []string{"could not extend a session's idle timeout", "could not record an API token's last use", "could not delete an expired session"} {
			if !strings.Contains(out, want) {
				t.Errorf("log lacks %q:\n%s", want, out)
			}
		}
		for _, v := range []string{sess.Token, sess.CSRFToken, secret, sha256Hex(sess.Token), sha256Hex(secret)} {
			if strings.Contains(out, v) {
				t.Errorf("log shows a token value:\n%s", out)
			}
		}
	})
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

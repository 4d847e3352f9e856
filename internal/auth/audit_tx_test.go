package auth_test

import (
	"context"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// TestAccountChangesCommitWithTheirAuditEntries: with the audit outbox
// unwritable, no account change takes effect (password, session, token,
// new user); with it back, each works.
func TestAccountChangesCommitWithTheirAuditEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, _ := newService(t, st)
		addUser(t, s, "ana", auth.RoleOfficer)
		sess, err := s.Login(ctx, auth.LoginInput{Username: "ana", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.ExecContext(ctx, `ALTER TABLE audit_outbox RENAME TO audit_outbox_away`); err != nil {
			t.Fatal(err)
		}
		if err := s.ChangePassword(ctx, sess.Principal, pw, "another long passphrase", sess.Token); err == nil {
			t.Fatal("password changed without an audit entry")
		}
		if _, _, err := s.CreateToken(ctx, sess.Principal, "export", nil); err == nil {
			t.Fatal("token created without an audit entry")
		}
		if _, err := s.CreateUser(ctx, nil, auth.NewUser{Username: "bora", DisplayName: "Bora", Agency: "me-police", Roles: []auth.Role{auth.RoleOfficer}, Password: pw}); err == nil {
			t.Fatal("user created without an audit entry")
		}
		if _, err := s.Login(ctx, auth.LoginInput{Username: "ana", Password: pw}); err == nil {
			t.Fatal("session opened without an audit entry")
		}
		if _, err := st.ExecContext(ctx, `ALTER TABLE audit_outbox_away RENAME TO audit_outbox`); err != nil {
			t.Fatal(err)
		}
		// Nothing of the refused changes took effect.
		if _, err := s.Login(ctx, auth.LoginInput{Username: "ana", Password: pw}); err != nil {
			t.Fatalf("the old password no longer works: %v", err)
		}
		if toks, err := s.ListTokens(ctx, sess.Principal); err != nil || len(toks) != 0 {
			t.Fatalf("tokens %v (%v)", toks, err)
		}
		if _, err := s.Login(ctx, auth.LoginInput{Username: "bora", Password: pw}); err == nil {
			t.Fatal("the refused user exists")
		}
		if err := s.ChangePassword(ctx, sess.Principal, pw, "another long passphrase", sess.Token); err != nil {
			t.Fatal(err)
		}
	})
}

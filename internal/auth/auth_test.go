package auth_test

import (
	"context"
	"encoding/base32"
	"io"
	"log/slog"
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

func newService(t *testing.T, st *store.Store) (*auth.Service, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	node, _ := identity.LoadOrCreate(t.TempDir(), "me", "")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	al, err := audit.Open(context.Background(), st, node, clk, log)
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewService(st, al, clk, log, auth.DefaultSettings()), clk
}

const pw = "correct horse battery"

func addUser(t *testing.T, s *auth.Service, name string, roles ...auth.Role) {
	t.Helper()
	if _, err := s.CreateUser(context.Background(), nil, auth.NewUser{Username: name, DisplayName: name, Agency: "me-police", Roles: roles, Password: pw}); err != nil {
		t.Fatal(err)
	}
}

func TestPasswordHash(t *testing.T) {
	h, err := auth.HashPassword("secret password")
	if err != nil {
		t.Fatal(err)
	}
	if !auth.CheckPassword(h, "secret password") || auth.CheckPassword(h, "secret passwore") {
		t.Fatal("hash check wrong")
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$v=19$m=1,t=1,p=1$AA$AA", h[:len(h)-3] + "!!!"} {
		if auth.CheckPassword(bad, "secret password") {
			t.Fatalf("malformed hash %q accepted", bad)
		}
	}
}

func TestTOTPRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString([]byte("12345678901234567890"))
	for ts, want := range map[int64]string{59: "287082", 1111111109: "081804", 1234567890: "005924", 2000000000: "279037"} {
		got, err := auth.TOTPCode(secret, time.Unix(ts, 0))
		if err != nil || got != want {
			t.Errorf("t=%d: got %s, want %s", ts, got, want)
		}
		if !auth.CheckTOTP(secret, want, time.Unix(ts+30, 0)) {
			t.Errorf("t=%d: one step of drift must be accepted", ts)
		}
		if auth.CheckTOTP(secret, want, time.Unix(ts+120, 0)) {
			t.Errorf("t=%d: four steps late must be refused", ts)
		}
	}
}

func TestCreateUserValidation(t *testing.T) {
	s, _ := newService(t, storetest.SQLite(t))
	ctx := context.Background()
	addUser(t, s, "ana.petrovic", auth.RoleOfficer)
	cases := []struct {
		name string
		in   auth.NewUser
		kind errs.Kind
	}{
		{"duplicate", auth.NewUser{Username: "Ana.Petrovic", DisplayName: "A", Agency: "x", Roles: []auth.Role{auth.RoleOfficer}, Password: pw}, errs.Conflict},
		{"short password", auth.NewUser{Username: "b.b", DisplayName: "B", Agency: "x", Roles: []auth.Role{auth.RoleOfficer}, Password: "short"}, errs.Invalid},
		{"bad username", auth.NewUser{Username: "a b", DisplayName: "B", Agency: "x", Roles: []auth.Role{auth.RoleOfficer}, Password: pw}, errs.Invalid},
		{"no roles", auth.NewUser{Username: "ccc", DisplayName: "C", Agency: "x", Password: pw}, errs.Invalid},
		{"unknown role", auth.NewUser{Username: "ddd", DisplayName: "D", Agency: "x", Roles: []auth.Role{"chief"}, Password: pw}, errs.Invalid},
		{"no agency", auth.NewUser{Username: "eee", DisplayName: "E", Roles: []auth.Role{auth.RoleOfficer}, Password: pw}, errs.Invalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := s.CreateUser(ctx, nil, tc.in)
			if errs.KindOf(err) != tc.kind {
				t.Fatalf("got %v (kind %v), want kind %v", err, errs.KindOf(err), tc.kind)
			}
		})
	}
	if _, err := auth.ParseRoles("officer, analyst"); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.ParseRoles("officer,boss"); !errs.Is(err, errs.Invalid) {
		t.Fatal("unknown role must be refused")
	}
}

func TestLoginFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, clk := newService(t, st)
		ctx := context.Background()
		addUser(t, s, "officer1", auth.RoleOfficer)

		if _, err := s.Login(ctx, auth.LoginInput{Username: "officer1", Password: "wrong password!", RemoteIP: "10.0.0.1"}); errs.CodeOf(err) != "bad-credentials" {
			t.Fatalf("wrong password: %v", err)
		}
		if _, err := s.Login(ctx, auth.LoginInput{Username: "nobody", Password: pw}); errs.CodeOf(err) != "bad-credentials" {
			t.Fatalf("unknown user must look like a wrong password: %v", err)
		}
		sess, err := s.Login(ctx, auth.LoginInput{Username: "OFFICER1", Password: pw})
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.SessionPrincipal(ctx, sess.Token)
		if err != nil || p.Username != "officer1" || !p.Has(auth.RoleOfficer) || p.CSRFToken == "" {
			t.Fatalf("session principal %+v, %v", p, err)
		}
		clk.Advance(9 * time.Hour)
		if _, err := s.SessionPrincipal(ctx, sess.Token); errs.CodeOf(err) != "session-expired" {
			t.Fatalf("idle session must expire: %v", err)
		}
		sess, _ = s.Login(ctx, auth.LoginInput{Username: "officer1", Password: pw})
		if err := s.Logout(ctx, p, sess.Token); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionPrincipal(ctx, sess.Token); err == nil {
			t.Fatal("session must end on logout")
		}
	})
}

func TestLockoutAfterRepeatedFailures(t *testing.T) {
	s, clk := newService(t, storetest.SQLite(t))
	ctx := context.Background()
	addUser(t, s, "officer2", auth.RoleOfficer)
	for i := 0; i < 5; i++ {
		_, _ = s.Login(ctx, auth.LoginInput{Username: "officer2", Password: "not the password"})
	}
	// Locked: the same answer as for a wrong password or an unknown user.
	if _, err := s.Login(ctx, auth.LoginInput{Username: "officer2", Password: pw}); errs.CodeOf(err) != "bad-credentials" {
		t.Fatalf("want lock-out, got %v", err)
	}
	clk.Advance(16 * time.Minute)
	if _, err := s.Login(ctx, auth.LoginInput{Username: "officer2", Password: pw}); err != nil {
		t.Fatalf("lock must lift after the lock-out period: %v", err)
	}
}

func TestIPRateLimit(t *testing.T) {
	s, _ := newService(t, storetest.SQLite(t))
	ctx := context.Background()
	for i := 0; i < 30; i++ {
		_, _ = s.Login(ctx, auth.LoginInput{Username: "guess", Password: "x", RemoteIP: "192.0.2.7"})
	}
	if _, err := s.Login(ctx, auth.LoginInput{Username: "guess", Password: "x", RemoteIP: "192.0.2.7"}); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("want rate limit, got %v", err)
	}
}

func TestTOTPLogin(t *testing.T) {
	s, clk := newService(t, storetest.SQLite(t))
	ctx := context.Background()
	addUser(t, s, "pros1", auth.RoleProsecutor)
	sess, _ := s.Login(ctx, auth.LoginInput{Username: "pros1", Password: pw})
	secret, err := s.BeginTOTP(ctx, sess.Principal, pw, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.ConfirmTOTP(ctx, sess.Principal, "000000"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("wrong code must be refused: %v", err)
	}
	code, _ := auth.TOTPCode(secret, clk.Now())
	if err := s.ConfirmTOTP(ctx, sess.Principal, code); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Login(ctx, auth.LoginInput{Username: "pros1", Password: pw}); errs.CodeOf(err) != "totp-required" {
		t.Fatalf("want totp-required, got %v", err)
	}
	if _, err := s.Login(ctx, auth.LoginInput{Username: "pros1", Password: pw, TOTPCode: "123456"}); errs.CodeOf(err) != "bad-credentials" {
		t.Fatalf("wrong code: %v", err)
	}
	// The code that confirmed enrolment cannot be used again.
	if _, err := s.Login(ctx, auth.LoginInput{Username: "pros1", Password: pw, TOTPCode: code}); errs.CodeOf(err) != "bad-credentials" {
		t.Fatalf("reused code: %v", err)
	}
	clk.Advance(30 * time.Second)
	code, _ = auth.TOTPCode(secret, clk.Now())
	if _, err := s.Login(ctx, auth.LoginInput{Username: "pros1", Password: pw, TOTPCode: code}); err != nil {
		t.Fatal(err)
	}
}

func TestTokensAndDisable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		s, clk := newService(t, st)
		ctx := context.Background()
		addUser(t, s, "admin1", auth.RoleAdmin)
		addUser(t, s, "analyst1", auth.RoleAnalyst)
		admin, _ := s.Login(ctx, auth.LoginInput{Username: "admin1", Password: pw})
		an, _ := s.Login(ctx, auth.LoginInput{Username: "analyst1", Password: pw})
		tok, secret, err := s.CreateToken(ctx, an.Principal, "nightly export", nil)
		if err != nil {
			t.Fatal(err)
		}
		p, err := s.TokenPrincipal(ctx, secret)
		if err != nil || p.Username != "analyst1" || !p.ViaToken {
			t.Fatalf("token principal %+v %v", p, err)
		}
		if _, err := s.TokenPrincipal(ctx, secret+"x"); errs.CodeOf(err) != "bad-token" {
			t.Fatal("tampered token accepted")
		}
		if err := s.RevokeToken(ctx, admin.Principal, tok.ID); !errs.Is(err, errs.NotFound) {
			t.Fatal("a user may only revoke their own tokens")
		}
		if err := s.SetDisabled(ctx, admin.Principal, "analyst1", true); err != nil {
			t.Fatal(err)
		}
		if _, err := s.TokenPrincipal(ctx, secret); err == nil {
			t.Fatal("disabling must revoke tokens")
		}
		if _, err := s.SessionPrincipal(ctx, an.Token); err == nil {
			t.Fatal("disabling must end sessions")
		}
		if _, err := s.Login(ctx, auth.LoginInput{Username: "analyst1", Password: pw}); errs.CodeOf(err) != "account-disabled" {
			t.Fatalf("disabled login: %v", err)
		}
		if err := s.SetDisabled(ctx, admin.Principal, "admin1", true); !errs.Is(err, errs.Conflict) {
			t.Fatal("self-disable must be refused")
		}
		_ = clk
	})
}

func TestEnsureAdminOneTimePassword(t *testing.T) {
	s, _ := newService(t, storetest.SQLite(t))
	ctx := context.Background()
	created, pw1, err := s.EnsureAdmin(ctx, "rs-node", "")
	if err != nil || !created || len(pw1) != 20 {
		t.Fatalf("first start: %v %v %q", created, err, pw1)
	}
	again, _, _ := s.EnsureAdmin(ctx, "rs-node", "")
	if again {
		t.Fatal("admin must be created only once")
	}
	sess, err := s.Login(ctx, auth.LoginInput{Username: "admin", Password: pw1})
	if err != nil {
		t.Fatal(err)
	}
	if err := auth.Authorize(sess.Principal, auth.ActUserList); errs.CodeOf(err) != "password-change-required" {
		t.Fatalf("one-time password must be changed first: %v", err)
	}
	if err := s.ChangePassword(ctx, sess.Principal, pw1, "a much better passphrase", sess.Token); err != nil {
		t.Fatal(err)
	}
	p, _ := s.SessionPrincipal(ctx, sess.Token)
	if err := auth.Authorize(p, auth.ActUserList); err != nil {
		t.Fatalf("after change: %v", err)
	}
}

func TestPolicyDeniesUnknownAndAnonymous(t *testing.T) {
	officer := &auth.Principal{Username: "o", Roles: []auth.Role{auth.RoleOfficer}}
	if err := auth.Authorize(officer, "no.such.action"); !errs.Is(err, errs.Forbidden) {
		t.Fatal("unknown action must be denied")
	}
	if err := auth.Authorize(nil, auth.ActDashboard); !errs.Is(err, errs.Unauthenticated) {
		t.Fatal("anonymous must be asked to log in")
	}
	if err := auth.Authorize(officer, auth.ActAuditList); !errs.Is(err, errs.Forbidden) {
		t.Fatal("officer must not read the audit log")
	}
}

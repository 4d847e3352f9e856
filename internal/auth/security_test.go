package auth_test

import (
	"context"
	"fmt"
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
	"github.com/liaison-wb/liaison/internal/testutil"
)

func newServiceWith(t *testing.T, st *store.Store, cfg auth.Settings) *auth.Service {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 11, 2, 8, 0, 0, 0, time.UTC))
	node, _ := identity.LoadOrCreate(t.TempDir(), "me", "")
	log := testutil.Logger(t)
	al, err := audit.Open(context.Background(), st, node, clk, log)
	if err != nil {
		t.Fatal(err)
	}
	return auth.NewService(st, al, clk, log, cfg)
}

// Parallel attempts reserve their check in the database first: no more
// passwords are checked than the limit, on both databases.
func TestParallelLoginReservesAttempts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		cfg := auth.DefaultSettings()
		cfg.HashWait = time.Minute
		s := newServiceWith(t, st, cfg)
		addUser(t, s, "racer", auth.RoleOfficer)
		var wg sync.WaitGroup
		start := make(chan struct{})
		var mu sync.Mutex
		ok := 0
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				p := fmt.Sprintf("wrong guess number %d", i)
				if i == 39 {
					p = pw
				}
				if _, err := s.Login(context.Background(), auth.LoginInput{Username: "racer", Password: p, RemoteIP: fmt.Sprintf("192.0.2.%d", i)}); err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		close(start)
		wg.Wait()
		var failed int
		st.QueryRowContext(context.Background(), `SELECT failed_logins FROM users WHERE username = 'racer'`).Scan(&failed)
		// Either the right guess got one of the five slots (and cleared the
		// count) or the account is locked with exactly five checks.
		if (ok == 0 && failed != cfg.MaxFailedLogins) || ok > 1 {
			t.Fatalf("logged in %d times, failed_logins=%d", ok, failed)
		}
		if ok == 0 {
			if _, err := s.Login(context.Background(), auth.LoginInput{Username: "racer", Password: pw}); err == nil {
				t.Fatal("right password accepted on a locked account")
			}
		}
	})
}

func TestHashSemaphoreAnswersBusy(t *testing.T) {
	cfg := auth.DefaultSettings()
	cfg.MaxConcurrentHashes, cfg.HashWait = 1, time.Millisecond
	s := newServiceWith(t, storetest.SQLite(t), cfg)
	var wg sync.WaitGroup
	var mu sync.Mutex
	busy := 0
	for i := 0; i < 12; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Login(context.Background(), auth.LoginInput{Username: "ghost", Password: "whatever it is", RemoteIP: fmt.Sprintf("192.0.2.%d", i)})
			if errs.CodeOf(err) == "busy" {
				if errs.RetryAfterOf(err) <= 0 {
					t.Error("busy without Retry-After")
				}
				mu.Lock()
				busy++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if busy == 0 {
		t.Fatal("no login was told to retry with one hashing slot and 12 parallel logins")
	}
}

func TestSecondFactorChangesNeedPasswordAndCode(t *testing.T) {
	s, clk := newService(t, storetest.SQLite(t))
	ctx := context.Background()
	addUser(t, s, "pros2", auth.RoleProsecutor)
	sess, _ := s.Login(ctx, auth.LoginInput{Username: "pros2", Password: pw})
	if _, err := s.BeginTOTP(ctx, sess.Principal, "", ""); errs.CodeOf(err) != "bad-credentials" {
		t.Fatalf("begin without password: %v", err)
	}
	tokenP := *sess.Principal
	tokenP.ViaToken = true
	if _, err := s.BeginTOTP(ctx, &tokenP, pw, ""); errs.CodeOf(err) != "session-required" {
		t.Fatalf("begin through a token: %v", err)
	}
	secret, err := s.BeginTOTP(ctx, sess.Principal, pw, "")
	if err != nil {
		t.Fatal(err)
	}
	code, _ := auth.TOTPCode(secret, clk.Now())
	if err := s.ConfirmTOTP(ctx, sess.Principal, code); err != nil {
		t.Fatal(err)
	}
	// Now on: replacing or removing it needs the password and a fresh code.
	if _, err := s.BeginTOTP(ctx, sess.Principal, pw, ""); errs.CodeOf(err) != "bad-totp" {
		t.Fatalf("replace without code: %v", err)
	}
	if err := s.DisableTOTP(ctx, sess.Principal, pw, code); errs.CodeOf(err) != "bad-totp" {
		t.Fatalf("disable with the already used code: %v", err)
	}
	clk.Advance(30 * time.Second)
	code, _ = auth.TOTPCode(secret, clk.Now())
	if err := s.DisableTOTP(ctx, sess.Principal, "wrong password!", code); errs.CodeOf(err) != "bad-credentials" {
		t.Fatalf("disable with wrong password: %v", err)
	}
	if err := s.DisableTOTP(ctx, sess.Principal, pw, code); err != nil {
		t.Fatal(err)
	}
	u, _ := s.UserByName(ctx, "pros2")
	if u.TOTPEnabled {
		t.Fatal("second factor still on")
	}
}

func TestTokenScopesAndAccountActions(t *testing.T) {
	s, _ := newService(t, storetest.SQLite(t))
	ctx := context.Background()
	addUser(t, s, "scoped", auth.RoleOfficer)
	sess, _ := s.Login(ctx, auth.LoginInput{Username: "scoped", Password: pw})
	if _, _, err := s.CreateToken(ctx, sess.Principal, "bad", []string{"root"}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("unknown scope: %v", err)
	}
	_, ro, _ := s.CreateToken(ctx, sess.Principal, "ro", nil)
	_, ex, _ := s.CreateToken(ctx, sess.Principal, "ex", []string{"exchange.*"})
	pro, _ := s.TokenPrincipal(ctx, ro)
	pex, _ := s.TokenPrincipal(ctx, ex)
	if _, _, err := s.CreateToken(ctx, pro, "child", nil); errs.CodeOf(err) != "session-required" {
		t.Fatalf("token creating a token: %v", err)
	}
	for _, tc := range []struct {
		p    *auth.Principal
		a    auth.Action
		safe bool
		ok   bool
	}{
		{pro, auth.ActMe, true, true},
		{pro, auth.ActNoticeSend, false, false},
		{pro, auth.ActTokenList, true, false},
		{pro, auth.ActAccountTOTP, false, false},
		{pex, auth.ActNoticeSend, false, false},
		{sess.Principal, auth.ActTokenCreate, false, true},
	} {
		if err := auth.AuthorizeRequest(tc.p, tc.a, tc.safe); (err == nil) != tc.ok {
			t.Errorf("%s (token %v): %v", tc.a, tc.p.ViaToken, err)
		}
	}
	for _, a := range auth.Actions() {
		if len(a) > 9 && a[:9] == "exchange." {
			if err := auth.AuthorizeRequest(pex, a, false); err != nil && !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s: %v", a, err)
			}
		}
	}
	if err := s.ChangePassword(ctx, sess.Principal, pw, "another good passphrase", sess.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TokenPrincipal(ctx, ex); err == nil {
		t.Fatal("token survived a password change")
	}
}

func TestRoleSeparation(t *testing.T) {
	s, _ := newService(t, storetest.SQLite(t))
	ctx := context.Background()
	admin := &auth.Principal{Username: "adm", Roles: []auth.Role{auth.RoleAdmin}}
	auditor := &auth.Principal{Username: "aud", Roles: []auth.Role{auth.RoleAuditor}}
	nu := func(name string, roles ...auth.Role) auth.NewUser {
		return auth.NewUser{Username: name, DisplayName: name, Agency: "a", Roles: roles, Password: pw}
	}
	if _, err := s.CreateUser(ctx, nil, nu("both", auth.RoleAdmin, auth.RoleAuditor)); errs.CodeOf(err) != "role-separation" {
		t.Fatalf("admin+auditor from the CLI: %v", err)
	}
	if _, err := s.CreateUser(ctx, admin, nu("aud1", auth.RoleAuditor)); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("admin granting auditor: %v", err)
	}
	if _, err := s.CreateUser(ctx, nil, nu("aud2", auth.RoleAuditor)); err != nil {
		t.Fatalf("CLI granting auditor: %v", err)
	}
	if _, err := s.CreateUser(ctx, &auth.Principal{Username: "cli", Console: true}, nu("aud4", auth.RoleAuditor)); err != nil {
		t.Fatalf("console granting auditor: %v", err)
	}
	if _, err := s.CreateUser(ctx, auditor, nu("aud3", auth.RoleAuditor)); err != nil {
		t.Fatalf("auditor granting auditor: %v", err)
	}
}

func TestWeakPasswordsRefused(t *testing.T) {
	s, _ := newService(t, storetest.SQLite(t))
	ctx := context.Background()
	for _, p := range []string{"zzzzzzzzzzzzzzzz", "                ", "\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9", "password123456", "Qwerty123456789", "iloveyou123456", "1qaz2wsx3edc4rfv", "long.username1"} {
		_, err := s.CreateUser(ctx, nil, auth.NewUser{Username: "long.username1", DisplayName: "x", Agency: "a", Roles: []auth.Role{auth.RoleOfficer}, Password: p})
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("password %q accepted", p)
		}
	}
	for i, p := range []string{"liaison-demo-2026", testutil.Password, pw} {
		if _, err := s.CreateUser(ctx, nil, auth.NewUser{Username: fmt.Sprintf("fine%d", i), DisplayName: "x", Agency: "a", Roles: []auth.Role{auth.RoleOfficer}, Password: p}); err != nil {
			t.Errorf("password %q refused: %v", p, err)
		}
	}
}

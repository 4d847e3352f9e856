// Package testutil starts real nodes on loopback for tests.
package testutil

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/store"
)

// Password is the password of every test user.
const Password = "test-password-123"

// Node is a started node with helpers.
type Node struct {
	*app.Node
	URL string
}

// Options tweak a test node.
type Options struct {
	NodeID string
	Store  store.Options // zero for SQLite in a temp dir
	Clock  clock.Clock
	Config func(*config.Config)
	// BeforeStart runs after the node is opened and before it serves, e.g.
	// to register federation message types.
	BeforeStart func(*app.Node)
	// KeepOnCleanup leaves the node running at the end of the test (the
	// test closes it itself).
	NoCleanup bool
}

// Logger returns a logger that writes to the test log only when LIAISON_TEST_LOG is set.
func Logger(t testing.TB) *slog.Logger {
	if os.Getenv("LIAISON_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// Start opens and starts a node on 127.0.0.1 with a random port.
func Start(t testing.TB, opt Options) *Node {
	t.Helper()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.Addr = "127.0.0.1:0"
	cfg.NodeID = "rs"
	if opt.NodeID != "" {
		cfg.NodeID = opt.NodeID
	}
	cfg.NodeName = "Test node " + cfg.NodeID
	cfg.AdminPassword = Password
	cfg.DB = opt.Store.URL
	if opt.Store.DataDir != "" {
		cfg.DataDir = opt.Store.DataDir
	}
	if opt.Config != nil {
		opt.Config(&cfg)
	}
	clk := opt.Clock
	if clk == nil {
		clk = clock.System{}
	}
	ctx := context.Background()
	n, err := app.Open(ctx, cfg, Logger(t), clk, nil)
	if err != nil {
		t.Fatalf("open node: %v", err)
	}
	if opt.BeforeStart != nil {
		opt.BeforeStart(n)
	}
	if err := n.Start(ctx); err != nil {
		t.Fatalf("start node: %v", err)
	}
	if opt.NoCleanup {
		return &Node{Node: n, URL: n.BaseURL()}
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		n.Close(ctx)
	})
	return &Node{Node: n, URL: n.BaseURL()}
}

// Principal creates an account at agency with roles, logs it in and
// returns who it is, for calling services directly.
func (n *Node) Principal(t testing.TB, username, agency string, roles ...auth.Role) *auth.Principal {
	t.Helper()
	ctx := context.Background()
	if _, err := n.Auth.CreateUser(ctx, nil, auth.NewUser{Username: username, DisplayName: username, Agency: agency, Roles: roles, Password: Password}); err != nil {
		t.Fatalf("add user: %v", err)
	}
	sess, err := n.Auth.Login(ctx, auth.LoginInput{Username: username, Password: Password})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return sess.Principal
}

// AddUser creates an account with the given roles and returns a bearer token for it.
func (n *Node) AddUser(t testing.TB, username string, roles ...auth.Role) string {
	t.Helper()
	ctx := context.Background()
	_, err := n.Auth.CreateUser(ctx, nil, auth.NewUser{Username: username, DisplayName: username, Agency: n.Cfg.NodeID + "-agency", Roles: roles, Password: Password})
	if err != nil {
		t.Fatalf("add user: %v", err)
	}
	sess, err := n.Auth.Login(ctx, auth.LoginInput{Username: username, Password: Password})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	_, secret, err := n.Auth.CreateToken(ctx, sess.Principal, "test", []string{auth.ScopeAll})
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return secret
}

// Client returns an HTTP client with a cookie jar that does not follow redirects.
func Client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// WaitFor polls cond until it holds or timeout passes, then fails the test.
func WaitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

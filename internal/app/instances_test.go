package app_test

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// Two instances of one node on one PostgreSQL database: one leads the
// background work; a person stored through the other is found by a
// hit/no-hit query the leader answers; when the leader dies with
// envelopes waiting, the other takes over and every envelope arrives.
func TestTwoInstancesOfOneNode(t *testing.T) {
	pg := os.Getenv(storetest.EnvPostgres)
	if pg == "" {
		t.Skip("needs PostgreSQL: set " + storetest.EnvPostgres)
	}
	ctx := context.Background()
	db := store.Options{URL: storetest.FreshSchema(t, pg)}
	dir := t.TempDir() // one node: one key and certificate for both instances
	instance := func(cleanup bool) *testutil.Node {
		return testutil.Start(t, testutil.Options{NodeID: "ba", Store: db, NoCleanup: !cleanup, Config: func(c *config.Config) {
			c.InsecureFederation, c.DataDir, c.InstanceSync = true, dir, 200*time.Millisecond
		}})
	}
	first := instance(false)
	testutil.WaitFor(t, "the first instance to lead", 10*time.Second, first.IsLeader)
	second := instance(true)
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: func(c *config.Config) { c.InsecureFederation = true }})
	testutil.Peer(t, second, rs) // the partner reaches the node through the second instance

	// The leader's index is built before the person is stored elsewhere.
	if _, err := first.Cases.WarmIndex(ctx); err != nil {
		t.Fatal(err)
	}
	owner := &auth.Principal{Username: "amra", Agency: "ba-sipa", Roles: []auth.Role{auth.RoleOfficer}}
	if _, _, err := second.Cases.CreateEntity(ctx, owner, cases.EntityInput{Kind: "person",
		Fields: map[string]string{"given_name": "Marko", "family_name": "Petrović", "date_of_birth": "1985-03-12"}}); err != nil {
		t.Fatal(err)
	}
	asker := &auth.Principal{Username: "ana", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
	q, err := rs.Cases.SendQuery(ctx, asker, cases.QueryInput{Purpose: "identify courier", CaseRef: "RS-KT-1/2026", Peers: []string{"ba"},
		Items: []cases.Probe{{Kind: "person", Fields: map[string]string{"full_name": "Петровић Марко", "date_of_birth": "12.03.1985"}}}})
	if err != nil {
		t.Fatal(err)
	}
	var got cases.OutQuery
	testutil.WaitFor(t, "the answer", 20*time.Second, func() bool {
		got, err = rs.Cases.Query(ctx, asker, q.ID)
		return err == nil && len(got.Results) == 1
	})
	if !got.Results[0].Hit {
		t.Fatalf("the person stored through the second instance was not found by the leader: %+v", got.Results[0])
	}
	if second.IsLeader() {
		t.Fatal("two instances lead at once")
	}

	// Envelopes queued through the second instance; the leader dies
	// before or while delivering them.
	const n = 20
	var ids []string
	for range n {
		id, err := second.Fed.Ping(ctx, nil, "rs")
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	killed := time.Now()
	first.Crash(ctx)
	testutil.WaitFor(t, "the second instance to take over", 10*time.Second, second.IsLeader)
	testutil.WaitFor(t, "every envelope delivered", 30*time.Second, func() bool {
		for _, id := range ids {
			if e, err := second.Fed.Outbox(ctx, id); err != nil || e.State != federation.OutDelivered {
				return false
			}
		}
		return true
	})
	t.Logf("failover: all %d envelopes delivered %v after the leader was killed", n, time.Since(killed).Round(time.Millisecond))
	var received int
	if err := rs.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM fed_inbox WHERE peer = ? AND type = ?`, "ba", federation.TypePing).Scan(&received); err != nil {
		t.Fatal(err)
	}
	if received != n {
		t.Fatalf("the partner holds %d pings from the node, want %d", received, n)
	}
}

// A second process on the same SQLite data directory is refused with a
// reason, and the directory serves again once the first has stopped.
func TestSQLiteServesFromOneProcess(t *testing.T) {
	dir := t.TempDir()
	cfg := func(c *config.Config) { c.DataDir = dir }
	first := testutil.Start(t, testutil.Options{NodeID: "rs", Config: cfg, NoCleanup: true})
	c := config.Default()
	c.DataDir, c.Addr, c.NodeID, c.AdminPassword = dir, "127.0.0.1:0", "rs", testutil.Password
	n, err := app.Open(context.Background(), c, testutil.Logger(t), clock.System{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = n.Start(context.Background())
	if err == nil || !strings.Contains(err.Error(), "another liaison process already serves the data directory") || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Fatalf("second serve on one SQLite directory: %v", err)
	}
	n.Close(context.Background())
	if err := first.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	again := testutil.Start(t, testutil.Options{NodeID: "rs", Config: cfg})
	if !again.IsLeader() {
		testutil.WaitFor(t, "the node to lead its own work", 5*time.Second, again.IsLeader)
	}
}

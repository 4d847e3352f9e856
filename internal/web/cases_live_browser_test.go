package web_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserQueryPageUpdatesItself: the page of a hit/no-hit query says
// what was searched for and shows an answer that arrives while it is open,
// without a reload.
func TestBrowserQueryPageUpdatesItself(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	meAddr := ln.Addr().String()
	ln.Close()
	meDir := t.TempDir()
	startMe := func(noCleanup bool) *testutil.Node {
		return testutil.Start(t, testutil.Options{NodeID: "me", NoCleanup: noCleanup, Config: func(c *config.Config) {
			c.InsecureFederation, c.Addr, c.DataDir = true, meAddr, meDir
		}})
	}
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: func(c *config.Config) { c.InsecureFederation = true }})
	me := startMe(true)
	testutil.Peer(t, rs, me)
	owner := &auth.Principal{Username: "jovan", Agency: "me-police", Roles: []auth.Role{auth.RoleOfficer}}
	if _, _, err := me.Cases.CreateEntity(ctx, owner, cases.EntityInput{Kind: "person", Fields: map[string]string{"given_name": "Marko", "family_name": "Petrović", "date_of_birth": "1985-03-12"}}); err != nil {
		t.Fatal(err)
	}
	// Montenegro's node is down when Serbia asks.
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	me.Close(closeCtx)
	cancel()

	rs.AddUser(t, "ana", auth.RoleOfficer)
	u, err := rs.Auth.UserByName(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	asker := &auth.Principal{Username: u.Username, Agency: u.Agency, Roles: u.Roles}
	q, err := rs.Cases.SendQuery(ctx, asker, cases.QueryInput{Purpose: "identify a courier", CaseRef: "RS-KT-9/2026", Peers: []string{"me"},
		Items: []cases.Probe{{Kind: "person", Fields: map[string]string{"full_name": "Петровић Марко", "date_of_birth": "12.03.1985"}}}})
	if err != nil {
		t.Fatal(err)
	}
	bc := browsertest.New(t)
	browsertest.Login(bc, t, rs.URL, "ana", testutil.Password)
	browsertest.Do(bc, t, chromedp.Navigate(rs.URL+"/cases/queries/"+q.ID), chromedp.WaitVisible(chromedp.CSS(`#query-refresh`)))
	if s := browsertest.Text(bc, t, "#searched"); !strings.Contains(s, "Person") || !strings.Contains(s, "Full name: Петровић Марко") {
		t.Fatalf("what was searched for: %q", s)
	}
	if a := browsertest.Text(bc, t, "#answers"); strings.Contains(a, "Hit") {
		t.Fatalf("an answer before Montenegro's node is up: %q", a)
	}

	// The node comes back, receives the query and answers; the open page shows it.
	startMe(false)
	browsertest.Do(bc, t, chromedp.WaitVisible(chromedp.CSS(`#answers td.hit`)))
	if _, err := chromedp.Run(bc, chromedp.WaitNotPresent(chromedp.CSS(`#query-refresh`))); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(bc, t, "query-live")
}

package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserDashboardShowsTheWork: the NCU's dashboard and menu show what
// waits for it, and the count changes when a message arrives from another
// country; the auditor's dashboard shows the last verification.
func TestBrowserDashboardShowsTheWork(t *testing.T) {
	ctx := context.Background()
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	me := testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure})
	testutil.Peer(t, rs, me)
	me.AddUser(t, "ncu", auth.RoleNCUOperator)
	me.AddUser(t, "dpo", auth.RoleAuditor)

	bc := browsertest.New(t)
	browsertest.Login(bc, t, me.URL, "ncu", testutil.Password)
	browsertest.Do(bc, t, chromedp.Navigate(me.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#work-ncu`)))
	if card := browsertest.Text(bc, t, "#work-ncu"); !strings.Contains(card, "Nothing waiting for you") {
		t.Fatalf("empty NCU card: %q", card)
	}

	// A notice from Serbia, approved by the Serbian NCU, reaches Montenegro.
	officer := &auth.Principal{Username: "ana", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
	id, err := rs.Fed.SendNotice(ctx, officer, "me", "URGENT: wanted person seen in Rožaje", "Please verify at the border crossing.")
	if err != nil {
		t.Fatal(err)
	}
	if err := rs.Fed.Approve(ctx, &auth.Principal{Username: "ncu-rs", Agency: "rs-ncu", Roles: []auth.Role{auth.RoleNCUOperator}}, id); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the notice at the Montenegrin NCU", 20*time.Second, func() bool {
		n, err := me.Fed.WaitingForNCU(ctx)
		return err == nil && n == 1
	})
	browsertest.Do(bc, t, chromedp.Navigate(me.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#work-ncu .worklist`)))
	browsertest.Screenshot(bc, t, "dashboard-ncu")
	card := browsertest.Text(bc, t, "#work-ncu")
	if !strings.Contains(card, "Route: NCU notice") || !strings.Contains(card, "urgent") || !strings.Contains(card, "rs") {
		t.Fatalf("NCU card after arrival: %q", card)
	}
	if badge := browsertest.Text(bc, t, `nav.side a[href="/federation/queue"] .badge`); badge != "1" {
		t.Fatalf("menu badge %q, want 1", badge)
	}
	inView, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const r = document.querySelector('#work-ncu .worklist a').getBoundingClientRect();
		return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth; })()`))
	if err != nil || !inView {
		t.Fatalf("the queue item is not inside the viewport (%v)", err)
	}
	browsertest.Logout(bc, t)

	// The auditor sees that the log was never verified, then the verification.
	browsertest.Login(bc, t, me.URL, "dpo", testutil.Password)
	browsertest.Do(bc, t, chromedp.Navigate(me.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#work-audit`)))
	if card := browsertest.Text(bc, t, "#work-audit"); !strings.Contains(card, "has not been verified yet") {
		t.Fatalf("auditor card: %q", card)
	}
	browsertest.Do(bc, t, chromedp.Navigate(me.URL+"/audit"), chromedp.Click(chromedp.CSS(`#audit-verify`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
		chromedp.Navigate(me.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#work-audit`)))
	if card := browsertest.Text(bc, t, "#work-audit"); !strings.Contains(card, "by dpo: no entry altered") {
		t.Fatalf("auditor card after verification: %q", card)
	}
	if recent := browsertest.Text(bc, t, "main"); !strings.Contains(recent, "Audit log: verified") || strings.Contains(recent, "audit.verify") {
		t.Fatalf("recent activity not in words: %q", recent)
	}
}

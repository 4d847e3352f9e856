package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserNoticeThroughBothNCUs: an officer in Serbia writes a notice,
// the Serbian NCU approves it, the Montenegrin NCU routes it to an agency,
// and an officer of that agency reads it — all in a real browser.
func TestBrowserNoticeThroughBothNCUs(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	me := testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure})
	testutil.Peer(t, rs, me)
	rs.AddUser(t, "officer", auth.RoleOfficer)
	rs.AddUser(t, "ncu", auth.RoleNCUOperator)
	me.AddUser(t, "ncu", auth.RoleNCUOperator)
	if _, err := me.Auth.CreateUser(t.Context(), nil, auth.NewUser{Username: "border", DisplayName: "Border officer", Agency: "me-border", Roles: []auth.Role{auth.RoleOfficer}, Password: testutil.Password}); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	textOf := func(sel string) string { t.Helper(); return browsertest.Text(ctx, t, sel) }
	login := func(base, user string) { t.Helper(); browsertest.Login(ctx, t, base, user, testutil.Password) }
	logout := func() { t.Helper(); browsertest.Logout(ctx, t) }

	login(rs.URL, "officer")
	must(chromedp.Do(ctx,
		chromedp.Navigate(rs.URL+"/federation/notices"),
		chromedp.WaitVisible(chromedp.CSS(`#notice-send`)),
		chromedp.SendKeys(chromedp.CSS(`#n-subject`), "Wanted person seen in Rožaje"),
		chromedp.SendKeys(chromedp.CSS(`#n-text`), "Subject of red notice RS-2026-117 seen at a café; please verify."),
		chromedp.Click(chromedp.CSS(`#notice-send`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	))
	if msg := textOf(`.flash.ok`); !strings.Contains(msg, "waits for NCU approval") {
		t.Fatalf("after send: %q", msg)
	}
	logout()

	login(rs.URL, "ncu")
	must(chromedp.Do(ctx, chromedp.Navigate(rs.URL+"/federation/queue"), chromedp.WaitVisible(chromedp.CSS(`#ncu-queue`))))
	browsertest.Screenshot(ctx, t, "ncu-queue")
	if q := textOf(`#ncu-queue`); !strings.Contains(q, "Wanted person seen in Rožaje") || !strings.Contains(q, "outgoing") {
		t.Fatalf("NCU queue: %q", q)
	}
	must(chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#ncu-queue a.open`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-approve`)), chromedp.Click(chromedp.CSS(`#ncu-approve`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`))))
	logout()

	login(me.URL, "ncu")
	deadline := 50
	for ; deadline > 0; deadline-- {
		must(chromedp.Do(ctx, chromedp.Navigate(me.URL+"/federation/queue"), chromedp.WaitVisible(chromedp.CSS(`#ncu-queue`))))
		if strings.Contains(textOf(`#ncu-queue`), "Wanted person seen in Rožaje") {
			break
		}
		chromedpSleep()
	}
	if deadline == 0 {
		t.Fatal("the notice never reached the Montenegrin NCU")
	}
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#ncu-queue a.open`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-agency`)),
		chromedp.SetValue(chromedp.CSS(`#ncu-agency`), "me-border"),
		chromedp.Click(chromedp.CSS(`button.route`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	))
	logout()

	login(me.URL, "border")
	for deadline = 50; deadline > 0; deadline-- {
		must(chromedp.Do(ctx, chromedp.Navigate(me.URL+"/federation/notices"), chromedp.WaitVisible(chromedp.CSS(`#notices`))))
		if strings.Contains(textOf(`#notices`), "red notice RS-2026-117") {
			break
		}
		chromedpSleep()
	}
	if deadline == 0 {
		t.Fatal("the routed notice is not visible to the agency")
	}
	browsertest.Screenshot(ctx, t, "notices")
}

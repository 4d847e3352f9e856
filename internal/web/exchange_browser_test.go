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

// TestBrowserExchangeCycle: a Serbian officer composes a marked request to
// Montenegro, the Serbian NCU approves it, the Montenegrin NCU routes it,
// a Montenegrin officer reads it (read acknowledgement) and answers, the
// Montenegrin NCU approves the answer, and the Serbian officer sees the
// answer and the acknowledgement — all in a real browser.
func TestBrowserExchangeCycle(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	me := testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure})
	testutil.Peer(t, rs, me)
	for _, u := range []struct {
		n            *testutil.Node
		name, agency string
		role         auth.Role
	}{{rs, "officer", "rs-police", auth.RoleOfficer}, {rs, "ncu", "rs-ncu", auth.RoleNCUOperator}, {me, "ncu", "me-ncu", auth.RoleNCUOperator}, {me, "officer", "me-police", auth.RoleOfficer}} {
		if _, err := u.n.Auth.CreateUser(t.Context(), nil, auth.NewUser{Username: u.name, DisplayName: u.name, Agency: u.agency, Roles: []auth.Role{u.role}, Password: testutil.Password}); err != nil {
			t.Fatal(err)
		}
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
	waitPage := func(url, sel, want string) {
		t.Helper()
		for i := 0; i < 80; i++ {
			must(chromedp.Do(ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel))))
			if strings.Contains(textOf(sel), want) {
				return
			}
			chromedpSleep()
		}
		t.Fatalf("%s: %q never showed %q", url, sel, want)
	}

	login(rs.URL, "officer")
	must(chromedp.Do(ctx,
		chromedp.Navigate(rs.URL+"/exchange/new"),
		chromedp.WaitVisible(chromedp.CSS(`#ex-send`)),
		chromedp.SendKeys(chromedp.CSS(`#c-subject`), "Ђорђе Јовановић — heroin route via Rožaje"),
		chromedp.SendKeys(chromedp.CSS(`#c-area`), "drugs"),
		chromedp.SetValue(chromedp.CSS(`#c-priority`), "urgent"),
		chromedp.Click(chromedp.CSS(`#c-to-me`)),
		chromedp.SendKeys(chromedp.CSS(`#c-body`), "Please confirm whether vehicle PG-AB-123 crossed at Dobrakovo on 20 November."),
		chromedp.SendKeys(chromedp.CSS(`#c-entities`), "vehicle | PG-AB-123 | plate=PG-AB-123"),
		chromedp.Click(chromedp.CSS(`#m-H0`)),
		chromedp.Click(chromedp.CSS(`#m-H2`)),
		chromedp.Click(chromedp.CSS(`#ex-send`)),
		chromedp.WaitVisible(chromedp.CSS(`#ex-subject`)),
	))
	if m := textOf(`#ex-thread-marking`); m != "RESTRICTED · H0 H2 · no onward transmission" {
		t.Fatalf("thread marking %q", m)
	}
	if d := textOf(`.delivery`); !strings.Contains(d, "awaiting NCU approval") {
		t.Fatalf("delivery before approval: %q", d)
	}
	browsertest.Screenshot(ctx, t, "exchange-thread-sent")
	logout()

	login(rs.URL, "ncu")
	waitPage(rs.URL+"/federation/queue", `#ncu-queue`, "heroin route")
	must(chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#ncu-queue a.open`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-approve`)), chromedp.Click(chromedp.CSS(`#ncu-approve`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`))))
	logout()

	login(me.URL, "ncu")
	waitPage(me.URL+"/federation/queue", `#ncu-queue`, "heroin route")
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#ncu-queue a.open`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-agency`)),
		chromedp.SetValue(chromedp.CSS(`#ncu-agency`), "me-police"),
		chromedp.Click(chromedp.CSS(`button.route`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	))
	logout()

	login(me.URL, "officer")
	waitPage(me.URL+"/exchange", `#ex-threads`, "heroin route")
	must(chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#ex-threads a`)), chromedp.WaitVisible(chromedp.CSS(`#ex-reply-send`))))
	if m := textOf(`.message .marking`); !strings.Contains(m, "RESTRICTED · H0 H2 · B2 · no onward transmission") {
		t.Fatalf("received marking %q", m)
	}
	browsertest.Screenshot(ctx, t, "exchange-thread-received")
	must(chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#r-body`), "Confirmed: PG-AB-123 crossed at 23:40, driver Marko Markovic."),
		chromedp.Click(chromedp.CSS(`#ex-reply #m-H0`)),
		chromedp.Click(chromedp.CSS(`#ex-reply-send`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	))
	logout()

	login(me.URL, "ncu")
	waitPage(me.URL+"/federation/queue", `#ncu-queue`, "answer")
	must(chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#ncu-queue a.open`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-approve`)), chromedp.Click(chromedp.CSS(`#ncu-approve`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`))))
	logout()

	login(rs.URL, "officer")
	waitPage(rs.URL+"/exchange", `#ex-threads`, "answered")
	must(chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`#ex-threads a`)), chromedp.WaitVisible(chromedp.CSS(`#ex-status`))))
	if body := textOf(`main`); !strings.Contains(body, "crossed at 23:40") || !strings.Contains(body, "me: read") {
		t.Fatalf("answer and read acknowledgement not shown:\n%s", body)
	}
	browsertest.Screenshot(ctx, t, "exchange-thread-answered")
}

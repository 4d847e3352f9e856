package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserLoginDashboardLogout drives a real Chromium: log in, see the
// dashboard, open and verify the audit log as auditor, log out.
func TestBrowserLoginDashboardLogout(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	n.AddUser(t, "dpo", auth.RoleAuditor)
	ctx := browsertest.New(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	textOf := func(sel string) string { t.Helper(); return browsertest.Text(ctx, t, sel) }
	browsertest.Login(ctx, t, n.URL, "dpo", testutil.Password)
	browsertest.Screenshot(ctx, t, "dashboard")
	if h := textOf(`main h1`); !strings.Contains(h, "Welcome, dpo") {
		t.Fatalf("dashboard heading %q", h)
	}
	if nav := textOf(`nav.side`); !strings.Contains(nav, "Audit log") || strings.Contains(nav, "Users") {
		t.Fatalf("auditor navigation wrong: %q", nav)
	}
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`a[href="/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#audit-verify`)),
		chromedp.Click(chromedp.CSS(`#audit-verify`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	))
	browsertest.Screenshot(ctx, t, "audit")
	if msg := textOf(`.flash.ok`); !strings.Contains(msg, "no entry was altered") {
		t.Fatalf("audit verification text %q", msg)
	}
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#logout`)),
		chromedp.WaitVisible(chromedp.CSS(`#login-submit`)),
	))
	browsertest.Screenshot(ctx, t, "login")
	if after := textOf(`main`); !strings.Contains(after, "You have logged out") {
		t.Fatalf("after logout: %q", after)
	}
	// The session is gone: the dashboard sends us back to the login page.
	must(chromedp.Do(ctx, chromedp.Navigate(n.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#login-submit`))))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	must(err)
	if !strings.HasSuffix(loc, "/login") {
		t.Fatalf("after logout / went to %s", loc)
	}
}

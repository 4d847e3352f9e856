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

// TestBrowserLegalAssistanceRequest: a prosecutor drafts a request to a
// country chosen by name with a legal basis in force between the two
// countries, and signs it only after confirming.
func TestBrowserLegalAssistanceRequest(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	me := testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure})
	testutil.Peer(t, rs, me)
	rs.AddUser(t, "tuzilac", auth.RoleProsecutor)

	ctx := browsertest.New(t)
	browsertest.Login(ctx, t, rs.URL, "tuzilac", testutil.Password)
	browsertest.Do(ctx, t, chromedp.Navigate(rs.URL+"/mla/new"), chromedp.WaitVisible(chromedp.CSS(`#m-target`)))
	targets := browsertest.Text(ctx, t, `#m-target`)
	if !strings.Contains(targets, "Montenegro") || strings.Contains(targets, "me\n") || strings.Contains(targets, "selec") {
		t.Fatalf("requested countries: %q", targets)
	}
	groups, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('#m-basis optgroup')).map(g => g.label + ': ' + g.children.length)`))
	if err != nil || len(groups) != 1 || !strings.HasPrefix(groups[0], "Montenegro: ") || groups[0] == "Montenegro: 0" {
		t.Fatalf("legal bases grouped by country: %v %v", groups, err)
	}
	browsertest.Do(ctx, t,
		chromedp.SetValue(chromedp.CSS(`#m-target`), "me"),
		chromedp.SendKeys(chromedp.CSS(`#m-title`), "Bank records of Marko Petrović"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('#m-basis').value = document.querySelector('#m-basis optgroup option').value`),
		chromedp.SendKeys(chromedp.CSS(`#m-facts`), "Suspected laundering through an account in Podgorica."),
		chromedp.SendKeys(chromedp.CSS(`#m-measures`), "Statements of account ME25 5050 0001 2345 6789 51 for 2025."),
		chromedp.Click(chromedp.CSS(`#mla-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#mla-send`)),
	)
	// The status control offers no status until one is chosen.
	if v, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(document.querySelector('#s-status') || {value: ''}).value`)); err != nil || v != "" {
		t.Fatalf("status control defaults to %q (%v)", v, err)
	}
	// Sending without the confirmation is stopped by the browser; with it, the request is signed.
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#mla-send`)))
	if st := browsertest.Text(ctx, t, `#mla-status`); !strings.Contains(st, "Draft") {
		t.Fatalf("sent without confirmation: %q", st)
	}
	browsertest.Do(ctx, t,
		chromedp.Click(chromedp.CSS(`#mla-confirm`)),
		chromedp.Click(chromedp.CSS(`#mla-send`)),
		chromedp.WaitVisible(chromedp.CSS(`#mla-status[data-status="sent"]`)),
	)
	browsertest.Screenshot(ctx, t, "mla-sent")
}

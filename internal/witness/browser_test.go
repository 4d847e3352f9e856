package witness_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserAuditorChecksTheWitnesses: an auditor opens the witness page
// from the audit log, runs the check and sees each peer's answer.
func TestBrowserAuditorChecksTheWitnesses(t *testing.T) {
	ctx := context.Background()
	a := start(t, "rs", store.Options{}, "", "127.0.0.1:0", false)
	b := start(t, "ba", store.Options{}, "", "127.0.0.1:0", false)
	testutil.Peer(t, a, b)
	a.AddUser(t, "dpo", auth.RoleAuditor)
	record(t, a, 5)
	size, err := a.Witness.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cosignedAtLeast(t, a, size, "ba")

	bc := browsertest.New(t)
	browsertest.Login(bc, t, a.URL, "dpo", testutil.Password)
	browsertest.Do(bc, t,
		chromedp.Navigate(a.URL+"/audit"),
		chromedp.Click(chromedp.CSS(`a[href="/audit/witnesses"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#witness-check`)),
	)
	inView, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const r = document.querySelector('#witness-check').getBoundingClientRect();
		return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth && r.top >= 0; })()`))
	if err != nil || !inView {
		t.Fatal("the check button is not inside the viewport")
	}
	if page := browsertest.Text(bc, t, "main"); !strings.Contains(page, "Cosignatures received") || !strings.Contains(page, "cosigned") {
		t.Fatalf("witness page before the check: %q", page)
	}
	browsertest.Do(bc, t,
		chromedp.Click(chromedp.CSS(`#witness-check`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	)
	browsertest.Screenshot(bc, t, "witnesses")
	if msg := browsertest.Text(bc, t, ".flash.ok"); !strings.Contains(msg, "every checkpoint its witnesses hold") {
		t.Fatalf("check result %q", msg)
	}
	if page := browsertest.Text(bc, t, "main"); !strings.Contains(page, "ba") || !strings.Contains(page, "matches the local log") {
		t.Fatalf("witness answers: %q", page)
	}
}

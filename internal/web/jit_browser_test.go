package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserJITWithMemberFromAnotherNode: a Serbian prosecutor creates a
// JIT from the model agreement with a Bosnian police officer as a member;
// the officer sees it on the Bosnian node and registers evidence with a
// file; the register entry, with its chain of custody, reaches the leader.
func TestBrowserJITWithMemberFromAnotherNode(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	ba := testutil.Start(t, testutil.Options{NodeID: "ba", Config: insecure})
	testutil.Peer(t, rs, ba)
	rs.AddUser(t, "ana", auth.RoleProsecutor)
	ba.AddUser(t, "amra", auth.RoleOfficer)
	file := filepath.Join(t.TempDir(), "ledger.txt")
	if err := os.WriteFile(file, []byte("ledger page 4: 12 kg, Zvornik, 2 October"), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, n := range []*testutil.Node{rs, ba} {
			rows, _ := n.Store.QueryContext(context.Background(), `SELECT peer, type, state, summary, last_error FROM fed_outbox ORDER BY created_at`)
			for rows != nil && rows.Next() {
				var a, b, c, d, e string
				rows.Scan(&a, &b, &c, &d, &e)
				t.Logf("%s outbox → %s %s %s %s %s", n.Cfg.NodeID, a, b, c, d, e)
			}
		}
	})
	ctx := browsertest.New(t)
	textOf := func(sel string) string { t.Helper(); return browsertest.Text(ctx, t, sel) }
	poll := func(url, sel, want string) {
		t.Helper()
		for i := 0; i < 100; i++ {
			browsertest.Do(ctx, t, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel)))
			if strings.Contains(textOf(sel), want) {
				return
			}
			chromedpSleep()
		}
		t.Fatalf("%s never showed %q: %q", url, want, textOf(sel))
	}

	browsertest.Login(ctx, t, rs.URL, "ana", testutil.Password)
	browsertest.Do(ctx, t,
		chromedp.Click(chromedp.CSS(`a[href="/jit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#jit-new`)),
		chromedp.Click(chromedp.CSS(`#jit-new`)),
		chromedp.WaitVisible(chromedp.CSS(`#jit-create`)),
		chromedp.SendKeys(chromedp.CSS(`#j-ref`), "JIT-RS-BA-7"),
		chromedp.SendKeys(chromedp.CSS(`#j-title`), "Heroin route Zvornik-Belgrade"),
		chromedp.SetValue(chromedp.CSS(`#j-members`), "ana@rs, leader, rs-tuzilastvo, Ana Jovic\namra@ba, police, ba-sipa, Amra Hodzic"),
		chromedp.Click(chromedp.CSS(`#jit-create`)),
		chromedp.WaitVisible(chromedp.CSS(`#jit-title`)),
	)
	if p := textOf(`#jit-parties`); !strings.Contains(p, "ba") || !strings.Contains(p, "rs") {
		t.Fatalf("parties: %q", p)
	}
	if m := textOf(`#jit-members`); !strings.Contains(m, "Amra Hodzic") {
		t.Fatalf("members: %q", m)
	}
	if tasks := textOf(`#jit-tasks`); !strings.Contains(tasks, "Agree the operational action plan") {
		t.Fatalf("the template's action plan is missing: %q", tasks)
	}
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#jit-approve`)), chromedp.WaitNotPresent(chromedp.CSS(`#jit-approve`)))
	if s := textOf(`#jit-plan-status`); !strings.Contains(s, "approved") {
		t.Fatalf("plan: %q", s)
	}
	browsertest.Screenshot(ctx, t, "jit-workspace")
	browsertest.Logout(ctx, t)

	browsertest.Login(ctx, t, ba.URL, "amra", testutil.Password)
	poll(ba.URL+"/jit", `#jit-list`, "Heroin route")
	browsertest.Do(ctx, t,
		chromedp.Click(chromedp.CSS(`#jit-list a`)),
		chromedp.WaitVisible(chromedp.CSS(`#jit-register`)),
	)
	if r := textOf(`#jit-myrole`); r != "police" {
		t.Fatalf("role at ba: %q", r)
	}
	if n := textOf(`#jit-leader`); n != "rs" {
		t.Fatalf("leader: %q", n)
	}
	browsertest.Do(ctx, t,
		chromedp.SendKeys(chromedp.CSS(`#je-title`), "Ledger seized in Zvornik"),
		chromedp.SendKeys(chromedp.CSS(`#je-origin`), "Search of the Zvornik warehouse"),
		chromedp.SendKeys(chromedp.CSS(`#je-basis`), "Search order K-12/26"),
		chromedp.SetUploadFiles(chromedp.CSS(`#je-file`), []string{file}),
		chromedp.Click(chromedp.CSS(`#jit-register`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	if f := textOf(`.flash`); !strings.Contains(f, "Evidence register updated") {
		t.Fatalf("after registering: %q", f)
	}
	// The change goes through the leader and comes back.
	poll(chromedpLocation(t, ctx), `#jit-evidence`, "Ledger seized in Zvornik")
	if c := textOf(`#jit-evidence .chain`); c != "chain intact" {
		t.Fatalf("chain at ba: %q", c)
	}
	if f := textOf(`#jit-evidence .ev-file`); f != "ledger.txt" {
		t.Fatalf("file link at ba: %q", f)
	}
	browsertest.Screenshot(ctx, t, "jit-evidence")
	browsertest.Logout(ctx, t)

	browsertest.Login(ctx, t, rs.URL, "ana", testutil.Password)
	browsertest.Do(ctx, t, chromedp.Navigate(rs.URL+"/jit"), chromedp.WaitVisible(chromedp.CSS(`#jit-list a`)), chromedp.Click(chromedp.CSS(`#jit-list a`)),
		chromedp.WaitVisible(chromedp.CSS(`#jit-evidence`)))
	if e := textOf(`#jit-evidence`); !strings.Contains(e, "Ledger seized in Zvornik") || !strings.Contains(textOf(`#jit-evidence .ev-custodian`), "ba") {
		t.Fatalf("register at the leader: %q", e)
	}
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#jit-report-link`)), chromedp.WaitVisible(chromedp.CSS(`#jit-report`)))
	if r := textOf(`#jit-report`); !strings.Contains(r, "Ledger seized in Zvornik") || !strings.Contains(r, "Evidence registered") {
		t.Fatalf("report: %q", r)
	}
}

func chromedpLocation(t *testing.T, ctx context.Context) string {
	t.Helper()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	// Navigating to the same URL with a fragment would not reload the page.
	loc, _, _ = strings.Cut(loc, "#")
	loc, _, _ = strings.Cut(loc, "?")
	return loc
}

package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserDraftActivityOverlapCheck: a US partner drafts a training in
// Serbian for the Serbian criminal police; the overlap check before saving
// shows the EU-funded training already published (in English); after
// saving, the partner records the decision to proceed with a reason and
// publishes.
func TestBrowserDraftActivityOverlapCheck(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "selec"})
	n.AddUser(t, "partner", auth.RolePartner)
	eu := &auth.Principal{Username: "eu-partner", Agency: "eu-delegation", Roles: []auth.Role{auth.RolePartner}}
	ctx := context.Background()
	a, err := n.Acts.Create(ctx, eu, euTraining())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := n.Acts.Publish(ctx, eu, a.ID, "planned"); err != nil {
		t.Fatal(err)
	}

	bctx := browsertest.New(t)
	textOf := func(sel string) string { t.Helper(); return browsertest.Text(bctx, t, sel) }
	browsertest.Login(bctx, t, n.URL, "partner", testutil.Password)
	steps := func(actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		for i, a := range actions {
			sctx, cancel := context.WithTimeout(bctx, 15*time.Second)
			err := chromedp.Do(sctx, a)
			cancel()
			if err != nil {
				page, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`main`)))
				t.Fatalf("step %d: %v; page: %.600s", i, err, page)
			}
		}
	}
	steps(
		chromedp.Navigate(n.URL+"/activities"),
		chromedp.WaitVisible(chromedp.CSS(`#act-new`)),
		chromedp.Click(chromedp.CSS(`#act-new`)),
		chromedp.WaitVisible(chromedp.CSS(`#activity-form`)),
		chromedp.SendKeys(chromedp.CSS(`#a-title`), "Obuka o finansijskim istragama i oduzimanju imovine"),
		chromedp.SendKeys(chromedp.CSS(`#a-desc`), "Obuka za policijske službenike i tužioce: finansijske istrage i oduzimanje imovine."),
		chromedp.SetValue(chromedp.CSS(`#a-kind`), "training"),
		chromedp.SendKeys(chromedp.CSS(`#a-donor`), "United States (INL)"),
		chromedp.SendKeys(chromedp.CSS(`#a-impl`), "OPDAT"),
		chromedp.SendKeys(chromedp.CSS(`#a-budget`), "200000"),
		chromedp.SetValue(chromedp.CSS(`#a-currency`), "USD"),
		chromedp.Click(chromedp.CSS(`#c-RS`)),
		chromedp.SendKeys(chromedp.CSS(`#a-agencies`), "RS: Ministry of Interior - Criminal Police Directorate"),
		chromedp.Click(chromedp.CSS(`#t-money_laundering`)),
		chromedp.SendKeys(chromedp.CSS(`#a-start`), "2027-05-01"),
		chromedp.SendKeys(chromedp.CSS(`#a-end`), "2027-06-30"),
		chromedp.Click(chromedp.CSS(`#a-check`)),
	)
	wctx, cancel := context.WithTimeout(bctx, 10*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(chromedp.CSS(`#overlaps`))); err != nil {
		page, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`main`)))
		t.Fatalf("no overlap check shown: %v; page: %s", err, page)
	}
	browsertest.Screenshot(bctx, t, "activity-overlap-check")
	if s := textOf(`#overlaps`); !strings.Contains(s, "Training on financial investigations and asset recovery") || !strings.Contains(s, "same beneficiary agency") {
		t.Fatalf("overlap check before saving: %q", s)
	}
	// The form kept what was typed; save the draft.
	browsertest.Do(bctx, t,
		chromedp.Click(chromedp.CSS(`#a-save`)),
		chromedp.WaitVisible(chromedp.CSS(`#draft-tag`)),
	)
	if s := textOf(`#overlaps`); !strings.Contains(s, "Training on financial investigations") || !strings.Contains(s, "similar title and description") {
		t.Fatalf("overlaps on the draft: %q", s)
	}
	// Publishing before resolving is refused with the reason.
	browsertest.Do(bctx, t, chromedp.Click(chromedp.CSS(`#a-publish`)), chromedp.WaitVisible(chromedp.CSS(`.flash.err`)))
	if s := textOf(`.flash.err`); !strings.Contains(s, "before publishing") {
		t.Fatalf("publish refused: %q", s)
	}
	browsertest.Do(bctx, t,
		chromedp.SetValue(chromedp.CSS(`form.resolve select[name=decision]`), "proceed"),
		chromedp.SendKeys(chromedp.CSS(`form.resolve textarea[name=reason]`), "Our course is for prosecutors only; agreed with UNODC on 20 November."),
		chromedp.Click(chromedp.CSS(`button.resolve`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	)
	if s := textOf(`#overlaps`); !strings.Contains(s, "Proceed") || !strings.Contains(s, "prosecutors only") {
		t.Fatalf("resolution shown: %q", s)
	}
	// The page before publishing also shows a confirmation, so wait for
	// the new one.
	browsertest.Do(bctx, t, chromedp.Click(chromedp.CSS(`#a-publish`)))
	published := false
	for i := 0; i < 50 && !published; i++ {
		s, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS(`.flash`)))
		published = strings.Contains(s, "Published to the federation")
		chromedpSleep()
	}
	if !published {
		t.Fatalf("after publishing: %q", textOf(`main`))
	}
	browsertest.Screenshot(bctx, t, "activity-published")
	// The strategic view draws its charts from the vendored library.
	browsertest.Do(bctx, t, chromedp.Navigate(n.URL+"/activities/strategic"), chromedp.WaitVisible(chromedp.CSS(`#gap-matrix`)))
	if s := textOf(`#gap-totals`); !strings.Contains(s, "2 activities") {
		t.Fatalf("gap totals: %q", s)
	}
	browsertest.Screenshot(bctx, t, "activity-gap-map")
}

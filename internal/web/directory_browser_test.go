package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserDirectory drives Chromium through the directory as the Serbian
// node's administrator: look up who to contact, hand the contact point over
// to a successor, read the agreement matrix, then declare Serbia's terms
// for cross-border operations under PCC SEE from the agreement's page and
// read them back there in a labelled table that is in view.
func TestBrowserDirectory(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "rs"})
	if err := n.Dir.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	n.AddUser(t, "rs-diradmin", auth.RoleAdmin)
	ctx := browsertest.New(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	textOf := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		must(err)
		return s
	}
	must(chromedp.Do(ctx,
		chromedp.Navigate(n.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`#username`)),
		chromedp.SendKeys(chromedp.CSS(`#username`), "rs-diradmin"),
		chromedp.SendKeys(chromedp.CSS(`#password`), testutil.Password),
		chromedp.Click(chromedp.CSS(`#login-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`nav.side`)),
		chromedp.Click(chromedp.CSS(`nav.side a[href="/directory"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#lookup-country`)),
		chromedp.SetValue(chromedp.CSS(`#lookup-country`), "RS"),
		chromedp.SetValue(chromedp.CSS(`#lookup-role`), "aro"),
		chromedp.Click(chromedp.CSS(`#lookup-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`#lookup-result`)),
	))
	browsertest.Screenshot(ctx, t, "directory-lookup")
	if got := textOf(`#lookup-result`); !strings.Contains(got, "Stefan Pavlović") || !strings.Contains(got, "Ivana Savić") {
		t.Fatalf("lookup result %q", got)
	}

	// The holder leaves: hand over to a successor with an open item.
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#lookup-result article.cp h3 a`)),
		chromedp.WaitVisible(chromedp.CSS(`#handover-to`)),
		// SendKeys cannot type letters outside the US layout (ć); set them.
		chromedp.SetValue(chromedp.CSS(`#handover-to`), "Ana Jovanović"),
		chromedp.SendKeys(chromedp.CSS(`#handover-title`), "Head of the Financial Investigation Unit"),
		chromedp.SendKeys(chromedp.CSS(`#handover-reason`), "Retirement"),
		chromedp.SendKeys(chromedp.CSS(`#handover-open`), "Freezing order request to ME ARO, case 2026/77"),
		chromedp.Click(chromedp.CSS(`#handover-submit`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	))
	browsertest.Screenshot(ctx, t, "directory-handover")
	if msg := textOf(`.flash.ok`); !strings.Contains(msg, "Handover done") {
		t.Fatalf("flash %q", msg)
	}
	if h := textOf(`#cp-holder`); !strings.Contains(h, "Ana Jovanović") {
		t.Fatalf("holder after handover %q", h)
	}
	if d := textOf(`#cp-deputy`); !strings.Contains(d, "Ivana Savić") {
		t.Fatalf("deputy after handover %q", d)
	}
	if hist := textOf(`#handovers`); !strings.Contains(hist, "Stefan Pavlović") || !strings.Contains(hist, "case 2026/77") {
		t.Fatalf("handover history %q", hist)
	}

	// The agreement matrix: what applies between Serbia and its neighbours.
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`#nav-matrix`)),
		chromedp.WaitVisible(chromedp.CSS(`#matrix`)),
	))
	browsertest.Screenshot(ctx, t, "directory-matrix")
	if rsme := textOf(`td[data-pair="RS-ME"]`); !strings.Contains(rsme, "PCC SEE") || !strings.Contains(rsme, "Demo RS–ME police") || !strings.Contains(rsme, "CoE MLA Convention") {
		t.Fatalf("RS-ME cell %q", rsme)
	}
	if rsxk := textOf(`td[data-pair="RS-XK"]`); !strings.Contains(rsxk, "none registered") {
		t.Fatalf("RS-XK cell %q", rsxk)
	}
	// Filter to extradition and follow an instrument to its page.
	must(chromedp.Do(ctx,
		chromedp.SetValue(chromedp.CSS(`#m-type`), "extradition"),
		chromedp.Click(chromedp.CSS(`#matrix-submit`)),
		// The reloaded page marks the chosen type as selected in its HTML.
		chromedp.WaitReady(chromedp.CSS(`#m-type option[value="extradition"][selected]`)),
	))
	if rsme := textOf(`td[data-pair="RS-ME"]`); strings.Contains(rsme, "PCC SEE") || !strings.Contains(rsme, "Extradition") {
		t.Fatalf("extradition RS-ME cell %q", rsme)
	}
	must(chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`td[data-pair="RS-ME"] a`)),
		chromedp.WaitVisible(chromedp.CSS(`#implementation`)),
	))
	if h := textOf(`main h1`); !strings.Contains(h, "Extradition") {
		t.Fatalf("agreement page %q", h)
	}
	if nd := textOf(`#impl-nodata`); !strings.Contains(nd, "No data yet") {
		t.Fatalf("implementation record %q", nd)
	}

	// Declared terms under PCC SEE, from the agreement's page.
	basis, err := n.Ops.LegalBasis(context.Background(), n.Principal(t, "rs-traffic", "rs-traffic", auth.RoleOfficer), operations.KindPursuit, "ba")
	if err != nil || basis.AgreementID == "" {
		t.Fatalf("basis RS→BA: %+v %v", basis, err)
	}
	must(chromedp.Do(ctx,
		chromedp.Navigate(n.URL+"/directory/agreements/"+basis.AgreementID),
		chromedp.WaitVisible(chromedp.CSS(`#terms-declare`)),
		chromedp.Click(chromedp.CSS(`#terms-declare`)),
		chromedp.WaitVisible(chromedp.CSS(`#terms-form`)),
		chromedp.Click(chromedp.CSS(`#t-pursuit`)),
		chromedp.SetValue(chromedp.CSS(`#t-km`), "25"),
		chromedp.SetValue(chromedp.CSS(`#t-hours`), "3"),
		chromedp.SetValue(chromedp.CSS(`#t-surv`), "240"),
		chromedp.Click(chromedp.CSS(`#terms-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#terms-RS`)),
	))
	browsertest.Screenshot(ctx, t, "directory-agreement-terms")
	if got := textOf(`#terms-RS`); !strings.Contains(got, "up to 25 km") || !strings.Contains(got, "up to 3 hours") || !strings.Contains(got, "240 minutes") || !strings.Contains(got, "rs-diradmin") {
		t.Fatalf("RS terms table %q", got)
	}
	// The redirect lands on the section: the table is in the viewport,
	// captioned, and the section is named by its heading.
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const t = document.querySelector('#terms-RS'), r = t.getBoundingClientRect();
		const sec = document.querySelector('#terms'), h = document.getElementById(sec.getAttribute('aria-labelledby'));
		return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth &&
			t.caption !== null && t.caption.textContent.includes('Declared by RS') && h !== null && h.textContent.trim() !== '' &&
			[...t.querySelectorAll('tbody tr')].every(tr => tr.querySelector('th[scope="row"]') !== null); })()`))
	must(err)
	if !ok {
		t.Fatal("the terms table is not in view, not captioned or its rows are not labelled")
	}
}

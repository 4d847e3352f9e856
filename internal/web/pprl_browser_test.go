package web_test

import (
	"context"
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

// TestBrowserPrivateQueryAndDeconfliction: what a person sees. An officer
// chooses the private mode on the hit/no-hit form and gets a hit for a
// name written in Cyrillic; the query page says the query was private.
// The officer registers the case's targets for deconfliction with Bosnia
// and Herzegovina, whose investigation holds the same person; the Serbian
// NCU then finds a notice naming the partner's contact point.
func TestBrowserPrivateQueryAndDeconfliction(t *testing.T) {
	ctx := context.Background()
	cfg := func(c *config.Config) {
		c.InsecureFederation = true
		c.PPRLSecret = "western-balkans regional pprl secret 2026"
	}
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: cfg})
	ba := testutil.Start(t, testutil.Options{NodeID: "ba", Config: cfg})
	testutil.Peer(t, rs, ba)
	owner := &auth.Principal{Username: "amra", Agency: "ba-sipa", Roles: []auth.Role{auth.RoleOfficer}}
	if _, err := ba.Cases.CreateCase(ctx, owner, cases.CaseInput{Reference: "BA-T-7/2026", Title: "Heroin route", CrimeArea: "drugs"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ba.Cases.CreateEntity(ctx, owner, cases.EntityInput{Kind: "person", Case: "BA-T-7/2026", Role: "suspect",
		Fields: map[string]string{"given_name": "Dragan", "family_name": "Marković", "date_of_birth": "1979-04-23"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := ba.Cases.RegisterDeconfliction(ctx, owner, "BA-T-7/2026", cases.DeconfInput{Peers: []string{"rs"}, Contact: "Amra Hodžić, SIPA, +387 33 000 222"}); err != nil {
		t.Fatal(err)
	}

	rs.AddUser(t, "ana", auth.RoleOfficer)
	rs.AddUser(t, "nikola", auth.RoleNCUOperator)
	u, _ := rs.Auth.UserByName(ctx, "ana")
	ana := &auth.Principal{Username: u.Username, Agency: u.Agency, Roles: u.Roles}
	c, err := rs.Cases.CreateCase(ctx, ana, cases.CaseInput{Reference: "RS-OK-12/2026", Title: "Heroin route", CrimeArea: "drugs"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rs.Cases.CreateEntity(ctx, ana, cases.EntityInput{Kind: "person", Case: "RS-OK-12/2026", Role: "suspect",
		Fields: map[string]string{"full_name": "Драган Марковић", "date_of_birth": "23.04.1979"}}); err != nil {
		t.Fatal(err)
	}

	bc := browsertest.New(t)
	browsertest.Login(bc, t, rs.URL, "ana", testutil.Password)
	browsertest.Do(bc, t,
		chromedp.Navigate(rs.URL+"/cases/search?kind=person"),
		chromedp.WaitVisible(chromedp.CSS(`#q-full_name`)),
		chromedp.SendKeys(chromedp.CSS(`#q-full_name`), "Марковић Драган"),
		chromedp.SendKeys(chromedp.CSS(`#q-date_of_birth`), "23.04.1979"),
		chromedp.Click(chromedp.CSS(`#q-mode-private`)),
		chromedp.SendKeys(chromedp.CSS(`#q-purpose`), "identify the courier of the heroin route"),
		chromedp.SendKeys(chromedp.CSS(`#q-case`), "RS-OK-12/2026"),
	)
	// The partner may be ticked already (national peers are by default).
	if on, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const e = document.querySelector('#hit-query input[name=peer][value=ba]'); e.checked = true; return e.checked })()`)); err != nil || !on {
		t.Fatalf("tick ba: %v", err)
	}
	browsertest.Do(bc, t,
		chromedp.Click(chromedp.CSS(`#hit-query-send`)),
		chromedp.WaitVisible(chromedp.CSS(`#query-mode`)),
	)
	if m := browsertest.Text(bc, t, "#query-mode"); !strings.Contains(m, "Private") {
		t.Fatalf("query page mode: %q", m)
	}
	browsertest.Do(bc, t, chromedp.WaitVisible(chromedp.CSS(`#answers td.hit`)))
	browsertest.Screenshot(bc, t, "private-query")

	// Register the case for deconfliction on its page.
	browsertest.Do(bc, t,
		chromedp.Navigate(rs.URL+"/cases/c/"+c.ID),
		chromedp.WaitVisible(chromedp.CSS(`#deconf-form`)),
		chromedp.Click(chromedp.CSS(`#deconf-form input[name=peer][value=ba]`)),
		chromedp.SendKeys(chromedp.CSS(`#d-contact`), "Insp. Ana Ilic, SBPOK, +381 11 000 111"),
		chromedp.Click(chromedp.CSS(`#deconf-register`)),
		chromedp.WaitVisible(chromedp.CSS(`#deconf-regs button`)),
	)
	if s := browsertest.Text(bc, t, "#deconf-regs"); !strings.Contains(s, "Insp. Ana Ilic") || !strings.Contains(s, "active") {
		alert, _ := chromedp.Run(bc, chromedp.Evaluate[string](`Array.from(document.querySelectorAll('[role=alert], .flash, .error')).map(e => e.textContent).join(' | ')`))
		t.Fatalf("registrations on the case page: %q (%s)", s, alert)
	}
	browsertest.Logout(bc, t)

	// The Serbian NCU sees the notice with the partner's contact point.
	browsertest.Login(bc, t, rs.URL, "nikola", testutil.Password)
	deadline := time.Now().Add(20 * time.Second)
	for {
		browsertest.Do(bc, t, chromedp.Navigate(rs.URL+"/cases/deconfliction"), chromedp.WaitVisible(chromedp.CSS(`#deconf-notices`)))
		s := browsertest.Text(bc, t, "#deconf-notices")
		if strings.Contains(s, "Amra Hodžić, SIPA") {
			if !strings.Contains(s, "RS-OK-12/2026") || strings.Contains(s, "Dragan") || strings.Contains(s, "Драган") {
				t.Fatalf("notice shows more than the contact points: %q", s)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no deconfliction notice for the NCU: %q", s)
		}
		time.Sleep(300 * time.Millisecond)
	}
	browsertest.Screenshot(bc, t, "deconfliction-notice")
	// And Bosnia and Herzegovina's NCU has its own.
	ncu := &auth.Principal{Username: "ncu", Agency: "ba-ncu", Roles: []auth.Role{auth.RoleNCUOperator}}
	testutil.WaitFor(t, "notice on ba", 20*time.Second, func() bool {
		l, err := ba.Cases.DeconfNotices(ctx, ncu, "open")
		return err == nil && len(l) == 1 && strings.HasPrefix(l[0].RemoteContact, "Insp. Ana Ilic")
	})
}

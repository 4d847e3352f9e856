package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserHitNoHitRelease: an officer in Serbia searches Bosnia and
// Herzegovina for a person written in Cyrillic; the Bosnian record is in
// Latin script; the answer is a hit with nothing else; the Bosnian officer
// sees who asked and why and releases three fields; both NCUs let the
// release pass; the Serbian officer reads it — all in a real browser.
func TestBrowserHitNoHitRelease(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	ba := testutil.Start(t, testutil.Options{NodeID: "ba", Config: insecure})
	testutil.Peer(t, rs, ba)
	rs.AddUser(t, "officer", auth.RoleOfficer)
	rs.AddUser(t, "ncu", auth.RoleNCUOperator)
	ba.AddUser(t, "officer", auth.RoleOfficer)
	ba.AddUser(t, "ncu", auth.RoleNCUOperator)
	owner := &auth.Principal{Username: "seed", Agency: "ba-sipa", Roles: []auth.Role{auth.RoleOfficer}}
	if _, _, err := ba.Cases.CreateEntity(t.Context(), owner, cases.EntityInput{Kind: "person", Fields: map[string]string{
		"given_name": "Dragan", "family_name": "Šarić", "date_of_birth": "1977-09-14", "personal_id": "1409977170011", "city": "Bijeljina"}}); err != nil {
		t.Fatal(err)
	}
	ctx := browsertest.New(t)
	do := func(actions ...chromedp.Action[chromedp.Void]) { t.Helper(); browsertest.Do(ctx, t, actions...) }
	textOf := func(sel string) string { t.Helper(); return browsertest.Text(ctx, t, sel) }
	login := func(base, user string) { t.Helper(); browsertest.Login(ctx, t, base, user, testutil.Password) }
	logout := func() { t.Helper(); browsertest.Logout(ctx, t) }
	poll := func(url, sel, want string) {
		t.Helper()
		for i := 0; i < 80; i++ {
			do(chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel)))
			if strings.Contains(textOf(sel), want) {
				return
			}
			chromedpSleep()
		}
		t.Fatalf("%s never showed %q; it shows %q", url, want, textOf(sel))
	}

	login(rs.URL, "officer")
	do(chromedp.Navigate(rs.URL+"/cases/search"), chromedp.WaitVisible(chromedp.CSS(`#hit-query-send`)))
	// The form asks only for the chosen kind's fields, each with its own id
	// and a translated label; the region's countries are ticked by name.
	form := textOf(`#hit-query`)
	if !strings.Contains(form, "Date of birth") || strings.Contains(form, "Registration plate") || strings.Contains(form, "given_name") || !strings.Contains(form, "Bosnia and Herzegovina") {
		t.Fatalf("query form for a person: %q", form)
	}
	ids, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const ids = Array.from(document.querySelectorAll('[id]')).map(e => e.id); return ids.length === new Set(ids).size; })()`))
	if err != nil || !ids {
		t.Fatalf("element ids are not distinct (%v)", err)
	}
	ticked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#hit-query input[name=peer][value=ba]').checked`))
	if err != nil || !ticked {
		t.Fatalf("Bosnia and Herzegovina is not preselected (%v)", err)
	}
	// Choosing another kind swaps the form in place (htmx on change).
	do(chromedp.SetValue(chromedp.CSS(`#kind-choose`), "vehicle"))
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector('#kind-choose').dispatchEvent(new Event('change', {bubbles: true}))`)); err != nil {
		t.Fatal(err)
	}
	do(chromedp.WaitVisible(chromedp.CSS(`#q-plate`)))
	if form := textOf(`#hit-query`); strings.Contains(form, "Date of birth") {
		t.Fatalf("vehicle form asks for a date of birth: %q", form)
	}
	// Without JavaScript the same choice is a plain GET of the form.
	do(chromedp.Navigate(rs.URL+"/cases/search?kind=person"), chromedp.WaitVisible(chromedp.CSS(`#q-full_name`)),
		chromedp.SendKeys(chromedp.CSS(`#hit-query input[name=full_name]`), "Драган Шарић"),
		chromedp.SendKeys(chromedp.CSS(`#hit-query input[name=date_of_birth]`), "14.09.1977"),
		chromedp.SendKeys(chromedp.CSS(`#q-purpose`), "identify driver of seized lorry"),
		chromedp.SendKeys(chromedp.CSS(`#q-case`), "RS-KT-12/2026"),
		chromedp.Click(chromedp.CSS(`#hit-query-send`)),
		chromedp.WaitVisible(chromedp.CSS(`#answers`)),
	)
	queryURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	queryURL = strings.Split(queryURL, "?")[0]
	poll(queryURL, `#answers`, "Hit")
	if a := textOf(`#answers`); !strings.Contains(a, "high") || strings.Contains(a, "Šarić") || strings.Contains(a, "Bijeljina") {
		t.Fatalf("answer: %q", a)
	}
	browsertest.Screenshot(ctx, t, "hit-answer")
	logout()

	login(ba.URL, "officer")
	poll(ba.URL+"/cases/hits", `#hits`, "identify driver of seized lorry")
	do(chromedp.Click(chromedp.CSS(`#hits a`)), chromedp.WaitVisible(chromedp.CSS(`#release-form`)))
	if a := textOf(`#asked`); !strings.Contains(a, "rs-agency") || !strings.Contains(a, "RS-KT-12/2026") || !strings.Contains(a, "Шарић") {
		t.Fatalf("the owner does not see what was asked: %q", a)
	}
	browsertest.Screenshot(ctx, t, "hit-inbox")
	do(chromedp.Click(chromedp.CSS(`#release-form input[value=given_name]`)),
		chromedp.Click(chromedp.CSS(`#release-form input[value=family_name]`)),
		chromedp.Click(chromedp.CSS(`#release-form input[value=city]`)),
		chromedp.Click(chromedp.CSS(`#release-send`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	if s := textOf(`#hit-state`); s != "Released" {
		t.Fatalf("hit state %q", s)
	}
	logout()

	login(ba.URL, "ncu")
	poll(ba.URL+"/federation/queue", `#ncu-queue`, "Exchange message")
	do(chromedp.Click(chromedp.CSS(`#ncu-queue a.open`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-approve`)), chromedp.Click(chromedp.CSS(`#ncu-approve`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	logout()

	login(rs.URL, "ncu")
	poll(rs.URL+"/federation/queue", `#ncu-queue`, "Exchange message")
	do(chromedp.Click(chromedp.CSS(`#ncu-queue a.open`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-agency`)),
		chromedp.SetValue(chromedp.CSS(`#ncu-agency`), "rs-agency"),
		chromedp.Click(chromedp.CSS(`button.route`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	logout()

	login(rs.URL, "officer")
	poll(queryURL, `.release`, "restricted")
	browsertest.Screenshot(ctx, t, "hit-release")
	// The released details are in the agency's exchange inbox, in the
	// thread the query links to, with their protective markings.
	do(chromedp.Click(chromedp.CSS(`.release-thread`)), chromedp.WaitVisible(chromedp.CSS(`#ex-subject`)))
	if r := textOf(`main`); !strings.Contains(r, "Šarić") || !strings.Contains(r, "Bijeljina") || !strings.Contains(r, "RESTRICTED") || !strings.Contains(r, "H2") || strings.Contains(r, "1409977170011") {
		t.Fatalf("release thread: %q", r)
	}
	browsertest.Screenshot(ctx, t, "hit-release-thread")
}

package web_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// testPNG draws a small PNG (a gradient) for photo uploads.
func testPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 2), uint8(y), 160, 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func principal(t *testing.T, n *testutil.Node, user string, role auth.Role) *auth.Principal {
	t.Helper()
	n.AddUser(t, user, role)
	sess, err := n.Auth.Login(context.Background(), auth.LoginInput{Username: user, Password: testutil.Password})
	if err != nil {
		t.Fatal(err)
	}
	return sess.Principal
}

// TestBrowserAlertCheckAndHitReport: a Serbian arrest alert reaches
// Montenegro; a border officer on a tablet types the name in Cyrillic
// order-swapped into the one search box and sees HIT with the action and
// the warning markers inside the screen, then files a hit report.
func TestBrowserAlertCheckAndHitReport(t *testing.T) {
	insecure := func(c *config.Config) { c.InsecureFederation = true }
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: insecure})
	me := testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure})
	testutil.Peer(t, rs, me)
	ctx := context.Background()
	author := principal(t, rs, "rs-officer", auth.RoleOfficer)
	pros := principal(t, rs, "rs-prosecutor", auth.RoleProsecutor)
	a, err := rs.Alerts.Create(ctx, author, alerts.AlertDraft{Kind: alerts.KindArrest, Sub: "extradition",
		Person:   &alerts.WantedPerson{GivenName: "Marko", FamilyName: "Petrović", DateOfBirth: "1985-03-12", Names: []string{"Марко Петровић"}},
		Warnings: []string{"armed", "violent"}, Action: "Arrest and hold for extradition; call the Serbian NCU at once.",
		Reason: "Armed robbery in Niš, 2025.", Authority: "Higher Public Prosecutor's Office in Niš", WarrantRef: "KTI-117/25",
		Recipients: []alerts.RecipientInput{{Node: "me"}}, Photo: testPNG(t, 120, 160)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Alerts.Validate(ctx, pros, a.ID); err != nil {
		t.Fatal(err)
	}
	meNCU := principal(t, me, "me-ncu", auth.RoleNCUOperator)
	testutil.WaitFor(t, "alert copy on me", 20*time.Second, func() bool {
		_, err := me.Alerts.Get(ctx, meNCU, a.ID)
		return err == nil
	})
	me.AddUser(t, "granicar", auth.RoleOfficer)

	bc := browsertest.New(t)
	browsertest.Login(bc, t, me.URL, "granicar", testutil.Password)
	browsertest.Do(bc, t, chromedp.EmulateViewport(768, 1024))
	// check types q into the check screen's search box and waits for the
	// verdict.
	check := func(q string) {
		t.Helper()
		browsertest.Do(bc, t, chromedp.Navigate(me.URL+"/alerts/check"), chromedp.WaitVisible(chromedp.CSS(`#check-q`)),
			chromedp.SendKeys(chromedp.CSS(`#check-q`), q), chromedp.Click(chromedp.CSS(`#check-go`)),
			chromedp.WaitVisible(chromedp.CSS(`#verdict`)))
	}
	check("ПЕТРОВИЋ Марко 12.03.1985")
	browsertest.Screenshot(bc, t, "alerts-check-hit")
	if v := browsertest.Text(bc, t, `#verdict`); v != "HIT" {
		t.Fatalf("verdict %q, want HIT", v)
	}
	if act := browsertest.Text(bc, t, `.match .action`); !strings.Contains(act, "Arrest and hold for extradition") {
		t.Fatalf("action: %q", act)
	}
	if w := browsertest.Text(bc, t, `.match .warnings`); !strings.Contains(strings.ToLower(w), "armed") || !strings.Contains(strings.ToLower(w), "violent") {
		t.Fatalf("warnings: %q", w)
	}
	// The verdict, the action and the warning markers are on the screen
	// without scrolling, on a tablet.
	if !browsertest.InViewport(bc, t, `#verdict`, `.match .action`, `.match .warnings`) {
		t.Fatal("HIT, action and warnings are not all inside the viewport")
	}
	// A check of someone else says NO HIT.
	check("Jovan Jovanović 1990-01-01")
	if v := browsertest.Text(bc, t, `#verdict`); v != "NO HIT" {
		t.Fatalf("verdict %q, want NO HIT", v)
	}
	// The name alone, typed without diacritics, is not a NO HIT: the
	// officer is told to check the date of birth and sees the alert's date
	// and warning markers, inside the screen.
	check("Petrovic Marko")
	browsertest.Screenshot(bc, t, "alerts-check-unsettled")
	if v := browsertest.Text(bc, t, `#verdict`); v != "CHECK THE DATE OF BIRTH" {
		t.Fatalf("verdict %q, want CHECK THE DATE OF BIRTH", v)
	}
	if o := browsertest.Text(bc, t, `#open-alerts li`); !strings.Contains(o, "1985-03-12") || !strings.Contains(strings.ToLower(o), "armed") {
		t.Fatalf("alert left open: %q", o)
	}
	if !browsertest.InViewport(bc, t, `#verdict`, `#unsettled-help`, `#open-alerts li .dob`, `#open-alerts li .warnings`) {
		t.Fatal("the unsettled verdict, its help, the alert's date and warnings are not all inside the viewport")
	}
	// A date that cannot be a date (a digit lost from the year) is never
	// a HIT: a possible hit that shows the alert's date and asks for the
	// document's, inside the screen.
	check("Petrovic Marko 12.3.985.")
	browsertest.Screenshot(bc, t, "alerts-check-date")
	if v := browsertest.Text(bc, t, `#verdict`); v != "POSSIBLE HIT" {
		t.Fatalf("verdict %q, want POSSIBLE HIT", v)
	}
	if d := browsertest.Text(bc, t, `.match .check-date`); !strings.Contains(d, "does not agree") || !strings.Contains(d, "1985-03-12") {
		t.Fatalf("the possible hit does not ask for the date: %q", d)
	}
	if !browsertest.InViewport(bc, t, `#verdict`, `.match .action`, `.match .check-date .dob`) {
		t.Fatal("the possible hit's verdict, action and the alert's date are not all inside the viewport")
	}
	// A name no alert is close to, without a date, is not a NO HIT either:
	// a misspelt name can be missed, so the date is asked for.
	check("Jovan Jovanovic")
	if v := browsertest.Text(bc, t, `#verdict`); v != "CHECK THE DATE OF BIRTH" {
		t.Fatalf("a name without a date: verdict %q, want CHECK THE DATE OF BIRTH", v)
	}
	if h := browsertest.Text(bc, t, `#unsettled-help`); !strings.Contains(h, "without a full date of birth") {
		t.Fatalf("a name without a date: help %q", h)
	}

	// The photo of the wanted person is shown in the hit and on the alert
	// page, loaded and inside the viewport.
	photoShown := func(sel string) bool {
		ok, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const i = document.querySelector(`+"`"+sel+"`"+`); if (!i || !i.complete || i.naturalWidth !== 120) return false;
			const r = i.getBoundingClientRect(); return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.left >= 0 && r.right <= window.innerWidth; })()`))
		return err == nil && ok
	}
	browsertest.Do(bc, t, chromedp.Navigate(me.URL+"/alerts/check"), chromedp.WaitVisible(chromedp.CSS(`#check-q`)),
		chromedp.SendKeys(chromedp.CSS(`#check-q`), "Marko Petrović 1985-03-12"), chromedp.Click(chromedp.CSS(`#check-go`)),
		chromedp.WaitVisible(chromedp.CSS(`.hit-photo`)))
	testutil.WaitFor(t, "photo in the hit", 5*time.Second, func() bool { return photoShown(".hit-photo") })
	browsertest.Do(bc, t, chromedp.Navigate(me.URL+"/alerts/"+a.ID), chromedp.WaitVisible(chromedp.CSS(`#alert-photo`)))
	testutil.WaitFor(t, "photo on the alert page", 5*time.Second, func() bool { return photoShown("#alert-photo") })
	browsertest.Screenshot(bc, t, "alerts-photo")

	// The hit report from the alert page.
	browsertest.Do(bc, t, chromedp.Navigate(me.URL+"/alerts/"+a.ID+"#hit-form"), chromedp.WaitVisible(chromedp.CSS(`#hit-place`)),
		chromedp.SendKeys(chromedp.CSS(`#hit-place`), "Dobrakovo border crossing"),
		chromedp.SendKeys(chromedp.CSS(`#hit-vehicle`), "BG 123-AB"),
		chromedp.SendKeys(chromedp.CSS(`#hit-action`), "Person held at the crossing."),
		chromedp.Click(chromedp.CSS(`#hit-send`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	if f := browsertest.Text(bc, t, `.flash.ok`); !strings.Contains(f, "Hit report filed") {
		t.Fatalf("flash after the hit report: %q", f)
	}
	if h := browsertest.Text(bc, t, `#hits + div`); !strings.Contains(h, "Dobrakovo border crossing") || !strings.Contains(h, "waiting for the answer") {
		t.Fatalf("hit report on the alert page: %q", h)
	}
	browsertest.Screenshot(bc, t, "alerts-hit-report")

	// Through both NCUs to Serbia, where the prosecutor opens the
	// extradition request prefilled from the alert.
	testutil.ApproveAll(t, me, meNCU)
	testutil.RouteIncoming(t, rs, principal(t, rs, "rs-ncu", auth.RoleNCUOperator), alerts.TypeHit, "rs-agency")
	testutil.WaitFor(t, "hit on rs", 20*time.Second, func() bool {
		got, _ := rs.Alerts.Get(ctx, pros, a.ID)
		return got.Status == alerts.StatusHit
	})
	browsertest.Logout(bc, t)
	browsertest.Login(bc, t, rs.URL, "rs-prosecutor", testutil.Password)
	browsertest.Do(bc, t, chromedp.Navigate(rs.URL+"/alerts/"+a.ID), chromedp.WaitVisible(chromedp.CSS(`#alert-extradition`)),
		chromedp.Click(chromedp.CSS(`#alert-extradition`)), chromedp.WaitVisible(chromedp.CSS(`#m-title`)))
	vals, err := chromedp.Run(bc, chromedp.Evaluate[[]string](`['#m-target', '#m-kind', '#m-title', '#m-facts'].map(s => document.querySelector(s).value)`))
	if err != nil || vals[0] != "me" || vals[1] != "extradition" || !strings.Contains(vals[2], "Marko Petrović") || !strings.Contains(vals[3], "Dobrakovo") {
		t.Fatalf("prefilled extradition request: %q %v", vals, err)
	}
}

package web_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/demo"
	"github.com/liaison-wb/liaison/internal/exchange"
)

var screenshotsDir = flag.String("screenshots", "", "write the README screenshots of the demo to this directory (TestScreenshots)")

// TestScreenshots regenerates the README screenshots from the running demo,
// so they always show the current UI:
//
//	go test ./internal/web -run TestScreenshots -screenshots docs/screenshots
//
// (run from the repository root, the path is relative to internal/web:
// use -screenshots ../../docs/screenshots or an absolute path).
func TestScreenshots(t *testing.T) {
	if *screenshotsDir == "" {
		t.Skip("pass -screenshots DIR to regenerate the README screenshots")
	}
	dir, err := filepath.Abs(*screenshotsDir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f := startDemo(t)
	rs, me := f.Nodes[0], f.Nodes[1]
	ctx := browsertest.New(t)
	setViewport(ctx, t, layoutViewports[0])
	shot := func(name string) {
		t.Helper()
		// Fonts and images settle before the picture is taken.
		browsertest.Do(ctx, t, chromedp.Sleep(200*time.Millisecond))
		buf, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	open := func(url, sel string) {
		t.Helper()
		browsertest.Do(ctx, t, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS(sel)))
	}

	// A thread of the Serbian officer's agency with a question to answer.
	officer := &auth.Principal{Username: "officer", Agency: f.Specs[0].Agency, Roles: []auth.Role{auth.RoleOfficer}}
	th, err := rs.Exchange.Compose(t.Context(), officer, exchange.NewThread{Subject: "Fuel tanker fraud at Horgoš", CrimeArea: "excise_fraud", Priority: exchange.PriorityUrgent,
		Agencies: []string{"rs-uks"}, CaseRefs: []string{"RS-KT-117/2026"}, Body: "Please check whether tanker BG-777-XY crossed at Horgoš between 1 and 3 December.",
		Markings: exchange.MessageMarkings{Classification: "restricted", Handling: []string{"H0"}, Reliability: "B", Accuracy: 2, OnwardAllowed: true},
		Entities: []exchange.MessageEntity{{Kind: "vehicle", Label: "BG-777-XY", Fields: map[string]string{"plate": "BG-777-XY"}}}})
	if err != nil {
		t.Fatal(err)
	}

	browsertest.Login(ctx, t, rs.URL(), "officer", demo.Password)
	open(rs.URL()+"/", "main h1")
	shot("dashboard")
	open(rs.URL()+"/exchange/new", "#ex-send")
	shot("exchange-compose")
	open(rs.URL()+"/exchange/threads/"+th.ID, "#ex-reply-send")
	shot("exchange-thread")
	browsertest.Logout(ctx, t)

	// The Serbian NCU reads the notice to Montenegro before approving it.
	browsertest.Login(ctx, t, rs.URL(), "ncu", demo.Password)
	open(rs.URL()+"/federation/queue", "#ncu-queue")
	shot("ncu-queue")
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#ncu-queue a.open`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-approve`)))
	shot("ncu-approve")
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#ncu-approve`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	open(rs.URL()+"/operations", "main h1")
	shot("operations-board")
	open(rs.URL()+"/analysis", "main h1")
	shot("analysis-scoreboard")
	open(rs.URL()+"/analysis/routes", "#an-routes-summary")
	shot("analysis-routes")
	browsertest.Logout(ctx, t)

	// The Montenegrin NCU routes it to one of its agencies.
	browsertest.Login(ctx, t, me.URL(), "ncu", demo.Password)
	waitFor(ctx, t, me.URL()+"/federation/queue", "#ncu-queue", "Bijelo Polje")
	evalBool(ctx, t, `(() => { [...document.querySelectorAll("#ncu-queue tr")].find(r => r.innerText.includes("Bijelo Polje")).querySelector("a.open").click(); return true })()`)
	browsertest.Do(ctx, t, chromedp.WaitVisible(chromedp.CSS(`#ncu-agency`)))
	shot("ncu-route")
	browsertest.Do(ctx, t, chromedp.SetValue(chromedp.CSS(`#ncu-agency`), "me-up"), chromedp.Click(chromedp.CSS(`#ncu-route`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	open(me.URL()+"/directory/agencies?country=ME", "main table")
	shot("directory-agencies")
	browsertest.Logout(ctx, t)

	browsertest.Login(ctx, t, me.URL(), "officer", demo.Password)
	waitFor(ctx, t, me.URL()+"/federation/notices", "main", "Bijelo Polje")
	shot("notices")
	browsertest.Logout(ctx, t)

	browsertest.Login(ctx, t, rs.URL(), "auditor", demo.Password)
	open(rs.URL()+"/audit", "#audit-verify")
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#audit-verify`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	shot("audit")
	_ = context.Background
}

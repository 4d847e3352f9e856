package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// seeJS scrolls a control into view and reports what would stop a person
// from using it: missing, hidden, too small to see, outside the window, or
// without a label. "" means a person can see it, read its label and use it.
const seeJS = `((sel) => {
  const el = document.querySelector(sel);
  if (!el) return "missing";
  el.scrollIntoView({block: "center", inline: "nearest"});
  const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
  if (cs.visibility === "hidden" || cs.display === "none" || r.width < 10 || r.height < 10) return "not visible (" + Math.round(r.width) + "×" + Math.round(r.height) + ")";
  if (r.left < 0 || r.right > document.documentElement.clientWidth || r.top < 0 || r.bottom > window.innerHeight)
    return "outside the window at " + [r.left, r.top, r.right, r.bottom].map(Math.round).join(",") + " in " + document.documentElement.clientWidth + "×" + window.innerHeight;
  const label = (el.labels && el.labels.length ? [...el.labels].map(l => l.innerText).join(" ") : "") || el.getAttribute("aria-label") || "";
  if (["INPUT", "SELECT", "TEXTAREA"].includes(el.tagName) && el.type !== "submit" && !label.trim()) return "no label";
  return "";
})`

// mustSee fails unless a person could see and use the control sel.
func mustSee(ctx context.Context, t *testing.T, sel string) {
	t.Helper()
	if why := evalString(ctx, t, fmt.Sprintf("%s(%q)", seeJS, sel)); why != "" {
		t.Fatalf("%s: %s", sel, why)
	}
}

// typeIn focuses a visible, labelled field and types text with key events,
// as a person at a keyboard would.
func typeIn(ctx context.Context, t *testing.T, sel, text string) {
	t.Helper()
	mustSee(ctx, t, sel)
	browsertest.Do(ctx, t, chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent(text))
}

// press toggles a visible, labelled check box with the space bar.
func press(ctx context.Context, t *testing.T, sel string) {
	t.Helper()
	mustSee(ctx, t, sel)
	browsertest.Do(ctx, t, chromedp.Focus(chromedp.CSS(sel)), chromedp.KeyEvent(" "))
}

// choose picks an option of a visible, labelled list.
func choose(ctx context.Context, t *testing.T, sel, value string) {
	t.Helper()
	mustSee(ctx, t, sel)
	browsertest.Do(ctx, t, chromedp.SetValue(chromedp.CSS(sel), value))
}

// everyControlVisible checks every control of a form the way mustSee does.
func everyControlVisible(ctx context.Context, t *testing.T, form string) {
	t.Helper()
	ids := evalStrings(ctx, t, fmt.Sprintf(`[...document.querySelectorAll(%q)].filter(e => e.id && !e.closest("details:not([open])")).map(e => "#" + CSS.escape(e.id))`,
		form+` input:not([type=hidden]), `+form+` select, `+form+` textarea, `+form+` button`), false)
	if len(ids) < 3 {
		t.Fatalf("%s has only %d controls with an id", form, len(ids))
	}
	for _, id := range ids {
		mustSee(ctx, t, id)
	}
}

// TestBrowserComposeReplyByKeyboard: at 1366×768 every control of the
// compose form and of a thread's reply form is inside the window, labelled,
// and typed into with the keyboard; a reply refused without a reason comes
// back with what was typed and the reason field marked; the corrected reply
// is sent and the browser lands on the thread.
func TestBrowserComposeReplyByKeyboard(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	for _, u := range []struct{ name, agency string }{{"police", "rs-police"}, {"customs", "rs-customs"}} {
		if _, err := n.Auth.CreateUser(t.Context(), nil, auth.NewUser{Username: u.name, DisplayName: u.name, Agency: u.agency, Roles: []auth.Role{auth.RoleOfficer}, Password: testutil.Password}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browsertest.New(t)
	setViewport(ctx, t, layoutViewports[0])
	browsertest.Login(ctx, t, n.URL, "police", testutil.Password)
	browsertest.Do(ctx, t, chromedp.Navigate(n.URL+"/exchange/new"), chromedp.WaitVisible(chromedp.CSS(`#ex-send`)))
	everyControlVisible(ctx, t, "#ex-compose")
	typeIn(ctx, t, "#c-subject", "Fuel tanker fraud at Horgoš")
	typeIn(ctx, t, "#c-area", "excise fraud")
	choose(ctx, t, "#c-priority", "urgent")
	typeIn(ctx, t, "#c-agencies", "rs-customs")
	typeIn(ctx, t, "#c-refs", "RS-KT-117/2026")
	typeIn(ctx, t, "#c-body", "Please check tanker BG-777-XY at the Horgoš crossing.")
	typeIn(ctx, t, "#c-entities", "vehicle | BG-777-XY | plate=BG-777-XY")
	press(ctx, t, "#m-H0")
	mustSee(ctx, t, "#m-note")
	browsertest.Screenshot(ctx, t, "compose-1366")
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#ex-send`)), chromedp.WaitVisible(chromedp.CSS(`#ex-subject`)))
	if s := browsertest.Text(ctx, t, `#ex-subject`); !strings.Contains(s, "Horgoš") {
		t.Fatalf("thread subject %q", s)
	}
	thread, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	thread = strings.SplitN(thread, "?", 2)[0]
	browsertest.Logout(ctx, t)

	browsertest.Login(ctx, t, n.URL, "customs", testutil.Password)
	browsertest.Do(ctx, t, chromedp.Navigate(thread), chromedp.WaitVisible(chromedp.CSS(`#ex-reply-send`)))
	everyControlVisible(ctx, t, "#ex-reply")
	choose(ctx, t, "#r-kind", "refusal")
	typeIn(ctx, t, "#r-body", "We cannot check tankers this week.")
	press(ctx, t, "#m-H1")
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#ex-reply-send`)), chromedp.WaitVisible(chromedp.CSS(`#r-reason-err`)))
	// The browser is on the thread page again (a GET), with the reply kept.
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if !strings.HasPrefix(loc, thread+"?form=") {
		t.Fatalf("after the failed reply the browser is at %s", loc)
	}
	if v := evalString(ctx, t, `document.querySelector("#r-body").value`); v != "We cannot check tankers this week." {
		t.Fatalf("reply text lost: %q", v)
	}
	if v := evalString(ctx, t, `document.querySelector("#r-kind").value + " " + document.querySelector("#m-H1").checked + " " + document.querySelector("#r-reason").getAttribute("aria-invalid")`); v != "refusal true true" {
		t.Fatalf("kind, handling code and marked field after the error: %q", v)
	}
	if e := browsertest.Text(ctx, t, `#r-reason-err`); !strings.HasPrefix(e, "Give a reason") {
		t.Fatalf("field message %q", e)
	}
	mustSee(ctx, t, "#r-reason-err")
	browsertest.Screenshot(ctx, t, "reply-error-1366")
	typeIn(ctx, t, "#r-reason", "No capacity at the crossing.")
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#ex-reply-send`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	loc, _ = chromedp.Run(ctx, chromedp.Location())
	if loc != thread+"?ok=sent" {
		t.Fatalf("after the reply the browser is at %s", loc)
	}
	if txt := browsertest.Text(ctx, t, `main`); !strings.Contains(txt, "No capacity at the crossing.") {
		t.Fatal("the refusal reason is not on the thread")
	}
}

// TestBrowserNCURouting: the Montenegrin NCU opens an incoming request,
// reads its content, entities and markings, is refused an unknown agency
// code (the choice kept and the list marked), routes it from the list of
// the node's agencies, and routes it again when it went to the wrong one.
func TestBrowserNCURouting(t *testing.T) {
	_, me, item, _ := sendToMontenegro(t, store.Options{})
	for _, u := range []struct{ name, agency string }{{"ncu", "me-ncu"}, {"police", "me-up"}} {
		role := auth.RoleOfficer
		if u.name == "ncu" {
			role = auth.RoleNCUOperator
		}
		if _, err := me.Auth.CreateUser(t.Context(), nil, auth.NewUser{Username: u.name, DisplayName: u.name, Agency: u.agency, Roles: []auth.Role{role}, Password: testutil.Password}); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browsertest.New(t)
	setViewport(ctx, t, layoutViewports[0])
	browsertest.Login(ctx, t, me.URL, "ncu", testutil.Password)
	waitFor(ctx, t, me.URL+"/federation/queue", "#ncu-queue", "Stolen Audi A6")
	if typ := browsertest.Text(ctx, t, `#ncu-queue td[data-type]`); typ != "Exchange message" {
		t.Fatalf("type shown as %q", typ)
	}
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#ncu-queue a.open`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-agency`)))
	if p := browsertest.Text(ctx, t, `#ncu-preview`); !strings.Contains(p, "Please check the port records") || !strings.Contains(p, "plate=PG-AB-123") || !strings.Contains(p, "RESTRICTED · H0") {
		t.Fatalf("preview: %q", p)
	}
	opts := evalStrings(ctx, t, `[...document.querySelectorAll("#ncu-agency option")].map(o => o.value)`, false)
	for _, want := range []string{"me-up", "me-uc", "me-vdt", "me-ncu"} {
		if !contains(opts, want) {
			t.Fatalf("agency list %v lacks %s", opts, want)
		}
	}
	for _, o := range opts {
		if strings.HasPrefix(o, "rs-") {
			t.Fatalf("agency list offers another country's agency %s", o)
		}
	}
	mustSee(ctx, t, "#ncu-agency")
	browsertest.Screenshot(ctx, t, "ncu-preview")
	// A code not in the directory (as a tampered or stale form would send).
	evalBool(ctx, t, `(() => { const s = document.querySelector("#ncu-agency"); s.add(new Option("me-polica", "me-polica", true, true)); return true })()`)
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#ncu-route`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-agency-err`)))
	if v := evalString(ctx, t, `document.querySelector("#ncu-agency").value + " " + document.querySelector("#ncu-agency").getAttribute("aria-invalid")`); v != "me-polica true" {
		t.Fatalf("after the refused code: %q", v)
	}
	if e := browsertest.Text(ctx, t, `.flash.err`); !strings.HasPrefix(e, "The form was not sent") {
		t.Fatalf("page message %q", e)
	}
	// Route to customs by mistake, then again to the police.
	choose(ctx, t, "#ncu-agency", "me-uc")
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#ncu-route`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	waitFor(ctx, t, me.URL+"/federation/queue", "#ncu-routed", "me-uc")
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#ncu-routed a.reroute`)), chromedp.WaitVisible(chromedp.CSS(`#ncu-agency`)))
	if v := evalString(ctx, t, `document.querySelector("#ncu-agency").value`); v != "me-uc" {
		t.Fatalf("re-routing starts from %q", v)
	}
	choose(ctx, t, "#ncu-agency", "me-up")
	browsertest.Do(ctx, t, chromedp.Click(chromedp.CSS(`#ncu-route`)), chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)))
	if f := browsertest.Text(ctx, t, `.flash.ok`); !strings.Contains(f, "Routed again") {
		t.Fatalf("flash %q", f)
	}
	browsertest.Logout(ctx, t)
	browsertest.Login(ctx, t, me.URL, "police", testutil.Password)
	waitFor(ctx, t, me.URL+"/exchange", "#ex-threads", "Stolen Audi A6")
	_ = item
}

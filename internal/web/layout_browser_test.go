package web_test

import (
	"context"
	_ "embed"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/demo"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// axe-core, vendored from the npm registry for the tests only (see
// testdata/axe/README.md); it is never served by the product.
//
//go:embed testdata/axe/axe.min.js
var axeSource string

// viewport is a screen the UI must fit: a common office laptop and a tablet
// held upright at a border crossing.
type viewport struct {
	name          string
	width, height int64
}

var layoutViewports = []viewport{{"laptop", 1366, 768}, {"tablet", 768, 1024}}

// startDemo runs a small demo federation (Serbia, Montenegro and SELEC)
// with the demo accounts and data.
func startDemo(t *testing.T) *demo.Federation {
	t.Helper()
	f, err := demo.Start(t.Context(), demo.Options{Dir: t.TempDir(), Nodes: []string{"rs", "me", "selec"}, Logger: testutil.Logger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close(context.Background()) })
	return f
}

func setViewport(ctx context.Context, t *testing.T, v viewport) {
	t.Helper()
	browsertest.Do(ctx, t, chromedp.EmulateViewport(v.width, v.height))
}

// layoutProblems lists what a person would see wrong on the current page:
// a page wider than the window, visible form controls (inputs, selects,
// text areas, buttons) that are partly or wholly outside the window, and
// controls set apart from their labels.
const layoutProblemsJS = `(() => {
  const out = [];
  const de = document.documentElement, vw = de.clientWidth;
  if (de.scrollWidth > vw + 1) out.push("page scrolls sideways: " + de.scrollWidth + " px wide in a " + vw + " px window");
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea, button")) {
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || cs.visibility === "hidden" || cs.display === "none") continue;
    if (el.closest("details:not([open])")) continue;
    // Controls in a wide table are reachable by scrolling the table's box;
    // anywhere else they must fit.
    let p = el.closest("table") ? el.parentElement : null, scrolled = false;
    while (p && p !== document.body) { const o = getComputedStyle(p).overflowX; if ((o === "auto" || o === "scroll") && p.scrollWidth > p.clientWidth) { scrolled = true; break; } p = p.parentElement; }
    if (scrolled) continue;
    // Nor may it stick out of a box that clips or scrolls (a card).
    for (let b = el.parentElement; b && b !== document.body; b = b.parentElement) {
      if (getComputedStyle(b).overflowX === "visible") continue;
      const br = b.getBoundingClientRect();
      if (r.left < br.left - 1 || r.right > br.right + 1) out.push((el.id ? "#" + el.id : el.tagName.toLowerCase() + "[name=" + (el.name || "") + "]") + " sticks out of its box (" + Math.round(r.right) + " > " + Math.round(br.right) + ")");
      break;
    }
    if (r.left < -1 || r.right > vw + 1) out.push((el.id ? "#" + el.id : el.tagName.toLowerCase() + "[name=" + (el.name || "") + "]") + " outside the window (" + Math.round(r.left) + ".." + Math.round(r.right) + " of " + vw + ")");
  }
  // A control sits beside its label on the same row or right under it, never
  // at the start of the next line while its label ends the line above.
  for (const lab of document.querySelectorAll("label[for]")) {
    const el = document.getElementById(lab.htmlFor);
    if (!el || el.type === "hidden" || el.type === "checkbox" || el.type === "radio" || el.closest("details:not([open])")) continue;
    const a = lab.getBoundingClientRect(), r = el.getBoundingClientRect();
    if (!a.width || !r.width) continue;
    const beside = r.top < a.bottom && r.bottom > a.top && r.left >= a.left;
    const under = r.top >= a.bottom - 2 && r.top - a.bottom < 40 && r.left >= a.left - 2;
    if (!beside && !under) out.push("#" + el.id + " is neither beside nor under its label");
  }
  return out;
})()`

// axeJS runs axe-core and returns the serious and critical violations.
const axeJS = `(async () => {
  const res = await axe.run(document, {resultTypes: ["violations"]});
  return res.violations.filter(v => v.impact === "serious" || v.impact === "critical")
    .map(v => v.id + " (" + v.impact + "): " + v.help + " — " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", "));
})()`

// focusJS tabs through nothing itself: it focuses the first link of the
// main area with a keyboard-like focus and reports whether an outline shows.
const focusJS = `(() => {
  const el = [...document.querySelectorAll("main a[href], main button, main input:not([type=hidden]), main select, main textarea")]
    .find(e => e.getClientRects().length > 0 && !e.closest("details:not([open])"));
  if (!el) return "";
  el.focus({focusVisible: true});
  if (document.activeElement !== el) return (el.id || el.tagName) + " cannot take the keyboard focus";
  const cs = getComputedStyle(el);
  if (cs.outlineStyle === "none" || parseFloat(cs.outlineWidth) === 0) return (el.id || el.tagName) + " shows no focus outline";
  return "";
})()`

func evalStrings(ctx context.Context, t *testing.T, js string, await bool) []string {
	t.Helper()
	var opts []chromedp.EvaluateOption
	if await {
		opts = append(opts, chromedp.EvalAwaitPromise)
	}
	out, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](js, opts...))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return out
}

// menuPages are the links of the side menu for the logged-in user.
func menuPages(ctx context.Context, t *testing.T) []string {
	t.Helper()
	hrefs := evalStrings(ctx, t, `[...document.querySelectorAll("nav.side a[href]")].map(a => a.getAttribute("href"))`, false)
	sort.Strings(hrefs)
	return hrefs
}

// TestBrowserLayoutAndAccessibility opens every page of every demo role's
// menu at 1366×768 and 768×1024 and fails when the page scrolls sideways,
// a visible form control lies outside the window, axe-core finds a serious
// or critical violation (which includes unlabelled controls), or keyboard
// focus is invisible.
func TestBrowserLayoutAndAccessibility(t *testing.T) {
	if testing.Short() {
		t.Skip("walks every page in a browser")
	}
	f := startDemo(t)
	// A thread of the officer's agency, so its page and reply form are walked too.
	officer := &auth.Principal{Username: "officer", Agency: f.Specs[0].Agency, Roles: []auth.Role{auth.RoleOfficer}}
	if _, err := f.Nodes[0].Exchange.Compose(t.Context(), officer, exchange.NewThread{Subject: "Fuel tanker fraud at Horgoš", Priority: exchange.PriorityNormal, Agencies: []string{"rs-uks"},
		Body: "Please check tanker BG-777-XY.", Markings: exchange.MessageMarkings{Classification: "restricted", Reliability: "B", Accuracy: 2, OnwardAllowed: true}}); err != nil {
		t.Fatal(err)
	}
	// A hot pursuit into Montenegro, so the board, the map and an
	// operation's page with its action forms are walked too.
	if _, err := f.Nodes[0].Ops.Open(t.Context(), officer, operations.OpenInput{Kind: operations.KindPursuit, Title: "Stolen van towards Pljevlja", Countries: []string{"me"},
		Details: operations.OpDetails{Unit: "Traffic police Prijepolje", Offence: "theft", TargetVehicle: "white Ford Transit"}, Position: "43.3800, 19.6500", Where: "Gostun"}); err != nil {
		t.Fatal(err)
	}
	// The agreement the demo's states declared their terms under, its page
	// and the declaration form.
	basis, err := f.Nodes[0].Ops.LegalBasis(t.Context(), officer, operations.KindPursuit, "me")
	if err != nil || basis.AgreementID == "" {
		t.Fatalf("legal basis RS→ME: %+v %v", basis, err)
	}
	agreement := "/directory/agreements/" + basis.AgreementID
	ctx := browsertest.New(t)
	base := f.Nodes[0].URL()
	var problems []string
	for _, u := range demo.Users {
		browsertest.Login(ctx, t, base, u.Username, demo.Password)
		pages := menuPages(ctx, t)
		// The forms named in the menu's pages are part of the walk too.
		for _, extra := range []string{"/exchange/new", "/activities/new", "/admin/users", "/mla/new", "/alerts/new", "/alerts/check", "/alerts/firearms",
			"/operations/new", "/operations/new?kind=surveillance", "/operations/new?kind=controlled_delivery", "/operations/new?kind=joint_patrol", "/operations/new?kind=incident", "/operations/patrols",
			"/analysis/statistics", "/analysis/statistics/regional?set=gbv&period=2025", "/analysis/graph", "/analysis/routes", agreement, agreement + "/terms"} {
			ok := evalBool(ctx, t, fmt.Sprintf(`!!document.querySelector('nav.side a[href="/%s"]')`, strings.Split(extra, "/")[1]))
			if ok && !contains(pages, extra) {
				pages = append(pages, extra)
			}
		}
		// One level deeper: the first item listed on each page (a thread,
		// a queue message, a workspace, a request, a case…).
		for _, p := range append([]string(nil), pages...) {
			browsertest.Do(ctx, t, chromedp.Navigate(base+p), chromedp.WaitReady(chromedp.CSS(`footer.foot`)))
			for _, href := range evalStrings(ctx, t, `[...document.querySelectorAll("main table tbody a[href^='/'], main ul a[href^='/']")].map(a => a.getAttribute("href")).filter(h => !h.includes("/attachments/") && !h.endsWith("/print") && !h.startsWith("/api/")).slice(0, 1)`, false) {
				if !contains(pages, href) {
					pages = append(pages, href)
				}
			}
		}
		for _, v := range layoutViewports {
			setViewport(ctx, t, v)
			for _, p := range pages {
				if p == "/api/docs" {
					continue // the API reference is a third-party-style page with its own layout
				}
				browsertest.Do(ctx, t, chromedp.Navigate(base+p), chromedp.WaitReady(chromedp.CSS(`footer.foot`)))
				browsertest.Screenshot(ctx, t, "layout-"+u.Username+"-"+v.name+strings.NewReplacer("/", "-", "?", "-", "&", "-", "=", "-").Replace(p))
				for _, pr := range evalStrings(ctx, t, layoutProblemsJS, false) {
					problems = append(problems, fmt.Sprintf("%s %s %s: %s", u.Username, v.name, p, pr))
				}
				if v.name == "laptop" {
					evalBool(ctx, t, axeSource+"\n;true")
					for _, pr := range evalStrings(ctx, t, axeJS, true) {
						problems = append(problems, fmt.Sprintf("%s %s %s: axe %s", u.Username, v.name, p, pr))
					}
					if focus := evalString(ctx, t, focusJS); focus != "" {
						problems = append(problems, fmt.Sprintf("%s %s %s: %s", u.Username, v.name, p, focus))
					}
				}
			}
		}
		setViewport(ctx, t, layoutViewports[0])
		browsertest.Logout(ctx, t)
	}
	if len(problems) > 0 {
		t.Fatalf("%d layout or accessibility problems:\n%s", len(problems), strings.Join(dedupe(problems), "\n"))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// waitFor polls until the page at url shows want inside sel.
func waitFor(ctx context.Context, t *testing.T, url, sel, want string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		browsertest.Do(ctx, t, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS(`footer.foot`)))
		txt := evalString(ctx, t, fmt.Sprintf(`(document.querySelector(%q)||{}).innerText||""`, sel))
		if strings.Contains(txt, want) {
			return
		}
		time.Sleep(150 * time.Millisecond)
	}
	t.Fatalf("%s: %s never showed %q", url, sel, want)
}

func evalBool(ctx context.Context, t *testing.T, js string) bool {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return v
}

func evalString(ctx context.Context, t *testing.T, js string) string {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluate: %v", err)
	}
	return v
}

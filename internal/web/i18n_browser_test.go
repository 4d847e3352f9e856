package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserLanguageSwitcher picks languages in the header switcher the
// way a user does (the select submits itself on change) and checks that the
// page text and the lang attribute follow, across pages, in two scripts.
func TestBrowserLanguageSwitcher(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	n.AddUser(t, "dpo", auth.RoleAuditor)
	ctx := browsertest.New(t)
	browsertest.Login(ctx, t, n.URL, "dpo", testutil.Password)

	pick := func(code string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => {
			const s = document.querySelector('#lang-select');
			s.value = '`+code+`';
			s.dispatchEvent(new Event('change', {bubbles: true}));
			return true;
		})()`)); err != nil {
			t.Fatal(err)
		}
		browsertest.Do(ctx, t, chromedp.WaitVisible(chromedp.CSS(`html[lang="`+code+`"] nav.side`)))
	}
	lang := func() string {
		t.Helper()
		l, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`))
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if l := lang(); l != "en" {
		t.Fatalf("default language %q", l)
	}

	pick("sq")
	browsertest.Screenshot(ctx, t, "dashboard-sq")
	if h := browsertest.Text(ctx, t, `main h1`); !strings.Contains(h, "Mirë se vini, dpo") {
		t.Fatalf("Albanian dashboard heading %q", h)
	}
	if nav := browsertest.Text(ctx, t, `nav.side`); !strings.Contains(nav, "Regjistri i auditimit") {
		t.Fatalf("Albanian navigation %q", nav)
	}
	// The choice is kept on the next page, and formatted messages work.
	browsertest.Do(ctx, t,
		chromedp.Click(chromedp.CSS(`a[href="/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#audit-verify`)),
		chromedp.Click(chromedp.CSS(`#audit-verify`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	)
	if l := lang(); l != "sq" {
		t.Fatalf("audit page lang %q after choosing sq", l)
	}
	if msg := browsertest.Text(ctx, t, `.flash.ok`); !strings.Contains(msg, "asnjë regjistrim nuk është ndryshuar") || strings.Contains(msg, "%!") {
		t.Fatalf("Albanian verification message %q", msg)
	}

	// Switching on a page returns to that page (the site sends no Referer).
	browsertest.Do(ctx, t,
		chromedp.Click(chromedp.CSS(`a[href="/audit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#audit-verify`)),
	)
	pick("sr-Cyrl")
	browsertest.Screenshot(ctx, t, "audit-sr-Cyrl")
	if loc, err := chromedp.Run(ctx, chromedp.Location()); err != nil || !strings.HasSuffix(loc, "/audit") {
		t.Fatalf("after switching the language the browser is at %q (%v), want the audit page", loc, err)
	}
	if h := browsertest.Text(ctx, t, `main h1`); !strings.Contains(h, "Ревизијски дневник") {
		t.Fatalf("Serbian Cyrillic heading %q", h)
	}
	sel, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector('#lang-select').value`))
	if err != nil || sel != "sr-Cyrl" {
		t.Fatalf("switcher shows %q (%v)", sel, err)
	}
}

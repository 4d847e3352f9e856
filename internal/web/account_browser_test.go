package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/browsertest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestBrowserAccountFormsRedirectAndMarkErrors: the account page's forms
// follow POST/redirect/GET. A wrong current password comes back with the
// field marked and explained in the reader's language; a new API token is
// shown once on a page whose address holds no secret, and a reload no
// longer shows it.
func TestBrowserAccountFormsRedirectAndMarkErrors(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	n.AddUser(t, "holder", auth.RoleOfficer)
	bc := browsertest.New(t)
	browsertest.Login(bc, t, n.URL, "holder", testutil.Password)

	browsertest.Do(bc, t, chromedp.Navigate(n.URL+"/account"), chromedp.WaitVisible(chromedp.CSS(`#change-password`)),
		chromedp.SendKeys(chromedp.CSS(`#current`), "not my password at all"),
		chromedp.SendKeys(chromedp.CSS(`#new`), "a new and longer passphrase"),
		chromedp.Click(chromedp.CSS(`#change-password`)),
		chromedp.WaitVisible(chromedp.CSS(`#current-err`)))
	if msg := browsertest.Text(bc, t, `#current-err`); msg != "The current password is wrong." {
		t.Fatalf("field message %q", msg)
	}
	invalid, err := chromedp.Run(bc, chromedp.Evaluate[bool](`(() => { const e = document.querySelector('#current'); const r = e.getBoundingClientRect();
		return e.getAttribute('aria-invalid') === 'true' && e.value === '' && r.left >= 0 && r.right <= window.innerWidth; })()`))
	if err != nil || !invalid {
		t.Fatalf("the current-password field is not marked invalid, emptied and in view (%v)", err)
	}
	loc, err := chromedp.Run(bc, chromedp.Location())
	if err != nil || !strings.Contains(loc, "/account?form=") {
		t.Fatalf("after a failed change the browser is on %q, want the account page", loc)
	}

	browsertest.Do(bc, t, chromedp.SendKeys(chromedp.CSS(`#token-name`), "case export"),
		chromedp.Click(chromedp.CSS(`form[action="/account/tokens"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`#new-token`)))
	token := browsertest.Text(bc, t, `#new-token`)
	loc, err = chromedp.Run(bc, chromedp.Location())
	if err != nil || !strings.HasPrefix(token, auth.TokenPrefix) || strings.Contains(loc, token) || !strings.Contains(loc, "/account?shown=") {
		t.Fatalf("token %q shown at %q", token, loc)
	}
	if list := browsertest.Text(bc, t, `main table`); !strings.Contains(list, "case export") {
		t.Fatalf("token list: %q", list)
	}
	browsertest.Do(bc, t, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`#change-password`)))
	if again, _ := chromedp.Run(bc, chromedp.Evaluate[bool](`document.querySelector('#new-token') !== null`)); again {
		t.Fatal("the token is shown again after a reload")
	}
}

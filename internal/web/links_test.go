package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestAssetCaseLinkWithSlash: a case reference with a slash (RS-KT-117/2026)
// is linked from the asset page as one escaped path segment that opens the
// case.
func TestAssetCaseLinkWithSlash(t *testing.T) {
	n := testutil.Start(t, testutil.Options{NodeID: "rs"})
	tok := n.AddUser(t, "officer", auth.RoleOfficer)
	const js = "application/json"
	if code, raw := casesCall(t, "POST", n.URL+"/api/v1/cases", tok, js, `{"reference":"RS-KT-117/2026","title":"Fuel fraud","crime_area":"excise_fraud"}`, nil); code != http.StatusCreated {
		t.Fatalf("create case: %d %s", code, raw)
	}
	var a struct{ ID string }
	code, raw := casesCall(t, "POST", n.URL+"/api/v1/asset-recovery/assets", tok, js, `{"kind":"vehicle","description":"Audi A6","country":"RS","case_ref":"RS-KT-117/2026","currency":"EUR",
		"first":{"step":"traced","date":"2026-01-10","authority":"Criminal Police Directorate"}}`, &a)
	if code != http.StatusCreated {
		t.Fatalf("create asset: %d %s", code, raw)
	}
	c := testutil.Client()
	login(t, c, n.URL, "officer")
	resp, err := c.Get(n.URL + "/asset-recovery/assets/" + a.ID)
	if err != nil {
		t.Fatal(err)
	}
	page := body(t, resp)
	m := regexp.MustCompile(`href="(/cases/c/[^"]+)"`).FindStringSubmatch(page)
	if m == nil || !strings.Contains(m[1], "%2F") {
		t.Fatalf("asset page has no escaped case link: %v", m)
	}
	resp, err = c.Get(n.URL + m[1])
	if err != nil {
		t.Fatal(err)
	}
	if p := body(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(p, "Fuel fraud") {
		t.Fatalf("case link %s: %d", m[1], resp.StatusCode)
	}
}

// TestAssetsFolderNotListed: the static files are served, their folder is not.
func TestAssetsFolderNotListed(t *testing.T) {
	n := testutil.Start(t, testutil.Options{})
	c := testutil.Client()
	for path, want := range map[string]int{"/assets/": 404, "/assets/style.css": 200, "/assets/nothing.css": 404} {
		resp, err := c.Get(n.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b := body(t, resp)
		if resp.StatusCode != want || strings.Contains(b, `href="style.css"`) {
			t.Errorf("%s: %d, want %d", path, resp.StatusCode, want)
		}
	}
}

// followFailedForm checks that a failed submit redirected (303) back to the
// form page with the kept submit, and returns that page.
func followFailedForm(t *testing.T, c *http.Client, base string, resp *http.Response, page string) string {
	t.Helper()
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, page+"?") || !strings.Contains(loc, "form=") {
		t.Fatalf("failed submit: %d to %q, want 303 to %s?form=…", resp.StatusCode, loc, page)
	}
	resp, err := c.Get(base + loc)
	if err != nil {
		t.Fatal(err)
	}
	b := body(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(b, `class="flash err"`) {
		t.Fatalf("form page after a failed submit: %d without an error message", resp.StatusCode)
	}
	return b
}

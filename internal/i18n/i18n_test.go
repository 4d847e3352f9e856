package i18n

import "testing"

func TestCatalogues(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T("sr-Cyrl", "nav.users"); got != "Корисници" {
		t.Errorf("sr-Cyrl nav.users = %q", got)
	}
	delete(c.msgs["sq"], "audit.verify")
	if got := c.T("sq", "audit.verify"); got != c.T("en", "audit.verify") {
		t.Errorf("untranslated keys must fall back to English, got %q", got)
	}
	if got := c.T("en", "dash.entries", 3); got != "3 entries" {
		t.Errorf("formatting: %q", got)
	}
	if got := c.TranslateError("sq", "this page does not exist"); got != c.T("sq", "err.notfound") || got == "this page does not exist" {
		t.Errorf("error message: %q", got)
	}
	if got := c.TranslateError("sq", "some other error"); got != "some other error" {
		t.Errorf("unknown error message: %q", got)
	}
	if got := c.T("en", "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
}

func TestMatchAcceptLanguage(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for in, want := range map[string]string{
		"": "en", "sq-AL,sq;q=0.9": "sq", "sr-Cyrl-RS": "sr-Cyrl", "sr-RS,sr;q=0.8": "sr-Latn",
		"mk": "mk", "hr-HR": "bs", "de-DE,en;q=0.5": "en", "bs-BA": "bs",
	} {
		if got := c.Match(in); got != want {
			t.Errorf("Match(%q) = %q, want %q", in, got, want)
		}
	}
}

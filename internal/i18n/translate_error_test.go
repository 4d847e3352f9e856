package i18n

import "testing"

func TestTranslateErrorFillsTemplates(t *testing.T) {
	c := &Catalog{msgs: map[string]map[string]string{
		"en": {"err.x.scope": "unknown token scope %q; use read or all", "err.x.line": "line %d: %s", "err.x.plain": "no such case"},
		"sq": {"err.x.scope": "fushë veprimi e panjohur %q; përdorni read ose all", "err.x.line": "rreshti %d: %s", "err.x.plain": "nuk ka çështje të tillë"},
	}}
	for _, tc := range []struct{ lang, in, want string }{
		{"sq", `unknown token scope "exch*"; use read or all`, `fushë veprimi e panjohur "exch*"; përdorni read ose all`},
		{"sq", `unknown token scope "a \"b\""; use read or all`, `fushë veprimi e panjohur "a \"b\""; përdorni read ose all`},
		{"sq", "line 12: missing name", "rreshti 12: missing name"},
		{"sq", "no such case", "nuk ka çështje të tillë"},
		{"sq", "line x: missing name", "line x: missing name"},
		{"en", "line 12: missing name", "line 12: missing name"},
		{"mk", "something else entirely", "something else entirely"},
	} {
		if got := c.TranslateError(tc.lang, tc.in); got != tc.want {
			t.Errorf("%s %q → %q, want %q", tc.lang, tc.in, got, tc.want)
		}
	}
}

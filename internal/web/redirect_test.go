package web

import (
	"net/url"
	"strings"
	"testing"
	"unicode"
)

func TestSafeNextRefusesOffSiteTargets(t *testing.T) {
	for _, bad := range []string{
		"", "x", "https://evil.example/", "//evil.example", "/\\evil.example", "/\t/evil.example", "/%09/evil.example",
		"/%09/127.0.0.2:8999/", "/\n/evil", "/%0a/evil", "/%2F/evil.example", "/%2f%2fevil", "/%5Cevil.example", "/\\\\evil",
		"/\u200b/evil", "/%E2%80%8B/evil", "/\x00", "/%00", "/a?b=%0d%0aSet-Cookie:x", "/a#%09", "/%zz", "javascript:alert(1)", "/\xff",
	} {
		if got := safeNext(bad); got != "/" {
			t.Errorf("safeNext(%q) = %q, want /", bad, got)
		}
	}
	for _, good := range []string{"/", "/exchange", "/exchange/threads/0190?tab=messages", "/cases?q=%C4%8Cuki%C4%87", "/a/b#top"} {
		if got := safeNext(good); got != good {
			t.Errorf("safeNext(%q) = %q", good, got)
		}
	}
}

// FuzzSafeNext checks that whatever safeNext lets through resolves, as a
// browser would resolve it against this site, to this site.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/a", "//x", "/\\x", "/%09/x", "/\t/x", "/%2f/x", "/%5c/x", "/a?b=c", "https://x", "/\u3000/x"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://node.example/page")
	f.Fuzz(func(t *testing.T, in string) {
		out := safeNext(in)
		if out != "/" && out != in {
			t.Fatalf("safeNext changed %q to %q", in, out)
		}
		// Browsers strip tabs and newlines and treat \ as / in URLs.
		browser := strings.Map(func(r rune) rune {
			if r == '\t' || r == '\n' || r == '\r' {
				return -1
			}
			if r == '\\' {
				return '/'
			}
			return r
		}, out)
		u, err := base.Parse(browser)
		if err != nil {
			t.Fatalf("accepted %q does not parse: %v", out, err)
		}
		if u.Host != "node.example" || u.Scheme != "https" {
			t.Fatalf("safeNext(%q) = %q leaves the site: %s", in, out, u)
		}
		dec, _ := url.PathUnescape(out)
		if strings.HasPrefix(dec, "//") || strings.ContainsAny(dec, "\\") {
			t.Fatalf("safeNext(%q) = %q decodes to %q", in, out, dec)
		}
		for _, r := range dec {
			if unicode.IsControl(r) {
				t.Fatalf("safeNext(%q) = %q has a control character", in, out)
			}
		}
	})
}

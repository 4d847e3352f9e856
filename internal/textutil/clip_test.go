package textutil

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"Đorđević", 4, "Đorđ"},
		{"Ђорђевић", 3, "Ђор"},
		{"Ђорђевић", 8, "Ђорђевић"},
		{"abc", 0, ""},
		{"abc", -1, ""},
	} {
		got := Clip(c.in, c.n)
		if got != c.want || !utf8.ValidString(got) {
			t.Errorf("Clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestEllipsis(t *testing.T) {
	if got := Ellipsis("Ђорђевић", 3); got != "Ђор…" {
		t.Errorf("got %q", got)
	}
	if got := Ellipsis("Ђор", 3); got != "Ђор" {
		t.Errorf("got %q", got)
	}
}

func TestSpreadsheetSafe(t *testing.T) {
	for in, want := range map[string]string{"=HYPERLINK(1)": "'=HYPERLINK(1)", "+1": "'+1", "-2": "'-2", "@x": "'@x", "\tx": "'\tx", "Heroin": "Heroin", "": "", "a=b": "a=b"} {
		if got := SpreadsheetSafe(in); got != want {
			t.Errorf("SpreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzSpreadsheetSafe(f *testing.F) {
	f.Add("=1+1")
	f.Fuzz(func(t *testing.T, s string) {
		if c := SpreadsheetSafe(s); c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			t.Fatalf("%q starts a formula", c)
		}
	})
}

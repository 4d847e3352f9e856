package textutil

import (
	"slices"
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

func TestCleanList(t *testing.T) {
	tests := []struct {
		in   []string
		each func(string) string
		want []string
	}{
		{nil, nil, []string{}},
		{[]string{" a ", "", "b", "a", "  "}, nil, []string{"a", "b"}},
		{[]string{"EN", "en", " Sq"}, strings.ToLower, []string{"en", "sq"}},
		{[]string{"abcdef", "abcxyz"}, func(s string) string { return Clip(s, 3) }, []string{"abc"}},
	}
	for _, tt := range tests {
		if got := CleanList(tt.in, tt.each); !slices.Equal(got, tt.want) || got == nil {
			t.Errorf("CleanList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// CleanList never keeps an empty entry, a repeat or surrounding space,
// and keeps every distinct entry typed.
func FuzzCleanList(f *testing.F) {
	f.Add("a, b ,a,, c")
	f.Add(" \t,x")
	f.Fuzz(func(t *testing.T, s string) {
		in := strings.Split(s, ",")
		out := CleanList(in, nil)
		for i, v := range out {
			if v == "" || v != strings.TrimSpace(v) || slices.Contains(out[:i], v) {
				t.Fatalf("CleanList(%q) kept %q", in, v)
			}
		}
		for _, v := range in {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
				t.Fatalf("CleanList(%q) lost %q", in, v)
			}
		}
	})
}

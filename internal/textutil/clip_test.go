package textutil

import (
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

// Package textutil holds the small string helpers every module shares.
package textutil

// Clip returns s cut to at most n runes. It counts runes, not bytes, so it
// never splits a UTF-8 sequence; s is returned unchanged when it fits.
func Clip(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) <= n { // n bytes hold at most n runes
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// Ellipsis is Clip with "…" appended when s had to be cut, for text shown to
// people or kept in logs where the cut must be visible.
func Ellipsis(s string, n int) string {
	if c := Clip(s, n); len(c) < len(s) {
		return c + "…"
	}
	return s
}

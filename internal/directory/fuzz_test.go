package directory

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/textutil"
)

// FuzzInputParsers feeds arbitrary text to the small parsers every form and
// API field goes through: dates, code lists, the folded search text, LIKE
// escaping and CSV cell guarding. None may panic, accept a non-date, or
// return anything but a clear Invalid error.
func FuzzInputParsers(f *testing.F) {
	for _, s := range []string{"2026-02-29", "2024-02-29", "1.3.2019", "", "asset recovery office", "Канцеларија", "SIRENE", "24/7", "=cmd|' /C calc'!A0",
		"100%_\\", "Đorđe Ćirić", "\xff\xfe", "dž", "ǅ", "ﬁnance", "  aro  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseDay("fuzz", "date", s)
		if err != nil && (errs.KindOf(err) != errs.Invalid || errs.SafeMessage(err) == "") {
			t.Fatalf("parseDay(%q) error kind %v", s, errs.KindOf(err))
		}
		if err == nil && d != "" {
			if _, perr := time.Parse("2006-01-02", string(d)); perr != nil {
				t.Fatalf("parseDay(%q) accepted %q", s, d)
			}
		}
		for _, codes := range [][]Code{ContactRoles, AgencyTypes, Themes, AgreementTypes} {
			if slug, ok := resolveCode(codes, s); ok && !validCode(codes, slug) {
				t.Fatalf("resolveCode(%q) = unknown slug %q", s, slug)
			}
		}
		st := searchText(s)
		if !strings.HasPrefix(st, " ") || !strings.HasSuffix(st, " ") {
			t.Fatalf("searchText(%q) = %q lacks word boundaries", s, st)
		}
		// Every folded word of a record is findable by itself.
		for _, w := range strings.Fields(fold(s)) {
			if !strings.Contains(st, " "+w+" ") {
				t.Fatalf("searchText(%q) = %q lacks %q", s, st, w)
			}
			if back, ok := unescapeLike(escapeLike(w)); !ok || back != w {
				t.Fatalf("escapeLike(%q) = %q is not a literal pattern", w, escapeLike(w))
			}
		}
		if c := textutil.SpreadsheetSafe(s); c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
			t.Fatalf("textutil.SpreadsheetSafe(%q) = %q starts a formula", s, c)
		}
		if utf8.ValidString(s) && !utf8.ValidString(fold(s)) {
			t.Fatalf("fold(%q) produced invalid UTF-8", s)
		}
	})
}

// unescapeLike reads a LIKE pattern with ESCAPE '\'; ok is false if it
// holds an unescaped wildcard.
func unescapeLike(p string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			if i+1 == len(p) {
				return "", false
			}
			i++
			b.WriteByte(p[i])
		case '%', '_':
			return "", false
		default:
			b.WriteByte(p[i])
		}
	}
	return b.String(), true
}

// Package entity holds the typed record model shared by matching, the case
// database and hit/no-hit search, together with the normalisers for names,
// dates and identifiers used in the Western Balkans.
package entity

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// cyrToLat transliterates Serbian and Macedonian Cyrillic (plus the few
// Russian/Bulgarian/Ukrainian letters that appear in foreign names) to the
// official Latin alphabets. Input is already lower-cased.
var cyrToLat = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'ђ': "đ", 'е': "e",
	'ж': "ž", 'з': "z", 'и': "i", 'ј': "j", 'к': "k", 'л': "l", 'љ': "lj",
	'м': "m", 'н': "n", 'њ': "nj", 'о': "o", 'п': "p", 'р': "r", 'с': "s",
	'т': "t", 'ћ': "ć", 'у': "u", 'ф': "f", 'х': "h", 'ц': "c", 'ч': "č",
	'џ': "dž", 'ш': "š",
	// Macedonian.
	'ѓ': "gj", 'ќ': "kj", 'ѕ': "dz",
	// Other Cyrillic alphabets, best effort.
	'й': "j", 'ы': "y", 'э': "e", 'ю': "ju", 'я': "ja", 'щ': "šč", 'ъ': "",
	'ь': "", 'ё': "e", 'є': "je", 'і': "i", 'ї': "ji", 'ґ': "g", 'ѐ': "e",
	'ѝ': "i",
}

// latinFold maps Latin letters whose decomposition does not strip to ASCII
// (or whose regional reading differs from the plain base letter).
var latinFold = map[rune]string{
	'đ': "dj", 'ð': "dj", 'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o",
	'ł': "l", 'ı': "i", 'þ': "th", 'ħ': "h", 'ŧ': "t", 'ŀ': "l", 'ĸ': "k",
	'ŋ': "n", 'ſ': "s",
}

// caseFolder is stateless for Fold; a cases.Caser is not safe for concurrent
// use, so each call creates its own (cheap).
func foldCase(s string) string {
	return cases.Fold().String(s)
}

// Normalize returns the canonical display form of free text: Unicode NFKC,
// case folded, Serbian/Macedonian Cyrillic transliterated to Latin, all
// whitespace runs collapsed to one space. Latin diacritics are kept.
// Invalid UTF-8 bytes are dropped.
func Normalize(s string) string {
	if s == "" {
		return ""
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "")
	}
	s = norm.NFKC.String(s)
	s = foldCase(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if t, ok := cyrToLat[r]; ok {
			b.WriteString(t)
			continue
		}
		if unicode.Is(unicode.Cyrillic, r) {
			// Letters with a diacritic (ў, ӂ, ѷ) transliterate via their base.
			if base := []rune(norm.NFD.String(string(r))); len(base) > 0 {
				if t, ok := cyrToLat[base[0]]; ok {
					b.WriteString(t)
					continue
				}
			}
		}
		b.WriteRune(r)
	}
	// Transliteration may produce decomposable sequences only in theory; NFC
	// keeps the output canonical.
	return norm.NFC.String(b.String())
}

// Fold returns the comparison form: Normalize followed by removal of all
// Latin diacritics (č ć → c, š → s, ž → z, đ → dj, dž → dz, ë → e, ç → c,
// ...). The result contains only lower-case letters, digits, spaces and
// the punctuation that was in the input.
func Fold(s string) string {
	if isASCII(s) {
		return foldASCII(s)
	}
	out := foldOnce(s)
	// Rare scripts (Cherokee case folding, Greek spacing accents) need a
	// second pass to reach a fixed point; ASCII output never does.
	for i := 0; i < 3 && !isASCII(out); i++ {
		next := foldOnce(out)
		if next == out {
			break
		}
		out = next
	}
	return out
}

// foldASCII is Fold of ASCII text, which most names and identifiers are,
// without the Unicode passes: lower case, runs of spaces and control
// characters as one space, none at the ends. FuzzFoldASCII holds it to
// the general path.
func foldASCII(s string) string {
	sep := func(c byte) bool { return c <= ' ' || c == 0x7f }
	clean := len(s) == 0 || !sep(s[0]) && !sep(s[len(s)-1])
	for i := 0; clean && i < len(s); i++ {
		c := s[i]
		clean = !('A' <= c && c <= 'Z') && (!sep(c) || c == ' ' && s[i+1] != ' ' && !sep(s[i+1]))
	}
	if clean {
		return s
	}
	b := make([]byte, 0, len(s))
	space := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if sep(c) {
			space = len(b) > 0
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b = append(b, c)
	}
	return string(b)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func foldOnce(s string) string {
	s = Normalize(s)
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if t, ok := latinFold[r]; ok {
			b.WriteString(t)
			continue
		}
		b.WriteRune(r)
	}
	out := b.String()
	if strings.HasSuffix(out, " ") || strings.HasPrefix(out, " ") || strings.Contains(out, "  ") {
		out = strings.Join(strings.Fields(out), " ")
	}
	return out
}

// isTokenSep reports the separators between name tokens: whitespace,
// hyphens, apostrophes and common punctuation.
func isTokenSep(r rune) bool {
	if unicode.IsSpace(r) {
		return true
	}
	switch r {
	case '-', '\'', '’', 'ʼ', '‘', '`', '´', '‐', '‑', '–', '—', ',', '.', ';',
		':', '/', '\\', '(', ')', '[', ']', '"', '“', '”', '„', '«', '»', '_':
		return true
	}
	return unicode.IsPunct(r) || unicode.IsSymbol(r)
}

// Tokens splits folded text into tokens on spaces, hyphens, apostrophes and
// punctuation. Empty tokens are dropped.
func Tokens(s string) []string {
	t := strings.FieldsFunc(Fold(s), isTokenSep)
	if len(t) == 0 {
		return nil
	}
	return t
}

func nfkc(s string) string {
	return norm.NFKC.String(strings.ToValidUTF8(s, ""))
}

package entity

import (
	"strings"
)

// Name is a person's name in comparison form. All tokens are folded (see
// Fold). Given and Family may be swapped in the source; the matcher treats
// order as free. Father holds the father's name (patronymic) when it was
// given explicitly, written in parentheses, or inferred from a three-part
// full name ("Agron Ilir Hoxha").
type Name struct {
	Given  []string
	Family []string
	Father []string
	// FromFull is true when the roles were guessed from a single full-name
	// string; the matcher then tries other role assignments too.
	FromFull bool
	// FatherInferred is true when Father was taken from the middle of a
	// full name by position rather than marked as such.
	FatherInferred bool
}

// IsZero reports whether no name token is known.
func (n Name) IsZero() bool {
	return len(n.Given) == 0 && len(n.Family) == 0 && len(n.Father) == 0
}

// AllTokens returns given, father and family tokens in that order.
func (n Name) AllTokens() []string {
	out := make([]string, 0, len(n.Given)+len(n.Family)+len(n.Father))
	out = append(out, n.Given...)
	out = append(out, n.Father...)
	return append(out, n.Family...)
}

// String renders the name as "given (father) family".
func (n Name) String() string {
	var parts []string
	if len(n.Given) > 0 {
		parts = append(parts, strings.Join(n.Given, " "))
	}
	if len(n.Father) > 0 {
		parts = append(parts, "("+strings.Join(n.Father, " ")+")")
	}
	if len(n.Family) > 0 {
		parts = append(parts, strings.Join(n.Family, " "))
	}
	return strings.Join(parts, " ")
}

// fatherMarkers are words that introduce a patronymic in free text
// ("Marko, sin Jovana, Petrović"; "Agron i biri i Ilirit"). They are dropped
// and the following token becomes the father's name.
var fatherMarkers = map[string]bool{
	"sin": true, "kci": true, "cerka": true, "kcerka": true, "biri": true,
	"bija": true, "son": true, "daughter": true,
}

// connectors may surround a father marker ("i biri i Ilirit", "son of").
var connectors = map[string]bool{"i": true, "e": true, "of": true}

// ParseName builds a Name from the usual separate columns. Any of them may
// be empty. full is used only when given and family are both empty; a part
// in parentheses inside any column is taken as the father's name.
func ParseName(given, family, father, full string) Name {
	var n Name
	var fp []string
	given, fp = splitParen(given)
	n.Father = append(n.Father, fp...)
	family, fp = splitParen(family)
	n.Father = append(n.Father, fp...)
	n.Given = Tokens(given)
	n.Family = Tokens(family)
	if f := Tokens(father); len(f) > 0 {
		n.Father = f
	}
	if len(n.Given) > 0 || len(n.Family) > 0 || strings.TrimSpace(full) == "" {
		return n
	}
	full, fp = splitParen(full)
	if len(fp) > 0 && len(n.Father) == 0 {
		n.Father = fp
	}
	toks := Tokens(full)
	toks = dropFatherMarkers(toks, &n)
	n.FromFull = true
	switch len(toks) {
	case 0:
	case 1:
		n.Family = toks
	case 2:
		n.Given, n.Family = toks[:1], toks[1:]
	default:
		// Balkan convention: given, father's name, family name. With an
		// explicit father this is a double given name instead.
		if len(n.Father) == 0 {
			n.Given, n.Father, n.Family = toks[:1], toks[1:len(toks)-1], toks[len(toks)-1:]
			n.FatherInferred = true
		} else {
			n.Given, n.Family = toks[:len(toks)-1], toks[len(toks)-1:]
		}
	}
	return n
}

func dropFatherMarkers(toks []string, n *Name) []string {
	if len(toks) < 4 {
		return toks
	}
	for i := 1; i < len(toks)-1; i++ {
		if fatherMarkers[toks[i]] {
			j := i + 1
			for j < len(toks)-1 && connectors[toks[j]] {
				j++
			}
			if len(n.Father) == 0 {
				n.Father = []string{toks[j]}
			}
			k := i
			for k > 1 && connectors[toks[k-1]] {
				k--
			}
			rest := append([]string{}, toks[:k]...)
			return append(rest, toks[j+1:]...)
		}
	}
	return toks
}

// splitParen removes parenthesised parts from s and returns them as folded
// tokens ("Petar (Jovan) Petrović" → "Petar  Petrović", [jovan]).
func splitParen(s string) (string, []string) {
	if !strings.ContainsAny(s, "([") {
		return s, nil
	}
	var out strings.Builder
	var inner []string
	depth := 0
	var cur strings.Builder
	for _, r := range s {
		switch {
		case r == '(' || r == '[':
			depth++
		case (r == ')' || r == ']') && depth > 0:
			depth--
			if depth == 0 {
				inner = append(inner, Tokens(cur.String())...)
				cur.Reset()
				out.WriteByte(' ')
			}
		case depth > 0:
			cur.WriteRune(r)
		default:
			out.WriteRune(r)
		}
	}
	if cur.Len() > 0 { // unbalanced: treat as ordinary text
		out.WriteByte(' ')
		out.WriteString(cur.String())
	}
	return out.String(), inner
}

// Phonetic returns a phonetic key for one folded name token, designed for
// South Slavic and Albanian spellings of the same name:
//
//   - dj, đ, gj, xh, dž, dz, x (Albanian dz) → J
//   - c, ć, č, ç, q, ts, ch, tsh, kj (Macedonian ќ) → C
//   - s, š, sh → S; z, ž, zh → Z; th → T; dh → D; ph → F; w → V
//   - lj, ll, l → L; nj, ny → N; rr → R; y → I; ck → K
//   - h is dropped (Mihailo/Mijailo, Hasan/Asan) except in the digraphs above
//   - j between two vowels or after i is dropped (Marija/Maria)
//   - ë and e are the same vowel (folding already removed the diaeresis)
//   - repeated codes collapse; a final vowel is dropped when the key is
//     longer than two codes (Hoxha/Hoxhë, Jovan/Jovana).
//
// The input should already be folded (see Fold); unfolded input is folded.
func Phonetic(tok string) string {
	if tok == "" {
		return ""
	}
	if !isFoldedASCII(tok) {
		tok = Fold(tok)
	}
	s := tok
	out := make([]byte, 0, len(s))
	isVowel := func(c byte) bool {
		return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || c == 'y'
	}
	has := func(i int, p string) bool { return strings.HasPrefix(s[i:], p) }
	for i := 0; i < len(s); {
		c := s[i]
		var code byte
		n := 1
		switch {
		case has(i, "dzh"):
			code, n = 'J', 3
		case has(i, "tsh") || has(i, "tch"):
			code, n = 'C', 3
		case has(i, "dj") || has(i, "gj") || has(i, "xh") || has(i, "dz"):
			code, n = 'J', 2
		case has(i, "ts") || has(i, "ch") || has(i, "kj") || has(i, "cz"):
			code, n = 'C', 2
		case has(i, "sh") || has(i, "sz"):
			code, n = 'S', 2
		case has(i, "zh"):
			code, n = 'Z', 2
		case has(i, "th"):
			code, n = 'T', 2
		case has(i, "dh"):
			code, n = 'D', 2
		case has(i, "ph"):
			code, n = 'F', 2
		case has(i, "lj"):
			code, n = 'L', 2
		case has(i, "nj") || has(i, "ny"):
			code, n = 'N', 2
		case has(i, "ck"):
			code, n = 'K', 2
		case c == 'c' || c == 'q':
			code = 'C'
		case c == 'x':
			code = 'J'
		case c == 'w':
			code = 'V'
		case c == 'y':
			code = 'I'
		case c == 'h':
			code = 0
		case c == 'j':
			prevV := i > 0 && isVowel(s[i-1])
			nextV := i+1 < len(s) && isVowel(s[i+1])
			if (prevV && nextV) || (i > 0 && s[i-1] == 'i') {
				code = 0
			} else {
				code = 'J'
			}
		case c >= 'a' && c <= 'z':
			code = c - 'a' + 'A'
		case c >= '0' && c <= '9':
			code = c
		default:
			code = 0
		}
		i += n
		if code == 0 {
			continue
		}
		if len(out) > 0 && out[len(out)-1] == code {
			continue
		}
		out = append(out, code)
	}
	if len(out) > 2 {
		switch out[len(out)-1] {
		case 'A', 'E', 'I', 'O', 'U':
			out = out[:len(out)-1]
		}
	}
	return string(out)
}

func isFoldedASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || (c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

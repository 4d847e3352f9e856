package activities

import (
	"sort"
	"strings"
	"unicode"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
)

// fold is the matching engine's comparison form: Cyrillic transliterated,
// diacritics removed, lower case.
func fold(s string) string { return strings.TrimSpace(entity.Fold(s)) }

// concepts maps word stems of the region's languages (Albanian, Bosnian,
// Croatian, Macedonian, Montenegrin, Serbian — after folding Cyrillic to
// Latin) and English to one English concept, so "Obuka o finansijskim
// istragama", "Trajnim për hetimin financiar" and "Training on financial
// investigations" compare as the same words. It is an immutable table; the
// first matching stem wins.
var concepts = []struct {
	concept string
	stems   []string
}{
	{"cybercrime", []string{"cybercrim", "cyber", "sajber", "kibern", "kiber"}},
	{"training", []string{"train", "obuk", "trajn", "kurs", "course", "workshop", "radion", "seminar", "edukim", "edukac", "educat", "obucav"}},
	{"investigation", []string{"investig", "istrag", "istraz", "hetim", "hetues", "istrazuv"}},
	{"financial", []string{"financ", "finansij", "financij", "financiar", "finansis"}},
	{"money", []string{"money", "novc", "novac", "parave", "paras", "pari"}},
	{"laundering", []string{"launder", "pranj", "pastrim", "perenj"}},
	{"drugs", []string{"drug", "narkot", "droge", "droga", "drog"}},
	{"trafficking", []string{"traffick", "trgovin", "trgovij", "trafik"}},
	{"human", []string{"human", "ljud", "njerez", "qenie", "lugje"}},
	{"smuggling", []string{"smuggl", "krijumcar", "kontraband", "sverc", "kriumcar"}},
	{"migrant", []string{"migra", "migrant"}},
	{"firearms", []string{"firearm", "weapon", "oruzj", "oruz", "arme", "armev", "oruzje"}},
	{"corruption", []string{"corrupt", "korupc", "korrups", "korupc"}},
	{"terrorism", []string{"terror", "teror"}},
	{"extremism", []string{"extrem", "ekstrem"}},
	{"border", []string{"border", "granic", "kufi", "granica"}},
	{"police", []string{"polic"}},
	{"prosecution", []string{"prosecut", "tuzil", "prokuror", "obvinit", "javn tuz"}},
	{"court", []string{"court", "sudov", "sudij", "gjykat", "judic", "pravosud"}},
	{"equipment", []string{"equip", "oprem", "pajisj"}},
	{"forensic", []string{"forensi", "forenzi", "forenzic", "kriminalist"}},
	{"intelligence", []string{"intellig", "obavest", "obavjest", "inteligjenc", "razuzn"}},
	{"analysis", []string{"analy", "anali"}},
	{"asset", []string{"asset", "imovin", "pasuri", "imot"}},
	{"confiscation", []string{"confisc", "oduzim", "konfisk", "zaplen", "sekuestr"}},
	{"recovery", []string{"recover", "povrat", "kthim"}},
	{"gender", []string{"gender", "rodn", "gjinor"}},
	{"violence", []string{"violen", "nasil", "dhun"}},
	{"domestic", []string{"domestic", "porodic", "familj", "semejn", "domac"}},
	{"cooperation", []string{"cooperat", "saradn", "suradn", "bashkepun", "sorabot", "bashkepunim"}},
	{"regional", []string{"region"}},
	{"capacity", []string{"capacit", "kapacit"}},
	{"officers", []string{"officer", "sluzben", "zyrtar", "sluzbenik", "sluzbenic"}},
	{"crime", []string{"crime", "crimin", "kriminal", "krim"}},
	{"organised", []string{"organis", "organiz", "organizuar", "organizovan", "organizira"}},
	{"joint", []string{"joint", "zajedn", "perbashk"}},
	{"operation", []string{"operat", "operac", "operacion"}},
	{"system", []string{"system", "sistem"}},
	{"database", []string{"database", "baza", "baze", "bazes"}},
	{"visit", []string{"visit", "poset", "posjet", "vizit"}},
	{"study", []string{"study", "studij", "studim", "studis"}},
	{"legislation", []string{"legisl", "zakon", "ligj"}},
	{"mentoring", []string{"mentor"}},
	{"special", []string{"special", "posebn", "specijal"}},
	{"techniques", []string{"techni", "tehnik", "teknik"}},
	{"undercover", []string{"undercover", "prikriv"}},
	{"victims", []string{"victim", "zrtv", "viktim"}},
	{"online", []string{"online", "internet", "onlajn"}},
	{"children", []string{"child", "djec", "dec", "femij", "deca"}},
	{"exploitation", []string{"exploit", "eksploat", "shfryt", "iskoris"}},
	{"evidence", []string{"evidence", "dokaz", "prova"}},
	{"digital", []string{"digital", "digjital"}},
}

// stopwords are dropped before comparing: function words of the region's
// languages and English, and words every activity uses.
var stopwords = map[string]bool{
	"the": true, "and": true, "for": true, "with": true, "from": true, "into": true, "their": true, "its": true, "our": true, "this": true, "that": true,
	"kroz": true, "prema": true, "preko": true, "kod": true, "oko": true, "radi": true, "ili": true, "kao": true, "koji": true, "koja": true, "koje": true,
	"per": true, "dhe": true, "nga": true, "mbi": true, "ose": true, "qe": true, "te": true, "ne": true, "me": true, "se": true, "si": true,
	"za": true, "na": true, "od": true, "vo": true, "so": true, "po": true, "pri": true, "iz": true, "sa": true, "do": true,
	"support": true, "project": true, "activity": true, "activities": true, "programme": true, "program": true, "podrska": true, "mbeshtetje": true,
	"projekat": true, "projekt": true, "projekti": true, "phase": true, "new": true, "nova": true, "novi": true,
}

// conceptOf maps one folded word to its concept, or returns it unchanged.
func conceptOf(w string) string {
	for _, c := range concepts {
		for _, st := range c.stems {
			if strings.HasPrefix(w, st) {
				return c.concept
			}
		}
	}
	return w
}

// Words returns the distinct concept words of a text, in order.
func Words(s string) []string {
	f := fold(s)
	seen := map[string]bool{}
	var out []string
	for _, w := range strings.FieldsFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		if len([]rune(w)) < 3 || stopwords[w] {
			continue
		}
		c := conceptOf(w)
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// similarity compares two word lists with the matching engine's
// Jaro–Winkler comparator: words pair when they score 0.9 or more (spelling
// variants, inflections the table misses), and the result is the share of
// paired words (Dice coefficient). It also returns the shared words.
func similarity(a, b []string) (float64, []string) {
	if len(a) == 0 || len(b) == 0 {
		return 0, nil
	}
	used := make([]bool, len(b))
	var shared []string
	for _, x := range a {
		best, bi := 0.0, -1
		for j, y := range b {
			if used[j] {
				continue
			}
			if s := match.JaroWinkler(x, y); s > best {
				best, bi = s, j
			}
		}
		if bi >= 0 && best >= 0.9 {
			used[bi] = true
			shared = append(shared, x)
		}
	}
	sort.Strings(shared)
	return 2 * float64(len(shared)) / float64(len(a)+len(b)), shared
}

// TextSimilarity compares the titles and descriptions of two activities in
// any of the region's languages and English: 60 % title, 40 % title with
// description, with the title's word-set similarity from the matching
// engine (match.TokenSetSimilarity) as a floor for near-identical titles.
func TextSimilarity(titleA, descA, titleB, descB string) (float64, []string) {
	ta, tb := Words(titleA), Words(titleB)
	st, sharedT := similarity(ta, tb)
	aa, ab := Words(titleA+" "+descA), Words(titleB+" "+descB)
	sa, sharedA := similarity(aa, ab)
	score := 0.6*st + 0.4*sa
	if ts := match.TokenSetSimilarity(ta, tb); ts > 0.97 && score < ts {
		score = ts
	}
	shared := sharedA
	if len(sharedT) > len(shared) {
		shared = sharedT
	}
	if score > 1 {
		score = 1
	}
	return score, shared
}

// searchText is the folded, concept-mapped text stored for search.
func searchText(parts ...string) string {
	seen := map[string]bool{}
	var out []string
	for _, p := range parts {
		f := fold(p)
		for _, w := range strings.FieldsFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
			for _, x := range []string{w, conceptOf(w)} {
				if !seen[x] {
					seen[x] = true
					out = append(out, x)
				}
			}
		}
	}
	return " " + strings.Join(out, " ") + " "
}

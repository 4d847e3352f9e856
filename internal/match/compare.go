// Package match links and deduplicates person records across agencies:
// candidate generation by blocking, field comparators, Fellegi–Sunter
// scoring with m/u probabilities learnt by EM, explanations, one-to-one
// assignment and clustering.
package match

import (
	"unicode/utf8"

	"github.com/liaison-wb/liaison/internal/entity"
)

// JaroWinkler returns the Jaro–Winkler similarity (prefix scale 0.1, up to
// four prefix characters) of two strings, in 0..1. Strings are compared
// rune by rune.
func JaroWinkler(a, b string) float64 {
	if a == b {
		if a == "" {
			return 0
		}
		return 1
	}
	if a == "" || b == "" {
		return 0
	}
	if isASCII(a) && isASCII(b) {
		return jaroWinkler(a, b)
	}
	return jaroWinklerRunes([]rune(a), []rune(b))
}

// jaroWinklerRunes handles non-ASCII input (rare after folding: other
// scripts).
func jaroWinklerRunes(a, b []rune) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	// Map runes to a dense byte alphabet when possible so the byte
	// implementation can be reused.
	idx := map[rune]byte{}
	ab, bb := make([]byte, len(a)), make([]byte, len(b))
	for i, r := range a {
		if _, ok := idx[r]; !ok {
			if len(idx) >= 255 {
				return 0
			}
			idx[r] = byte(len(idx) + 1)
		}
		ab[i] = idx[r]
	}
	for i, r := range b {
		v, ok := idx[r]
		if !ok {
			v = 0 // matches nothing in a
		}
		bb[i] = v
	}
	for i := range ab {
		if ab[i] == 0 {
			ab[i] = 255
		}
	}
	return jaroWinkler(ab, bb)
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func jaroWinkler[S ~string | ~[]byte](a, b S) float64 {
	if len(a) > len(b) {
		a, b = b, a
	}
	la, lb := len(a), len(b)
	win := lb/2 - 1
	if win < 0 {
		win = 0
	}
	var bufA, bufB [64]bool
	var ma, mb []bool
	if la <= 64 && lb <= 64 {
		ma, mb = bufA[:la], bufB[:lb]
	} else {
		ma, mb = make([]bool, la), make([]bool, lb)
	}
	matches := 0
	for i := 0; i < la; i++ {
		lo, hi := i-win, i+win+1
		if lo < 0 {
			lo = 0
		}
		if hi > lb {
			hi = lb
		}
		for j := lo; j < hi; j++ {
			if !mb[j] && a[i] == b[j] {
				ma[i], mb[j] = true, true
				matches++
				break
			}
		}
	}
	if matches == 0 {
		return 0
	}
	trans, k := 0, 0
	for i := 0; i < la; i++ {
		if !ma[i] {
			continue
		}
		for !mb[k] {
			k++
		}
		if a[i] != b[k] {
			trans++
		}
		k++
	}
	m := float64(matches)
	jaro := (m/float64(la) + m/float64(lb) + (m-float64(trans)/2)/m) / 3
	prefix := 0
	for prefix < 4 && prefix < la && a[prefix] == b[prefix] {
		prefix++
	}
	return jaro + float64(prefix)*0.1*(1-jaro)
}

// TokenSetSimilarity compares two token lists regardless of order: each
// token of the shorter list is paired with its most similar token
// (Jaro–Winkler) in the other list, and the mean is weighted by the share
// of tokens covered, so {"ana"} vs {"ana","marija"} scores below 1.
func TokenSetSimilarity(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	sum := 0.0
	for _, x := range a {
		best := 0.0
		for _, y := range b {
			if s := JaroWinkler(x, y); s > best {
				best = s
			}
		}
		sum += best
	}
	mean := sum / float64(len(a))
	// Partial cover: a subset is good evidence but not an exact match.
	if len(a) < len(b) {
		mean *= 0.92 + 0.08*float64(len(a))/float64(len(b))
	}
	return mean
}

// editDistance is the optimal-string-alignment distance (Levenshtein plus
// adjacent transposition), giving up above max (returns max+1).
func editDistance(a, b string, max int) int {
	// Common prefix and suffix never change the distance; stripping them
	// makes the usual near-identical identifiers cheap.
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	la, lb := len(a), len(b)
	if la-lb > max || lb-la > max {
		return max + 1
	}
	if la == 0 {
		return lb
	}
	if lb == 0 {
		return la
	}
	var buf [3 * 33]int
	var rows []int
	if lb+1 <= 33 {
		rows = buf[:3*(lb+1)]
	} else {
		rows = make([]int, 3*(lb+1))
	}
	prev2, prev, cur := rows[:lb+1], rows[lb+1:2*(lb+1)], rows[2*(lb+1):]
	for j := 0; j <= lb; j++ {
		prev[j] = j
	}
	for i := 1; i <= la; i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= lb; j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := prev[j] + 1
			if x := cur[j-1] + 1; x < v {
				v = x
			}
			if x := prev[j-1] + cost; x < v {
				v = x
			}
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				if x := prev2[j-2] + 1; x < v {
					v = x
				}
			}
			cur[j] = v
			if v < rowMin {
				rowMin = v
			}
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[lb]
}

// DateAgreement is the outcome of comparing two dates of birth.
type DateAgreement uint8

// Date agreement levels, strongest first.
const (
	DateMissing  DateAgreement = iota // either side unknown
	DateExact                         // same date (same precision)
	DateClose                         // day/month swapped, one digit wrong or two adjacent digits swapped
	DatePartial                       // same year, other parts unknown or one of month/day matching
	DateDisagree                      // anything else
)

// CompareDates compares two dates. aRaw and bRaw are optional 8-digit
// YYYYMMDD renderings used when a date was impossible (a typo such as
// month 13); pass "" to derive them from the dates.
func CompareDates(a, b entity.Date, aRaw, bRaw string) DateAgreement {
	if aRaw == "" {
		aRaw = a.Digits()
	}
	if bRaw == "" {
		bRaw = b.Digits()
	}
	if aRaw == "" || bRaw == "" {
		return DateMissing
	}
	if aRaw == bRaw {
		return DateExact
	}
	if a.Full() && b.Full() && a.Year == b.Year && a.Month == b.Day && a.Day == b.Month {
		return DateClose
	}
	if len(aRaw) == 8 && len(bRaw) == 8 && !hasUnknown(aRaw) && !hasUnknown(bRaw) {
		diff := 0
		for i := 0; i < 8; i++ {
			if aRaw[i] != bRaw[i] {
				diff++
			}
		}
		if diff == 1 || (diff == 2 && editDistance(aRaw, bRaw, 1) == 1) {
			return DateClose
		}
	}
	if a.Year != 0 && a.Year == b.Year {
		partial := !a.Full() || !b.Full()
		if partial && (a.Month == 0 || b.Month == 0 || a.Month == b.Month) {
			return DatePartial
		}
		if a.Month == b.Month || a.Day == b.Day {
			return DatePartial
		}
	}
	return DateDisagree
}

// hasUnknown reports a "00" month or day in a YYYYMMDD rendering.
func hasUnknown(d string) bool { return d[4:6] == "00" || d[6:8] == "00" }

// IDAgreement is the outcome of comparing two identifiers.
type IDAgreement uint8

// Identifier agreement levels.
const (
	IDMissing    IDAgreement = iota
	IDExact                  // identical after normalisation
	IDOneEdit                // one substitution, insertion, deletion or adjacent swap
	IDTwoEdits               // two edits (only for identifiers of 6+ characters)
	IDNearSerial             // same encoded date of birth, one edit in the rest (see compareIDs)
	IDDisagree
)

// CompareIDs compares two normalised identifiers.
func CompareIDs(a, b string) IDAgreement {
	if a == "" || b == "" {
		return IDMissing
	}
	if a == b {
		return IDExact
	}
	d := editDistance(a, b, 2)
	switch {
	case d == 1:
		return IDOneEdit
	case d == 2 && len(a) >= 6 && len(b) >= 6:
		return IDTwoEdits
	}
	return IDDisagree
}

// streetWords folds street-type words and their abbreviations in English,
// the South Slavic languages and Albanian to one form.
var streetWords = map[string]string{
	"street": "st", "st": "st", "str": "st", "ulica": "ul", "ul": "ul", "ulitsa": "ul",
	"road": "rd", "rd": "rd", "avenue": "ave", "ave": "ave", "av": "ave",
	"boulevard": "bul", "blvd": "bul", "bulevar": "bul", "bul": "bul", "bulevardi": "bul", "blv": "bul",
	"rruga": "rr", "rr": "rr", "sheshi": "sq", "trg": "sq", "square": "sq", "sq": "sq",
	"place": "pl", "pl": "pl", "crescent": "cres", "cres": "cres", "circuit": "cct", "cct": "cct",
	"drive": "dr", "dr": "dr", "court": "ct", "ct": "ct", "close": "cl", "cl": "cl", "lane": "ln", "ln": "ln",
	"parade": "pde", "pde": "pde", "terrace": "tce", "tce": "tce", "highway": "hwy", "hwy": "hwy",
	"nn": "nn", "bb": "nn",
}

// AddressTokens returns folded address tokens with street-type words
// abbreviated uniformly ("Ulica Kralja Petra" → [ul kralja petra]).
func AddressTokens(s string) []string {
	toks := entity.Tokens(s)
	for i, t := range toks {
		if w, ok := streetWords[t]; ok {
			toks[i] = w
		}
	}
	return toks
}

// AddressSimilarity compares two address lines (street names) in 0..1,
// order-free and tolerant of abbreviations and missing street types.
func AddressSimilarity(a, b string) float64 {
	return addrSim(AddressTokens(a), AddressTokens(b))
}

func addrSim(a, b []string) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	ja, jb := joinTokens(a), joinTokens(b)
	if ja == jb {
		return 1
	}
	// Street-type words carry little information: compare without them too.
	ca, cb := stripStreetWords(a), stripStreetWords(b)
	s := JaroWinkler(ja, jb)
	if len(ca) > 0 && len(cb) > 0 {
		if t := TokenSetSimilarity(ca, cb); t > s {
			s = t
		}
		if j := JaroWinkler(joinTokens(ca), joinTokens(cb)); j > s {
			s = j
		}
	}
	return s
}

func stripStreetWords(t []string) []string {
	out := make([]string, 0, len(t))
	for _, x := range t {
		if _, ok := streetWords[x]; !ok {
			out = append(out, x)
		}
	}
	return out
}

func joinTokens(t []string) string {
	switch len(t) {
	case 0:
		return ""
	case 1:
		return t[0]
	}
	n := len(t) - 1
	for _, x := range t {
		n += len(x)
	}
	b := make([]byte, 0, n)
	for i, x := range t {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, x...)
	}
	return string(b)
}

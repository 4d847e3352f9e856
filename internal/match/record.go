package match

import (
	"slices"
	"strings"

	"github.com/liaison-wb/liaison/internal/entity"
)

// Field identifies one compared attribute of a person record.
type Field uint8

// Compared fields, in explanation order.
const (
	FieldGiven Field = iota
	FieldFamily
	FieldFather
	FieldDOB
	FieldSex
	FieldID
	FieldAddress
	FieldRegion
	FieldPhone
	FieldNationality
	NumFields
)

var fieldNames = [NumFields]string{
	"given_name", "family_name", "father_name", "date_of_birth", "sex",
	"personal_id", "address", "state", "phone", "nationality",
}

// Level 0 is always "missing" (either side empty): it carries no weight.
var nameLevels = []string{"missing", "exact", "phonetic_or_close", "similar", "weak", "different"}

var levelNames = [NumFields][]string{
	FieldGiven:  nameLevels,
	FieldFamily: nameLevels,
	FieldFather: nameLevels,
	FieldDOB:    {"missing", "exact", "swap_or_typo", "same_year", "different"},
	FieldSex:    {"missing", "same", "different"},
	FieldID:     {"missing", "exact", "one_edit", "two_edits", "near_serial", "different"},
	// The address parts are one field: they are strongly correlated, and
	// counting them separately lets a shared household outvote the names.
	FieldAddress:     {"missing", "same_address", "same_street", "same_locality", "different"},
	FieldRegion:      {"missing", "same", "different"},
	FieldPhone:       {"missing", "exact", "close", "different"},
	FieldNationality: {"missing", "same", "different"},
}

// String returns the field's column-style name ("family_name").
func (f Field) String() string {
	if f < NumFields {
		return fieldNames[f]
	}
	return "unknown"
}

// Levels returns the agreement level names of a field; index 0 is
// "missing".
func (f Field) Levels() []string {
	if f < NumFields {
		return levelNames[f]
	}
	return nil
}

// ParseField returns the field with the given name.
func ParseField(s string) (Field, bool) {
	for i, n := range fieldNames {
		if n == s {
			return Field(i), true
		}
	}
	return 0, false
}

// Pattern packs one agreement level per field, 4 bits each.
type Pattern uint64

// Level returns the agreement level of field f.
func (p Pattern) Level(f Field) int { return int(p>>(4*uint(f))) & 15 }

func (p Pattern) with(f Field, level int) Pattern {
	return p | Pattern(level&15)<<(4*uint(f))
}

// namePart is one name role in comparison form.
type namePart struct {
	toks []string
	s    string // tokens joined by a space
	ph   string // phonetic keys joined by a space
}

func newNamePart(toks []string) namePart {
	if len(toks) == 0 {
		return namePart{}
	}
	ph := make([]string, len(toks))
	for i, t := range toks {
		ph[i] = entity.Phonetic(t)
	}
	return namePart{toks: toks, s: joinTokens(toks), ph: joinTokens(ph)}
}

// prepared is a person record in comparison form, computed once.
type prepared struct {
	given, family, father namePart
	fromFull              bool
	explicitFather        bool
	full                  []string // all name tokens except an explicit father, when fromFull
	dob                   entity.Date
	dobRaw                string
	sex                   entity.Sex
	id                    string
	idDate                int // leading characters of id that encode the date of birth
	streetNo              string
	street                addrPart
	line2                 addrPart
	city                  string
	postcode              string
	region                string
	phone                 string
	nationality           string
	sortKey               string
	// fullDOB: the record's own date of birth is full (dob may be taken
	// from its personal number).
	fullDOB bool
	// arrs, when set, are the name's arrangements computed once (a
	// search's probe, compared with every candidate).
	arrs []arrangement
}

func prepare(p *entity.Person) prepared {
	var r prepared
	n := p.Name
	r.given, r.family, r.father = newNamePart(n.Given), newNamePart(n.Family), newNamePart(n.Father)
	r.fromFull = n.FromFull
	r.explicitFather = len(n.Father) > 0 && !n.FatherInferred
	if n.FromFull {
		// A father that ParseName inferred from position may be a second
		// given name; keep all tokens for re-arrangement.
		r.full = append([]string{}, n.Given...)
		if n.FatherInferred {
			r.full = append(r.full, n.Father...)
		}
		r.full = append(r.full, n.Family...)
	}
	r.dob, r.fullDOB = p.DOB, p.DOB.Full()
	if p.DOB.Year != 0 {
		r.dobRaw = p.DOB.Digits()
	} else if d := digitsOnlyStr(p.DOBRaw); len(d) == 8 {
		r.dobRaw = d
	}
	pid := p.PersonalID
	// A number that encodes the date of birth gives it when the record
	// has none or only part of one (a year, often mistyped: 1576 for a
	// JMBG of 1976): the number's date is compared as the date of birth,
	// and the number past its date part.
	partial := r.dobRaw == "" || p.DOB.Year != 0 && (p.DOB.Month == 0 || p.DOB.Day == 0)
	if partial && (pid.Kind == entity.IDJMBG || pid.Kind == entity.IDAlbanian) && pid.DOB.Valid() && pid.DOB.Day != 0 {
		r.dob, r.dobRaw = pid.DOB, pid.DOB.Digits()
	}
	r.sex = p.Sex
	if r.sex == entity.SexUnknown && pid.Valid {
		r.sex = pid.Sex
	}
	r.id = pid.Number
	switch pid.Kind {
	case entity.IDJMBG:
		r.idDate = 7 // DDMMYYY
	case entity.IDAlbanian:
		r.idDate = 6 // decade letter, YYMMDD with the month +50 for women
	}
	a := p.Address
	r.streetNo = strings.Join(entity.Tokens(a.StreetNumber), "")
	r.street = newAddrPart(AddressTokens(a.Street))
	r.line2 = newAddrPart(AddressTokens(a.Line2))
	r.city = joinTokens(entity.Tokens(a.City))
	r.postcode = strings.Join(entity.Tokens(a.Postcode), "")
	r.region = joinTokens(entity.Tokens(a.Region))
	if a.Country != "" {
		if r.region == "" {
			r.region = strings.ToLower(entity.ParseCountry(a.Country))
		}
	}
	r.phone = p.Phone
	r.nationality = strings.ToLower(entity.ParseCountry(p.Nationality))
	toks := n.AllTokens()
	if n.FromFull {
		toks = r.full
	}
	sorted := slices.Clone(toks)
	slices.Sort(sorted)
	r.sortKey = joinTokens(sorted) + "|" + r.dobRaw
	return r
}

func digitsOnlyStr(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// nameSim is the similarity of two name parts in 0..1.
func nameSim(a, b *namePart) float64 {
	if len(a.toks) == 0 || len(b.toks) == 0 {
		return 0
	}
	if a.s == b.s {
		return 1
	}
	s := JaroWinkler(a.s, b.s)
	if len(a.toks) > 1 || len(b.toks) > 1 {
		if t := TokenSetSimilarity(a.toks, b.toks); t > s {
			s = t
		}
	}
	if a.ph == b.ph && s < 0.94 {
		s = 0.94
	}
	if s < similarName && oneEditApart(a.s, b.s) {
		s = similarName
	}
	return s
}

// similarName is the least similarity of the "similar" level.
const similarName = 0.88

// oneEditApart reports whether two names of four letters or more differ
// by one letter left out, added, changed or two neighbours swapped: the
// usual typing error. Jaro-Winkler scores such a typo in a short name or
// near its start (teodora / teedora, zana / zata) below the similar
// level, in the weak level where random pairs of surnames of one pattern
// are as common as true pairs, so the typo counted for nothing.
func oneEditApart(a, b string) bool {
	if max(len(a), len(b)) < 4 {
		return false
	}
	return editDistance(a, b, 1) <= 1
}

// nameLevel maps a name comparison to its agreement level.
func nameLevel(a, b *namePart, sim float64) int {
	if len(a.toks) == 0 || len(b.toks) == 0 {
		return 0
	}
	if a.s == b.s || (len(a.toks) == len(b.toks) && len(a.toks) > 1 && sameSet(a.toks, b.toks)) {
		return 1
	}
	switch {
	case sim >= 0.94 || a.ph == b.ph:
		return 2
	case sim >= similarName || isInitialOf(a, b) || isInitialOf(b, a):
		return 3
	case sim >= weakName:
		return 4
	}
	return 5
}

// weakName is the least similarity that is still some agreement of two
// names (the "weak" level); below it two names are different.
const weakName = 0.75

// agreement is what a name similarity counts for when the role
// assignments of two names are weighed against each other: nothing below
// the weak level, since two different names are no evidence however
// many letters they happen to share. Summing raw similarities let a swap
// of two unrelated names (0.6 + 0.7) outweigh one exact name beside a
// different one (1 + 0.4), and lose the exact one.
func agreement(sim float64) float64 {
	if sim < weakName {
		return 0
	}
	return sim
}

func isInitialOf(a, b *namePart) bool {
	return len(a.s) == 1 && len(b.s) > 0 && a.s[0] == b.s[0]
}

func sameSet(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !slices.Contains(a, x) {
			return false
		}
	}
	return true
}

// arrangement is one assignment of name tokens to roles.
type arrangement struct{ given, family, father namePart }

// arrangements lists the plausible role assignments of a record's name:
// as parsed and with given/family swapped; for a name taken from a single
// full-name string, every choice of given and family token.
func (r *prepared) arrangements(buf []arrangement) []arrangement {
	if r.arrs != nil {
		return r.arrs
	}
	buf = append(buf[:0], arrangement{r.given, r.family, r.father})
	if r.fromFull && len(r.full) >= 2 && len(r.full) <= 4 && !r.explicitFather {
		n := len(r.full)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				if i == j {
					continue
				}
				var rest []string
				for k := 0; k < n; k++ {
					if k != i && k != j {
						rest = append(rest, r.full[k])
					}
				}
				buf = append(buf, arrangement{newNamePart(r.full[i : i+1]), newNamePart(r.full[j : j+1]), newNamePart(rest)})
			}
		}
		return buf
	}
	if len(r.given.toks) > 0 && len(r.family.toks) > 0 {
		buf = append(buf, arrangement{r.family, r.given, r.father})
	}
	return buf
}

// compareNames picks the role assignment under which the two names agree
// best (name order is free) and returns the three name levels.
func compareNames(a, b *prepared) (lg, lf, lp int) {
	if a.fromFull && !b.fromFull {
		lg, lf, lp = compareNames(b, a)
		return
	}
	// Fast path: straight order agrees well.
	sg, sf := nameSim(&a.given, &b.given), nameSim(&a.family, &b.family)
	bestG, bestF, bestB := &a.given, &a.family, &a.father
	var x, y, z namePart
	if sg+sf < 1.9 || b.fromFull {
		var buf [16]arrangement
		best := agreement(sg) + agreement(sf)
		if len(a.father.toks) > 0 && len(b.father.toks) > 0 {
			best += 0.5 * agreement(nameSim(&a.father, &b.father))
		}
		arrs := b.arrangements(buf[:0])
		if !b.fromFull {
			arrs = a.arrangements(buf[:0])
		}
		for k, ar := range arrs {
			if k == 0 {
				continue // the straight order, already scored
			}
			var s1, s2, s3 float64
			var fa *namePart
			if b.fromFull {
				s1, s2 = nameSim(&a.given, &ar.given), nameSim(&a.family, &ar.family)
				fa = &ar.father
				if len(a.father.toks) > 0 && len(ar.father.toks) > 0 {
					s3 = 0.5 * agreement(nameSim(&a.father, &ar.father))
				}
			} else {
				s1, s2 = nameSim(&ar.given, &b.given), nameSim(&ar.family, &b.family)
				fa = &ar.father
				if len(ar.father.toks) > 0 && len(b.father.toks) > 0 {
					s3 = 0.5 * agreement(nameSim(&ar.father, &b.father))
				}
			}
			if s := agreement(s1) + agreement(s2) + s3; s > best+1e-9 {
				best = s
				x, y, z = ar.given, ar.family, *fa
				sg, sf = s1, s2
				if b.fromFull {
					bestG, bestF, bestB = nil, nil, nil // b side rearranged
				} else {
					bestG, bestF, bestB = &x, &y, &z
				}
			}
		}
	}
	if bestG == nil { // b was rearranged
		lg = nameLevel(&a.given, &x, sg)
		lf = nameLevel(&a.family, &y, sf)
		lp = nameLevel(&a.father, &z, nameSim(&a.father, &z))
		return
	}
	lg = nameLevel(bestG, &b.given, sg)
	lf = nameLevel(bestF, &b.family, sf)
	lp = nameLevel(bestB, &b.father, nameSim(bestB, &b.father))
	return
}

// compare computes the agreement pattern of two prepared records.
func compare(a, b *prepared) Pattern {
	var p Pattern
	lg, lf, lp := compareNames(a, b)
	p = p.with(FieldGiven, lg).with(FieldFamily, lf).with(FieldFather, lp)
	p = p.with(FieldDOB, int(CompareDates(a.dob, b.dob, a.dobRaw, b.dobRaw)))
	if a.sex != entity.SexUnknown && b.sex != entity.SexUnknown {
		p = p.with(FieldSex, sameDiff(a.sex == b.sex))
	}
	p = p.with(FieldID, int(compareIDs(a, b)))
	p = p.with(FieldAddress, addressLevel(a, b))
	if a.region != "" && b.region != "" {
		p = p.with(FieldRegion, sameDiff(a.region == b.region))
	}
	if a.phone != "" && b.phone != "" {
		switch {
		case a.phone == b.phone:
			p = p.with(FieldPhone, 1)
		case suffixEq(a.phone, b.phone, 7) || editDistance(a.phone, b.phone, 1) <= 1:
			p = p.with(FieldPhone, 2)
		default:
			p = p.with(FieldPhone, 3)
		}
	}
	if a.nationality != "" && b.nationality != "" {
		p = p.with(FieldNationality, sameDiff(a.nationality == b.nationality))
	}
	return p
}

// compareIDs compares identifiers. Numbers that encode the date of birth
// (JMBG/EMBG, Albanian) are compared in two parts, the date part and the
// rest (serial and check character), because the date part says nothing
// the date of birth (compared on its own) does not already say:
//
//   - Same date part: people born on the same day share it, so a number
//     one edit away in the rest is common between different persons. That
//     is its own level, near_serial, whose u a register model counts among
//     persons born on the same day; more than one edit is a disagreement.
//   - Date part one edit away, rest identical: one mistyped digit of the
//     date (the check character a typist leaves as it was), or persons
//     born a digit apart with the same serial. Also near_serial: counted
//     as a plain one-edit typo it outweighed two different names and
//     sexes (persons born the same day whose numbers differ only in the
//     sex coding of the month).
//   - Anything else is a disagreement: a date part and a rest that both
//     differ are two numbers, each with its own check character, which
//     one typo does not make.
func compareIDs(a, b *prepared) IDAgreement {
	if k := a.idDate; k > 0 && k == b.idDate && len(a.id) > k && len(a.id) == len(b.id) && a.id != b.id {
		switch {
		case a.id[:k] == b.id[:k]:
			if editDistance(a.id[k:], b.id[k:], 1) == 1 {
				return IDNearSerial
			}
		case a.id[k:] == b.id[k:] && editDistance(a.id[:k], b.id[:k], 1) == 1:
			return IDNearSerial
		}
		return IDDisagree
	}
	return CompareIDs(a.id, b.id)
}

func sameDiff(same bool) int {
	if same {
		return 1
	}
	return 2
}

func suffixEq(a, b string, n int) bool {
	return len(a) >= n && len(b) >= n && a[len(a)-n:] == b[len(b)-n:]
}

// addressLevel compares street (address lines 1 and 2), house number and
// locality (city, postcode) as one field.
func addressLevel(a, b *prepared) int {
	street := addrLevel(&a.street, &b.street)
	if street == 0 {
		street = addrLevel(&a.line2, &b.line2)
	}
	loc := 0 // 0 unknown, 1 agree, 2 disagree
	if a.city != "" && b.city != "" {
		loc = 2
		if a.city == b.city || JaroWinkler(a.city, b.city) >= 0.9 {
			loc = 1
		}
	}
	if a.postcode != "" && b.postcode != "" {
		if a.postcode == b.postcode {
			loc = 1
		} else if loc == 0 {
			loc = 2
		}
	}
	numAgree := a.streetNo != "" && a.streetNo == b.streetNo
	numDiffer := a.streetNo != "" && b.streetNo != "" && a.streetNo != b.streetNo
	switch {
	case street == 0 && loc == 0:
		return 0
	case street >= 1 && street <= 2 && !numDiffer && loc != 2 && (numAgree || loc == 1):
		return 1
	case street >= 1 && street <= 3 && loc != 2:
		return 2
	case loc == 1:
		return 3
	}
	return 4
}

// addrPart is an address line in comparison form, precomputed.
type addrPart struct {
	toks  []string
	s     string   // tokens joined
	core  []string // without street-type words
	coreS string
}

func newAddrPart(t []string) addrPart {
	c := stripStreetWords(t)
	return addrPart{toks: t, s: joinTokens(t), core: c, coreS: joinTokens(c)}
}

func addrPartSim(a, b *addrPart) float64 {
	if len(a.toks) == 0 || len(b.toks) == 0 {
		return 0
	}
	if a.s == b.s {
		return 1
	}
	s := JaroWinkler(a.s, b.s)
	if len(a.core) > 0 && len(b.core) > 0 {
		if t := TokenSetSimilarity(a.core, b.core); t > s {
			s = t
		}
		if j := JaroWinkler(a.coreS, b.coreS); j > s {
			s = j
		}
	}
	return s
}

func addrLevel(a, b *addrPart) int {
	if len(a.toks) == 0 || len(b.toks) == 0 {
		return 0
	}
	s := addrPartSim(a, b)
	switch {
	case s >= 1:
		return 1
	case s >= 0.92:
		return 2
	case s >= 0.8:
		return 3
	}
	return 4
}

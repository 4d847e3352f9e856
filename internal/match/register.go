package match

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/liaison-wb/liaison/internal/entity"
)

// Scoring a query against a register (a node's case database, its alert
// list) is a different question from linking two files: the probe is one
// person, the register holds N others, and at most one of them is the
// person sought. The register model answers it with
//
//   - u, the chance of each agreement level between two different persons,
//     counted on random pairs of the register itself (so a common surname
//     or a shared city weighs what it weighs in this country's data);
//   - m, the chance of each level between two registrations of the same
//     person by different agencies, from generic priors: a register holds
//     too few known duplicates to learn them, and m describes how agencies
//     record people, not this register;
//   - a prior per record of InRegister/N: the person sought is in the
//     register about half the time and then is one of its N records;
//   - ExclusivePosteriors, which share that prior between the candidates
//     found, so that a namesake scores low when the real person is also
//     found and a name shared by many records is not a hit on its own.

// InRegister is the assumed share of queries whose person is in the
// register.
const InRegister = 0.5

// MinRegister is the smallest register size the prior assumes: a small or
// new register does not make a query more likely to be about one of its
// few records than about anyone else in the population.
const MinRegister = 10000

// RegisterPrior is the prior match probability of one record of a register
// of n records.
func RegisterPrior(n int) float64 { return InRegister / float64(max(n, MinRegister)) }

// WithPrior is m with the prior of one record set to prior (the
// parameters are shared, not copied). A pair's weight depends on the
// prior through the household explanation (householdAware): the chance
// that a record is a relative of the person sought is that of it being
// the person, so a model fitted on a sample or on another register must
// weigh with the prior of the register it searches.
func (m *Model) WithPrior(prior float64) *Model {
	c := *m
	c.Prior = prior
	return &c
}

// registerM is P(level | same person, registered by two agencies): names
// mistyped or transliterated in about one record in five, dates with a
// typo or swapped day and month in about one in ten, family names changed
// by marriage, people who moved or changed phone numbers.
var registerM = [NumFields][]float64{
	FieldGiven:       {0, 0.82, 0.08, 0.05, 0.03, 0.02},
	FieldFamily:      {0, 0.80, 0.08, 0.05, 0.03, 0.04},
	FieldFather:      {0, 0.80, 0.08, 0.05, 0.03, 0.04},
	FieldDOB:         {0, 0.86, 0.08, 0.04, 0.02},
	FieldSex:         {0, 0.98, 0.02},
	FieldID:          {0, 0.90, 0.035, 0.02, 0.03, 0.015},
	FieldAddress:     {0, 0.45, 0.10, 0.20, 0.25},
	FieldRegion:      {0, 0.85, 0.15},
	FieldPhone:       {0, 0.60, 0.05, 0.35},
	FieldNationality: {0, 0.93, 0.07},
}

// populationU is P(level | two different persons) in a national
// population, used alone for an empty register and blended with the
// register's own counts (populationPairs pseudo-pairs) otherwise, so that
// levels too rare to be seen in a sample (the same identifier) keep a
// sensible value.
var populationU = [NumFields][]float64{
	FieldGiven:       {0, 0.01, 0.01, 0.02, 0.05, 0.91},
	FieldFamily:      {0, 0.005, 0.005, 0.01, 0.03, 0.95},
	FieldFather:      {0, 0.01, 0.01, 0.02, 0.05, 0.91},
	FieldDOB:         {0, 5e-5, 5e-4, 0.02, 0.97945},
	FieldSex:         {0, 0.5, 0.5},
	FieldID:          {0, 1e-7, 1e-6, 1e-5, nearSerialU, 1 - 1.11e-5 - nearSerialU},
	FieldAddress:     {0, 1e-4, 1e-3, 0.05, 0.9489},
	FieldRegion:      {0, 0.3, 0.7},
	FieldPhone:       {0, 1e-6, 1e-5, 1 - 1.1e-5},
	FieldNationality: {0, 0.7, 0.3},
}

const populationPairs = 1000.0

// nearSerialU is the share of persons born on the same day whose numbers
// differ by one edit after the date part (JMBG: region, serial and check
// digit; Albanian: serial and check letter), before a register's own
// count.
const nearSerialU = 0.01

// householdFields are shared by members of one household (siblings share
// a father's name, an address and a phone; relatives a nationality and a
// state). Counted as independent evidence, they let a brother outvote the
// given name and the date of birth; a register model weighs the household
// as a third explanation (householdAware).
var householdFields = []Field{FieldFather, FieldAddress, FieldRegion, FieldPhone, FieldNationality}

// FitRegister returns the register model for persons (a sample of the
// register, in any order): u counted on up to pairs random pairs of them
// (seeded, so the same sample gives the same model). Prior is
// RegisterPrior(len(persons)); callers set it from the register's
// current size.
func FitRegister(persons []entity.Person, pairs int, seed uint64) *Model {
	m := &Model{Fitted: true, Household: true, HouseholdMembers: defaultHouseholdMembers}
	var counts [NumFields][]float64
	for f := Field(0); f < NumFields; f++ {
		m.M[f] = slices.Clone(registerM[f])
		counts[f] = make([]float64, len(registerM[f]))
	}
	n := len(persons)
	// Each record is prepared once for the three counts below.
	prep := make([]prepared, n)
	for i := range persons {
		prep[i] = prepare(&persons[i])
	}
	var seen [NumFields]float64
	var cond [numConditionals][2][2]float64 // per conditional: levels of the field among pairs exact/close on the other
	if n >= 2 && pairs > 0 {
		pairs = min(pairs, n*(n-1)/2)
		r := rand.New(rand.NewPCG(seed, 0x5eed))
		for k := 0; k < pairs; k++ {
			i := r.IntN(n)
			j := r.IntN(n - 1)
			if j >= i {
				j++
			}
			p := compare(&prep[i], &prep[j])
			for f := Field(0); f < NumFields; f++ {
				if l := p.Level(f); l > 0 && l < len(counts[f]) {
					counts[f][l]++
					seen[f]++
				}
			}
			for c, cd := range conditionals {
				if lo, l := p.Level(cd.on), p.Level(cd.f); (lo == 1 || lo == 2) && (l == 1 || l == 2) {
					cond[c][lo-1][l-1]++
				}
			}
		}
	}
	// The conditionals' counts are blended with their stated shares (20
	// pseudo-pairs each).
	for c, cd := range conditionals {
		for o, prior := range cd.same {
			seenO := cond[c][o][0] + cond[c][o][1]
			m.UCond[c][o] = [2]float64{(cond[c][o][0] + 20*prior) / (seenO + 20), (cond[c][o][1] + 20*(1-prior)) / (seenO + 20)}
		}
	}
	for f := Field(0); f < NumFields; f++ {
		u := make([]float64, len(populationU[f]))
		for l := 1; l < len(u); l++ {
			u[l] = (counts[f][l] + populationPairs*populationU[f][l]) / (seen[f] + populationPairs)
		}
		m.U[f] = u
	}
	// near_serial only occurs between persons born on the same day, whose
	// date agreement is already counted: its u is the share among them.
	near, same := sameBirthSerials(prep)
	m.U[FieldID][IDNearSerial] = (near + 100*nearSerialU) / (same + 100)
	m.Prior = RegisterPrior(n)
	m.computeWeights()
	m.fitNameFrequencies(prep)
	return m
}

// sameBirthSerials counts, among pairs of persons whose identifiers encode
// the same date of birth, those one edit apart after it (near) and all
// (same), up to 200 pairs per date.
func sameBirthSerials(prep []prepared) (near, same float64) {
	groups := map[string][]prepared{}
	for _, r := range prep {
		if r.idDate > 0 && len(r.id) > r.idDate {
			k := r.id[:r.idDate]
			groups[k] = append(groups[k], r)
		}
	}
	for _, g := range groups {
		n := 0
		for i := 0; i < len(g) && n < 200; i++ {
			for j := i + 1; j < len(g) && n < 200; j++ {
				if g[i].id == g[j].id {
					continue // the same number twice: a duplicate, not two persons
				}
				n++
				same++
				if compareIDs(&g[i], &g[j]) == IDNearSerial {
					near++
				}
			}
		}
	}
	return near, same
}

// fitNameFrequencies counts the given and family names of the sample (as
// compared), for term-frequency weights: agreeing on a name that one
// person in two thousand has is stronger evidence than agreeing on one
// that one in forty has.
func (m *Model) fitNameFrequencies(prep []prepared) {
	counts := [2]map[string]float64{{}, {}}
	full := map[string]float64{}
	n := 0.0
	for i := range prep {
		r := &prep[i]
		if r.fromFull {
			continue // roles unknown
		}
		n++
		if r.given.s != "" {
			counts[0][r.given.s]++
		}
		if r.family.s != "" {
			counts[1][r.family.s]++
		}
		if r.given.s != "" && r.family.s != "" {
			full[r.given.s+"|"+r.family.s]++
		}
	}
	if n < 1000 {
		return // too few to tell common names from rare ones
	}
	for i, f := range []Field{FieldGiven, FieldFamily} {
		for k := range counts[i] {
			counts[i][k] /= n
		}
		m.Freq[f] = counts[i]
		m.FreqFloor[f] = 0.5 / n
	}
	// A full name seen once may be the very person a query is about; only
	// combinations seen twice or more say how common they are.
	m.FullNames = map[string]float64{}
	for k, c := range full {
		if c >= 2 {
			m.FullNames[k] = c / n
		}
	}
}

// nameWeight is the weight of a name field at a level, for exact
// agreement on value weighed by how common the name is when the model
// has name frequencies.
func (m *Model) nameWeight(f Field, level int, value string) float64 {
	fr := m.Freq[f]
	if level != 1 || fr == nil || value == "" {
		return m.Weight(f, level)
	}
	u := max(fr[value], m.FreqFloor[f])
	return min(30, max(-30, math.Log2(m.M[f][1]/u)))
}

// nameValue is the name compared at the exact level: taken from the side
// whose roles are known.
func nameValue(a, b *prepared, f Field) string {
	switch {
	case b != nil && !b.fromFull:
		return b.value(f)
	case a != nil && !a.fromFull:
		return a.value(f)
	}
	return ""
}

// PairWeight is a pair's weight with exact name agreement weighed by the
// name's frequency in the register (models from FitRegister); otherwise
// the pair's weight.
func (r *Result) PairWeight(p Pair) float64 {
	m := r.Model
	if m == nil || (m.Freq[FieldGiven] == nil && m.Freq[FieldFamily] == nil) {
		return p.Weight
	}
	a, b := r.sides(p)
	w := p.Weight
	var tf [2]float64
	for i, f := range []Field{FieldGiven, FieldFamily} {
		if l := p.Pattern.Level(f); l == 1 {
			tf[i] = m.nameWeight(f, 1, nameValue(a, b, f))
			w += tf[i] - m.Weight(f, 1)
		}
	}
	if p.Pattern.Level(FieldGiven) == 1 && p.Pattern.Level(FieldFamily) == 1 {
		g, f := nameValue(a, b, FieldGiven), nameValue(a, b, FieldFamily)
		if share, ok := m.FullNames[g+"|"+f]; ok {
			joint := min(30, math.Log2(m.M[FieldGiven][1]*m.M[FieldFamily][1]/share))
			if joint < tf[0]+tf[1] {
				w += joint - tf[0] - tf[1]
			}
		}
	}
	return w
}

// householdWeight is the household fields' weight as one observation
// (they are correlated: one country, one town, one family): the strongest
// agreement plus the strongest disagreement among them.
func (m *Model) householdWeight(p Pattern) float64 {
	var pos, neg float64
	for _, f := range householdFields {
		w := m.patternWeight(p, f)
		pos, neg = max(pos, w), min(neg, w)
	}
	return pos + neg
}

// twinShare is the share of household members born on the same day as
// another (twins, and the odd registration error), for householdAware.
const twinShare = 0.02

// Household members per record: a national register has about two
// (defaultHouseholdMembers); a file's own figure is learnt by EM within
// these bounds.
const (
	defaultHouseholdMembers = 2.0
	minHouseholdMembers     = 0.01
	maxHouseholdMembers     = 20.0
)

// householdAware turns a pair's weight (log2 of P(pattern | same
// person) / P(pattern | unrelated)) into one that also weighs the third
// explanation: a member of the same household, who shares the family
// name and the household fields and differs like anyone else on the given
// name, date of birth (except twins), sex and identifier. With h household
// members per record (HouseholdMembers),
//
//	weight = −log2(2^−w + h·prior·2^−b)
//
// where b sums the weights of the fields a household member does not
// share.
func (m *Model) householdAware(p Pattern, w float64) float64 {
	prior := math.Min(math.Max(m.Prior, 1e-12), 0.5)
	return -logSumExp2([]float64{-w, math.Log2(m.members()*prior) - m.householdApart(p)})
}

// members is HouseholdMembers, or the register's default when unset.
func (m *Model) members() float64 {
	if m.HouseholdMembers > 0 {
		return m.HouseholdMembers
	}
	return defaultHouseholdMembers
}

// householdApart is b of householdAware: the weights of the fields a
// member of the same household does not share with the record.
func (m *Model) householdApart(p Pattern) float64 {
	var b float64
	for f := Field(0); f < NumFields; f++ {
		if f == FieldFamily || slices.Contains(householdFields, f) {
			continue
		}
		l := p.Level(f)
		if f == FieldDOB && l == int(DateExact) && l < len(m.M[f]) {
			// Twins: a household member is born on the same day far more
			// often than a stranger.
			b += math.Log2(m.M[f][l] / twinShare)
			continue
		}
		b += m.patternWeight(p, f)
	}
	return b
}

// conditionals are the two-level fields weighed, beside agreement on
// another field, against u counted among such pairs (Model.UCond), with
// the share of "same" assumed for different persons who agree exactly or
// closely on the other field.
var conditionals = [numConditionals]struct {
	f, on Field
	same  [2]float64
}{
	{FieldSex, FieldGiven, [2]float64{0.99, 0.9}},
	{FieldNationality, FieldFamily, [2]float64{0.8, 0.7}},
	{FieldRegion, FieldFamily, [2]float64{0.7, 0.6}},
}

const numConditionals = 3

// statedUCond returns the conditional u that the stated shares give
// alone: a model written before a conditional was added reads it so.
func statedUCond(c int) [2][2]float64 {
	var u [2][2]float64
	for o, same := range conditionals[c].same {
		u[o] = [2]float64{same, 1 - same}
	}
	return u
}

// patternWeight is field f's weight in pattern p: its own, except for a
// conditional field beside agreement on its other field (UCond).
func (m *Model) patternWeight(p Pattern, f Field) float64 {
	l := p.Level(f)
	if (l == 1 || l == 2) && m.UCond != [numConditionals][2][2]float64{} {
		for c, cd := range conditionals {
			if cd.f != f {
				continue
			}
			if lo := p.Level(cd.on); lo == 1 || lo == 2 {
				u := m.UCond[c][lo-1]
				w := func(l int) float64 {
					return min(max(math.Log2(math.Max(m.M[f][l], 1e-12)/math.Max(u[l-1], 1e-12)), -30), 30)
				}
				if l == 2 {
					// A disagreement is never evidence for the pair, and
					// never weighs more than the agreement.
					return min(w(2), w(1), 0)
				}
				return w(1)
			}
		}
	}
	return m.Weight(f, l)
}

// ExclusivePosteriors turns the match weights (bits) of the candidates
// found for one probe in a register into match probabilities, given the
// prior of one record (RegisterPrior): the person sought is at most one of
// them, so
//
//	P(i) = prior·2^w(i) / ((1 − InRegister) + prior·Σ 2^w(j)).
//
// Records not found as candidates are taken to add nothing to the sum.
func ExclusivePosteriors(weights []float64, prior float64) []float64 {
	out := make([]float64, len(weights))
	if len(weights) == 0 {
		return out
	}
	lp := math.Log2(prior)
	terms := make([]float64, 0, len(weights)+1)
	terms = append(terms, math.Log2(1-InRegister))
	for _, w := range weights {
		terms = append(terms, lp+w)
	}
	den := logSumExp2(terms)
	for i, w := range weights {
		out[i] = math.Exp2(lp + w - den)
	}
	return out
}

// JointPosteriors gives each candidate that agrees with the probe on the
// full date of birth the summed posterior of the candidates that agree
// with it in exactly the same way (the same pattern), and leaves the
// others as they are; posts are ExclusivePosteriors and are changed in
// place. The exclusive posteriors assume the person sought is at most one
// record, so records the probe cannot tell apart (one person entered
// twice, alerted by two countries, or namesakes born the same day) split
// the probability and none reaches a high band, though the person sought
// is one of them with their summed probability. Each is reported with it;
// an identity document tells them apart. Without an agreeing full date a
// name is shared by too many records for their sum to mean anything.
func JointPosteriors(posts []float64, patterns []Pattern) []float64 {
	sums := map[Pattern]float64{}
	for i, p := range patterns {
		if DateAgreement(p.Level(FieldDOB)) == DateExact {
			sums[p] += posts[i]
		}
	}
	for i, p := range patterns {
		if sum, ok := sums[p]; ok {
			posts[i] = min(1, sum)
		}
	}
	return posts
}

// fileSample is how many records of a file FitRegister counts u on.
const fileSample = 20000

// fitFile is the model of a linkage or deduplication run: the register
// model's u, name frequencies and household, counted on (up to 20,000
// evenly spaced) records of the input (of its larger side for a link); a prior per pair of
// InRegister/N (about half the records of the smaller side have a partner
// in the other, N the larger side, or half the records a duplicate); and m
// learnt by EM on the candidate pairs with u and the prior held, starting
// from the register priors. Holding u (counted on random pairs, which
// are non-matches) and the prior keeps EM from mistaking the structured
// non-matches that blocking produces ("same name, other birth date") for
// the matches.
func fitFile(recs []entity.Person, split int, counts map[Pattern]int64, iters int) *Model {
	// In a linkage, u is counted within the larger side: pairs across
	// the sides hold the very matches sought, which in a small file are
	// not a negligible share of them.
	from := recs
	if split >= 0 {
		if from = recs[:split]; len(recs)-split > split {
			from = recs[split:]
		}
	}
	step := max(1, len(from)/fileSample)
	sample := make([]entity.Person, 0, min(len(from), fileSample))
	for i := 0; i < len(from); i += step {
		sample = append(sample, from[i])
	}
	m := FitRegister(sample, 200000, 1)
	n := len(recs)
	if split >= 0 {
		n = max(split, len(recs)-split)
	}
	m.Prior = RegisterPrior(n)
	if iters <= 0 {
		iters = 20
	}
	pairs := float64(n) * float64(n-1) / 2
	if split >= 0 {
		pairs = float64(split) * float64(len(recs)-split)
	}
	m.Iterations = m.fitM(counts, min(iters, 50), pairs)
	return m
}

// mPseudoPairs is the weight of the register priors for m in fitM, in
// pairs: a file with few matches keeps them.
const mPseudoPairs = 50.0

// fitM re-estimates m from the candidate pairs' agreement patterns by EM,
// u and the prior held; it returns the iterations run. With the household
// explanation it also learns how many household members a record has
// (HouseholdMembers): the expected household pairs among the candidates
// over prior × pairs, the number of pairs in the whole file (members of a
// household share a family name and an address, so blocking puts them
// among the candidates).
func (m *Model) fitM(counts map[Pattern]int64, iters int, pairs float64) int {
	prior := math.Min(math.Max(m.Prior, 1e-12), 0.5)
	for it := 1; it <= iters; it++ {
		var num [NumFields][]float64
		var den [NumFields]float64
		for f := Field(0); f < NumFields; f++ {
			num[f] = make([]float64, len(m.M[f]))
		}
		households := 0.0
		for p, c := range counts {
			_, post := m.Score(p)
			if m.Household && pairs > 0 {
				// The three explanations on the odds scale of "unrelated":
				// the same person, a household member, unrelated.
				w := m.plainWeight(p)
				lp := math.Log2(prior)
				hh := math.Log2(m.members()) + lp + w - m.householdApart(p)
				households += math.Exp2(hh-logSumExp2([]float64{0, lp + w, hh})) * float64(c)
			}
			w := post * float64(c)
			for f := Field(0); f < NumFields; f++ {
				if l := p.Level(f); l > 0 && l < len(num[f]) {
					num[f][l] += w
					den[f] += w
				}
			}
		}
		moved := 0.0
		for f := Field(0); f < NumFields; f++ {
			for l := 1; l < len(num[f]); l++ {
				v := (num[f][l] + mPseudoPairs*registerM[f][l]) / (den[f] + mPseudoPairs)
				moved = max(moved, math.Abs(v-m.M[f][l]))
				m.M[f][l] = v
			}
		}
		if m.Household && pairs > 0 {
			// One expected pair's worth of the register's default keeps a
			// small file (a handful of records) near it.
			h := (households + defaultHouseholdMembers) / (prior*pairs + 1)
			h = min(max(h, minHouseholdMembers), maxHouseholdMembers)
			moved = max(moved, math.Abs(h-m.members())/m.members())
			m.HouseholdMembers = h
		}
		m.computeWeights()
		if moved < 1e-6 {
			return it
		}
	}
	return iters
}

// plainWeight is a pattern's weight without the household explanation.
func (m *Model) plainWeight(p Pattern) float64 {
	var w float64
	for f := Field(0); f < NumFields; f++ {
		if !m.Household || !slices.Contains(householdFields, f) {
			w += m.patternWeight(p, f)
		}
	}
	if m.Household {
		w += m.householdWeight(p)
	}
	return w
}

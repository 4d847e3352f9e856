package pprl

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/liaison-wb/liaison/internal/match"
)

// DiceBins is the number of equal-width Dice bins of a DiceModel.
const DiceBins = 40

// DiceModel is a Fellegi–Sunter model with one comparison, the Dice
// coefficient of two encodings cut into DiceBins levels: m and u are the
// level distributions among matches and non-matches, learnt with EM from
// the candidate pairs themselves (no labels), and Prior the share of
// matches among candidate pairs. The match weight log2(m/u) is made
// non-decreasing in Dice (pool-adjacent-violators), so a higher Dice never
// scores lower. Its posterior feeds the matching engine's decision bands.
//
// With Groups the model is field by field instead: one comparison per
// field-group filter, its Dice cut into GroupBins levels beside a level
// for "empty on either side", the weights of the groups added
// (Fellegi–Sunter, the groups taken as independent given the match
// status). The record-level M and U are still kept for encodings
// without field groups.
//
// With Household the non-matches are two classes: members of the same
// household (siblings and twins share the family name, father, address
// and often the phone, and differ on the given name, the date of birth
// but for twins, the identifier and often the sex), a share Household of
// the non-matching candidates with level distributions H, and everyone
// else with U. Counted together with the others, household members make
// "same father, address and phone" look like evidence of the same person.
type DiceModel struct {
	M         []float64    `json:"m"`
	U         []float64    `json:"u"`
	Prior     float64      `json:"prior"`
	Household float64      `json:"household,omitempty"`
	Groups    []GroupModel `json:"groups,omitempty"`
	w         []float64
}

// GroupBins is the number of Dice levels of a field group.
const GroupBins = 20

// GroupModel is the comparison of one field group: level 0 is "empty on
// at least one side" (weight 0: a missing value is no evidence either
// way), levels 1..GroupBins the group's Dice in equal-width bins. H is
// the level distribution among members of the same household (empty: no
// household class).
type GroupModel struct {
	Identifier string `json:"identifier"`
	L          int    `json:"l"`
	// Layout fingerprints the group's features, their budgets and
	// tokenisation and the schema's hardening (groupLayout): the levels a
	// group gives depend on all of them.
	Layout string    `json:"layout,omitempty"`
	M      []float64 `json:"m"`
	U      []float64 `json:"u"`
	H      []float64 `json:"h,omitempty"`
	w, wh  []float64
}

func groupLevel(d float64) int {
	return 1 + min(GroupBins-1, max(0, int(d*GroupBins)))
}

func bin(d float64) int {
	return min(DiceBins-1, max(0, int(d*DiceBins)))
}

//go:embed testdata/dice_model.json
var defaultModelJSON []byte

// DefaultDiceModel is the model fitted on synthetic Western Balkan
// candidate pairs (seed and size in TestFitDefaultModel), not on the
// development sets quality is measured on.
func DefaultDiceModel() *DiceModel {
	var m DiceModel
	if err := json.Unmarshal(defaultModelJSON, &m); err != nil || len(m.M) != DiceBins || len(m.U) != DiceBins {
		panic(fmt.Sprintf("pprl: default dice model unreadable: %v", err))
	}
	for _, g := range m.Groups {
		if len(g.M) != GroupBins+1 || len(g.U) != GroupBins+1 || (m.Household > 0 && len(g.H) != GroupBins+1) {
			panic("pprl: default dice model: group " + g.Identifier + " has the wrong number of levels")
		}
	}
	m.weights()
	return &m
}

// FitDiceModel fits a model to labelled candidate pairs: m and u are the
// Dice histograms of matches and non-matches (smoothed), Prior the share
// of matches. The regional default is fitted so on generated data whose
// truth is known (TestFitDefaultModel); a free histogram per class is not
// identifiable from one unlabelled similarity, which is why this is not
// EM.
func FitDiceModel(dice []float64, isMatch []bool) *DiceModel {
	m := &DiceModel{M: make([]float64, DiceBins), U: make([]float64, DiceBins)}
	nm := 0.0
	for i, d := range dice {
		if isMatch[i] {
			m.M[bin(d)]++
			nm++
		} else {
			m.U[bin(d)]++
		}
	}
	// Smooth: half a pair per bin, so an empty bin is rare, not impossible.
	for b := range DiceBins {
		m.M[b] += 0.5
		m.U[b] += 0.5
	}
	norm(m.M)
	norm(m.U)
	m.Prior = (nm + 1) / (float64(len(dice)) + 2)
	m.weights()
	return m
}

func norm(v []float64) {
	s := 0.0
	for _, x := range v {
		s += x
	}
	if s == 0 {
		return
	}
	for i := range v {
		v[i] /= s
	}
}

// weights computes log2(m/u) per level, made non-decreasing in Dice.
func (m *DiceModel) weights() {
	m.w = monotoneWeights(m.M, m.U)
	for i := range m.Groups {
		g := &m.Groups[i]
		g.w = append([]float64{0}, monotoneWeights(g.M[1:], g.U[1:])...)
		g.wh = nil
		if m.household() {
			g.wh = append([]float64{0}, monotoneWeights(g.M[1:], g.H[1:])...)
		}
	}
}

// household reports whether the field-group model has the household
// class.
func (m *DiceModel) household() bool {
	if !(m.Household > 0 && m.Household < 1) || len(m.Groups) == 0 {
		return false
	}
	for _, g := range m.Groups {
		if len(g.H) != len(g.M) {
			return false
		}
	}
	return true
}

// monotoneWeights is log2(m/u) per level, bounded to ±30 bits and made
// non-decreasing by pool-adjacent-violators weighted by the pairs in each
// level, so that a higher Dice never scores lower.
func monotoneWeights(mv, uv []float64) []float64 {
	n := len(mv)
	w := make([]float64, n)
	wt := make([]float64, n)
	for b := range n {
		w[b] = math.Log2(math.Max(mv[b], 1e-12) / math.Max(uv[b], 1e-12))
		w[b] = math.Max(-30, math.Min(30, w[b]))
		wt[b] = mv[b] + uv[b] + 1e-9
	}
	type block struct {
		sum, wt float64
		n       int
	}
	var st []block
	for b := range n {
		st = append(st, block{w[b] * wt[b], wt[b], 1})
		for len(st) > 1 && st[len(st)-2].sum/st[len(st)-2].wt > st[len(st)-1].sum/st[len(st)-1].wt {
			a, c := st[len(st)-2], st[len(st)-1]
			st = append(st[:len(st)-2], block{a.sum + c.sum, a.wt + c.wt, a.n + c.n})
		}
	}
	out := make([]float64, 0, n)
	for _, bl := range st {
		for range bl.n {
			out = append(out, bl.sum/bl.wt)
		}
	}
	return out
}

// Weight is the match weight (bits) of a Dice coefficient.
func (m *DiceModel) Weight(d float64) float64 { return m.w[bin(d)] }

// Posterior is the match probability of a Dice coefficient.
func (m *DiceModel) Posterior(d float64) float64 {
	prior := math.Min(math.Max(m.Prior, 1e-12), 1-1e-12)
	lo := m.Weight(d) + math.Log2(prior/(1-prior))
	return 1 / (1 + math.Exp2(-lo))
}

// Band is the matching engine's decision band of a Dice coefficient.
func (m *DiceModel) Band(d float64) string { return match.Band(m.Posterior(d)) }

// WithPrior returns a copy of m whose prior is refitted by EM to the Dice
// coefficients of one run's candidate pairs, the m and u distributions
// kept: the share of matches among candidates depends on the files and
// the blocking (a deduplication file full of duplicates has many), and it
// is identifiable from the data once m and u are fixed.
func (m *DiceModel) WithPrior(dice []float64, maxIter int) *DiceModel {
	out := &DiceModel{M: m.M, U: m.U, Prior: m.Prior, Household: m.Household, Groups: m.Groups, w: m.w}
	if len(dice) == 0 {
		return out
	}
	counts := make([]float64, DiceBins)
	for _, d := range dice {
		counts[bin(d)]++
	}
	for it := 0; it < maxIter; it++ {
		sm := 0.0
		for b, c := range counts {
			if c == 0 {
				continue
			}
			pm := out.Prior * m.M[b]
			pu := (1 - out.Prior) * m.U[b]
			sm += c * pm / (pm + pu)
		}
		prior := math.Min(math.Max(sm/float64(len(dice)), 1e-6), 1-1e-6)
		done := math.Abs(prior-out.Prior) < 1e-9
		out.Prior = prior
		if done {
			break
		}
	}
	return out
}

// Compare returns the match weight (bits) of two encodings and the Dice
// coefficient of their record-level filters: field by field when the
// model and both encodings have the same field groups, else by the
// record-level Dice.
func (m *DiceModel) Compare(a, b *Encoding) (weight, dice float64) {
	dice = Dice(a.Bits, b.Bits, a.Count, b.Count)
	if !m.fieldWise(a, b) {
		return m.Weight(dice), dice
	}
	var buf [16]uint8
	return m.WeightOfLevels(m.Levels(a, b, buf[:0])), dice
}

// Levels appends the field-group levels of two encodings (nil when the
// comparison is not field by field).
func (m *DiceModel) Levels(a, b *Encoding, out []uint8) []uint8 {
	if !m.fieldWise(a, b) {
		return out
	}
	off := 0
	for i := range m.Groups {
		n := m.Groups[i].L / 64
		out = append(out, uint8(groupLevelOf(a, b, off, n)))
		off += n
	}
	return out
}

// WeightOfLevels is the match weight of field-group levels: the sum of
// the groups' weights against unrelated persons, or with the household
// class the weight against the non-matches of both kinds,
//
//	weight = −log2((1 − s)·2^−wu + s·2^−wh)
//
// where wu sums the weights against unrelated persons, wh those against
// household members and s is Household.
func (m *DiceModel) WeightOfLevels(lv []uint8) float64 {
	wu, wh := m.levelWeights(lv)
	if !m.household() || wu == wh {
		return wu // exactly: all groups missing weigh 0
	}
	return -logSumExp2(math.Log2(1-m.Household)-wu, math.Log2(m.Household)-wh)
}

// levelWeights sums the groups' weights against unrelated persons (wu)
// and against household members (wh, 0 without the household class).
func (m *DiceModel) levelWeights(lv []uint8) (wu, wh float64) {
	hh := m.household()
	for i, l := range lv {
		g := &m.Groups[i]
		wu += g.w[l]
		if hh {
			wh += g.wh[l]
		}
	}
	return wu, wh
}

func logSumExp2(a, b float64) float64 {
	hi, lo := max(a, b), min(a, b)
	return hi + math.Log2(1+math.Exp2(lo-hi))
}

// WithEM returns a copy of m whose field-group m and u distributions and
// prior are refitted by EM to one run's candidate pairs (their levels,
// one row of len(m.Groups) after another), starting from m: how corrupted
// the true matches are and how alike the non-matches among candidates are
// differ from file to file (a register with households, a file of
// heavily corrupted copies). The fitted distributions weigh as strength
// pairs of evidence, so that no level becomes impossible. With the
// household class, its distributions and its share are refitted too: a
// file without households (FEBRL) ends with few household pairs, one of
// families keeps them apart from the matches.
func (m *DiceModel) WithEM(levels []uint8, strength float64, maxIter int) *DiceModel {
	out := &DiceModel{M: m.M, U: m.U, Prior: m.Prior, Household: m.Household, w: m.w}
	out.Groups = make([]GroupModel, len(m.Groups))
	for i, g := range m.Groups {
		out.Groups[i] = GroupModel{Identifier: g.Identifier, L: g.L, Layout: g.Layout, M: slices.Clone(g.M), U: slices.Clone(g.U), H: slices.Clone(g.H), w: g.w, wh: g.wh}
	}
	ng := len(m.Groups)
	if ng == 0 || len(levels) < ng {
		return out
	}
	hh := m.household()
	// Pairs with the same levels are one pattern with a count: a large
	// run has few distinct patterns.
	idx := map[string]int{}
	var pats [][]uint8
	var count []float64
	for i := 0; i+ng <= len(levels); i += ng {
		row := levels[i : i+ng]
		j, ok := idx[string(row)]
		if !ok {
			j = len(pats)
			idx[string(row)] = j
			pats = append(pats, row)
			count = append(count, 0)
		}
		count[j]++
	}
	total := float64(len(levels) / ng)
	postM := make([]float64, len(pats))
	postH := make([]float64, len(pats))
	for it := 0; it < maxIter; it++ {
		// E: the probability of each pattern's classes under the current
		// model, on the odds scale of "unrelated".
		lm := math.Log2(out.Prior / (1 - out.Prior))
		var lh float64
		if hh {
			lh = math.Log2(out.Household)
			lm -= math.Log2(1 - out.Household)
		}
		sumM, sumH := 0.0, 0.0
		for i, lv := range pats {
			wu, wh := out.levelWeights(lv)
			a := lm + wu
			if !hh {
				postM[i] = 1 / (1 + math.Exp2(-a))
			} else {
				h := lh + wu - wh
				d := logSumExp2(0, logSumExp2(a, h))
				postM[i], postH[i] = math.Exp2(a-d), math.Exp2(h-d)
			}
			sumM += count[i] * postM[i]
			sumH += count[i] * postH[i]
		}
		// M: level distributions of each class, the fitted ones counting
		// as strength pairs.
		for gi := range out.Groups {
			g, fit := &out.Groups[gi], &m.Groups[gi]
			for l := range g.M {
				g.M[l], g.U[l] = strength*fit.M[l], strength*fit.U[l]
				if hh {
					g.H[l] = strength * fit.H[l]
				}
			}
			for i, lv := range pats {
				g.M[lv[gi]] += count[i] * postM[i]
				g.U[lv[gi]] += count[i] * (1 - postM[i] - postH[i])
				if hh {
					g.H[lv[gi]] += count[i] * postH[i]
				}
			}
			norm(g.M)
			norm(g.U)
			norm(g.H)
		}
		out.weights()
		prior := math.Min(math.Max(sumM/total, 1e-6), 1-1e-6)
		done := math.Abs(prior-out.Prior) < 1e-7
		out.Prior = prior
		if hh {
			s := math.Min(math.Max(sumH/(total-sumM), 1e-6), 1-1e-6)
			done = done && math.Abs(s-out.Household) < 1e-7
			out.Household = s
		}
		if done && it > 2 {
			break
		}
	}
	return out
}

func (m *DiceModel) fieldWise(a, b *Encoding) bool {
	if len(m.Groups) == 0 {
		return false
	}
	words := 0
	for _, g := range m.Groups {
		words += g.L / 64
	}
	return len(a.Fields) == words && len(b.Fields) == words
}

// groupLevelOf is the level of the field group at word off, n words long.
func groupLevelOf(a, b *Encoding, off, n int) int {
	x, y := a.Fields[off:off+n], b.Fields[off:off+n]
	ca, cb := popcount(x), popcount(y)
	if ca == 0 || cb == 0 {
		return 0
	}
	return groupLevel(Dice(x, y, ca, cb))
}

// PosteriorOfWeight is the match probability of a match weight under the
// model's prior.
func (m *DiceModel) PosteriorOfWeight(w float64) float64 {
	prior := math.Min(math.Max(m.Prior, 1e-12), 1-1e-12)
	return 1 / (1 + math.Exp2(-(w + math.Log2(prior/(1-prior)))))
}

// Match is the match probability of two encodings and their record-level
// Dice.
func (m *DiceModel) Match(a, b *Encoding) (posterior, dice float64) {
	w, d := m.Compare(a, b)
	return m.PosteriorOfWeight(w), d
}

// ForSchema returns the model to use with encodings under schema s: the
// field-wise model when its groups are exactly the schema's (identifier,
// length and layout, in order), else the record-level one alone, since m
// and u of one group layout say nothing about another (the v2 and v3
// personal_id groups have one name and one length).
func (m *DiceModel) ForSchema(s *Schema) *DiceModel {
	gs := s.ClkConfig.FieldGroups
	same := len(gs) == len(m.Groups)
	for i := 0; same && i < len(gs); i++ {
		same = gs[i].Identifier == m.Groups[i].Identifier && gs[i].L == m.Groups[i].L && m.Groups[i].Layout == groupLayout(s, gs[i])
	}
	if same {
		return m
	}
	return m.recordLevel()
}

// Pooled returns m with its household class folded into u, per group
// the non-matches of both kinds as one distribution (1 − s)·u + s·h: the
// model of a single query. One query has too few candidates to refit the
// share of household members among them, and the share fitted on
// deduplication candidates is not a query's; with the class, probes
// whose names were corrupted scored as twins and fewer were found (95.7 %
// instead of 96.6 % in the private scale test at 200,000 persons).
func (m *DiceModel) Pooled() *DiceModel {
	if !m.household() {
		return m
	}
	out := &DiceModel{M: m.M, U: m.U, Prior: m.Prior, w: m.w}
	for _, g := range m.Groups {
		u := make([]float64, len(g.U))
		for l := range u {
			u[l] = (1-m.Household)*g.U[l] + m.Household*g.H[l]
		}
		out.Groups = append(out.Groups, GroupModel{Identifier: g.Identifier, L: g.L, Layout: g.Layout, M: g.M, U: u})
	}
	out.weights()
	return out
}

// recordLevel is m without its field groups.
func (m *DiceModel) recordLevel() *DiceModel {
	return &DiceModel{M: m.M, U: m.U, Prior: m.Prior, w: m.w}
}

// groupLayout fingerprints what a field group's levels depend on: its
// definition and the schema's hardening.
func groupLayout(s *Schema, g FieldGroup) string {
	b, _ := json.Marshal(struct {
		G FieldGroup
		H any
	}{g, s.ClkConfig.Hardening})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// FitModel fits a field-wise model to labelled pairs of encodings under
// schema s: the record-level part as FitDiceModel does, and per field
// group the level histograms of matches and non-matches (smoothed by half
// a pair per level). With sameHousehold (non-matches who are members of
// one household; nil: none known) the household class is fitted too: its
// histograms and its share of the non-matches.
func FitModel(s *Schema, a, b []*Encoding, isMatch, sameHousehold []bool) *DiceModel {
	dice := make([]float64, len(a))
	for i := range a {
		dice[i] = Dice(a[i].Bits, b[i].Bits, a[i].Count, b[i].Count)
	}
	m := FitDiceModel(dice, isMatch)
	inHousehold := func(i int) bool { return sameHousehold != nil && sameHousehold[i] && !isMatch[i] }
	nh, nu := 0.0, 0.0
	for i := range a {
		switch {
		case inHousehold(i):
			nh++
		case !isMatch[i]:
			nu++
		}
	}
	off := 0
	for _, g := range s.ClkConfig.FieldGroups {
		gm := GroupModel{Identifier: g.Identifier, L: g.L, Layout: groupLayout(s, g), M: make([]float64, GroupBins+1), U: make([]float64, GroupBins+1)}
		if nh > 0 {
			gm.H = make([]float64, GroupBins+1)
		}
		n := g.L / 64
		for i := range a {
			if len(a[i].Fields) != s.FieldWords() || len(b[i].Fields) != s.FieldWords() {
				continue
			}
			lv := groupLevelOf(a[i], b[i], off, n)
			switch {
			case isMatch[i]:
				gm.M[lv]++
			case inHousehold(i):
				gm.H[lv]++
			default:
				gm.U[lv]++
			}
		}
		off += n
		for l := range gm.M {
			gm.M[l] += 0.5
			gm.U[l] += 0.5
			if gm.H != nil {
				gm.H[l] += 0.5
			}
		}
		norm(gm.M)
		norm(gm.U)
		norm(gm.H)
		m.Groups = append(m.Groups, gm)
	}
	if nh > 0 {
		m.Household = (nh + 1) / (nh + nu + 2)
	}
	m.weights()
	return m
}

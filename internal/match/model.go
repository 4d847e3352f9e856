package match

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Model holds Fellegi–Sunter parameters: for every field and agreement
// level the probability of that level among true matches (m) and among
// non-matches (u), and the prior share of matches among compared pairs.
// Level 0 ("missing") has no parameters and weight 0.
type Model struct {
	Prior float64
	M, U  [NumFields][]float64
	// Iterations is the number of EM iterations run (0 for fixed weights).
	Iterations int
	// Fitted is set when the parameters were learned (FitEM) or read
	// (ReadModel) rather than the generic defaults of NewModel, whose
	// scores are not calibrated probabilities.
	Fitted bool
	// Mix, when set, models non-matches on the stage-1 (personal) fields as
	// a mixture of latent classes instead of one u per field: blocking
	// produces structured non-matches (same name and other birth date,
	// same birth date and other name) that a single class cannot fit, and
	// EM would otherwise mistake one of those groups for the matches. U
	// then holds the marginal non-match probabilities (for explanations).
	Mix []MixClass `json:"-"`
	// MatchMix likewise models matches as a mixture (clean and noisy
	// registrations), so that a file full of heavily corrupted duplicates
	// does not make the noisy matches look like a class of their own.
	MatchMix []MixClass `json:"-"`
	// Household counts the household fields (father's name, address,
	// state, phone, nationality) as one observation (see FitRegister).
	Household bool
	// HouseholdMembers is, with Household, how many members of the same
	// household one record has in the data, on the prior's scale
	// (householdAware): 2 for a national register, learnt by EM for a
	// file (fitM), so data without households (FEBRL) does not take a
	// corrupted duplicate for a twin.
	HouseholdMembers float64
	// UCond is u of a two-level field (same, different) among different
	// persons who agree on another field, for the pairs of conditionals:
	// names in the region say the sex, and family names the nationality
	// and the state, so agreeing on both is nearly one observation, not
	// two (and Dragan and Dragana are "close" names of different sexes).
	// Indexed by
	// conditional, the other field's level (exact, close) and the level.
	// Counted by FitRegister; zero elsewhere (the field then weighs on its
	// own).
	UCond [numConditionals][2][2]float64
	// Freq holds, for a register model, the share of the register's
	// records with each given and family name (see nameWeight);
	// FreqFloor is the share assumed for a name not seen.
	Freq      [NumFields]map[string]float64
	FreqFloor [NumFields]float64
	// FullNames holds the share of the register's records with each given
	// and family name together (key given + "|" + family), for the
	// combinations seen at least twice: names are not independent (a
	// Bosniak given name goes with a Bosniak family name), so the product
	// of their shares understates how common a full name is.
	FullNames map[string]float64
	// weights caches the clamped log2(m/u) per field and level.
	weights [NumFields][]float64
}

func logSumExp2(v []float64) float64 {
	mx := math.Inf(-1)
	for _, x := range v {
		mx = math.Max(mx, x)
	}
	sum := 0.0
	for _, x := range v {
		sum += math.Exp2(x - mx)
	}
	return mx + math.Log2(sum)
}

// mixPosterior is the match probability from the mixed fields only.
func (m *Model) mixPosterior(p Pattern) float64 {
	var mm Pattern
	for f := Field(0); f < NumFields; f++ {
		if m.Mix[0].U[f] != nil {
			mm = mm.with(f, p.Level(f))
		}
	}
	_, post := m.Score(mm)
	return post
}

// MixClass is one latent non-match class: its share of non-matches and its
// level probabilities on the mixed fields (nil for other fields).
type MixClass struct {
	W float64
	U [NumFields][]float64
}

// initial m per level index (level 1 = best agreement); u starts from the
// observed level frequencies among candidate pairs.
var defaultM = [NumFields][]float64{
	FieldGiven:       {0, 0.80, 0.10, 0.05, 0.03, 0.02},
	FieldFamily:      {0, 0.80, 0.10, 0.05, 0.03, 0.02},
	FieldFather:      {0, 0.80, 0.10, 0.05, 0.03, 0.02},
	FieldDOB:         {0, 0.85, 0.08, 0.04, 0.03},
	FieldSex:         {0, 0.95, 0.05},
	FieldID:          {0, 0.85, 0.08, 0.03, 0.01, 0.03},
	FieldAddress:     {0, 0.70, 0.10, 0.10, 0.10},
	FieldRegion:      {0, 0.90, 0.10},
	FieldPhone:       {0, 0.85, 0.10, 0.05},
	FieldNationality: {0, 0.95, 0.05},
}

// defaultU holds typical u values among candidate pairs (which share a
// blocking key, so agreement is commoner than between random records).
var defaultU = [NumFields][]float64{
	FieldGiven:       {0, 0.10, 0.05, 0.05, 0.10, 0.70},
	FieldFamily:      {0, 0.15, 0.05, 0.05, 0.10, 0.65},
	FieldFather:      {0, 0.10, 0.05, 0.05, 0.10, 0.70},
	FieldDOB:         {0, 0.20, 0.05, 0.05, 0.70},
	FieldSex:         {0, 0.50, 0.50},
	FieldID:          {0, 0.01, 0.01, 0.02, 0.02, 0.94},
	FieldAddress:     {0, 0.05, 0.05, 0.20, 0.70},
	FieldRegion:      {0, 0.50, 0.50},
	FieldPhone:       {0, 0.01, 0.02, 0.97},
	FieldNationality: {0, 0.60, 0.40},
}

// Prior strength, in pairs, of the default parameters in EM: small inputs
// (an analyst linking a dozen records) are scored mostly by the defaults,
// large ones by what EM learns from the data.
const (
	priorPairs = 20.0
	prior0     = 0.3
)

// NewModel returns a model with the generic default parameters (usable as
// fixed weights). Use FitEM to learn from data.
func NewModel() *Model {
	m := &Model{Prior: prior0}
	for f := Field(0); f < NumFields; f++ {
		m.M[f] = slices.Clone(defaultM[f])
		n := len(levelNames[f]) - 1
		m.U[f] = make([]float64, n+1)
		for l := 1; l <= n; l++ {
			m.U[f][l] = 1 / float64(n)
		}
	}
	m.computeWeights()
	return m
}

// computeWeights derives log2(m/u) and makes it non-increasing from the
// best to the worst level, so weaker agreement never outweighs stronger
// agreement (EM can produce such inversions on sparse levels).
func (m *Model) computeWeights() {
	for f := Field(0); f < NumFields; f++ {
		n := len(m.M[f])
		w := make([]float64, n)
		for l := 1; l < n; l++ {
			mu, uu := m.M[f][l], m.U[f][l]
			w[l] = math.Log2(math.Max(mu, 1e-12) / math.Max(uu, 1e-12))
			if w[l] > 30 {
				w[l] = 30
			} else if w[l] < -30 {
				w[l] = -30
			}
			if l > 1 && w[l] > w[l-1] {
				w[l] = w[l-1]
			}
		}
		m.weights[f] = w
	}
}

// Weight returns the match weight in bits, log2(m/u), of field f at the
// given level; 0 for the missing level or unknown levels.
func (m *Model) Weight(f Field, level int) float64 {
	if f >= NumFields || level <= 0 || level >= len(m.weights[f]) {
		return 0
	}
	return m.weights[f][level]
}

// Score returns the total match weight (bits) of an agreement pattern and
// the posterior match probability P(match | pattern) given the prior.
func (m *Model) Score(p Pattern) (weight, posterior float64) {
	if len(m.Mix) == 0 {
		weight = m.plainWeight(p)
		if m.Household {
			weight = m.householdAware(p, weight)
		}
		return weight, m.posterior(weight)
	}
	// Fields outside the mixture contribute their own weights; the mixed
	// fields contribute log2 P(levels|match) − log2 P(levels|non-match),
	// the latter summed over the latent classes.
	logM := make([]float64, len(m.MatchMix))
	for c, mc := range m.MatchMix {
		logM[c] = math.Log2(mc.W)
	}
	logU := make([]float64, len(m.Mix))
	for c, mc := range m.Mix {
		logU[c] = math.Log2(mc.W)
	}
	for f := Field(0); f < NumFields; f++ {
		l := p.Level(f)
		if l <= 0 || l >= len(m.M[f]) {
			continue
		}
		if m.Mix[0].U[f] == nil {
			weight += m.Weight(f, l)
			continue
		}
		for c := range m.MatchMix {
			logM[c] += math.Log2(m.MatchMix[c].U[f][l])
		}
		for c := range m.Mix {
			logU[c] += math.Log2(m.Mix[c].U[f][l])
		}
	}
	weight += logSumExp2(logM) - logSumExp2(logU)
	weight = math.Max(-60, math.Min(60, weight))
	return weight, m.posterior(weight)
}

func (m *Model) posterior(weight float64) float64 {
	prior := math.Min(math.Max(m.Prior, 1e-12), 1-1e-12)
	logOdds := weight + math.Log2(prior/(1-prior))
	return 1 / (1 + math.Exp2(-logOdds))
}

// patternCount is one distinct agreement pattern and how often it occurs.
type patternCount struct {
	p Pattern
	n float64
}

// personalFields describe the person rather than the household: siblings
// share address, phone, father's name and nationality, so EM run on all
// fields tends to learn "same household". FitEM therefore learns the
// match class from these fields first.
var personalFields = []Field{FieldGiven, FieldFamily, FieldDOB, FieldSex, FieldID}

// FitEM estimates m, u and the prior from the observed agreement patterns
// of candidate pairs (no labels needed), in two stages:
//
//  1. EM on the personal fields (names, date of birth, sex, identifier):
//     u starts from the level frequencies over all pairs (mostly
//     non-matches), m from generic values; iterate until no parameter
//     moves by more than 1e-6 or maxIter.
//  2. The household fields (father's name, address, state, phone,
//     nationality) get m and u from one M-step weighted by the stage-1
//     match probabilities.
func (m *Model) FitEM(counts map[Pattern]int64, maxIter int) {
	if maxIter <= 0 {
		maxIter = 200
	}
	m.Fitted = true
	pcs := make([]patternCount, 0, len(counts))
	total := 0.0
	for p, n := range counts {
		pcs = append(pcs, patternCount{p, float64(n)})
		total += float64(n)
	}
	if total == 0 {
		return
	}
	// Deterministic order keeps float sums reproducible.
	slices.SortFunc(pcs, func(a, b patternCount) int {
		switch {
		case a.p < b.p:
			return -1
		case a.p > b.p:
			return 1
		}
		return 0
	})
	// u starts from overall level frequencies.
	for f := Field(0); f < NumFields; f++ {
		n := len(m.U[f])
		freq := make([]float64, n)
		for _, pc := range pcs {
			freq[pc.p.Level(f)] += pc.n
		}
		obs := 0.0
		for l := 1; l < n; l++ {
			obs += freq[l]
		}
		for l := 1; l < n; l++ {
			m.U[f][l] = (freq[l] + priorPairs*defaultU[f][l]) / (obs + priorPairs)
		}
	}
	stage1 := personalFields
	observed := 0.0
	for _, pc := range pcs {
		for _, f := range stage1 {
			if pc.p.Level(f) > 0 {
				observed += pc.n
				break
			}
		}
	}
	if observed < total/2 {
		// Too little personal information: learn from every field.
		stage1 = make([]Field, NumFields)
		for f := range NumFields {
			stage1[f] = f
		}
	}
	if len(stage1) < int(NumFields) {
		m.Iterations = m.emMixture(pcs, total, stage1, 3, maxIter)
	} else {
		m.Iterations = m.em(pcs, total, stage1, maxIter)
	}
	var rest []Field
	for f := range NumFields {
		if !slices.Contains(stage1, f) {
			rest = append(rest, f)
		}
	}
	if len(rest) > 0 {
		m.em(pcs, total, rest, -1)
	}
	m.computeWeights()
}

// emMixture runs EM with one match class and k non-match classes over the
// given fields, then sets M, the marginal U, Mix and Prior. The match
// class is the one that agrees most (highest mean probability of the best
// level over the fields); the others form the non-match mixture.
func (m *Model) emMixture(pcs []patternCount, total float64, fields []Field, k, maxIter int) int {
	const nm = 1 // classes initialised as matches
	nc := k + nm
	type cls struct {
		w float64
		p [NumFields][]float64
	}
	cs := make([]cls, nc)
	// Class 0 starts as matches; the non-match classes start from the
	// observed frequencies in different slices of the data so they can
	// specialise (e.g. "names agree, date differs" vs "date agrees, names
	// differ").
	slice := func(keep func(Pattern) bool) [NumFields][]float64 {
		var out [NumFields][]float64
		for _, f := range fields {
			n := len(m.M[f])
			freq := make([]float64, n)
			obs := 0.0
			for _, pc := range pcs {
				if l := pc.p.Level(f); l > 0 && keep(pc.p) {
					freq[l] += pc.n
					obs += pc.n
				}
			}
			out[f] = make([]float64, n)
			for l := 1; l < n; l++ {
				out[f][l] = (freq[l] + priorPairs*defaultU[f][l]) / (obs + priorPairs)
			}
		}
		return out
	}
	worst := func(f Field, p Pattern) bool { return p.Level(f) == len(m.M[f])-1 }
	for _, f := range fields {
		cs[0].p[f] = slices.Clone(m.M[f])
	}
	cs[0].w = 0.1
	inits := []func(Pattern) bool{
		func(p Pattern) bool { return worst(FieldDOB, p) },
		func(p Pattern) bool { return worst(FieldGiven, p) || worst(FieldFamily, p) },
		func(p Pattern) bool { return true },
	}
	for c := nm; c < nc; c++ {
		cs[c].p = slice(inits[(c-nm)%len(inits)])
		cs[c].w = 0.9 / float64(k)
	}
	var logp [][NumFields][]float64 = make([][NumFields][]float64, nc)
	var sums [][NumFields][]float64 = make([][NumFields][]float64, nc)
	for c := range cs {
		for _, f := range fields {
			logp[c][f] = make([]float64, len(m.M[f]))
			sums[c][f] = make([]float64, len(m.M[f]))
		}
	}
	post := make([]float64, nc)
	cw := make([]float64, nc)
	iter := 0
	for iter = 1; iter <= maxIter; iter++ {
		for c := range cs {
			cw[c] = 0
			for _, f := range fields {
				for l := 1; l < len(cs[c].p[f]); l++ {
					logp[c][f][l] = math.Log(cs[c].p[f][l])
					sums[c][f][l] = 0
				}
			}
		}
		for _, pc := range pcs {
			mx := math.Inf(-1)
			for c := range cs {
				a := math.Log(cs[c].w)
				for _, f := range fields {
					if l := pc.p.Level(f); l > 0 {
						a += logp[c][f][l]
					}
				}
				post[c] = a
				mx = math.Max(mx, a)
			}
			z := 0.0
			for c := range post {
				post[c] = math.Exp(post[c] - mx)
				z += post[c]
			}
			for c := range cs {
				g := post[c] / z * pc.n
				cw[c] += g
				for _, f := range fields {
					if l := pc.p.Level(f); l > 0 {
						sums[c][f][l] += g
					}
				}
			}
		}
		delta := 0.0
		for c := range cs {
			prior := defaultU
			if c < nm {
				prior = defaultM
			}
			for _, f := range fields {
				n := len(cs[c].p[f])
				t := 0.0
				for l := 1; l < n; l++ {
					t += sums[c][f][l]
				}
				for l := 1; l < n; l++ {
					v := (sums[c][f][l] + priorPairs*prior[f][l]) / (t + priorPairs)
					delta = math.Max(delta, math.Abs(v-cs[c].p[f][l]))
					cs[c].p[f][l] = v
				}
			}
			w := (cw[c] + priorPairs/float64(nc)) / (total + priorPairs)
			delta = math.Max(delta, math.Abs(w-cs[c].w))
			cs[c].w = w
		}
		if delta < 1e-6 {
			break
		}
	}
	// A class is a match class when, on average, its pairs would score
	// positively under the generic default weights: the referee that keeps
	// "same name, other person" groups out and lets a file's noisy
	// duplicates form a second match class.
	isMatchClass := make([]bool, nc)
	bestC, bestE := 0, math.Inf(-1)
	for c := range cs {
		e := 0.0
		for _, f := range fields {
			for l := 1; l < len(cs[c].p[f]); l++ {
				e += cs[c].p[f][l] * math.Log2(defaultM[f][l]/defaultU[f][l])
			}
		}
		isMatchClass[c] = e > 0
		if e > bestE {
			bestC, bestE = c, e
		}
	}
	isMatchClass[bestC] = true
	matchW := 0.0
	for c := range cs {
		if isMatchClass[c] {
			matchW += cs[c].w
		}
	}
	m.Prior = math.Min(math.Max(matchW, 1e-9), 1-1e-9)
	m.Mix, m.MatchMix = m.Mix[:0], m.MatchMix[:0]
	for _, f := range fields {
		m.M[f] = make([]float64, len(m.M[f]))
		m.U[f] = make([]float64, len(m.U[f]))
	}
	for c := range cs {
		isMatch := isMatchClass[c]
		tot := 1 - matchW
		if isMatch {
			tot = matchW
		}
		mc := MixClass{W: cs[c].w / tot}
		for _, f := range fields {
			mc.U[f] = slices.Clone(cs[c].p[f])
			for l := 1; l < len(mc.U[f]); l++ {
				if isMatch {
					m.M[f][l] += mc.W * mc.U[f][l]
				} else {
					m.U[f][l] += mc.W * mc.U[f][l]
				}
			}
		}
		if isMatch {
			m.MatchMix = append(m.MatchMix, mc)
		} else {
			m.Mix = append(m.Mix, mc)
		}
	}
	return min(iter, maxIter)
}

// em runs EM over the given fields. With maxIter < 0 it runs one M-step
// for these fields using match probabilities from the other fields'
// current parameters, leaving the prior unchanged.
func (m *Model) em(pcs []patternCount, total float64, fields []Field, maxIter int) int {
	use := [NumFields]bool{}
	for _, f := range fields {
		use[f] = true
	}
	score := use
	mstepOnly := maxIter < 0
	if mstepOnly {
		for f := range NumFields {
			score[f] = !use[f]
		}
		maxIter = 1
	}
	var logM, logU, sumM, sumU [NumFields][]float64
	for f := range NumFields {
		logM[f] = make([]float64, len(m.M[f]))
		logU[f] = make([]float64, len(m.U[f]))
		sumM[f] = make([]float64, len(m.M[f]))
		sumU[f] = make([]float64, len(m.U[f]))
	}
	iter := 0
	for iter = 1; iter <= maxIter; iter++ {
		for f := range NumFields {
			for l := 1; l < len(m.M[f]); l++ {
				logM[f][l] = math.Log(m.M[f][l])
				logU[f][l] = math.Log(m.U[f][l])
				sumM[f][l], sumU[f][l] = 0, 0
			}
		}
		lp, lq := math.Log(m.Prior), math.Log(1-m.Prior)
		matches := 0.0
		for _, pc := range pcs {
			a, b := lp, lq
			for f := range NumFields {
				if l := pc.p.Level(f); score[f] && l > 0 && l < len(logM[f]) {
					a += logM[f][l]
					b += logU[f][l]
				}
			}
			g := 1 / (1 + math.Exp(b-a))
			if mstepOnly && len(m.Mix) > 0 {
				g = m.mixPosterior(pc.p)
			}
			matches += g * pc.n
			for f := range NumFields {
				if l := pc.p.Level(f); use[f] && l > 0 && l < len(logM[f]) {
					sumM[f][l] += g * pc.n
					sumU[f][l] += (1 - g) * pc.n
				}
			}
		}
		delta := 0.0
		for f := range NumFields {
			if !use[f] {
				continue
			}
			n := len(m.M[f])
			tm, tu := 0.0, 0.0
			for l := 1; l < n; l++ {
				tm += sumM[f][l]
				tu += sumU[f][l]
			}
			if tm+tu == 0 {
				continue // field never observed: keep defaults
			}
			for l := 1; l < n; l++ {
				// MAP estimate with the defaults as a Dirichlet prior.
				nm := (sumM[f][l] + priorPairs*defaultM[f][l]) / (tm + priorPairs)
				nu := (sumU[f][l] + priorPairs*defaultU[f][l]) / (tu + priorPairs)
				delta = math.Max(delta, math.Max(math.Abs(nm-m.M[f][l]), math.Abs(nu-m.U[f][l])))
				m.M[f][l], m.U[f][l] = nm, nu
			}
		}
		if mstepOnly {
			return 1
		}
		prior := math.Min(math.Max((matches+priorPairs*prior0)/(total+priorPairs), 1e-9), 1-1e-9)
		delta = math.Max(delta, math.Abs(prior-m.Prior))
		m.Prior = prior
		if delta < 1e-6 {
			break
		}
	}
	return min(iter, maxIter)
}

// modelJSON is the on-disk form: per field, per level name, m and u.
type modelJSON struct {
	Prior       float64                                  `json:"prior"`
	Household   bool                                     `json:"household,omitempty"`
	Members     float64                                  `json:"household_members,omitempty"`
	UCond       [][2][2]float64                          `json:"u_conditional,omitempty"`
	Frequencies map[string]nameFrequencies               `json:"frequencies,omitempty"`
	FullNames   map[string]float64                       `json:"full_names,omitempty"`
	Fields      map[string]map[string]map[string]float64 `json:"fields"`
}

// nameFrequencies is a name field's frequency table in JSON.
type nameFrequencies struct {
	Floor  float64            `json:"floor"`
	Shares map[string]float64 `json:"shares"`
}

// WriteJSON writes the model in the format accepted by ReadModel.
func (m *Model) WriteJSON(w io.Writer) error {
	out := modelJSON{Prior: m.Prior, Household: m.Household, Members: m.HouseholdMembers, FullNames: m.FullNames, Fields: map[string]map[string]map[string]float64{}}
	if m.UCond != [numConditionals][2][2]float64{} {
		out.UCond = m.UCond[:]
	}
	for f := Field(0); f < NumFields; f++ {
		if m.Freq[f] != nil {
			if out.Frequencies == nil {
				out.Frequencies = map[string]nameFrequencies{}
			}
			out.Frequencies[fieldNames[f]] = nameFrequencies{Floor: m.FreqFloor[f], Shares: m.Freq[f]}
		}
	}
	for f := Field(0); f < NumFields; f++ {
		lv := map[string]map[string]float64{}
		for l := 1; l < len(m.M[f]); l++ {
			lv[levelNames[f][l]] = map[string]float64{"m": m.M[f][l], "u": m.U[f][l]}
		}
		out.Fields[fieldNames[f]] = lv
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// ReadModel reads fixed weights from JSON:
//
//	{"prior": 0.01, "fields": {"family_name": {"exact": {"m": 0.9, "u": 0.01}, ...}, ...}}
//
// Fields and levels not mentioned keep the generic defaults of NewModel.
// Probabilities must be in (0, 1].
func ReadModel(r io.Reader) (*Model, error) {
	var in modelJSON
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return nil, fmt.Errorf("weights: %w", err)
	}
	m := NewModel()
	m.Fitted = true
	m.Household = in.Household
	m.HouseholdMembers = defaultHouseholdMembers
	if u := in.UCond; u != nil {
		if len(u) > numConditionals {
			return nil, fmt.Errorf("weights: u_conditional has %d entries, at most %d", len(u), numConditionals)
		}
		for _, c := range u {
			for _, row := range c {
				for _, v := range row {
					if !(v > 0 && v < 1) {
						return nil, fmt.Errorf("weights: u_conditional %v must be between 0 and 1", v)
					}
				}
			}
		}
		// A model written before a conditional existed weighs it by the
		// stated shares.
		for c := range m.UCond {
			if c < len(u) {
				m.UCond[c] = u[c]
			} else {
				m.UCond[c] = statedUCond(c)
			}
		}
	}
	if in.Members != 0 {
		if !(in.Members >= minHouseholdMembers && in.Members <= maxHouseholdMembers) {
			return nil, fmt.Errorf("weights: household_members %v must be between %v and %v", in.Members, minHouseholdMembers, maxHouseholdMembers)
		}
		m.HouseholdMembers = in.Members
	}
	for name, fr := range in.Frequencies {
		f, ok := ParseField(name)
		if !ok || (f != FieldGiven && f != FieldFamily) {
			return nil, fmt.Errorf("weights: no name frequencies for field %q", name)
		}
		if !(fr.Floor > 0 && fr.Floor < 1) {
			return nil, fmt.Errorf("weights: %s frequency floor %v must be between 0 and 1", name, fr.Floor)
		}
		for k, v := range fr.Shares {
			if !(v > 0 && v <= 1) {
				return nil, fmt.Errorf("weights: %s frequency of %q = %v must be in (0, 1]", name, k, v)
			}
		}
		m.Freq[f], m.FreqFloor[f] = fr.Shares, fr.Floor
	}
	for k, v := range in.FullNames {
		if !(v > 0 && v <= 1) || !strings.Contains(k, "|") {
			return nil, fmt.Errorf("weights: full name frequency %q = %v must be \"given|family\" in (0, 1]", k, v)
		}
	}
	m.FullNames = in.FullNames
	if in.Prior != 0 {
		if in.Prior <= 0 || in.Prior >= 1 {
			return nil, fmt.Errorf("weights: prior %v must be between 0 and 1", in.Prior)
		}
		m.Prior = in.Prior
	}
	for name, levels := range in.Fields {
		f, ok := ParseField(name)
		if !ok {
			return nil, fmt.Errorf("weights: unknown field %q", name)
		}
		for lname, mu := range levels {
			l := slices.Index(levelNames[f], lname)
			if l <= 0 {
				return nil, fmt.Errorf("weights: field %s has no level %q (have %v)", name, lname, levelNames[f][1:])
			}
			for k, v := range mu {
				if v <= 0 || v > 1 || math.IsNaN(v) {
					return nil, fmt.Errorf("weights: %s.%s.%s = %v must be in (0, 1]", name, lname, k, v)
				}
				switch k {
				case "m":
					m.M[f][l] = v
				case "u":
					m.U[f][l] = v
				default:
					return nil, fmt.Errorf("weights: %s.%s: unknown key %q (want m, u)", name, lname, k)
				}
			}
		}
	}
	m.computeWeights()
	return m, nil
}

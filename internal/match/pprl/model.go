package pprl

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"

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
type DiceModel struct {
	M     []float64 `json:"m"`
	U     []float64 `json:"u"`
	Prior float64   `json:"prior"`
	w     []float64
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

// weights computes log2(m/u) per bin, made non-decreasing.
func (m *DiceModel) weights() {
	w := make([]float64, DiceBins)
	wt := make([]float64, DiceBins)
	for b := range DiceBins {
		w[b] = math.Log2(math.Max(m.M[b], 1e-12) / math.Max(m.U[b], 1e-12))
		w[b] = math.Max(-30, math.Min(30, w[b]))
		wt[b] = m.M[b] + m.U[b] + 1e-9
	}
	// Pool adjacent violators.
	type block struct {
		sum, wt float64
		n       int
	}
	var st []block
	for b := range DiceBins {
		st = append(st, block{w[b] * wt[b], wt[b], 1})
		for len(st) > 1 && st[len(st)-2].sum/st[len(st)-2].wt > st[len(st)-1].sum/st[len(st)-1].wt {
			a, c := st[len(st)-2], st[len(st)-1]
			st = append(st[:len(st)-2], block{a.sum + c.sum, a.wt + c.wt, a.n + c.n})
		}
	}
	m.w = m.w[:0]
	for _, bl := range st {
		for range bl.n {
			m.w = append(m.w, bl.sum/bl.wt)
		}
	}
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
	out := &DiceModel{M: m.M, U: m.U, Prior: m.Prior, w: m.w}
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

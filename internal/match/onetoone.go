package match

import (
	"math"
	"slices"
)

// In a one-to-one linkage every record has at most one partner in the
// other file. A pair's posterior then depends on its rivals: a record
// whose only plausible partner scores 12 bits is very likely matched to
// it when nearly every record of the file has a partner, and not when
// few have. exclusiveScores gives each pair the posterior under that
// constraint, seen from each side, with the share of records that have a
// partner (π) learnt by EM on the run's pairs:
//
//	P(i↔j) = (π/N)·2^w(i,j) / ((1 − π) + (π/N)·Σ_k 2^w(i,k))
//
// where N is the size of the other file and the sum runs over i's
// compared pairs (pairs not compared add nothing). The pair's score is
// the lower of its two sides' posteriors.
func exclusiveScores(pairs []Pair, nLeft, nRight int) []float64 {
	left := exclusiveSide(pairs, func(p Pair) int { return p.Left }, nLeft, nRight)
	right := exclusiveSide(pairs, func(p Pair) int { return p.Right }, nRight, nLeft)
	out := make([]float64, len(pairs))
	for i := range pairs {
		out[i] = math.Min(left[i], right[i])
	}
	return out
}

// maxShare bounds π, the share of records that have a partner.
const maxShare = 1 - 1e-6

// oneToOneFloor is the weight under which a pair cannot reach threshold
// under the constraint, N being the larger file's size: even with π at
// its bound and no rival, (π/N)·2^w / ((1 − π) + (π/N)·2^w) < threshold.
func oneToOneFloor(threshold float64, n int) float64 {
	t := math.Min(math.Max(threshold, 1e-300), 1-1e-12)
	return math.Log2(t/(1-t)*(1-maxShare)/maxShare) + math.Log2(float64(max(n, 1)))
}

// exclusiveSide computes, for the n records of one side, each pair's
// posterior among the pairs of the same record, against the other side's
// N records.
func exclusiveSide(pairs []Pair, rec func(Pair) int, n, other int) []float64 {
	out := make([]float64, len(pairs))
	if len(pairs) == 0 || n == 0 || other == 0 {
		return out
	}
	// lse[r]: log2 Σ 2^w over record r's pairs.
	lse := map[int]float64{}
	for _, p := range pairs {
		r := rec(p)
		if cur, ok := lse[r]; ok {
			lse[r] = logSumExp2([]float64{cur, p.Weight})
		} else {
			lse[r] = p.Weight
		}
	}
	sums := make([]float64, 0, len(lse))
	for _, s := range lse {
		sums = append(sums, s)
	}
	slices.Sort(sums) // one order, so that a run's result does not vary in the last bit
	logN := math.Log2(float64(other))
	share := 0.5
	for it := 0; it < 200; it++ {
		lp := math.Log2(share) - logN
		la := math.Log2(1 - share)
		sum := 0.0
		for _, s := range sums {
			// P(record has its partner among its pairs)
			sum += math.Exp2(lp + s - logSumExp2([]float64{la, lp + s}))
		}
		next := math.Min(math.Max(sum/float64(n), 1e-6), maxShare)
		if math.Abs(next-share) < 1e-9 {
			share = next
			break
		}
		share = next
	}
	lp := math.Log2(share) - logN
	la := math.Log2(1 - share)
	for i, p := range pairs {
		den := logSumExp2([]float64{la, lp + lse[rec(p)]})
		out[i] = math.Exp2(lp + p.Weight - den)
	}
	return out
}

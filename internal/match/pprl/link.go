package pprl

import (
	"slices"
	"sort"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
)

// Record is an encoded record for batch linkage: its encoding and keyed
// blocking keys, nothing in clear.
type Record struct {
	Enc    Encoding
	Blocks []uint64
}

// Prepare encodes a person for batch linkage (broad blocking keys).
func (k *Key) Prepare(p *entity.Person) Record {
	return Record{Enc: k.Encode(p), Blocks: k.KeyedBlocks(match.BatchKeys(p, nil), nil)}
}

// Pair is a linked pair of encoded records.
type Pair struct {
	Left, Right int
	Dice        float64 // of the record-level filters
	Weight      float64 // match weight (bits)
	Score       float64 // posterior match probability
}

// LinkResult is the outcome of an encoded linkage.
type LinkResult struct {
	Pairs       []Pair
	Model       *DiceModel
	Comparisons int
	// Review counts the pairs in the medium (review) band, which a person
	// should look at; Pairs holds those at or above the threshold.
	Review int
}

// emStrength is how many candidate pairs the fitted field-group
// distributions count as when EM refits them to a run: a few, so that the
// run's own pairs decide and no level becomes impossible.
const emStrength = 20

// maxBlock bounds the records one blocking key contributes: a frequent
// name pair says little, the true match shares rarer keys.
const maxBlock = 200

// candidates returns the pairs sharing at least one blocking key (i<j
// when dedupe).
func candidates(left, right []Record, dedupe bool) [][2]int32 {
	post := map[uint64][]int32{}
	for j, r := range right {
		for _, b := range r.Blocks {
			post[b] = append(post[b], int32(j))
		}
	}
	var out [][2]int32
	seen := map[int32]bool{}
	for i, l := range left {
		clear(seen)
		for _, b := range l.Blocks {
			ps := post[b]
			if len(ps) > maxBlock {
				continue
			}
			for _, j := range ps {
				if (dedupe && j <= int32(i)) || seen[j] {
					continue
				}
				seen[j] = true
				out = append(out, [2]int32{int32(i), j})
			}
		}
	}
	return out
}

// Link links two encoded files under model (nil: the regional default),
// its prior refitted to this run's candidate pairs by EM. Pairs at or above threshold are returned, best
// first; oneToOne keeps at most one partner per record (greedy).
func Link(left, right []Record, model *DiceModel, threshold float64, oneToOne bool) LinkResult {
	return link(left, right, model, threshold, oneToOne, false)
}

// Dedupe finds duplicate pairs inside one encoded file (Left < Right).
func Dedupe(recs []Record, model *DiceModel, threshold float64) LinkResult {
	return link(recs, recs, model, threshold, false, true)
}

func link(left, right []Record, model *DiceModel, threshold float64, oneToOne, dedupe bool) LinkResult {
	cand := candidates(left, right, dedupe)
	if model == nil {
		model = DefaultDiceModel()
	}
	ws := make([]float64, len(cand))
	dice := make([]float64, len(cand))
	// Field by field: the levels of every pair (one row of len(Groups)),
	// so that EM can refit the groups' distributions to this run.
	ng := len(model.Groups)
	var levels []uint8
	if ng > 0 {
		levels = make([]uint8, 0, ng*len(cand))
	}
	for i, c := range cand {
		a, b := &left[c[0]].Enc, &right[c[1]].Enc
		dice[i] = Dice(a.Bits, b.Bits, a.Count, b.Count)
		if ng > 0 {
			n := len(levels)
			if levels = model.Levels(a, b, levels); len(levels) != n+ng {
				levels, ng = nil, 0 // encodings without the model's groups
			}
		}
	}
	switch {
	case ng > 0:
		model = model.WithEM(levels, emStrength, 100)
		for i := range cand {
			ws[i] = model.WeightOfLevels(levels[i*ng : (i+1)*ng])
		}
	default:
		model = model.recordLevel().WithPrior(dice, 200)
		for i := range cand {
			ws[i] = model.Weight(dice[i])
		}
	}
	res := LinkResult{Model: model, Comparisons: len(cand)}
	for i, c := range cand {
		s := model.PosteriorOfWeight(ws[i])
		if s >= threshold {
			res.Pairs = append(res.Pairs, Pair{Left: int(c[0]), Right: int(c[1]), Dice: dice[i], Weight: ws[i], Score: s})
		}
	}
	sort.SliceStable(res.Pairs, func(a, b int) bool {
		pa, pb := &res.Pairs[a], &res.Pairs[b]
		if pa.Weight != pb.Weight {
			return pa.Weight > pb.Weight
		}
		return pa.Dice > pb.Dice
	})
	if oneToOne {
		usedL, usedR := map[int]bool{}, map[int]bool{}
		res.Pairs = slices.DeleteFunc(res.Pairs, func(p Pair) bool {
			if usedL[p.Left] || usedR[p.Right] {
				return true
			}
			usedL[p.Left], usedR[p.Right] = true, true
			return false
		})
	}
	for _, p := range res.Pairs {
		if p.Score < match.HighScore {
			res.Review++
		}
	}
	return res
}

package match

import "github.com/liaison-wb/liaison/internal/entity"

// Prepared is a person in comparison form. A register's candidate index
// keeps it beside each record, so that a query compares its candidates
// without normalising their names again: on a busy node that normalising,
// repeated for every candidate of every query, cost more than comparing.
type Prepared struct{ p prepared }

// Prepare puts a register record in comparison form.
func Prepare(person *entity.Person) *Prepared {
	r := &Prepared{p: prepare(person)}
	r.p.sortKey = "" // only sorted neighbourhood reads it
	return r
}

// IndexKeys appends the record's candidate keys: IndexKeys of the person
// it was prepared from.
func (r *Prepared) IndexKeys(out []uint64) []uint64 { return r.p.keys(out, false) }

// FullDOB reports whether the record has a full date of birth as written
// (day, month and year), not one taken from its personal number.
func (r *Prepared) FullDOB() bool { return r.p.fullDOB }

// Search compares each probe with every candidate (the caller's index
// chose them, so there is no blocking) and scores the pairs with model,
// keeping those at or above threshold. Pairs are ordered by probe, then
// candidate, as Link orders them; Result.Explain and Result.PairWeight
// read them as they read Link's.
//
// A probe written as one full name is compared under every arrangement
// of its tokens; they are computed once here, not once per candidate.
func Search(model *Model, probes []entity.Person, cands []*Prepared, threshold float64) *Result {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	left := make([]*prepared, len(probes))
	for i := range probes {
		p := prepare(&probes[i])
		p.arrs = p.arrangements(nil)
		left[i] = &p
	}
	right := make([]*prepared, len(cands))
	for j, c := range cands {
		right[j] = &c.p
	}
	type scored struct{ w, s float64 }
	scores := map[Pattern]scored{}
	res := &Result{Model: model, left: left, right: right, Stats: Stats{Records: len(probes) + len(cands)}}
	for i, a := range left {
		for j, b := range right {
			pat := compare(a, b)
			res.Stats.Comparisons++
			sc, ok := scores[pat]
			if !ok {
				sc.w, sc.s = model.Score(pat)
				scores[pat] = sc
			}
			if sc.s >= threshold {
				res.Pairs = append(res.Pairs, Pair{Left: i, Right: j, Weight: sc.w, Score: sc.s, Pattern: pat})
			}
		}
	}
	res.Stats.Matches = len(res.Pairs)
	return res
}

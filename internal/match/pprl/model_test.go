package pprl

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/match/synth"
)

var update = flag.Bool("update", false, "rewrite golden files and the fitted default model")

// trainingSeed generates the synthetic training data of the default model;
// the development sets (FEBRL, testdata/wb_*) are never used for fitting.
const trainingSeed = 20261204

func synthPersons(t testing.TB, rs []synth.Record) []entity.Person {
	var b bytes.Buffer
	if err := synth.WriteCSV(&b, rs, nil); err != nil {
		t.Fatal(err)
	}
	ps, err := match.ReadPersons(&b, "synth.csv", match.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

// labelledPairs returns the Dice and truth of the candidate pairs of a
// generated deduplication set, with and without identifiers.
func labelledPairs(t testing.TB, k *Key, n int) ([]float64, []bool) {
	rs := synth.DedupeSet(trainingSeed, n)
	ps := synthPersons(t, rs)
	var dice []float64
	var truth []bool
	for _, set := range [][]entity.Person{ps, dropIDs(ps)} {
		recs := prepareAll(k, set)
		for _, c := range candidates(recs, recs, true) {
			a, b := &recs[c[0]].Enc, &recs[c[1]].Enc
			dice = append(dice, Dice(a.Bits, b.Bits, a.Count, b.Count))
			truth = append(truth, rs[c[0]].Entity == rs[c[1]].Entity)
		}
	}
	return dice, truth
}

// labelledEncodings returns the candidate pairs of a generated
// deduplication set, with and without identifiers, as pairs of encodings
// with their truth and whether they belong to one household.
func labelledEncodings(t testing.TB, k *Key, n int) (a, b []*Encoding, truth, household []bool) {
	rs := synth.DedupeSet(trainingSeed, n)
	ps := synthPersons(t, rs)
	for _, set := range [][]entity.Person{ps, dropIDs(ps)} {
		recs := prepareAll(k, set)
		for _, c := range candidates(recs, recs, true) {
			a = append(a, &recs[c[0]].Enc)
			b = append(b, &recs[c[1]].Enc)
			truth = append(truth, rs[c[0]].Entity == rs[c[1]].Entity)
			household = append(household, rs[c[0]].Household == rs[c[1]].Household)
		}
	}
	return a, b, truth, household
}

// TestFitDefaultModel refits the default model on generated data and
// checks it against the stored one (go test -run TestFitDefaultModel
// -update rewrites testdata/dice_model.json after a schema change).
func TestFitDefaultModel(t *testing.T) {
	k := testKey(t, DefaultSchema())
	a, b, truth, household := labelledEncodings(t, k, 6000)
	m := FitModel(DefaultSchema(), a, b, truth, household)
	got, err := json.MarshalIndent(m, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	if *update {
		if err := os.WriteFile("testdata/dice_model.json", got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, _ := os.ReadFile("testdata/dice_model.json")
	if !bytes.Equal(got, want) {
		t.Fatalf("testdata/dice_model.json is stale; rerun with -update")
	}
	d := DefaultDiceModel()
	for _, x := range []float64{0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 1} {
		t.Logf("dice %.2f: weight %.2f posterior %.4f band %s", x, d.Weight(x), d.Posterior(x), d.Band(x))
	}
	for x := 0.0; x < 1; x += 0.01 {
		if d.Posterior(x+0.01) < d.Posterior(x) {
			t.Fatalf("posterior decreases at dice %.2f", x)
		}
	}
	for _, g := range d.Groups {
		t.Logf("group %s: weights %.1f", g.Identifier, g.w)
		if g.w[0] != 0 || g.w[1] >= 0 || g.w[GroupBins] <= 0 {
			t.Fatalf("group %s: empty %.1f, lowest %.1f, highest %.1f", g.Identifier, g.w[0], g.w[1], g.w[GroupBins])
		}
	}
}

func synthSample(t testing.TB) []synth.Record { return synth.DedupeSet(trainingSeed+1, 2000) }

// TestWithEM: EM on a run's levels finds its share of matches and keeps
// the fitted model's ordering: agreeing groups weigh for a match,
// disagreeing ones against.
func TestWithEM(t *testing.T) {
	m := DefaultDiceModel()
	ng := len(m.Groups)
	if ng == 0 {
		t.Fatal("the default model has no field groups")
	}
	var levels []uint8
	row := func(l uint8) {
		for range ng {
			levels = append(levels, l)
		}
	}
	for range 300 {
		row(GroupBins) // all groups agree
	}
	for range 700 {
		row(GroupBins / 2) // all disagree
	}
	for range 50 {
		row(0) // all empty
	}
	em := m.WithEM(levels, 20, 100)
	if em.Prior < 0.2 || em.Prior > 0.4 {
		t.Fatalf("prior %.3f, want about 300/1050", em.Prior)
	}
	agree := em.WeightOfLevels(levels[:ng])
	disagree := em.WeightOfLevels(levels[300*ng : 301*ng])
	if agree <= 0 || disagree >= 0 || em.WeightOfLevels(levels[len(levels)-ng:]) != 0 {
		t.Fatalf("weights: agree %.1f, disagree %.1f", agree, disagree)
	}
	if &em.Groups[0].M[0] == &m.Groups[0].M[0] {
		t.Fatal("EM changed the fitted model in place")
	}
}

// TestHouseholdClass: a pair that looks like twins at one address (names
// half alike, same birth date, father, street, place and phone, another
// identifier) weighs less against household members than pooled with the
// other non-matches; a pair agreeing everywhere keeps a high weight.
func TestHouseholdClass(t *testing.T) {
	m := DefaultDiceModel()
	if !m.household() {
		t.Fatal("the default model has no household class")
	}
	pooled := m.Pooled()
	lv := map[string]uint8{"names": 16, "father": GroupBins, "birth": GroupBins, "street": GroupBins,
		"place": GroupBins, "personal_id": 15, "phone": GroupBins, "sex": GroupBins}
	var twin, same []uint8
	for _, g := range m.Groups {
		twin = append(twin, lv[g.Identifier])
		same = append(same, GroupBins)
	}
	wt, wp := m.WeightOfLevels(twin), pooled.WeightOfLevels(twin)
	t.Logf("twin-like pair: %.1f bits with the household class, %.1f pooled", wt, wp)
	if wt >= wp-2 {
		t.Fatalf("twin-like pair: %.1f bits with the household class, %.1f pooled", wt, wp)
	}
	if w := m.WeightOfLevels(same); w < 20 {
		t.Fatalf("all groups agreeing: %.1f bits", w)
	}
}

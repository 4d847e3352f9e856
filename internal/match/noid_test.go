package match

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
)

func withoutIDs(ps []entity.Person) []entity.Person {
	out := make([]entity.Person, len(ps))
	copy(out, ps)
	for i := range out {
		out[i].PersonalID = entity.PersonalID{}
	}
	return out
}

// TestQualityWithoutIdentifiers links the development sets with the
// identifier column removed (no JMBG/EMBG, Albanian or Kosovo number):
// FEBRL deduplication and the Western Balkan linkage set. Floors are the
// measured level; the figures are in docs/matching.md.
func TestQualityWithoutIdentifiers(t *testing.T) {
	for _, name := range []string{"dataset1.csv", "dataset2.csv", "dataset3.csv"} {
		recs := withoutIDs(loadCSV(t, filepath.Join(febrlDir, name)))
		res, err := Dedupe(context.Background(), recs, Options{})
		if err != nil {
			t.Fatal(err)
		}
		truth := make([]string, len(recs))
		for i, r := range recs {
			truth[i] = febrlEntity(r.ID)
		}
		p, r, _, _, _ := pairwise(res.Clusters, truth)
		f := 2 * p * r / (p + r)
		t.Logf("FEBRL %s without identifiers: precision %.4f recall %.4f F1 %.4f", name, p, r, f)
		// The target, 0.98. What dataset1 still misses (recall
		// 0.962) are duplicates in which two of given name, family name
		// and date of birth were replaced, the address agreeing: without
		// the identifier that is another person at the address.
		if f < 0.98 {
			t.Errorf("F1 %.4f", f)
		}
	}
	left := withoutIDs(loadCSV(t, filepath.Join("testdata", "wb_left.csv")))
	right := withoutIDs(loadCSV(t, filepath.Join("testdata", "wb_right.csv")))
	truth := map[[2]string]bool{}
	for _, r := range readTruth(t, filepath.Join("testdata", "wb_link_truth.csv")) {
		truth[[2]string{r[0], r[1]}] = true
	}
	res, err := Link(context.Background(), left, right, Options{OneToOne: true})
	if err != nil {
		t.Fatal(err)
	}
	tp, review := 0, 0
	for _, pr := range res.Pairs {
		if truth[[2]string{left[pr.Left].ID, right[pr.Right].ID}] {
			tp++
		}
		if pr.Score < HighScore {
			review++
		}
	}
	p := float64(tp) / float64(max(1, len(res.Pairs)))
	r := float64(tp) / float64(len(truth))
	f := 2 * p * r / (p + r)
	t.Logf("WB link without identifiers: precision %.4f recall %.4f F1 %.4f, %d pairs in the review band", p, r, f, review)
	if f < 0.98 {
		t.Errorf("F1 %.4f", f)
	}
}

// TestOneToOneLinkWithoutIdentifiers links each FEBRL file's originals
// with one duplicate of each (rec-N-org with rec-N-dup-0), identifier
// column removed, one-to-one: two files of the same persons, as FEBRL's
// linkage set is made. Before the one-to-one posteriors
// (exclusiveScores) every pair was weighed as if it had no rivals and
// few records had partners, and recall was 0.86–0.98.
func TestOneToOneLinkWithoutIdentifiers(t *testing.T) {
	for _, name := range []string{"dataset1.csv", "dataset2.csv", "dataset3.csv"} {
		// Persons with an original and a first duplicate, in file order.
		var order []string
		original, duplicate := map[string]entity.Person{}, map[string]entity.Person{}
		for _, r := range withoutIDs(loadCSV(t, filepath.Join(febrlDir, name))) {
			switch e := febrlEntity(r.ID); {
			case strings.HasSuffix(r.ID, "-org"):
				original[e] = r
				order = append(order, e)
			case strings.HasSuffix(r.ID, "-dup-0"):
				duplicate[e] = r
			}
		}
		var left, right []entity.Person
		for _, e := range order {
			if d, ok := duplicate[e]; ok {
				left, right = append(left, original[e]), append(right, d)
			}
		}
		res, err := Link(context.Background(), left, right, Options{OneToOne: true})
		if err != nil {
			t.Fatal(err)
		}
		tp := 0
		for _, pr := range res.Pairs {
			if febrlEntity(left[pr.Left].ID) == febrlEntity(right[pr.Right].ID) {
				tp++
			}
		}
		p := float64(tp) / float64(max(1, len(res.Pairs)))
		r := float64(tp) / float64(len(right))
		f := 2 * p * r / (p + r)
		t.Logf("FEBRL %s originals × first duplicates (%d × %d), one-to-one, without identifiers: precision %.4f recall %.4f F1 %.4f", name, len(left), len(right), p, r, f)
		if p < 0.99 || f < 0.985 {
			t.Errorf("precision %.4f, F1 %.4f", p, f)
		}
	}
}

// A pair's one-to-one posterior depends on its rivals and on how many
// records of the file have a partner.
func TestExclusiveScores(t *testing.T) {
	// Ten left records, ten right: nine clear pairs (40 bits) and one
	// moderate pair (12 bits) with no rival.
	var pairs []Pair
	for i := 0; i < 9; i++ {
		pairs = append(pairs, Pair{Left: i, Right: i, Weight: 40})
	}
	pairs = append(pairs, Pair{Left: 9, Right: 9, Weight: 12})
	if s := exclusiveScores(pairs, 10, 10)[9]; s < 0.9 {
		t.Errorf("a 12-bit pair without rivals, where every other record has its partner: %.3f, want ≥ 0.9", s)
	}
	// The same pair alone among 1,000 records that have no partner.
	if s := exclusiveScores(pairs[9:], 1000, 1000)[0]; s > 0.5 {
		t.Errorf("a 12-bit pair where no other record has a partner: %.3f, want ≤ 0.5", s)
	}
	// Two equal rivals for one left record share its probability.
	rivals := append(slices.Clone(pairs[:9]), Pair{Left: 9, Right: 9, Weight: 30}, Pair{Left: 9, Right: 10, Weight: 30})
	s := exclusiveScores(rivals, 10, 11)
	if s[9] > 0.5 || s[10] > 0.5 || math.Abs(s[9]-s[10]) > 1e-12 {
		t.Errorf("two equal rivals: %.3f and %.3f, want equal and ≤ 0.5", s[9], s[10])
	}
}

// Two files with no person in common (two FEBRL files' originals) link
// nobody one-to-one: namesakes with other dates and addresses were linked
// when every pair was scored without its file's share of partners.
func TestOneToOneLinkOfStrangers(t *testing.T) {
	originals := func(name string) []entity.Person {
		var out []entity.Person
		for _, r := range withoutIDs(loadCSV(t, filepath.Join(febrlDir, name))) {
			if strings.HasSuffix(r.ID, "-org") {
				out = append(out, r)
			}
		}
		return out
	}
	left, right := originals("dataset3.csv"), originals("dataset2.csv")
	res, err := Link(context.Background(), left, right, Options{OneToOne: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range res.Pairs {
		t.Errorf("%s linked with %s (score %.3f)", left[p.Left].ID, right[p.Right].ID, p.Score)
	}
}

// The weight floor of a one-to-one link is where a pair without rivals
// reaches the threshold with π at its bound: Link may drop the pairs
// under it without changing the result.
func TestOneToOneFloor(t *testing.T) {
	for _, c := range []struct {
		threshold float64
		n         int
	}{{0.5, 5000}, {0.01, 5000}, {0.9, 100}, {0.5, 1}} {
		floor := oneToOneFloor(c.threshold, c.n)
		post := func(w float64) float64 {
			lp := math.Log2(maxShare) - math.Log2(float64(c.n))
			return math.Exp2(lp + w - logSumExp2([]float64{math.Log2(1 - maxShare), lp + w}))
		}
		if below, above := post(floor-0.01), post(floor+0.01); below >= c.threshold || above < c.threshold {
			t.Errorf("threshold %v, N %d: floor %.2f bits gives %.4f just below and %.4f just above", c.threshold, c.n, floor, below, above)
		}
	}
}

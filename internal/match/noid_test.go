package match

import (
	"context"
	"path/filepath"
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

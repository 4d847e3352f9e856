package match

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
)

// febrlDir is the shared development data, relative to this package.
const febrlDir = "../../../shared/data/febrl"

func loadCSV(t testing.TB, path string) []entity.Person {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			t.Skipf("development data %s not present; skipping quality test", path)
		}
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := ReadPersons(f, filepath.Base(path), TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// febrlEntity is the truth key: rec-N-org and rec-N-dup-K share "N".
func febrlEntity(id string) string {
	parts := strings.Split(id, "-")
	if len(parts) < 3 {
		return id
	}
	return parts[1]
}

// pairwise computes pairwise precision and recall of predicted clusters
// against truth entity labels.
func pairwise(clusters []int, truth []string) (precision, recall float64, tp, fp, fn int) {
	type key struct {
		c int
		t string
	}
	byC := map[int]int{}
	byT := map[string]int{}
	byBoth := map[key]int{}
	for i, c := range clusters {
		byC[c]++
		byT[truth[i]]++
		byBoth[key{c, truth[i]}]++
	}
	pairs := func(n int) int { return n * (n - 1) / 2 }
	pred, act := 0, 0
	for _, n := range byC {
		pred += pairs(n)
	}
	for _, n := range byT {
		act += pairs(n)
	}
	for _, n := range byBoth {
		tp += pairs(n)
	}
	fp, fn = pred-tp, act-tp
	precision, recall = 1, 1
	if pred > 0 {
		precision = float64(tp) / float64(pred)
	}
	if act > 0 {
		recall = float64(tp) / float64(act)
	}
	return
}

func TestFEBRLDedupeQuality(t *testing.T) {
	for _, name := range []string{"dataset1.csv", "dataset2.csv", "dataset3.csv"} {
		t.Run(name, func(t *testing.T) {
			recs := loadCSV(t, filepath.Join(febrlDir, name))
			res, err := Dedupe(context.Background(), recs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			truth := make([]string, len(recs))
			for i, r := range recs {
				truth[i] = febrlEntity(r.ID)
			}
			p, r, tp, fp, fn := pairwise(res.Clusters, truth)
			t.Logf("%s: precision %.4f recall %.4f (tp %d fp %d fn %d), %d comparisons, prior %.4f, %d EM iterations",
				name, p, r, tp, fp, fn, res.Stats.Comparisons, res.Model.Prior, res.Model.Iterations)
			if p < 0.95 || r < 0.95 {
				t.Errorf("precision %.4f recall %.4f, want both >= 0.95", p, r)
			}
		})
	}
}

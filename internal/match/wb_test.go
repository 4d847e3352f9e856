package match

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"
)

func readTruth(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// TestWesternBalkanDedupeQuality deduplicates the generated Western Balkan
// set (Cyrillic/Latin, diacritics, swapped order, patronymics, JMBG typos,
// day/month swaps, relatives as hard non-matches).
func TestWesternBalkanDedupeQuality(t *testing.T) {
	recs := loadCSV(t, filepath.Join("testdata", "wb_dedupe.csv"))
	truthRows := readTruth(t, filepath.Join("testdata", "wb_dedupe_truth.csv"))
	ent := map[string]string{}
	for _, r := range truthRows {
		ent[r[0]] = r[1]
	}
	truth := make([]string, len(recs))
	for i, r := range recs {
		truth[i] = ent[r.ID]
	}
	res, err := Dedupe(context.Background(), recs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, r, tp, fp, fn := pairwise(res.Clusters, truth)
	t.Logf("precision %.4f recall %.4f (tp %d fp %d fn %d), %d comparisons, prior %.4f", p, r, tp, fp, fn, res.Stats.Comparisons, res.Model.Prior)
	if testing.Verbose() {
		logErrors(t, res, truth)
	}
	if p < 0.95 || r < 0.95 {
		t.Errorf("precision %.4f recall %.4f, want both >= 0.95", p, r)
	}
}

func logErrors(t *testing.T, res *Result, truth []string) {
	shown := 0
	for _, pr := range res.Pairs {
		if truth[pr.Left] != truth[pr.Right] && shown < 15 {
			shown++
			t.Logf("FP %v|%v  %.3f %s", res.left[pr.Left].sortKey, res.right[pr.Right].sortKey, pr.Score, res.Explain(pr))
		}
	}
}

func TestWesternBalkanLinkQuality(t *testing.T) {
	left := loadCSV(t, filepath.Join("testdata", "wb_left.csv"))
	right := loadCSV(t, filepath.Join("testdata", "wb_right.csv"))
	truth := map[[2]string]bool{}
	for _, r := range readTruth(t, filepath.Join("testdata", "wb_link_truth.csv")) {
		truth[[2]string{r[0], r[1]}] = true
	}
	for _, oneToOne := range []bool{false, true} {
		res, err := Link(context.Background(), left, right, Options{OneToOne: oneToOne})
		if err != nil {
			t.Fatal(err)
		}
		tp := 0
		for _, pr := range res.Pairs {
			if truth[[2]string{left[pr.Left].ID, right[pr.Right].ID}] {
				tp++
			} else if testing.Verbose() {
				t.Logf("FP %s|%s %.3f %s", res.left[pr.Left].sortKey, res.right[pr.Right].sortKey, pr.Score, res.Explain(pr))
			}
		}
		p := float64(tp) / float64(max(1, len(res.Pairs)))
		r := float64(tp) / float64(len(truth))
		t.Logf("one-to-one=%v: precision %.4f recall %.4f (%d pairs, %d true), %d comparisons", oneToOne, p, r, len(res.Pairs), len(truth), res.Stats.Comparisons)
		if p < 0.95 || r < 0.95 {
			t.Errorf("one-to-one=%v: precision %.4f recall %.4f, want both >= 0.95", oneToOne, p, r)
		}
	}
}

package pprl

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
)

const febrlDir = "../../../../shared/data/febrl"

func loadPersons(t testing.TB, path string) []entity.Person {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			t.Skipf("development data %s not present", path)
		}
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := match.ReadPersons(f, filepath.Base(path), match.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func dropIDs(ps []entity.Person) []entity.Person {
	out := make([]entity.Person, len(ps))
	copy(out, ps)
	for i := range out {
		out[i].PersonalID = entity.PersonalID{}
	}
	return out
}

func testKey(t testing.TB, s *Schema) *Key {
	t.Helper()
	k, err := NewKey(s, []byte("regional test secret, not for production"))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func prepareAll(k *Key, ps []entity.Person) []Record {
	out := make([]Record, len(ps))
	for i := range ps {
		out[i] = k.Prepare(&ps[i])
	}
	return out
}

// f1 of predicted pairs against truth pairs (keys "a|b").
func prf(pred []string, truth map[string]bool) (p, r, f float64) {
	tp := 0
	for _, x := range pred {
		if truth[x] {
			tp++
		}
	}
	p, r = 1, 1
	if len(pred) > 0 {
		p = float64(tp) / float64(len(pred))
	}
	if len(truth) > 0 {
		r = float64(tp) / float64(len(truth))
	}
	if p+r > 0 {
		f = 2 * p * r / (p + r)
	}
	return
}

func febrlEntity(id string) string {
	parts := strings.Split(id, "-")
	if len(parts) < 3 {
		return id
	}
	return parts[1]
}

// qualityFEBRL dedupes a FEBRL set through encodings and returns pairwise
// precision, recall and F1 (pairs found vs true pairs).
func qualityFEBRL(t *testing.T, k *Key, name string, noIDs bool) (float64, float64, float64, LinkResult) {
	return qualityFEBRLWith(t, k, nil, name, noIDs)
}

func qualityFEBRLWith(t *testing.T, k *Key, model *DiceModel, name string, noIDs bool) (float64, float64, float64, LinkResult) {
	ps := loadPersons(t, filepath.Join(febrlDir, name))
	if noIDs {
		ps = dropIDs(ps)
	}
	recs := prepareAll(k, ps)
	res := Dedupe(recs, model, match.DefaultThreshold)
	truth := map[string]bool{}
	byEnt := map[string][]int{}
	for i, p := range ps {
		e := febrlEntity(p.ID)
		byEnt[e] = append(byEnt[e], i)
	}
	for _, is := range byEnt {
		for a := 0; a < len(is); a++ {
			for b := a + 1; b < len(is); b++ {
				truth[pairKey(is[a], is[b])] = true
			}
		}
	}
	var pred []string
	for _, pr := range res.Pairs {
		pred = append(pred, pairKey(pr.Left, pr.Right))
	}
	p, r, f := prf(pred, truth)
	return p, r, f, res
}

func pairKey(a, b int) string {
	if a > b {
		a, b = b, a
	}
	return itoa(a) + "|" + itoa(b)
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			break
		}
	}
	return string(b[n:])
}

func qualityWB(t *testing.T, k *Key, noIDs bool) (float64, float64, float64, LinkResult) {
	return qualityWBWith(t, k, nil, noIDs)
}

func qualityWBWith(t *testing.T, k *Key, model *DiceModel, noIDs bool) (float64, float64, float64, LinkResult) {
	left := loadPersons(t, "../testdata/wb_left.csv")
	right := loadPersons(t, "../testdata/wb_right.csv")
	if noIDs {
		left, right = dropIDs(left), dropIDs(right)
	}
	f, err := os.Open("../testdata/wb_link_truth.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	li, ri := map[string]int{}, map[string]int{}
	for i, p := range left {
		li[p.ID] = i
	}
	for i, p := range right {
		ri[p.ID] = i
	}
	truth := map[string]bool{}
	for _, r := range rows[1:] {
		truth[itoa(li[r[0]])+"|"+itoa(ri[r[1]])] = true
	}
	res := Link(prepareAll(k, left), prepareAll(k, right), model, match.DefaultThreshold, true)
	var pred []string
	for _, pr := range res.Pairs {
		pred = append(pred, itoa(pr.Left)+"|"+itoa(pr.Right))
	}
	p, r, f1 := prf(pred, truth)
	return p, r, f1, res
}

// TestEncodedQuality measures linkage through encodings only on the FEBRL
// development sets and the Western Balkan linkage set, with and without
// the identifier column. The Dice model is the default one, fitted on
// generated training data; its field-group distributions and prior are
// refitted by EM on each run's candidate pairs, starting from the fitted
// ones; the threshold is the engine's default, not tuned.
func TestEncodedQuality(t *testing.T) {
	k := testKey(t, DefaultSchema())
	for _, noIDs := range []bool{false, true} {
		for _, name := range []string{"dataset1.csv", "dataset2.csv", "dataset3.csv"} {
			p, r, f, res := qualityFEBRL(t, k, name, noIDs)
			t.Logf("FEBRL %s noIDs=%v: precision %.4f recall %.4f F1 %.4f (%d comparisons, review %d, prior %.4f)", name, noIDs, p, r, f, res.Comparisons, res.Review, res.Model.Prior)
			// The targets: 0.99 with identifiers, 0.97 without (measured
			// figures in docs/matching.md).
			want := 0.99
			if noIDs {
				want = 0.97
			}
			if f < want {
				t.Errorf("FEBRL %s noIDs=%v: F1 %.4f < %.2f", name, noIDs, f, want)
			}
		}
		p, r, f, res := qualityWB(t, k, noIDs)
		t.Logf("WB link noIDs=%v: precision %.4f recall %.4f F1 %.4f (%d comparisons, review %d)", noIDs, p, r, f, res.Comparisons, res.Review)
		// The 0.99 target with identifiers (met since the identifier's
		// digits are compared by position); without, a floor at the
		// measured level (see docs/matching.md).
		want := 0.99
		if noIDs {
			want = 0.98
		}
		if f < want {
			t.Errorf("WB link noIDs=%v: F1 %.4f < %.3f", noIDs, f, want)
		}
	}
}

// TestEncodedQualityByHardening reports the quality cost of each hardening
// option, with the default field groups and without them (the record-level
// filter alone): for each, the model is refitted on the generated training
// data under that option (as TestFitDefaultModel does for the default),
// then the development sets are linked through encodings only. It logs,
// it does not assert: the figures go to docs/matching.md.
func TestEncodedQualityByHardening(t *testing.T) {
	if os.Getenv("LIAISON_PPRL_QUALITY") == "" {
		t.Skip("set LIAISON_PPRL_QUALITY=1 to measure every hardening option")
	}
	for _, groups := range []bool{false, true} {
		for _, h := range []Hardening{{}, {Balance: true}, {XORFold: 1}, {Balance: true, XORFold: 1}} {
			s := *DefaultSchema()
			s.ClkConfig.Hardening = h
			if !groups {
				s.ClkConfig.FieldGroups = nil
			}
			k := testKey(t, &s)
			a, b, truth, household := labelledEncodings(t, k, 6000)
			m := FitModel(&s, a, b, truth, household)
			name := fmt.Sprintf("groups=%v balance=%v xorFolds=%d", groups, h.Balance, h.XORFold)
			for _, noIDs := range []bool{false, true} {
				var out []string
				for _, set := range []string{"dataset1.csv", "dataset2.csv", "dataset3.csv"} {
					p, r, f, _ := qualityFEBRLWith(t, k, m, set, noIDs)
					out = append(out, fmt.Sprintf("%.3f / %.3f / %.3f", p, r, f))
				}
				p, r, f, _ := qualityWBWith(t, k, m, noIDs)
				out = append(out, fmt.Sprintf("%.3f / %.3f / %.3f", p, r, f))
				t.Logf("%s noIDs=%v: | %s |", name, noIDs, strings.Join(out, " | "))
			}
		}
	}
}

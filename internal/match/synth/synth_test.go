package synth

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
)

var update = flag.Bool("update", false, "rewrite the Western Balkan test set in ../testdata")

const testdata = "../testdata"

// wbFiles renders the committed Western Balkan test set.
func wbFiles() map[string][]byte {
	files := map[string][]byte{}
	var b bytes.Buffer
	dd := DedupeSet(20240601, 3000)
	_ = WriteCSV(&b, dd, nil)
	files["wb_dedupe.csv"] = bytes.Clone(b.Bytes())
	b.Reset()
	b.WriteString("id,entity\n")
	for _, r := range dd {
		fmt.Fprintf(&b, "%s,%d\n", r.Row["id"], r.Entity)
	}
	files["wb_dedupe_truth.csv"] = bytes.Clone(b.Bytes())

	left, right := LinkSets(20240602, 3000)
	b.Reset()
	_ = WriteCSV(&b, left, nil)
	files["wb_left.csv"] = bytes.Clone(b.Bytes())
	b.Reset()
	_ = WriteCSV(&b, right, AltHeaders)
	files["wb_right.csv"] = bytes.Clone(b.Bytes())
	b.Reset()
	b.WriteString("left_id,right_id\n")
	byEnt := map[int]string{}
	for _, r := range left {
		byEnt[r.Entity] = r.Row["id"]
	}
	var lines []string
	for _, r := range right {
		if l, ok := byEnt[r.Entity]; ok {
			lines = append(lines, l+","+r.Row["id"])
		}
	}
	sort.Strings(lines)
	for _, l := range lines {
		b.WriteString(l + "\n")
	}
	files["wb_link_truth.csv"] = bytes.Clone(b.Bytes())
	return files
}

// TestWesternBalkanTestSet checks that the committed test set is exactly
// what the generator produces (run with -update to regenerate).
func TestWesternBalkanTestSet(t *testing.T) {
	for name, want := range wbFiles() {
		path := filepath.Join(testdata, name)
		if *update {
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/match/synth -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator output; run with -update", name)
		}
	}
}

func TestGeneratorProperties(t *testing.T) {
	recs := DedupeSet(1, 2000)
	cyr, noDia, fullName, jmbg, al, xk := 0, 0, 0, 0, 0, 0
	ents := map[int]int{}
	for _, r := range recs {
		ents[r.Entity]++
		n := r.Row["given_name"] + r.Row["surname"] + r.Row["full_name"]
		for _, c := range n {
			if c >= 'А' && c <= 'я' || c == 'ђ' || c == 'ћ' || c == 'џ' || c == 'љ' || c == 'њ' || c == 'ј' {
				cyr++
				break
			}
		}
		if r.Row["full_name"] != "" {
			fullName++
		}
		if entity.Fold(n) == n {
			noDia++
		}
		p := entity.ParsePersonalID(r.Row["personal_id"])
		switch p.Kind {
		case entity.IDJMBG:
			jmbg++
		case entity.IDAlbanian:
			al++
		case entity.IDKosovo:
			xk++
		}
	}
	dups := len(recs) - len(ents)
	t.Logf("%d records, %d entities, %d duplicates, cyrillic %d, full-name %d, JMBG %d, AL %d, XK %d", len(recs), len(ents), dups, cyr, fullName, jmbg, al, xk)
	if dups < len(recs)/5 || cyr == 0 || fullName == 0 || jmbg == 0 || al == 0 || xk == 0 {
		t.Error("generated set lacks the variation it promises")
	}
	// Deterministic.
	again := DedupeSet(1, 2000)
	if fmt.Sprint(again[17].Row) != fmt.Sprint(recs[17].Row) {
		t.Error("generator not deterministic")
	}
}

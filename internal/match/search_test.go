package match

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match/synth"
)

// Search gives every pair Link compares the same pattern, weight, score
// and explanation, for probes written as one full name or by name parts,
// and compares the candidates Link's blocking would skip as well.
func TestSearchScoresAsLinkDoes(t *testing.T) {
	g := synth.New(7)
	var register, probes []entity.Person
	for i := 0; i < 300; i++ {
		id := g.Identity()
		register = append(register, personOf(g.Render(id, "", false), false))
		// Every other probe is typed into one search box.
		probes = append(probes, personOf(g.Render(id, "", true), i%2 == 0))
	}
	model := FitRegister(register, 100000, 1)
	cands := make([]*Prepared, len(register))
	for i := range register {
		cands[i] = Prepare(&register[i])
	}
	skipped := 0
	for i := 0; i < len(probes); i += 10 {
		// The candidates an index might return: the person and a block
		// of others.
		lo := max(0, i-20)
		hi := min(len(register), i+20)
		right, prep := register[lo:hi], cands[lo:hi]
		link, err := Link(context.Background(), probes[i:i+1], right, Options{Model: model, Threshold: 1e-300, Workers: 1, MaxBlock: len(right) + 2})
		if err != nil {
			t.Fatal(err)
		}
		search := Search(model, probes[i:i+1], prep, 1e-300)
		byRight := map[int]Pair{}
		for _, p := range search.Pairs {
			byRight[p.Right] = p
		}
		if len(search.Pairs) != len(right) {
			t.Fatalf("probe %d: Search kept %d pairs of %d candidates", i, len(search.Pairs), len(right))
		}
		skipped += len(right) - len(link.Pairs)
		for _, lp := range link.Pairs {
			sp, ok := byRight[lp.Right]
			if !ok {
				t.Fatalf("probe %d: Search lost candidate %d", i, lp.Right)
			}
			if sp.Pattern != lp.Pattern || sp.Weight != lp.Weight || sp.Score != lp.Score {
				t.Errorf("probe %d candidate %d: Search %v %.3f %.3g, Link %v %.3f %.3g", i, lp.Right, sp.Pattern, sp.Weight, sp.Score, lp.Pattern, lp.Weight, lp.Score)
			}
			if sw, lw := search.PairWeight(sp), link.PairWeight(lp); sw != lw {
				t.Errorf("probe %d candidate %d: pair weight %.3f, Link %.3f", i, lp.Right, sw, lw)
			}
			if se, le := search.Explain(sp).String(), link.Explain(lp).String(); se != le {
				t.Errorf("probe %d candidate %d: explanation\n%s\nLink\n%s", i, lp.Right, se, le)
			}
		}
	}
	if skipped == 0 {
		t.Error("Link compared every candidate: the test does not show that Search compares more")
	}
}

// personOf reads a synthetic row, with the name in one field when full.
func personOf(r synth.Row, full bool) entity.Person {
	v := map[string]string{}
	for k, x := range r {
		if k == "surname" {
			k = ColFamily
		}
		v[k] = x
	}
	if full {
		v[ColFull] = strings.TrimSpace(v[ColGiven] + " " + v[ColFamily])
		delete(v, ColGiven)
		delete(v, ColFamily)
	}
	return PersonFromFields(v, "RS")
}

// The cached arrangements of a full-name probe are the ones computed on
// demand.
func TestPreparedArrangementsAreCached(t *testing.T) {
	p := PersonFromFields(map[string]string{ColFull: "Marko Petar Jovanović"}, "RS")
	r := prepare(&p)
	want := r.arrangements(nil)
	r.arrs = r.arrangements(nil)
	got := r.arrangements(make([]arrangement, 0, 16))
	if len(got) != len(want) || len(want) < 6 {
		t.Fatalf("%d arrangements cached, %d computed", len(got), len(want))
	}
	for k := range want {
		if got[k].given.s != want[k].given.s || got[k].family.s != want[k].family.s || got[k].father.ph != want[k].father.ph {
			t.Errorf("arrangement %d: %+v, want %+v", k, got[k], want[k])
		}
	}
}

func BenchmarkSearch64(b *testing.B) {
	g := synth.New(3)
	var register []entity.Person
	for i := 0; i < 64; i++ {
		register = append(register, personOf(g.Render(g.Identity(), "", false), false))
	}
	model := FitRegister(register, 1000000, 1)
	cands := make([]*Prepared, len(register))
	for i := range register {
		cands[i] = Prepare(&register[i])
	}
	probe := []entity.Person{personOf(g.Render(g.Identity(), "", true), true)}
	b.Run("Search", func(b *testing.B) {
		for b.Loop() {
			Search(model, probe, cands, 1e-300)
		}
	})
	b.Run("Link", func(b *testing.B) {
		for b.Loop() {
			if _, err := Link(context.Background(), probe, register, Options{Model: model, Threshold: 1e-300, Workers: 1, MaxBlock: 66}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

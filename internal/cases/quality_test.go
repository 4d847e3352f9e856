package cases_test

import (
	"context"
	"testing"

	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/match/synth"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// TestHitQualityOnNoisyRenderings answers 1,000 queries for stored persons
// (another agency's registration: Cyrillic, swapped names, typos, missing
// fields) and 1,000 for persons not stored, against a register of 20,000,
// with the register model fitted on the register itself. liaison bench
// search measures the same at a million (docs/PERFORMANCE.md).
func TestHitQualityOnNoisyRenderings(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 20,000 persons")
	}
	ctx := context.Background()
	st := storetest.SQLite(t)
	s, _ := newService(t, st)
	g := synth.New(20261204)
	var rows []map[string]string
	var known []*synth.Identity
	var stored []map[string]string
	for i := 0; i < 20000; i++ {
		id := g.Identity()
		r := synthFields(g.Render(id, "", false))
		rows = append(rows, r)
		if i%20 == 0 {
			known, stored = append(known, id), append(stored, r)
		}
	}
	if err := s.BulkLoad(ctx, officer, "quality", rows); err != nil {
		t.Fatal(err)
	}
	var items []cases.QueryItem
	for i, id := range known {
		items = append(items,
			cases.QueryItem{N: 2 * i, Probe: cases.Probe{Kind: "person", Fields: synthFields(g.Render(id, "", true))}},
			cases.QueryItem{N: 2*i + 1, Probe: cases.Probe{Kind: "person", Fields: synthFields(g.Render(g.Identity(), "", true))}})
	}
	res, err := s.MatchBatch(ctx, items)
	if err != nil {
		t.Fatal(err)
	}
	found, wrong, falseHits := 0, 0, 0
	for i, r := range res {
		if i%2 == 1 {
			if r != nil {
				falseHits++
			}
			continue
		}
		want := stored[i/2]
		switch {
		case r == nil:
		case r.Entity.Fields["personal_id"] == want["personal_id"] && r.Entity.Fields["given_name"] == want["given_name"]:
			found++
		default:
			wrong++
		}
	}
	t.Logf("known persons found %d/%d (another person %d); hits on persons not stored %d/%d", found, len(known), wrong, falseHits, len(known))
	if found < 990 || wrong > 0 || falseHits > 10 {
		t.Errorf("hit quality: found %d/1000 (want ≥ 990), another person %d (want 0), false hits %d/1000 (want ≤ 10)", found, wrong, falseHits)
	}
}

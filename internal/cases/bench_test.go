package cases_test

import (
	"context"
	"testing"

	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/match/synth"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

func synthFields(r synth.Row) map[string]string {
	f := map[string]string{}
	for k, v := range r {
		if v == "" || k == "id" {
			continue
		}
		if k == "surname" {
			k = "family_name"
		}
		f[k] = v
	}
	return f
}

// BenchmarkHitNoHitQuery answers one query against 20,000 stored persons
// (liaison bench search measures a million).
func BenchmarkHitNoHitQuery(b *testing.B) {
	ctx := context.Background()
	st := storetest.SQLite(b)
	s, _ := newService(b, st)
	g := synth.New(7)
	var rows []map[string]string
	var known []*synth.Identity
	for i := 0; i < 20000; i++ {
		id := g.Identity()
		rows = append(rows, synthFields(g.Render(id, "", false)))
		if i%20 == 0 {
			known = append(known, id)
		}
	}
	if err := s.BulkLoad(ctx, officer, "bench", rows); err != nil {
		b.Fatal(err)
	}
	var items []cases.QueryItem
	for i, id := range known {
		items = append(items, cases.QueryItem{N: i, Probe: cases.Probe{Kind: "person", Fields: synthFields(g.Render(id, "", true))}})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.MatchBatch(ctx, items[i%len(items):i%len(items)+1]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHitNoHitBatch answers batches of 100 queries against 20,000
// stored persons through the in-memory index.
func BenchmarkHitNoHitBatch(b *testing.B) {
	ctx := context.Background()
	st := storetest.SQLite(b)
	s, _ := newService(b, st)
	g := synth.New(7)
	var rows []map[string]string
	var known []*synth.Identity
	for i := 0; i < 20000; i++ {
		id := g.Identity()
		rows = append(rows, synthFields(g.Render(id, "", false)))
		if i%20 == 0 {
			known = append(known, id)
		}
	}
	if err := s.BulkLoad(ctx, officer, "bench", rows); err != nil {
		b.Fatal(err)
	}
	var items []cases.QueryItem
	for i, id := range known {
		items = append(items, cases.QueryItem{N: i, Probe: cases.Probe{Kind: "person", Fields: synthFields(g.Render(id, "", true))}})
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := (i * 100) % (len(items) - 100)
		if _, err := s.MatchBatch(ctx, items[j:j+100]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100), "ns/item")
}

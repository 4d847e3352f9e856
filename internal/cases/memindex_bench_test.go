package cases

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match/synth"
)

// BenchmarkIndexHeapPerPerson measures what the in-memory candidate index
// costs per stored person: Go heap in use once built (after a collection)
// and the time to prepare and add the items (the start-up rebuild without
// reading the database). Run alone:
//
//	go test -run XXX -bench IndexHeap -benchtime 1x ./internal/cases/
func BenchmarkIndexHeapPerPerson(b *testing.B) {
	const n = 200_000
	s := &Service{d: Deps{Region: "RS"}}
	g := synth.New(11)
	fields := make([]map[string]string, n)
	for i := range fields {
		f := map[string]string{}
		for k, v := range g.Render(g.Identity(), "", false) {
			if v == "" || k == "id" {
				continue
			}
			if k == "surname" {
				k = "family_name"
			}
			f[k] = v
		}
		fields[i] = f
	}
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		t0 := time.Now()
		ix := newMemIndex()
		var blobBytes int
		const batch = 5000
		_, err := ix.Build(context.Background(), func(_ context.Context, _ func([]int64) []bool, emit func([]memItem)) error {
			for start := 0; start < n; start += batch {
				items := make([]memItem, 0, batch)
				for i := start; i < min(start+batch, n); i++ {
					it := s.indexItem(int64(i+1), entity.KindPerson, fields[i], nil)
					blobBytes += len(it.Blob)
					items = append(items, it)
				}
				emit(items)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "heap-B/person")
		b.ReportMetric(float64(took.Nanoseconds())/n, "build-ns/person")
		b.ReportMetric(float64(ix.Stats().Postings)/n, "postings/person")
		b.ReportMetric(float64(blobBytes)/n, "record-B/person")
		runtime.KeepAlive(ix)
	}
}

package cases_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/match/synth"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// BenchmarkBulkLoad loads 50,000 persons into an empty case database and
// reports persons per second (liaison bench search loads a million).
//
//	go test -run XXX -bench BulkLoad -benchtime 1x ./internal/cases/
func BenchmarkBulkLoad(b *testing.B) {
	const n = 50_000
	g := synth.New(5)
	rows := make([]map[string]string, n)
	for i := range rows {
		rows[i] = synthFields(g.Render(g.Identity(), "", false))
	}
	for range b.N {
		b.StopTimer()
		st := storetest.SQLite(b)
		s, _ := newService(b, st)
		b.StartTimer()
		for start := 0; start < n; start += 10_000 {
			if err := s.BulkLoad(context.Background(), officer, "bench", rows[start:start+10_000]); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "persons/s")
	}
}

// BenchmarkImportCSV imports a CSV file of 20,000 persons (the path of
// liaison cases import and the API's import) and reports rows per second.
//
//	go test -run XXX -bench ImportCSV -benchtime 1x ./internal/cases/
//
// With LIAISON_TEST_POSTGRES set it runs on PostgreSQL too (sub-benchmark
// postgres, the COPY path).
func BenchmarkImportCSV(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) { benchImportCSV(b, be) })
	}
}

func benchImportCSV(b *testing.B, be storetest.Backend) {
	const n = 20_000
	g := synth.New(6)
	var csv strings.Builder
	cols := []string{"given_name", "family_name", "date_of_birth", "personal_id", "place_of_birth", "phone"}
	csv.WriteString(strings.Join(cols, ",") + "\n")
	for range n {
		f := synthFields(g.Render(g.Identity(), "", false))
		for i, c := range cols {
			if i > 0 {
				csv.WriteByte(',')
			}
			csv.WriteString(strings.ReplaceAll(f[c], ",", " "))
		}
		csv.WriteByte('\n')
	}
	b.ResetTimer() // the file's generation is not the import
	for range b.N {
		b.StopTimer()
		st := storetest.Open(b, be.Options(b))
		s, _ := newService(b, st)
		b.StartTimer()
		rep, err := s.Import(context.Background(), officer, strings.NewReader(csv.String()), cases.ImportOptions{Format: cases.FormatCSV, Filename: "bench.csv"})
		if err != nil || rep.Created < n*9/10 {
			b.Fatalf("%+v %v", rep.Created, err)
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	}
}

// BenchmarkIndexRebuild measures the start-up rebuild of the in-memory
// index from 100,000 stored persons (the index data stored with each
// entity, read back without parsing) and reports persons per second.
//
//	go test -run XXX -bench IndexRebuild -benchtime 1x ./internal/cases/
func BenchmarkIndexRebuild(b *testing.B) {
	const n = 100_000
	g := synth.New(8)
	rows := make([]map[string]string, n)
	for i := range rows {
		rows[i] = synthFields(g.Render(g.Identity(), "", false))
	}
	st := storetest.SQLite(b)
	s, _ := newService(b, st)
	for start := 0; start < n; start += 10_000 {
		if err := s.BulkLoad(context.Background(), officer, "bench", rows[start:start+10_000]); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for range b.N {
		fresh, _ := newService(b, st)
		stats, err := fresh.WarmIndex(context.Background())
		if err != nil || stats.Entities != n {
			b.Fatalf("%+v %v", stats, err)
		}
		b.ReportMetric(float64(n)/stats.Build.Seconds(), "persons/s")
	}
}

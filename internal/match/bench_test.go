package match

import (
	"context"
	"runtime"
	"testing"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match/synth"
)

var synthKinds = map[string]string{
	"id": ColID, "given_name": ColGiven, "surname": ColFamily, "father_name": ColFather,
	"full_name": ColFull, "date_of_birth": ColDOB, "sex": ColSex, "personal_id": ColPersonalID,
	"address_1": ColAddress1, "street_number": ColStreetNumber, "city": ColCity,
	"postcode": ColPostcode, "country": ColCountry, "phone": ColPhone, "nationality": ColNationality,
}

func synthPersons(rs []synth.Record) []entity.Person {
	out := make([]entity.Person, len(rs))
	vals := map[string]string{}
	for i, r := range rs {
		clear(vals)
		for k, v := range r.Row {
			vals[synthKinds[k]] = v
		}
		out[i] = PersonFromFields(vals, "")
	}
	return out
}

func synthDedupe(n int) []entity.Person {
	var out []entity.Person
	vals := map[string]string{}
	synth.DedupeEach(7, n*4/7+1, func(r synth.Record) {
		if len(out) >= n {
			return
		}
		clear(vals)
		for k, v := range r.Row {
			vals[synthKinds[k]] = v
		}
		out = append(out, PersonFromFields(vals, ""))
	})
	return out
}

func reportPeak(b *testing.B) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapSys)/(1<<20), "heapsys-MiB")
}

// BenchmarkLink5k links 5,000 × ~4,300 synthetic Western Balkan records
// (normalised persons in, pairs out).
func BenchmarkLink5k(b *testing.B) {
	l, r := synth.LinkSets(1, 5000)
	left, right := synthPersons(l), synthPersons(r)
	b.ResetTimer()
	var cmp int64
	for i := 0; i < b.N; i++ {
		res, err := Link(context.Background(), left, right, Options{})
		if err != nil {
			b.Fatal(err)
		}
		cmp = res.Stats.Comparisons
	}
	b.ReportMetric(float64(len(left)+len(right))*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(cmp), "comparisons")
	reportPeak(b)
}

func benchDedupe(b *testing.B, n int) {
	recs := synthDedupe(n)
	b.ResetTimer()
	var cmp int64
	for i := 0; i < b.N; i++ {
		res, err := Dedupe(context.Background(), recs, Options{})
		if err != nil {
			b.Fatal(err)
		}
		cmp = res.Stats.Comparisons
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(cmp), "comparisons")
	reportPeak(b)
}

func BenchmarkDedupe100k(b *testing.B) { benchDedupe(b, 100_000) }

func BenchmarkDedupe1M(b *testing.B) { benchDedupe(b, 1_000_000) }

func BenchmarkCompare(b *testing.B) {
	recs := synthDedupe(2000)
	prep := make([]prepared, len(recs))
	for i := range recs {
		prep[i] = prepare(&recs[i])
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = compare(&prep[i%len(prep)], &prep[(i*7+1)%len(prep)])
	}
}

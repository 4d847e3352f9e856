package cases

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/match/candidx"
	"github.com/liaison-wb/liaison/internal/match/pprl"
	"github.com/liaison-wb/liaison/internal/match/synth"
)

var synthCols = map[string]string{
	"id": match.ColID, "given_name": match.ColGiven, "surname": match.ColFamily, "father_name": match.ColFather, "full_name": match.ColFull,
	"date_of_birth": match.ColDOB, "sex": match.ColSex, "personal_id": match.ColPersonalID, "address_1": match.ColAddress1,
	"street_number": match.ColStreetNumber, "city": match.ColCity, "postcode": match.ColPostcode, "country": match.ColCountry,
	"phone": match.ColPhone, "nationality": match.ColNationality,
}

// TestPrivateScale measures the private index at scale: encoding N
// generated persons (GOMAXPROCS workers), then private hit/no-hit
// scoring of noisy duplicates (without identifiers) against it, as the
// owner runs it (keyed blocking-key lookup, Dice on the candidates, Dice
// model posterior). Skipped unless LIAISON_PPRL_SCALE=N is set, e.g.
//
//	LIAISON_PPRL_SCALE=1000000 go test ./internal/cases -run TestPrivateScale -v
func TestPrivateScale(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LIAISON_PPRL_SCALE"))
	if n <= 0 {
		t.Skip("set LIAISON_PPRL_SCALE=N to run")
	}
	k, err := pprl.NewKey(pprl.DefaultSchema(), []byte("scale test regional secret 2026"))
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{pv: privState{model: pprl.DefaultDiceModel().Pooled()}}
	px := newPrivIndex(k)

	// Generate: the first record of each entity is stored; up to 2000
	// noisy duplicates, their identifiers removed, are the probes.
	var stored []entity.Person
	var storedEnt []int32
	var probes []entity.Person
	var probeEnt []int32
	vals := map[string]string{}
	synth.DedupeEach(20261204, int(float64(n)/0.9)+1, func(r synth.Record) {
		clear(vals)
		for c, v := range r.Row {
			vals[synthCols[c]] = v
		}
		p := match.PersonFromFields(vals, "")
		if r.Row["id"][len(r.Row["id"])-2:] == "-0" {
			if len(stored) < n {
				stored = append(stored, p)
				storedEnt = append(storedEnt, int32(r.Entity))
			}
			return
		}
		if len(probes) < 2000 && len(stored) < n {
			p.PersonalID = entity.PersonalID{}
			probes = append(probes, p)
			probeEnt = append(probeEnt, int32(r.Entity))
		}
	})
	n = len(stored)
	entPK := make(map[int32]int64, n)
	for i, e := range storedEnt {
		entPK[e] = int64(i + 1)
	}

	runtime.GC()
	var m0 runtime.MemStats
	runtime.ReadMemStats(&m0)
	t0 := time.Now()
	workers := runtime.GOMAXPROCS(0)
	_, err = px.ix.Build(context.Background(), func(ctx context.Context, known func([]int64) []bool, emit func([]candidx.Item[int64, privRec])) error {
		const page = 20000
		for start := 0; start < n; start += page {
			end := min(n, start+page)
			items := make([]candidx.Item[int64, privRec], end-start)
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				wg.Add(1)
				go func(w int) {
					defer wg.Done()
					for i := start + w; i < end; i += workers {
						enc, kb := k.EncodeWithBlocks(&stored[i])
						keys := make([]int64, len(kb))
						for j, x := range kb {
							keys[j] = int64(x)
						}
						items[i-start] = candidx.Item[int64, privRec]{ID: int64(i + 1), Keys: keys, Rec: privRec{person: true, encs: []pprl.Encoding{enc}}}
					}
				}(w)
			}
			wg.Wait()
			emit(items)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	enc := time.Since(t0)
	runtime.GC()
	var m1 runtime.MemStats
	runtime.ReadMemStats(&m1)
	t.Logf("encoded and indexed %d persons in %v (%.0f persons/s, %d workers); heap %.0f MiB with the generated records, %.0f MiB before indexing",
		n, enc.Round(time.Millisecond), float64(n)/enc.Seconds(), workers, float64(m1.HeapAlloc)/(1<<20), float64(m0.HeapAlloc)/(1<<20))

	// The requester's side: encode the probes (not timed with the owner).
	items := make([]QueryItem, len(probes))
	for i := range probes {
		raw := personKeys(probes[i], nil)
		items[i] = QueryItem{N: i + 1, Probe: Probe{Kind: "person"}, Private: &PrivateProbe{CLK: k.Encode(&probes[i]).String(), Blocks: packKeys(keyedInt64(k, raw))}}
	}
	// The owner's side, one query at a time.
	lat := make([]time.Duration, len(items))
	hits, right := 0, 0
	t1 := time.Now()
	for i, it := range items {
		q0 := time.Now()
		b := s.scorePrivate(px, it)
		lat[i] = time.Since(q0)
		if b != nil {
			hits++
			if b.pk == entPK[probeEnt[i]] {
				right++
			}
		}
	}
	wall := time.Since(t1)
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	t.Logf("private hit/no-hit against %d encoded persons, %d probes without identifiers: p50 %v p99 %v max %v; %.0f queries/s on one goroutine",
		n, len(items), pct(0.5), pct(0.99), lat[len(lat)-1], float64(len(items))/wall.Seconds())
	t.Logf("hits %d of %d probes (%.4f), of which the true person %d (precision %.4f)", hits, len(items), float64(hits)/float64(len(items)), right, float64(right)/float64(max(1, hits)))
	// Throughput with every core.
	var wg sync.WaitGroup
	t2 := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < len(items); i += workers {
				s.scorePrivate(px, items[i])
			}
		}(w)
	}
	wg.Wait()
	t.Logf("%.0f queries/s on %d goroutines", float64(len(items))/time.Since(t2).Seconds(), workers)
}

package pprl

import (
	"math/rand/v2"
	"testing"
)

func randomEncodings(n int) ([][16]uint64, []int) {
	r := rand.New(rand.NewPCG(1, 2))
	es := make([][16]uint64, n)
	cs := make([]int, n)
	for i := range es {
		for j := range es[i] {
			// About 35% of bits set, like real encodings.
			es[i][j] = r.Uint64()&r.Uint64() | r.Uint64()&r.Uint64()&r.Uint64()
		}
		cs[i] = popcount(es[i][:])
	}
	return es, cs
}

var sink float64

// BenchmarkDice1024 compares one probe with a block of stored encodings
// on one core (ns/op is per comparison).
func BenchmarkDice1024(b *testing.B) {
	es, cs := randomEncodings(4096)
	b.ResetTimer()
	s := 0.0
	for i := 0; i < b.N; i++ {
		j := i & 4095
		s += Dice1024(&es[0], &es[j], cs[0], cs[j])
	}
	sink = s
}

// BenchmarkDiceBlock scores a probe against blocks of 4096 stored
// encodings on every core (GOMAXPROCS goroutines, each its own block);
// ns/op is wall time per comparison.
func BenchmarkDiceBlock(b *testing.B) {
	es, cs := randomEncodings(4096)
	counts := make([]int32, len(cs))
	for i, c := range cs {
		counts[i] = int32(c)
	}
	b.SetParallelism(1)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		out := make([]float64, len(es))
		n := 0
		for pb.Next() {
			if n == 0 {
				DiceBlock(&es[1], cs[1], es, counts, out)
				n = len(es)
			}
			n--
		}
	})
}

// BenchmarkDiceScalar is the plain bit-by-bit loop, for comparison.
func BenchmarkDiceScalar(b *testing.B) {
	es, _ := randomEncodings(4096)
	b.ResetTimer()
	s := 0.0
	for i := 0; i < b.N; i++ {
		s += diceScalar(es[0][:], es[i&4095][:])
	}
	sink = s
}

// BenchmarkEncode encodes one person (ns/op per person, one core).
func BenchmarkEncode(b *testing.B) {
	k := testKey(b, DefaultSchema())
	ps := synthPersons(b, synthSample(b))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := &ps[i%len(ps)]
		_, _ = k.EncodeWithBlocks(p)
	}
}

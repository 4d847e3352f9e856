package match

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/liaison-wb/liaison/internal/entity"
)

// DefaultThreshold is the posterior match probability above which a pair
// is reported as a match.
const DefaultThreshold = 0.5

// Options tune linkage and deduplication. The zero value is usable.
type Options struct {
	// Threshold on the posterior match probability (0..1); 0 means
	// DefaultThreshold. Use a tiny positive value to keep every candidate.
	Threshold float64
	// OneToOne keeps at most one partner per record in Link (greedy
	// assignment by descending score).
	OneToOne bool
	// Model fixes the weights; nil learns them by EM from the data.
	Model *Model
	// MaxBlock is the block size above which sorted neighbourhood is used
	// inside the block (default 32); Window is its half-width (default 8).
	MaxBlock, Window int
	// EMIterations caps EM (default 200).
	EMIterations int
	// Workers defaults to GOMAXPROCS.
	Workers int
	// Progress, if set, is called from one goroutine about twice a second
	// during long stages and once at the end of each stage.
	Progress func(stage string, done, total int)

	// weightFloor, when floored, drops pairs below this weight whatever
	// their score (Link one-to-one: pairs that cannot reach the threshold
	// under the constraint are not kept).
	weightFloor float64
	floored     bool
}

// Pair is a compared pair of records with its score.
type Pair struct {
	Left, Right int     // indexes into the inputs (both into the same input for Dedupe)
	Weight      float64 // total match weight in bits
	Score       float64 // posterior match probability 0..1
	Pattern     Pattern
}

// Stats describes the work done.
type Stats struct {
	Records         int
	Blocks          int   // keys shared by at least two records
	OversizedBlocks int   // blocks handled by sorted neighbourhood
	Comparisons     int64 // record pairs compared
	Matches         int   // pairs at or above the threshold
	Prepare, Block  time.Duration
	Compare, Fit    time.Duration
}

// Result is the outcome of Link or Dedupe.
type Result struct {
	Pairs []Pair // matches above the threshold, by Left then Right
	Model *Model
	Stats Stats
	// Clusters (Dedupe only) gives each record's cluster as the index of the
	// cluster's first record in input order.
	Clusters []int

	left, right []*prepared
}

func (o *Options) defaults() {
	if o.Threshold <= 0 {
		o.Threshold = DefaultThreshold
	}
	if o.MaxBlock <= 0 {
		o.MaxBlock = 32
	}
	if o.Window <= 0 {
		o.Window = 8
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
}

// Link finds the records of right that describe the same person as a
// record of left.
func Link(ctx context.Context, left, right []entity.Person, opt Options) (*Result, error) {
	opt.defaults()
	all := make([]entity.Person, 0, len(left)+len(right))
	all = append(all, left...)
	all = append(all, right...)
	threshold := opt.Threshold
	if opt.OneToOne {
		// Every compared pair is scored: the threshold applies to the
		// posteriors under the one-to-one constraint. A pair whose weight
		// leaves it under the threshold even when every record has a
		// partner (π at its bound) is not kept: at scale most candidate
		// pairs are such.
		opt.Threshold = 1e-300
		opt.weightFloor, opt.floored = oneToOneFloor(threshold, max(len(left), len(right))), true
	}
	res, err := run(ctx, all, len(left), opt)
	if err != nil {
		return nil, err
	}
	for i := range res.Pairs {
		res.Pairs[i].Right -= len(left)
	}
	if opt.OneToOne {
		scores := exclusiveScores(res.Pairs, len(left), len(right))
		kept := res.Pairs[:0]
		for i, p := range res.Pairs {
			if p.Score = scores[i]; p.Score >= threshold {
				kept = append(kept, p)
			}
		}
		res.Pairs = oneToOne(kept)
	}
	res.Stats.Matches = len(res.Pairs)
	res.right = res.left[len(left):]
	res.left = res.left[:len(left)]
	return res, nil
}

// Dedupe finds the records of recs that describe the same person and
// groups them into clusters (connected components of matching pairs).
func Dedupe(ctx context.Context, recs []entity.Person, opt Options) (*Result, error) {
	opt.defaults()
	res, err := run(ctx, recs, -1, opt)
	if err != nil {
		return nil, err
	}
	res.right = res.left
	res.Clusters = clusters(len(recs), res.Pairs)
	res.Stats.Matches = len(res.Pairs)
	return res, nil
}

// run compares candidate pairs of recs. split < 0 deduplicates; otherwise
// records [0,split) are linked against [split,len). It runs in stages —
// prepare, block, compare, fit and score — each timed in the stats.
func run(ctx context.Context, recs []entity.Person, split int, opt Options) (*Result, error) {
	n := len(recs)
	res := &Result{Stats: Stats{Records: n}}
	prog := newProgress(ctx, opt.Progress)
	defer prog.stop()

	t0 := time.Now()
	prep, keys, err := prepareAll(ctx, recs, opt.Workers, prog.stage("prepare", n))
	if err != nil {
		return nil, err
	}
	res.left = make([]*prepared, len(prep))
	for i := range prep {
		res.left[i] = &prep[i]
	}
	res.Stats.Prepare = time.Since(t0)

	t0 = time.Now()
	prog.stage("block", 1)
	idx := buildIndex(prep, keys)
	res.Stats.Blocks = idx.blocks
	res.Stats.OversizedBlocks = idx.oversized(opt.MaxBlock)
	res.Stats.Block = time.Since(t0)

	t0 = time.Now()
	outer := n
	if split >= 0 {
		outer = split
	}
	shards, err := compareCandidates(ctx, prep, idx, split, outer, opt, prog.stage("compare", outer))
	if err != nil {
		return nil, err
	}
	counts := shards[0].counts
	for w := 1; w < len(shards); w++ {
		for p, c := range shards[w].counts {
			counts[p] += c
		}
	}
	for _, sh := range shards {
		res.Stats.Comparisons += sh.cmp
	}
	res.Stats.Compare = time.Since(t0)

	t0 = time.Now()
	prog.stage("fit", 1)
	model := opt.Model
	if model == nil {
		model = fitFile(recs, split, counts, opt.EMIterations)
	}
	res.Model = model
	floor := math.Inf(-1)
	if opt.floored {
		floor = opt.weightFloor
	}
	res.Pairs = scoreCandidates(model, counts, shards, opt.Threshold, floor)
	res.Stats.Fit = time.Since(t0)
	return res, nil
}

// prepareAll normalises every record and computes its blocking keys.
func prepareAll(ctx context.Context, recs []entity.Person, workers int, done func(int)) ([]prepared, [][]uint64, error) {
	prep := make([]prepared, len(recs))
	keys := make([][]uint64, len(recs))
	err := parallel(ctx, len(recs), workers, done, func(i int) {
		prep[i] = prepare(&recs[i])
		keys[i] = prep[i].blockKeys(nil)
	})
	return prep, keys, err
}

// oversized counts the blocks larger than maxBlock, which are compared
// only within a sliding window.
func (idx *blockIndex) oversized(maxBlock int) int {
	n := 0
	for q := 0; q < len(idx.rec); q++ {
		if int(idx.runStart[q]) == q && int(idx.runEnd[q]-idx.runStart[q]) > maxBlock {
			n++
		}
	}
	return n
}

// cand is a compared pair, kept small: there are tens of millions at
// scale and only the matches become Pairs.
type cand struct {
	i, j int32
	p    Pattern
}

// Candidates are stored in chunks: appending to one huge slice would copy
// it on every growth. Chunks start small, as a search compares one record
// with a few dozen and would otherwise allocate a full chunk per call, and
// double up to candChunk.
const (
	candChunk      = 1 << 16
	firstCandChunk = 128
)

// shard is one worker's share of the comparisons.
type shard struct {
	pairs  [][]cand
	counts map[Pattern]int64
	cmp    int64
}

// compareCandidates compares every record of [0,outer) with the records
// that share a block with it (each pair once), in parallel, and returns
// each worker's pairs and pattern counts.
func compareCandidates(ctx context.Context, prep []prepared, idx *blockIndex, split, outer int, opt Options, progress func(int)) ([]shard, error) {
	n := len(prep)
	shards := make([]shard, opt.Workers)
	var next, done atomic.Int64
	var wg sync.WaitGroup
	const chunk = 256
	for w := 0; w < opt.Workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			sh := &shards[w]
			sh.counts = map[Pattern]int64{}
			stamp := make([]int32, n) // stamp[j] == i+1: j already compared with i
			for ctx.Err() == nil {
				start := int(next.Add(chunk)) - chunk
				if start >= outer {
					return
				}
				end := min(start+chunk, outer)
				for i := start; i < end; i++ {
					for _, e := range idx.pos[idx.offsets[i]:idx.offsets[i+1]] {
						s, t := idx.runStart[e], idx.runEnd[e]
						if t-s < 2 {
							continue
						}
						if int(t-s) > opt.MaxBlock {
							s = max(s, e-int32(opt.Window))
							t = min(t, e+int32(opt.Window)+1)
						}
						for q := s; q < t; q++ {
							j := int(idx.rec[q])
							if split < 0 && j <= i || split >= 0 && j < split {
								continue
							}
							if stamp[j] == int32(i+1) {
								continue
							}
							stamp[j] = int32(i + 1)
							p := compare(&prep[i], &prep[j])
							sh.cmp++
							sh.counts[p]++
							if len(sh.pairs) == 0 {
								sh.pairs = append(sh.pairs, make([]cand, 0, firstCandChunk))
							} else if l := sh.pairs[len(sh.pairs)-1]; len(l) == cap(l) {
								sh.pairs = append(sh.pairs, make([]cand, 0, min(2*cap(l), candChunk)))
							}
							last := &sh.pairs[len(sh.pairs)-1]
							*last = append(*last, cand{int32(i), int32(j), p})
						}
					}
				}
				progress(int(done.Add(int64(end - start))))
			}
		}(w)
	}
	wg.Wait()
	return shards, ctx.Err()
}

// scoreCandidates scores each agreement pattern once and keeps the pairs
// at or above threshold, ordered by left then right record. It releases
// the shards' pairs as it goes.
func scoreCandidates(model *Model, counts map[Pattern]int64, shards []shard, threshold, minWeight float64) []Pair {
	type scored struct{ w, s float64 }
	scores := make(map[Pattern]scored, len(counts))
	for p := range counts {
		w, s := model.Score(p)
		scores[p] = scored{w, s}
	}
	var out []Pair
	for w := range shards {
		for _, chunk := range shards[w].pairs {
			for _, c := range chunk {
				sc := scores[c.p]
				if sc.s >= threshold && sc.w >= minWeight {
					out = append(out, Pair{Left: int(c.i), Right: int(c.j), Weight: sc.w, Score: sc.s, Pattern: c.p})
				}
			}
		}
		shards[w].pairs = nil
	}
	slices.SortFunc(out, func(a, b Pair) int {
		if a.Left != b.Left {
			return a.Left - b.Left
		}
		return a.Right - b.Right
	})
	return out
}

// oneToOne keeps the best-scoring pairs such that every left and right
// record is used at most once (greedy; ties broken by input order).
func oneToOne(pairs []Pair) []Pair {
	s := slices.Clone(pairs)
	sort.SliceStable(s, func(a, b int) bool { return s[a].Weight > s[b].Weight })
	usedL, usedR := map[int]bool{}, map[int]bool{}
	var out []Pair
	for _, p := range s {
		if usedL[p.Left] || usedR[p.Right] {
			continue
		}
		usedL[p.Left], usedR[p.Right] = true, true
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Pair) int {
		if a.Left != b.Left {
			return a.Left - b.Left
		}
		return a.Right - b.Right
	})
	return out
}

// clusters returns the connected components of the match graph, each
// labelled by its smallest record index.
func clusters(n int, pairs []Pair) []int {
	parent := make([]int, n)
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(x int) int {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for _, p := range pairs {
		a, b := find(p.Left), find(p.Right)
		if a == b {
			continue
		}
		if a < b {
			parent[b] = a
		} else {
			parent[a] = b
		}
	}
	out := make([]int, n)
	for i := range out {
		out[i] = find(i)
	}
	return out
}

// FieldExplanation is one field's contribution to a pair's score.
type FieldExplanation struct {
	Field       string
	Level       string
	Weight      float64 // bits; positive supports a match
	Left, Right string  // values as compared (normalised)
}

// Explanation breaks a pair's score down by field.
type Explanation struct {
	Fields []FieldExplanation
	Weight float64
	Score  float64
}

// String renders "field=level(+w.w)" items separated by "; ", skipping
// missing fields.
func (e Explanation) String() string {
	var b strings.Builder
	for _, f := range e.Fields {
		if f.Level == "missing" {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s=%s(%+.1f)", f.Field, f.Level, f.Weight)
	}
	return b.String()
}

// Explain returns the per-field explanation of a pair from this result.
func (r *Result) Explain(p Pair) Explanation {
	e := Explanation{Weight: r.PairWeight(p), Score: p.Score}
	a, b := r.sides(p)
	for f := Field(0); f < NumFields; f++ {
		l := p.Pattern.Level(f)
		w := r.Model.patternWeight(p.Pattern, f)
		if f == FieldGiven || f == FieldFamily {
			w = r.Model.nameWeight(f, l, nameValue(a, b, f))
		}
		fe := FieldExplanation{Field: f.String(), Level: levelNames[f][min(l, len(levelNames[f])-1)], Weight: w}
		if a != nil && b != nil {
			fe.Left, fe.Right = a.value(f), b.value(f)
		}
		e.Fields = append(e.Fields, fe)
	}
	return e
}

// sides returns the pair's prepared records (nil when out of range).
func (r *Result) sides(p Pair) (a, b *prepared) {
	if p.Left >= 0 && p.Left < len(r.left) {
		a = r.left[p.Left]
	}
	if p.Right >= 0 && p.Right < len(r.right) {
		b = r.right[p.Right]
	}
	return a, b
}

// value renders a field of a prepared record for explanations.
func (r *prepared) value(f Field) string {
	switch f {
	case FieldGiven:
		return r.given.s
	case FieldFamily:
		return r.family.s
	case FieldFather:
		return r.father.s
	case FieldDOB:
		return r.dobRaw
	case FieldSex:
		return r.sex.String()
	case FieldID:
		return r.id
	case FieldAddress:
		return strings.Join(strings.Fields(strings.Join([]string{r.streetNo, r.street.s, r.line2.s, r.postcode, r.city}, " ")), " ")
	case FieldRegion:
		return r.region
	case FieldPhone:
		return r.phone
	case FieldNationality:
		return r.nationality
	}
	return ""
}

// parallel runs fn(i) for i in [0,n) on workers goroutines.
func parallel(ctx context.Context, n, workers int, report func(int), fn func(int)) error {
	var next, done atomic.Int64
	var wg sync.WaitGroup
	const chunk = 512
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				s := int(next.Add(chunk)) - chunk
				if s >= n {
					return
				}
				e := min(s+chunk, n)
				for i := s; i < e; i++ {
					fn(i)
				}
				report(int(done.Add(int64(e - s))))
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// progress forwards stage progress to a callback from one goroutine.
type progress struct {
	cbMu  sync.Mutex // the callback is never called concurrently
	cb    func(stage string, done, total int)
	mu    sync.Mutex
	name  string
	done  int
	total int
	quit  chan struct{}
	wg    sync.WaitGroup
}

func newProgress(ctx context.Context, cb func(string, int, int)) *progress {
	p := &progress{cb: cb, quit: make(chan struct{})}
	if cb == nil {
		return p
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				p.mu.Lock()
				name, d, tot := p.name, p.done, p.total
				p.mu.Unlock()
				if name != "" {
					p.emit(name, d, tot)
				}
			case <-p.quit:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return p
}

// stage starts a stage and returns the function workers call with their
// done count.
func (p *progress) stage(name string, total int) func(int) {
	if p.cb == nil {
		return func(int) {}
	}
	p.mu.Lock()
	prev, pd, pt := p.name, p.done, p.total
	p.name, p.done, p.total = name, 0, total
	p.mu.Unlock()
	if prev != "" {
		p.emit(prev, max(pd, pt), pt)
	}
	return func(d int) {
		p.mu.Lock()
		if p.name == name && d > p.done {
			p.done = d
		}
		p.mu.Unlock()
	}
}

func (p *progress) stop() {
	if p.cb == nil {
		return
	}
	close(p.quit)
	p.wg.Wait()
	p.mu.Lock()
	name, t := p.name, p.total
	p.mu.Unlock()
	if name != "" {
		p.emit(name, t, t)
	}
}

func (p *progress) emit(name string, done, total int) {
	p.cbMu.Lock()
	defer p.cbMu.Unlock()
	p.cb(name, done, total)
}

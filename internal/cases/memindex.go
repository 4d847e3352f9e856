package cases

import (
	"context"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/store"
)

// In-memory candidate index. The database stays the source of truth
// (cases_entities and its cases_keys table); this is a copy of the blocking
// keys and of the comparison-ready person records, built once by streaming
// the entities at startup and updated after every committed write through
// the same functions on SQLite and PostgreSQL. Until it is built, searches
// use the cases_keys table. Candidates found here are read back from the
// database by primary key before they are reported, so an index entry for
// a row that was rolled back or merged meanwhile is never shown.
//
// Postings are kept in two parts: a large array of (key, record) pairs
// sorted by key (12 bytes a posting, binary search) and a small map of
// recent additions, folded into the array when it grows past a fraction
// of it, so one million persons cost one array, not millions of slices.
type memIndex struct {
	mu sync.RWMutex
	// base postings, sorted by key then record.
	bk []int64
	br []uint32
	// delta postings added since the last fold.
	delta  map[int64][]uint32
	deltaN int
	recs   []memRec
	byPK   map[int64]uint32

	buildMu sync.Mutex
	state   int // idxEmpty, idxBuilding, idxReady (guarded by mu)
	built   IndexStats
}

const (
	idxEmpty = iota
	idxBuilding
	idxReady
)

// commonKey is the posting-list length above which a key is skipped at
// query time: a frequent name pair says little, and the true match shares
// rarer keys (identifier, date of birth with a name token, phone). The
// matching engine treats oversized blocks the same way.
const commonKey = 1000

// memRec is one indexed entity. Persons keep their engine records (the
// record and one per alias), other kinds only what finds them.
type memRec struct {
	pk      int64
	kind    entity.Kind
	dead    bool // merged into another entity
	persons []entity.Person
}

// IndexStats describes the in-memory index.
type IndexStats struct {
	Entities int           `json:"entities"`
	Postings int           `json:"postings"`
	Ready    bool          `json:"ready"`
	Build    time.Duration `json:"build_ns"`
}

// memItem is an entity about to be indexed: its keys and engine records.
type memItem struct {
	pk      int64
	kind    entity.Kind
	keys    []int64
	persons []entity.Person
}

func newMemIndex() *memIndex {
	return &memIndex{delta: map[int64][]uint32{}, byPK: map[int64]uint32{}}
}

// indexItem computes what the index keeps for a stored entity.
func (s *Service) indexItem(pk int64, kind entity.Kind, f map[string]string, aliases []string) memItem {
	it := memItem{pk: pk, kind: kind}
	if kind != entity.KindPerson {
		it.keys = entityKeys(kind, f, aliases, s.d.Region)
		return it
	}
	// The same keys as entityKeys, from records parsed once.
	it.persons = personVariants("", f, aliases, s.d.Region)
	for i := range it.persons {
		it.keys = personKeys(it.persons[i], it.keys)
		it.persons[i].Extra = nil // not compared; saves memory
	}
	slices.Sort(it.keys)
	it.keys = slices.Compact(it.keys)
	return it
}

// add indexes entities. A write's add of a pk already indexed replaces it
// (a pk reused after a rollback); the initial build's does not (the write
// that raced it is newer).
func (x *memIndex) add(items []memItem, replace bool) {
	if len(items) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, it := range items {
		if old, ok := x.byPK[it.pk]; ok {
			if !replace {
				continue
			}
			x.recs[old].dead, x.recs[old].persons = true, nil
		}
		r := uint32(len(x.recs))
		x.recs = append(x.recs, memRec{pk: it.pk, kind: it.kind, persons: it.persons})
		x.byPK[it.pk] = r
		for _, k := range it.keys {
			x.delta[k] = append(x.delta[k], r)
		}
		x.deltaN += len(it.keys)
	}
	if x.deltaN > max(1<<16, len(x.bk)/4) {
		x.fold()
	}
}

// fold merges the delta postings into the sorted array. Caller holds mu.
func (x *memIndex) fold() {
	type posting struct {
		k int64
		r uint32
	}
	d := make([]posting, 0, x.deltaN)
	for k, rs := range x.delta {
		for _, r := range rs {
			d = append(d, posting{k, r})
		}
	}
	sort.Slice(d, func(i, j int) bool {
		if d[i].k != d[j].k {
			return d[i].k < d[j].k
		}
		return d[i].r < d[j].r
	})
	n := len(x.bk) + len(d)
	nk, nr := make([]int64, 0, n), make([]uint32, 0, n)
	i, j := 0, 0
	for i < len(x.bk) || j < len(d) {
		if j == len(d) || i < len(x.bk) && (x.bk[i] < d[j].k || x.bk[i] == d[j].k && x.br[i] <= d[j].r) {
			nk, nr = append(nk, x.bk[i]), append(nr, x.br[i])
			i++
		} else {
			nk, nr = append(nk, d[j].k), append(nr, d[j].r)
			j++
		}
	}
	x.bk, x.br = nk, nr
	x.delta, x.deltaN = map[int64][]uint32{}, 0
}

// known reports which pks are indexed already.
func (x *memIndex) known(pks []int64) []bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]bool, len(pks))
	for i, pk := range pks {
		_, out[i] = x.byPK[pk]
	}
	return out
}

// setDead marks entities merged (true) or restored (false).
func (x *memIndex) setDead(pks []int64, dead bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, pk := range pks {
		if r, ok := x.byPK[pk]; ok {
			x.recs[r].dead = dead
		}
	}
}

// ready reports whether the index answers searches.
func (x *memIndex) ready() bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.state == idxReady
}

// memCand is a record found for a query with the number of keys shared.
type memCand struct {
	rec    memRec
	shared int
}

// lookup returns up to limit live records sharing the most keys with the
// query, skipping keys more common than commonKey.
func (x *memIndex) lookup(keys []int64, limit int) []memCand {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var hits []uint32
	for _, k := range keys {
		lo := sort.Search(len(x.bk), func(i int) bool { return x.bk[i] >= k })
		hi := lo
		for hi < len(x.bk) && x.bk[hi] == k {
			hi++
		}
		d := x.delta[k]
		if hi-lo+len(d) > commonKey {
			continue
		}
		hits = append(hits, x.br[lo:hi]...)
		hits = append(hits, d...)
	}
	if len(hits) == 0 {
		return nil
	}
	slices.Sort(hits)
	type rc struct {
		r uint32
		c int
	}
	counted := make([]rc, 0, len(hits))
	for i := 0; i < len(hits); {
		j := i + 1
		for j < len(hits) && hits[j] == hits[i] {
			j++
		}
		if !x.recs[hits[i]].dead {
			counted = append(counted, rc{hits[i], j - i})
		}
		i = j
	}
	// Most shared keys first; among equals the earlier stored entity.
	sort.SliceStable(counted, func(i, j int) bool { return counted[i].c > counted[j].c })
	if len(counted) > limit {
		counted = counted[:limit]
	}
	out := make([]memCand, len(counted))
	for i, c := range counted {
		out[i] = memCand{rec: x.recs[c.r], shared: c.c}
	}
	return out
}

// stats describes the index.
func (x *memIndex) stats() IndexStats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	st := x.built
	st.Entities, st.Postings, st.Ready = len(x.recs), len(x.bk)+x.deltaN, x.state == idxReady
	return st
}

// WarmIndex builds the in-memory candidate index from the database if it
// is not built yet and returns its size. Run calls it at startup; searches
// made meanwhile use the cases_keys table.
func (s *Service) WarmIndex(ctx context.Context) (IndexStats, error) {
	x := s.ix
	x.buildMu.Lock()
	defer x.buildMu.Unlock()
	x.mu.Lock()
	if x.state == idxReady {
		x.mu.Unlock()
		return x.stats(), nil
	}
	x.state = idxBuilding
	x.mu.Unlock()
	t0 := time.Now()
	err := s.streamEntities(ctx, x.known, func(batch []memItem) { x.add(batch, false) })
	x.mu.Lock()
	if err != nil {
		x.state = idxEmpty
		x.mu.Unlock()
		return IndexStats{}, err
	}
	if x.deltaN > 0 {
		x.fold()
	}
	x.state = idxReady
	x.built.Build = time.Since(t0)
	x.mu.Unlock()
	s.d.Logger.Info("cases: candidate index built", "entities", len(x.recs), "took", time.Since(t0).Round(time.Millisecond))
	return x.stats(), nil
}

// streamEntities reads the live entities in primary-key order in pages and
// prepares their index items on all cores.
func (s *Service) streamEntities(ctx context.Context, known func([]int64) []bool, emit func([]memItem)) error {
	const page = 20000
	var after int64
	workers := runtime.GOMAXPROCS(0)
	for {
		rs, err := indexPage(ctx, s.d.Store, after, page)
		if err != nil {
			return err
		}
		if len(rs) == 0 {
			return nil
		}
		after = rs[len(rs)-1].pk
		pks := make([]int64, len(rs))
		for i, r := range rs {
			pks[i] = r.pk
		}
		skip := known(pks)
		items := make([]memItem, len(rs))
		bad := make([]error, len(rs))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < len(rs); i += workers {
					if skip[i] {
						continue
					}
					var f map[string]string
					var a []string
					var jc store.JSONColumns
					jc.Decode("fields", rs[i].f, &f)
					jc.Decode("aliases", rs[i].a, &a)
					if bad[i] = jc.Err("cases.index", "entity pk "+strconv.FormatInt(rs[i].pk, 10)); bad[i] != nil {
						continue
					}
					kind, _ := entity.ParseKind(rs[i].kind)
					items[i] = s.indexItem(rs[i].pk, kind, f, a)
				}
			}(w)
		}
		wg.Wait()
		// An entity whose stored data cannot be read is left out of the
		// index, and said so; reading it from the database fails visibly.
		for _, err := range bad {
			if err != nil {
				s.d.Logger.Error("cases: entity left out of the candidate index", "err", err)
			}
		}
		items = slices.DeleteFunc(items, func(it memItem) bool { return it.pk == 0 })
		emit(items)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

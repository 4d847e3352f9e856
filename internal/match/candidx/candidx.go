// Package candidx is an in-memory candidate index for record search: the
// blocking keys of stored records and a comparison-ready copy of each
// record, so a search finds the records sharing the most keys with a
// query without a database round trip. The database stays the source of
// truth: callers build the index by streaming their rows at start, update
// it after every committed write and read the candidates found here back
// from the database before they report them.
//
// Postings are kept in two parts: a large array of (key, record) pairs
// sorted by key (8 bytes a posting, binary search) and a small map of
// recent additions, folded into the array when it grows past a fraction
// of it, so one million records cost one array, not millions of slices.
package candidx

import (
	"context"
	"slices"
	"sort"
	"sync"
	"time"
)

// State is where an index is in its life.
type State int

const (
	// Empty: not built; searches use the database.
	Empty State = iota
	// Building: a build is streaming the records.
	Building
	// Ready: the index answers searches.
	Ready
)

// Stats describes an index.
type Stats struct {
	Entities int           `json:"entities"`
	Live     int           `json:"live" doc:"records in searches (not removed or merged)"`
	Postings int           `json:"postings"`
	Ready    bool          `json:"ready"`
	Build    time.Duration `json:"build_ns"`
}

// Item is a record about to be indexed: its ID, keys and payload (what a
// search compares, e.g. parsed engine records). Blob, when set, is kept
// in the index's byte arena: a payload without pointers costs the
// collector nothing to scan, so large indexes keep their records there
// and R small.
type Item[K comparable, R any] struct {
	ID   K
	Keys []int64
	Rec  R
	Blob []byte
}

// Cand is a record found for a query with the number of keys it shares.
// Blob must not be modified.
type Cand[K comparable, R any] struct {
	ID     K
	Rec    R
	Blob   []byte
	Shared int
}

type entry[K comparable, R any] struct {
	id   K
	dead bool // removed, merged or replaced
	rec  R
	blob blobRef
}

// blobRef locates a record's bytes in the arena.
type blobRef struct{ chunk, off, n uint32 }

// arenaChunk is the size of one arena chunk; larger blobs get their own.
const arenaChunk = 4 << 20

// arena holds the records' bytes in a few large chunks. Bytes once written
// are never changed, so a slice handed out stays valid after the lock is
// released; a compaction writes new chunks.
type arena struct {
	chunks     [][]byte
	live, dead int64
}

func (a *arena) put(b []byte) blobRef {
	if len(b) == 0 {
		return blobRef{}
	}
	last := len(a.chunks) - 1
	if last < 0 || cap(a.chunks[last])-len(a.chunks[last]) < len(b) {
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, len(b))))
		last++
	}
	c := a.chunks[last]
	a.chunks[last] = append(c, b...)
	a.live += int64(len(b))
	return blobRef{chunk: uint32(last), off: uint32(len(c)), n: uint32(len(b))}
}

func (a *arena) get(r blobRef) []byte {
	if r.n == 0 {
		return nil
	}
	return a.chunks[r.chunk][r.off : r.off+r.n : r.off+r.n]
}

// Index is the in-memory candidate index of records identified by K.
type Index[K comparable, R any] struct {
	mu sync.RWMutex
	// base postings, sorted by key then record.
	bk []uint32
	br []uint32
	// delta postings added since the last fold.
	delta  map[uint32][]uint32
	deltaN int
	recs   []entry[K, R]
	byID   map[K]uint32
	live   int
	blobs  arena

	buildMu sync.Mutex
	state   State
	build   time.Duration
}

// slot is the 32 bits of a 64-bit key that postings keep: 8 bytes a
// posting instead of 12. Two keys that share a slot find each other's
// records, which only adds a candidate sharing one key (about one lookup
// key in 300 at 12 million postings); the callers compare every candidate
// before they report it.
func slot(k int64) uint32 { return uint32((uint64(k) * 0x9E3779B97F4A7C15) >> 32) }

// New returns an empty index.
func New[K comparable, R any]() *Index[K, R] {
	return &Index[K, R]{delta: map[uint32][]uint32{}, byID: map[K]uint32{}}
}

// Add indexes records. With replace, an ID already indexed is replaced (a
// write's add: the record changed, or a key reused after a rollback);
// without, it is kept (the initial build's add: the write that raced it is
// newer, and a removal it raced left a tombstone).
func (x *Index[K, R]) Add(items []Item[K, R], replace bool) {
	if len(items) == 0 {
		return
	}
	keys := 0
	for _, it := range items {
		keys += len(it.Keys)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	// A batch that would fold anyway (an import, a bulk load) skips the
	// delta map and goes straight into the sorted postings.
	var direct []uint64
	if x.deltaN+keys > x.foldAt() {
		direct = make([]uint64, 0, keys)
	}
	for _, it := range items {
		if old, ok := x.byID[it.ID]; ok {
			if !replace {
				continue
			}
			x.kill(old)
		}
		r := uint32(len(x.recs))
		x.recs = append(x.recs, entry[K, R]{id: it.ID, rec: it.Rec, blob: x.blobs.put(it.Blob)})
		x.byID[it.ID] = r
		x.live++
		if direct != nil {
			for _, k := range it.Keys {
				direct = append(direct, posting(slot(k), r))
			}
			continue
		}
		for _, k := range it.Keys {
			x.delta[slot(k)] = append(x.delta[slot(k)], r)
		}
		x.deltaN += len(it.Keys)
	}
	if direct != nil || x.deltaN > x.foldAt() {
		x.fold(direct)
	}
	x.maybeCompact()
}

// foldAt is the number of delta postings past which they are folded into
// the sorted array. Caller holds mu.
func (x *Index[K, R]) foldAt() int { return max(1<<16, len(x.bk)/4) }

// posting packs a key slot and a record into one integer whose order is
// the postings' order: by key, then by record.
func posting(k, r uint32) uint64 { return uint64(k)<<32 | uint64(r) }

// maybeCompact compacts the arena once more of it is left behind than is
// in use. Caller holds mu.
func (x *Index[K, R]) maybeCompact() {
	if x.blobs.dead > max(arenaChunk, x.blobs.live) {
		x.compact()
	}
}

// compact copies the live records' bytes into new chunks, leaving the
// bytes of replaced and removed records behind. Caller holds mu.
func (x *Index[K, R]) compact() {
	var fresh arena
	for i := range x.recs {
		if e := &x.recs[i]; e.blob.n > 0 {
			e.blob = fresh.put(x.blobs.get(e.blob))
		}
	}
	x.blobs = fresh
}

// kill marks a record dead and frees its payload. Caller holds mu.
func (x *Index[K, R]) kill(r uint32) {
	if !x.recs[r].dead {
		x.live--
	}
	var zero R
	x.blobs.live -= int64(x.recs[r].blob.n)
	x.blobs.dead += int64(x.recs[r].blob.n)
	x.recs[r].dead, x.recs[r].rec, x.recs[r].blob = true, zero, blobRef{}
}

// Remove takes records out of searches (withdrawn, expired, deleted). An
// ID not indexed yet gets a tombstone, so a build racing the removal does
// not bring it back; a later Add with replace indexes it again.
func (x *Index[K, R]) Remove(ids []K) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		if r, ok := x.byID[id]; ok {
			x.kill(r)
			continue
		}
		x.byID[id] = uint32(len(x.recs))
		x.recs = append(x.recs, entry[K, R]{id: id, dead: true})
	}
	x.maybeCompact()
}

// SetDead marks indexed records dead (true) or live again (false),
// keeping their payload: a merge and its undo.
func (x *Index[K, R]) SetDead(ids []K, dead bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, id := range ids {
		if r, ok := x.byID[id]; ok && x.recs[r].dead != dead {
			x.recs[r].dead = dead
			if dead {
				x.live--
			} else {
				x.live++
			}
		}
	}
}

// Known reports which IDs are indexed already (live or not).
func (x *Index[K, R]) Known(ids []K) []bool {
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := make([]bool, len(ids))
	for i, id := range ids {
		_, out[i] = x.byID[id]
	}
	return out
}

// fold merges the delta postings and extra (packed by posting) into the
// sorted array. Caller holds mu.
func (x *Index[K, R]) fold(extra []uint64) {
	d := slices.Grow(extra, x.deltaN)
	for k, rs := range x.delta {
		for _, r := range rs {
			d = append(d, posting(k, r))
		}
	}
	slices.Sort(d)
	n := len(x.bk) + len(d)
	nk, nr := make([]uint32, 0, n), make([]uint32, 0, n)
	i, j := 0, 0
	for i < len(x.bk) || j < len(d) {
		if j == len(d) || i < len(x.bk) && posting(x.bk[i], x.br[i]) <= d[j] {
			nk, nr = append(nk, x.bk[i]), append(nr, x.br[i])
			i++
		} else {
			nk, nr = append(nk, uint32(d[j]>>32)), append(nr, uint32(d[j]))
			j++
		}
	}
	x.bk, x.br = nk, nr
	x.delta, x.deltaN = map[uint32][]uint32{}, 0
}

// State reports where the index is.
func (x *Index[K, R]) State() State {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.state
}

// SetState forces the state (tests).
func (x *Index[K, R]) SetState(st State) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.state = st
}

// Lookup returns up to limit live records sharing the most keys with the
// query, most shared first and among equals the earliest indexed. A key
// with more than common postings is skipped: a frequent name pair says
// little, and the true match shares rarer keys.
func (x *Index[K, R]) Lookup(keys []int64, limit, common int) []Cand[K, R] {
	return x.LookupTies(keys, limit, limit, common)
}

// LookupTies is Lookup that goes past limit, up to tieLimit records, for
// the records that share as many keys as the last one kept: the index
// cannot tell them apart, so cutting them at limit would drop the true
// match at random (forty namesakes sharing one name key, the sought
// person among them).
func (x *Index[K, R]) LookupTies(keys []int64, limit, tieLimit, common int) []Cand[K, R] {
	x.mu.RLock()
	defer x.mu.RUnlock()
	var hits []uint32
	for _, key := range keys {
		k := slot(key)
		lo := sort.Search(len(x.bk), func(i int) bool { return x.bk[i] >= k })
		hi := lo
		for hi < len(x.bk) && x.bk[hi] == k {
			hi++
		}
		d := x.delta[k]
		if hi-lo+len(d) > common {
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
	sort.SliceStable(counted, func(i, j int) bool { return counted[i].c > counted[j].c })
	if len(counted) > limit {
		n := limit
		for n < len(counted) && n < tieLimit && limit > 0 && counted[n].c == counted[limit-1].c {
			n++
		}
		counted = counted[:n]
	}
	out := make([]Cand[K, R], len(counted))
	for i, c := range counted {
		e := &x.recs[c.r]
		out[i] = Cand[K, R]{ID: e.id, Rec: e.rec, Blob: x.blobs.get(e.blob), Shared: c.c}
	}
	return out
}

// Stats describes the index: Entities counts the records in it (live or
// not, as cases reports it).
func (x *Index[K, R]) Stats() Stats {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return Stats{Entities: len(x.recs), Live: x.live, Postings: len(x.bk) + x.deltaN, Ready: x.state == Ready, Build: x.build}
}

// Live counts the live records.
func (x *Index[K, R]) Live() int {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.live
}

// Build fills the index once by calling stream, which reads the stored
// records and hands them to emit in batches (skipping those known says are
// indexed already, by writes made meanwhile). Writes made during the
// build Add with replace as usual. A second Build after a successful one
// returns at once; after a failed one the index is Empty again.
func (x *Index[K, R]) Build(ctx context.Context, stream func(ctx context.Context, known func([]K) []bool, emit func([]Item[K, R])) error) (Stats, error) {
	x.buildMu.Lock()
	defer x.buildMu.Unlock()
	x.mu.Lock()
	if x.state == Ready {
		x.mu.Unlock()
		return x.Stats(), nil
	}
	x.state = Building
	x.mu.Unlock()
	t0 := time.Now()
	err := stream(ctx, x.Known, func(items []Item[K, R]) { x.Add(items, false) })
	x.mu.Lock()
	if err != nil {
		x.state = Empty
		x.mu.Unlock()
		return Stats{}, err
	}
	if x.deltaN > 0 {
		x.fold(nil)
	}
	x.state = Ready
	x.build = time.Since(t0)
	x.mu.Unlock()
	return x.Stats(), nil
}

// Pairs returns up to limit pairs of live records, both accepted by keep,
// that share a key (or its 32-bit slot: callers confirm), for finding
// duplicates. Keys with more than common postings are skipped.
func (x *Index[K, R]) Pairs(keep func(R) bool, limit, common int) [][2]K {
	x.mu.Lock()
	if x.deltaN > 0 {
		x.fold(nil)
	}
	x.mu.Unlock()
	x.mu.RLock()
	defer x.mu.RUnlock()
	var out [][2]K
	seen := map[[2]uint32]bool{}
	for i := 0; i < len(x.bk) && len(out) < limit; {
		j := i + 1
		for j < len(x.bk) && x.bk[j] == x.bk[i] {
			j++
		}
		if j-i > 1 && j-i <= common {
			for a := i; a < j && len(out) < limit; a++ {
				ea := &x.recs[x.br[a]]
				if ea.dead || !keep(ea.rec) {
					continue
				}
				for b := a + 1; b < j && len(out) < limit; b++ {
					eb := &x.recs[x.br[b]]
					pair := [2]uint32{x.br[a], x.br[b]}
					if eb.dead || !keep(eb.rec) || pair[0] == pair[1] || seen[pair] {
						continue
					}
					seen[pair] = true
					out = append(out, [2]K{ea.id, eb.id})
				}
			}
		}
		i = j
	}
	return out
}

package cases

import (
	"context"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match/candidx"
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
// The index itself is the shared match/candidx; the alerts module uses
// the same one.
type memIndex = candidx.Index[int64, memRec]

// memItem is an entity about to be indexed: its keys and engine records.
type memItem = candidx.Item[int64, memRec]

// memCand is a record found for a query with the number of keys shared.
type memCand = candidx.Cand[int64, memRec]

// commonKey is the posting-list length above which a key is skipped at
// query time: a frequent name pair says little, and the true match shares
// rarer keys (identifier, date of birth with a name token, phone). The
// matching engine treats oversized blocks the same way.
const commonKey = 1000

// memRec is what the index keeps of an entity besides its keys: whether
// it is a person. A person's engine records (the record and one per
// alias) are kept as bytes in the index's arena (entity's binary form),
// which the collector does not scan: a million persons cost a few hundred
// megabytes less heap than as Go structs, and garbage collection stays
// short.
type memRec struct {
	person bool
}

// IndexStats describes the in-memory index.
type IndexStats = candidx.Stats

func newMemIndex() *memIndex { return candidx.New[int64, memRec]() }

// indexItem computes what the index keeps for a stored entity.
func (s *Service) indexItem(pk int64, kind entity.Kind, f map[string]string, aliases []string) memItem {
	it := memItem{ID: pk, Rec: memRec{person: kind == entity.KindPerson}}
	if kind != entity.KindPerson {
		it.Keys = entityKeys(kind, f, aliases, s.d.Region)
		return it
	}
	// The same keys as entityKeys, from records parsed once.
	for _, p := range personVariants("", f, aliases, s.d.Region) {
		it.Keys = personKeys(p, it.Keys)
		p.Extra = nil // not compared
		it.Blob = entity.AppendPersonBinary(it.Blob, p)
	}
	slices.Sort(it.Keys)
	it.Keys = slices.Compact(it.Keys)
	return it
}

// candPersons reads back the engine records a candidate keeps in the
// index.
func candPersons(c memCand) ([]entity.Person, error) {
	var out []entity.Person
	for b := c.Blob; len(b) > 0; {
		p, rest, err := entity.ReadPersonBinary(b)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
		b = rest
	}
	return out, nil
}

// WarmIndex builds the in-memory candidate index from the database if it
// is not built yet and returns its size. Run calls it at startup; searches
// made meanwhile use the cases_keys table.
func (s *Service) WarmIndex(ctx context.Context) (IndexStats, error) {
	t0 := time.Now()
	st, err := s.ix.Build(ctx, s.streamEntities)
	if err != nil {
		return IndexStats{}, err
	}
	if st.Build > 0 && time.Since(t0) >= st.Build {
		s.d.Logger.Info("cases: candidate index built", "entities", st.Entities, "took", st.Build.Round(time.Millisecond))
	}
	return st, nil
}

// streamEntities reads the live entities in primary-key order in pages and
// prepares their index items on all cores.
func (s *Service) streamEntities(ctx context.Context, known func([]int64) []bool, emit func([]memItem)) error {
	return s.streamEntitiesAfter(ctx, 0, known, emit)
}

// streamEntitiesAfter streams the live entities with a primary key above
// after.
func (s *Service) streamEntitiesAfter(ctx context.Context, after int64, known func([]int64) []bool, emit func([]memItem)) error {
	const page = 20000
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
		items = slices.DeleteFunc(items, func(it memItem) bool { return it.ID == 0 })
		emit(items)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// followLookback is how far below the highest primary key seen a catch-up
// looks again: on PostgreSQL a transaction that took a lower key can
// commit after a higher one was seen.
const followLookback = 5000

// CatchUp adds to the in-memory index the entities that other instances
// of the node stored since the last look (PostgreSQL with several
// instances); entities this instance stored are in it already.
func (s *Service) CatchUp(ctx context.Context) error {
	if s.ix.State() != candidx.Ready {
		return nil
	}
	from := s.followPK.Load()
	if from == 0 {
		top, err := maxEntityPK(ctx, s.d.Store)
		if err != nil {
			return unavailable("cases.CatchUp", err)
		}
		from = top
	}
	top := from
	err := s.streamEntitiesAfter(ctx, max(0, from-followLookback), s.ix.Known, func(items []memItem) {
		for _, it := range items {
			top = max(top, it.ID)
		}
		s.ix.Add(items, false)
	})
	if err != nil {
		return unavailable("cases.CatchUp", err)
	}
	s.followPK.Store(top)
	return nil
}

// RunIndex builds the in-memory candidate index and, when follow is set
// (several instances share the database), catches up with the other
// instances' writes every follow interval, until ctx ends. Every instance
// runs it; searches made before the index is built use the database.
func (s *Service) RunIndex(ctx context.Context, follow time.Duration) {
	if _, err := s.WarmIndex(ctx); err != nil && ctx.Err() == nil {
		s.d.Logger.Warn("cases: building the candidate index failed; searches use the database", "err", err)
	}
	if follow <= 0 {
		return
	}
	t := time.NewTicker(follow)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.CatchUp(ctx); err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("cases: catching up with other instances failed", "err", err)
			}
		}
	}
}

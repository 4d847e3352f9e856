package cases

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/match/candidx"
	"github.com/liaison-wb/liaison/internal/store"
)

// In-memory candidate index. The database stays the source of truth: each
// entity is stored with its blocking keys and comparison-ready person
// records (ix_keys, ix_rec, stamped with the code's index version). The
// index holds them in memory, built once at startup by streaming those
// columns (recomputing rows stored by other code) and updated with every
// write, through the same functions on SQLite and PostgreSQL. Searches
// wait for the build. Candidates found here are read back from the
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

// storedIndex is what the database keeps of an index item beside its
// entity, stamped with the version of the code that computed it.
func (s *Service) storedIndex(it memItem) storedIndex {
	keys := make([]byte, 0, 8*len(it.Keys))
	for _, k := range it.Keys {
		keys = binary.LittleEndian.AppendUint64(keys, uint64(k))
	}
	return storedIndex{keys: keys, rec: it.Blob, ver: s.indexVersion()}
}

// itemFromStored rebuilds an index item from what the database keeps,
// when the code that computed it computes the same today.
func (s *Service) itemFromStored(pk int64, kind string, ix storedIndex) (memItem, bool) {
	if ix.ver != s.indexVersion() || len(ix.keys)%8 != 0 {
		return memItem{}, false
	}
	it := memItem{ID: pk, Rec: memRec{person: kind == string(entity.KindPerson)}, Keys: make([]int64, len(ix.keys)/8)}
	for i := range it.Keys {
		it.Keys[i] = int64(binary.LittleEndian.Uint64(ix.keys[8*i:]))
	}
	if it.Rec.person {
		it.Blob = ix.rec
	}
	return it, true
}

// indexVersion fingerprints the code that computes index items: the items
// of a fixed set of sample records, in every script and kind, hashed.
// When normalisation, keys or the binary form change, so does the
// version, and stored items of the old code are computed anew instead of
// being trusted.
func (s *Service) indexVersion() int64 {
	s.ixVerOnce.Do(func() {
		h := fnv.New64a()
		h.Write([]byte(s.d.Region))
		for _, r := range indexSamples {
			it := s.indexItem(0, r.kind, r.fields, r.aliases)
			for _, k := range it.Keys {
				h.Write(binary.LittleEndian.AppendUint64(nil, uint64(k)))
			}
			h.Write(it.Blob)
			h.Write([]byte{0})
		}
		s.ixVer = int64(h.Sum64() | 1) // never 0, the column's default
	})
	return s.ixVer
}

// indexSamples exercise what index items depend on.
var indexSamples = []struct {
	kind    entity.Kind
	fields  map[string]string
	aliases []string
}{
	{entity.KindPerson, map[string]string{"given_name": "Marko", "family_name": "Petrović", "date_of_birth": "1985-03-12", "personal_id": "1203985170006", "phone": "+381 64 123 4567"}, []string{"Marko Petrovic"}},
	{entity.KindPerson, map[string]string{"full_name": "Петровић Марко Јован", "date_of_birth": "12.03.1985", "sex": "m", "nationality": "Srbija"}, nil},
	{entity.KindPerson, map[string]string{"given_name": "Arbër", "family_name": "Krasniqi", "date_of_birth": "1990", "personal_id": "J00123456A", "city": "Prishtinë"}, nil},
	{entity.KindPerson, map[string]string{"given_name": "Ђорђе", "family_name": "Јовановски", "personal_id": "0101990450006", "address": "ул. Македонија 5, Скопје"}, nil},
	{entity.KindPerson, map[string]string{"given_name": "Ivan", "family_name": "Petrović", "date_of_birth": "1576", "personal_id": "0610976801407"}, nil},
	{entity.KindPerson, map[string]string{"given_name": "Ana", "family_name": "Kovač", "address_1": "Zmaja od Bosne", "street_number": "12", "postcode": "71000", "city": "Sarajevo"}, nil},
	{entity.KindVehicle, map[string]string{"plate": "BG 123-XY", "vin": "WVWZZZ1JZXW000001"}, nil},
	{entity.KindPhone, map[string]string{"number": "+387 61 234 567"}, nil},
	{entity.KindAccount, map[string]string{"iban": "BA39 1290 0794 0102 8494"}, nil},
	{entity.KindOrganisation, map[string]string{"name": "Transport d.o.o.", "registration_number": "4200000000001"}, []string{"Transport doo"}},
	{entity.KindDocument, map[string]string{"number": "P1234567", "country": "ME"}, nil},
	{entity.KindWeapon, map[string]string{"serial": "AB-12345", "make": "Zastava"}, nil},
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
// is not built yet and returns its size. RunIndex calls it at startup;
// searches made meanwhile wait for it.
func (s *Service) WarmIndex(ctx context.Context) (IndexStats, error) {
	t0 := time.Now()
	st, err := s.ix.Build(ctx, s.streamEntities)
	if err != nil {
		return IndexStats{}, err
	}
	if st.Build > 0 && time.Since(t0) >= st.Build {
		s.d.Logger.Info("cases: candidate index built", "entities", st.Entities, "took", st.Build.Round(time.Millisecond))
	}
	// The model follows the register's size: fit it now rather than in
	// the first query after a start or a large import.
	if _, err := s.Model(ctx); err != nil {
		return st, err
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
					if it, ok := s.itemFromStored(rs[i].pk, rs[i].kind, rs[i].ix); ok {
						items[i] = it
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
		s.indexAdd(items, false)
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
	if err := s.WarmPrivate(ctx); err != nil && ctx.Err() == nil {
		s.d.Logger.Warn("cases: building the private encoding index failed; it is built on the first private query", "err", err)
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

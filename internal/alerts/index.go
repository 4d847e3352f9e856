package alerts

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/match/candidx"
	"github.com/liaison-wb/liaison/internal/store"
)

// In-memory candidate index of the alerts in force, the same index as the
// case database's (match/candidx): the engine's blocking keys of every
// wanted person's names and an exact key per normalised identifier, with
// comparison-ready person records. The database (alerts and its
// alerts_keys table) stays the source of truth: the index is built by
// streaming the alerts in force at start, follows every committed change
// (validation, bulk load, a copy received from the issuer, a status
// change in or out of force), and the alerts it finds are read back from
// the database, in force, before they are reported. Until it is built,
// checks use the alerts_keys table.

// indexRec is what the index keeps of an alert in force.
type indexRec struct {
	persons []match.Prepared // engine records, prepared once: name, previous names, aliases
	idents  []string         // normalised identifiers
}

type alertIndex = candidx.Index[string, indexRec]

type indexItem = candidx.Item[string, indexRec]

// IndexStats describes the alerts' in-memory index.
type IndexStats = candidx.Stats

// commonKey is the posting-list length above which a key is skipped at
// check time, as in the case search: a frequent name pair says little and
// the wanted person shares rarer keys (date of birth with a name token,
// national number).
const commonKey = 1000

// indexItem computes what the index keeps for an alert and its keys (the
// same as alertKeys, from records parsed once).
func (s *Service) indexItem(a Alert) indexItem {
	it := indexItem{ID: a.ID, Rec: indexRec{persons: preparePersons(a, s.d.Region), idents: identifiers(a)}}
	for i := range it.Rec.persons {
		for _, k := range it.Rec.persons[i].IndexKeys(nil) {
			it.Keys = append(it.Keys, int64(k))
		}
	}
	for _, id := range it.Rec.idents {
		it.Keys = append(it.Keys, hashKey(tagIdent, id))
	}
	slices.Sort(it.Keys)
	it.Keys = slices.Compact(it.Keys)
	return it
}

// indexAfterCommit puts alerts now in force into the index once tx has
// committed (replacing what it held for them).
func (s *Service) indexAfterCommit(tx *store.Tx, as ...Alert) {
	items := make([]indexItem, len(as))
	for i, a := range as {
		items[i] = s.indexItem(a)
	}
	tx.AfterCommit(func() { s.ix.Add(items, true) })
}

// unindexAfterCommit takes an alert out of the index once tx has
// committed (withdrawn, expired, executed, deleted).
func (s *Service) unindexAfterCommit(tx *store.Tx, id string) {
	tx.AfterCommit(func() { s.ix.Remove([]string{id}) })
}

// WarmIndex builds the in-memory index from the database if it is not
// built yet and returns its size. Run calls it at start; checks made
// meanwhile use the alerts_keys table.
func (s *Service) WarmIndex(ctx context.Context) (IndexStats, error) {
	if s.ix.State() == candidx.Ready {
		return s.ix.Stats(), nil
	}
	st, err := s.ix.Build(ctx, s.streamAlerts)
	if err != nil {
		return IndexStats{}, err
	}
	s.d.Logger.Info("alerts: candidate index ready", "alerts", st.Live, "postings", st.Postings, "took", st.Build)
	return st, nil
}

// IndexStats describes the in-memory index (Live: alerts in force in it).
func (s *Service) IndexStats() IndexStats { return s.ix.Stats() }

// ensureIndex builds the index on first use when nothing started building
// it (tests, tools); while a build runs elsewhere it reports false and the
// caller uses the alerts_keys table.
func (s *Service) ensureIndex(ctx context.Context) bool {
	switch s.ix.State() {
	case candidx.Ready:
		return true
	case candidx.Building:
		return false
	}
	if _, err := s.WarmIndex(ctx); err != nil {
		s.d.Logger.Warn("alerts: building the candidate index failed; checks use the database", "err", err)
		return false
	}
	return true
}

// streamAlerts reads the alerts in force in ID order in pages and prepares
// their index items on all cores.
func (s *Service) streamAlerts(ctx context.Context, known func([]string) []bool, emit func([]indexItem)) error {
	const page = 20000
	after := ""
	workers := runtime.GOMAXPROCS(0)
	for {
		as, last, err := s.inForcePage(ctx, after, page)
		if err != nil {
			return err
		}
		if last == "" {
			return nil
		}
		after = last
		ids := make([]string, len(as))
		for i, a := range as {
			ids[i] = a.ID
		}
		skip := known(ids)
		items := make([]indexItem, len(as))
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := w; i < len(as); i += workers {
					if !skip[i] {
						items[i] = s.indexItem(as[i])
					}
				}
			}(w)
		}
		wg.Wait()
		items = slices.DeleteFunc(items, func(it indexItem) bool { return it.ID == "" })
		emit(items)
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// followOverlap is how far back a catch-up looks again: a change that
// committed late carries an earlier update time.
const followOverlap = 30 * time.Second

// CatchUp applies to the in-memory index the alerts other instances of
// the node changed since the last look (PostgreSQL with several
// instances): alerts now in force are indexed, the others removed.
func (s *Service) CatchUp(ctx context.Context) error {
	if s.ix.State() != candidx.Ready {
		return nil
	}
	now := s.d.Clock.Now()
	since := s.followSince.Load()
	if since == nil {
		s.followSince.Store(&now)
		return nil
	}
	inForce, gone, err := s.changedSince(ctx, since.Add(-followOverlap))
	if err != nil {
		return errs.Wrap(errs.Unavailable, "alerts.CatchUp", "cannot read alerts", err)
	}
	items := make([]indexItem, len(inForce))
	for i, a := range inForce {
		items[i] = s.indexItem(a)
	}
	s.ix.Add(items, true)
	s.ix.Remove(gone)
	s.followSince.Store(&now)
	return nil
}

// RunIndex builds the in-memory index and, when follow is set (several
// instances share the database), catches up with the other instances'
// changes every follow interval, until ctx ends. Every instance runs it.
func (s *Service) RunIndex(ctx context.Context, follow time.Duration) {
	if _, err := s.WarmIndex(ctx); err != nil && ctx.Err() == nil {
		s.d.Logger.Warn("alerts: building the candidate index failed; checks use the database", "err", err)
	}
	if follow <= 0 {
		return
	}
	_ = s.CatchUp(ctx) // marks where following starts
	t := time.NewTicker(follow)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.CatchUp(ctx); err != nil && ctx.Err() == nil {
				s.d.Logger.Warn("alerts: catching up with other instances failed", "err", err)
			}
		}
	}
}

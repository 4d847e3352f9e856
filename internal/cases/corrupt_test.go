package cases_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// TestCorruptStoredDataIsAnError: an entity whose stored fields do not
// decode is reported as an internal error naming the entity and the
// column, never shown empty.
func TestCorruptStoredDataIsAnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, _ := newService(t, st)
		e := mustEntity(t, s, person("Marko", "Petrović", "1985-03-12", ""))
		if _, err := st.ExecContext(ctx, `UPDATE cases_entities SET fields = '{not json' WHERE id = ?`, e.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.GetEntity(ctx, officer, e.ID)
		if !errs.Is(err, errs.Internal) || !strings.Contains(err.Error(), "entity "+e.ID) || !strings.Contains(err.Error(), "fields") {
			t.Fatalf("reading a corrupt entity: %v", err)
		}
	})
}

// TestCorruptSharedStatisticsAreAnError: statistics a peer shared that no
// longer decode are an error naming the peer, not left out silently.
func TestCorruptSharedStatisticsAreAnError(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, _ := newService(t, st)
		if _, err := st.ExecContext(ctx, `INSERT INTO cases_shared_stats (peer, stats, received_at) VALUES ('ba', '{"node": ', '2026-01-01T00:00:00.000000Z')`); err != nil {
			t.Fatal(err)
		}
		_, err := s.SharedStats(ctx, officer)
		if !errs.Is(err, errs.Internal) || !strings.Contains(err.Error(), "statistics of ba") {
			t.Fatalf("reading corrupt shared statistics: %v", err)
		}
	})
}

package cases

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/match/synth"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

func testService(t *testing.T, st *store.Store) *Service {
	t.Helper()
	id, err := identity.LoadOrCreate(t.TempDir(), "rs", "Serbia")
	if err != nil {
		t.Fatal(err)
	}
	lg := slog.New(slog.NewTextHandler(io.Discard, nil))
	al, err := audit.Open(context.Background(), st, id, clock.System{}, lg)
	if err != nil {
		t.Fatal(err)
	}
	return New(Deps{Store: st, Audit: al, Clock: clock.System{}, Logger: lg, NodeID: "rs", Region: "RS"})
}

// The in-memory index, filled by writes or streamed from the database,
// finds the same whether it was filled by writes, streamed from the index
// data stored with the entities, or recomputed from the entities' fields
// (data stored by other code), and follows later writes, merges and
// unmerges.
func TestMemIndexAgreesWithDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		p := &auth.Principal{Username: "ana", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
		s := testService(t, st)
		g := synth.New(3)
		var rows []map[string]string
		var ids []*synth.Identity
		for i := 0; i < 3000; i++ {
			id := g.Identity()
			ids = append(ids, id)
			f := map[string]string{}
			for k, v := range g.Render(id, "", false) {
				if v != "" && k != "id" {
					if k == "surname" {
						k = "family_name"
					}
					f[k] = v
				}
			}
			rows = append(rows, f)
		}
		if err := s.BulkLoad(ctx, p, "t", rows[:2000]); err != nil {
			t.Fatal(err)
		}
		var items []QueryItem
		for i := 0; i < 2600; i += 13 {
			f := map[string]string{}
			for k, v := range g.Render(ids[i], "", true) {
				if v != "" && k != "id" {
					if k == "surname" {
						k = "family_name"
					}
					f[k] = v
				}
			}
			items = append(items, QueryItem{N: i, Probe: Probe{Kind: "person", Fields: f}})
		}
		run := func(s *Service) []string {
			res, err := s.MatchBatch(ctx, items)
			if err != nil {
				t.Fatal(err)
			}
			out := make([]string, len(res))
			for i, c := range res {
				if c != nil {
					out[i] = c.Entity.ID
				}
			}
			return out
		}
		// Entities stored after the index is built are found at once.
		warm, err := s.WarmIndex(ctx)
		if err != nil || warm.Entities != 2000 || !warm.Ready {
			t.Fatalf("warm: %+v %v", warm, err)
		}
		if err := s.BulkLoad(ctx, p, "t", rows[2000:]); err != nil {
			t.Fatal(err)
		}
		for _, r := range rows[2500:2510] {
			if _, _, err := s.CreateEntity(ctx, p, EntityInput{Kind: "person", Fields: r}); err != nil {
				t.Fatal(err)
			}
		}
		mem := run(s)
		// A fresh service streams the index from the database.
		s2 := testService(t, st)
		if st2, _ := s2.WarmIndex(ctx); st2.Entities != 3000 {
			t.Fatalf("streamed %+v", st2)
		}
		streamed := run(s2)
		// Index data stored by other code is recomputed from the fields.
		if _, err := st.ExecContext(ctx, `UPDATE cases_entities SET ix_ver = 7`); err != nil {
			t.Fatal(err)
		}
		recomputed := run(testService(t, st))
		hits := 0
		for i := range mem {
			if mem[i] != streamed[i] || mem[i] != recomputed[i] {
				t.Fatalf("item %d: incremental %q, streamed %q, recomputed %q", i, mem[i], streamed[i], recomputed[i])
			}
			if mem[i] != "" {
				hits++
			}
		}
		if hits < len(items)*9/10 {
			t.Fatalf("hits %d of %d", hits, len(items))
		}
		// Merging hides the duplicate from the index; unmerging restores it.
		var target string
		for _, id := range mem {
			if id != "" {
				target = id
				break
			}
		}
		keep, _, err := s.CreateEntity(ctx, p, EntityInput{Kind: "organisation", Fields: map[string]string{"name": "Keep d.o.o."}})
		if err != nil {
			t.Fatal(err)
		}
		_ = keep
		other := ""
		for _, id := range mem {
			if id != "" && id != target {
				other = id
				break
			}
		}
		if err := s.Merge(ctx, p, other, target); err != nil {
			t.Fatal(err)
		}
		for i, id := range run(s) {
			if id == target {
				t.Fatalf("item %d still finds the merged entity", i)
			}
		}
		if err := s.Unmerge(ctx, p, target); err != nil {
			t.Fatal(err)
		}
		again := run(s)
		for i := range again {
			if again[i] != mem[i] {
				t.Fatalf("after unmerge item %d: %q, before %q", i, again[i], mem[i])
			}
		}
	})
}

// The index computes a person's keys from the records it keeps; they must
// be the keys entityKeys computes from the fields.
func TestIndexItemKeysMatchStoredKeys(t *testing.T) {
	s := New(Deps{Region: "RS"})
	for _, f := range []map[string]string{
		{"given_name": "Marko", "family_name": "Petrović", "date_of_birth": "1985-03-12", "personal_id": "1203985170006", "phone": "064 123 4567"},
		{"full_name": "Петровић Марко", "date_of_birth": "12.03.1985"},
		{"given_name": "Ana"},
	} {
		for _, aliases := range [][]string{nil, {"Marko Kum", "Kum"}} {
			got := s.indexItem(1, "person", f, aliases).Keys
			want := entityKeys("person", f, aliases, "RS")
			if !slices.Equal(got, want) {
				t.Errorf("%v %v: index keys %v, stored keys %v", f, aliases, got, want)
			}
		}
	}
}

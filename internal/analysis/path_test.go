package analysis_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestShortestPathLengthOnRandomGraphs: on sparse random graphs with a few
// hubs (relations in both directions, some pairs related twice), the path
// found has the length of a plain breadth-first search over the whole
// graph, every step is a stored relation, and pairs further apart than the
// depth limit get no path.
func TestShortestPathLengthOnRandomGraphs(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		n := testutil.Start(t, testutil.Options{NodeID: "rs", Store: b.Options(t)})
		an := user(t, n, "rs-analyst", "rs-police", auth.RoleAnalyst)
		const ents, rels = 600, 800
		now := store.FormatTime(time.Now())
		r := rand.New(rand.NewPCG(9, 4))
		adj := make([]map[int]bool, ents)
		for i := range adj {
			adj[i] = map[int]bool{}
		}
		edge := map[[2]string]bool{}
		err := n.Store.InTx(ctx, func(tx *store.Tx) error {
			for i := 0; i < ents; i++ {
				if _, err := tx.ExecContext(ctx, `INSERT INTO cases_entities (id, kind, label, fields, fingerprint, created_at) VALUES (?, 'vehicle', ?, '{}', ?, ?)`,
					fmt.Sprintf("p%04d", i), fmt.Sprintf("car %d", i), fmt.Sprintf("pf%04d", i), now); err != nil {
					return err
				}
			}
			for i := 0; i < rels; i++ {
				a, c := r.IntN(ents), r.IntN(ents)
				if i%10 == 0 {
					a = r.IntN(5) // hubs
				}
				if a == c {
					continue
				}
				typ := []string{"related_to", "called"}[r.IntN(2)]
				from, to := fmt.Sprintf("p%04d", a), fmt.Sprintf("p%04d", c)
				if _, err := tx.ExecContext(ctx, `INSERT INTO cases_relations (id, from_id, to_id, type, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					fmt.Sprintf("pr%05d", i), from, to, typ, now); err != nil {
					return err
				}
				adj[a][c], adj[c][a] = true, true
				edge[[2]string{from, to}], edge[[2]string{to, from}] = true, true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		dist := func(from, to int) int {
			d := map[int]int{from: 0}
			q := []int{from}
			for len(q) > 0 {
				x := q[0]
				q = q[1:]
				if x == to {
					return d[x]
				}
				for y := range adj[x] {
					if _, ok := d[y]; !ok {
						d[y] = d[x] + 1
						q = append(q, y)
					}
				}
			}
			return -1
		}
		found, far := 0, 0
		for i := 0; i < 150; i++ {
			a, c := r.IntN(ents), r.IntN(ents)
			want := dist(a, c)
			p, err := n.Analysis.ShortestPath(ctx, an, analysis.PathQuery{From: fmt.Sprintf("p%04d", a), To: fmt.Sprintf("p%04d", c)})
			if err != nil {
				t.Fatal(err)
			}
			if want < 0 || want > 6 {
				far++
				if len(p.Path) != 0 {
					t.Fatalf("p%04d–p%04d: %d apart, path %v", a, c, want, p.Path)
				}
				continue
			}
			found++
			if len(p.Path) != want+1 {
				t.Fatalf("p%04d–p%04d: path %v, want %d steps", a, c, p.Path, want)
			}
			for k := 1; k < len(p.Path); k++ {
				if !edge[[2]string{p.Path[k-1], p.Path[k]}] {
					t.Fatalf("p%04d–p%04d: path %v: no relation %s–%s", a, c, p.Path, p.Path[k-1], p.Path[k])
				}
			}
		}
		if found < 50 || far == 0 {
			t.Fatalf("graph not varied enough: %d paths found, %d too far", found, far)
		}
	})
}

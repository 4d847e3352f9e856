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
	"github.com/liaison-wb/liaison/internal/testutil"
)

// BenchmarkScoreboard: a year of exchange with six partners (12,000
// requests, 10,000 answered) held on one node.
func BenchmarkScoreboard(b *testing.B) {
	ctx := context.Background()
	n := testutil.Start(b, testutil.Options{NodeID: "rs"})
	partners := []string{"al", "ba", "me", "mk", "xk", "selec"}
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	err := n.Store.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < 12000; i++ {
			id := fmt.Sprintf("t%06d", i)
			at := start.Add(time.Duration(i) * 45 * time.Minute)
			partner := partners[i%len(partners)]
			if _, err := tx.ExecContext(ctx, `INSERT INTO ex_threads (id, subject, priority, parties, origin_node, agency, status, created_at, updated_at, deadline_at, review_at)
				VALUES (?, 'bench', 'normal', ?, 'rs', 'rs-police', 'open', ?, ?, ?, ?)`, id, `["`+partner+`"]`, store.FormatTime(at), store.FormatTime(at), store.FormatTime(at.Add(72*time.Hour)), store.FormatTime(at)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO ex_messages (id, thread_id, kind, node, author, agency, body, classification, reliability, accuracy, created_at)
				VALUES (?, ?, 'request', 'rs', 'a', 'rs-police', 'x', 'restricted', 'B', 2, ?)`, id+"q", id, store.FormatTime(at)); err != nil {
				return err
			}
			if i%6 != 5 {
				if _, err := tx.ExecContext(ctx, `INSERT INTO ex_messages (id, thread_id, kind, node, author, agency, body, classification, reliability, accuracy, created_at)
					VALUES (?, ?, 'answer', ?, 'b', 'x', 'x', 'restricted', 'B', 2, ?)`, id+"a", id, partner, store.FormatTime(at.Add(time.Duration(i%96)*time.Hour))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	an := &auth.Principal{Username: "bench", Roles: []auth.Role{auth.RoleAnalyst}}
	b.ResetTimer()
	for b.Loop() {
		sb, err := n.Analysis.Scoreboard(ctx, an)
		if err != nil || len(sb.Pairs) != 6 {
			b.Fatal(len(sb.Pairs), err)
		}
	}
}

// BenchmarkGraphQueries: neighbourhood (depth 2) and shortest path over a
// case database of 50,000 entities and 150,000 relations.
func BenchmarkGraphQueries(b *testing.B) {
	ctx := context.Background()
	n := testutil.Start(b, testutil.Options{NodeID: "rs"})
	const entities, relations = 50000, 150000
	now := store.FormatTime(time.Now())
	r := rand.New(rand.NewPCG(1, 2))
	err := n.Store.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < entities; i++ {
			if _, err := tx.ExecContext(ctx, `INSERT INTO cases_entities (id, kind, label, fields, fingerprint, created_at) VALUES (?, 'vehicle', ?, '{}', ?, ?)`,
				fmt.Sprintf("e%06d", i), fmt.Sprintf("car %d", i), fmt.Sprintf("f%06d", i), now); err != nil {
				return err
			}
		}
		for i := 0; i < relations; i++ {
			a, c := r.IntN(entities), r.IntN(entities)
			if a == c {
				continue
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO cases_relations (id, from_id, to_id, type, created_at) VALUES (?, ?, ?, 'related_to', ?) ON CONFLICT DO NOTHING`,
				fmt.Sprintf("r%07d", i), fmt.Sprintf("e%06d", a), fmt.Sprintf("e%06d", c), now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	an := &auth.Principal{Username: "bench", Roles: []auth.Role{auth.RoleAnalyst}}
	b.Run("neighbours-depth2", func(b *testing.B) {
		i := 0
		for b.Loop() {
			c, err := n.Analysis.Neighbours(ctx, an, analysis.NeighbourQuery{Entity: fmt.Sprintf("e%06d", i%entities), Depth: 2})
			if err != nil || len(c.Nodes) == 0 {
				b.Fatal(err)
			}
			i += 7919
		}
	})
	b.Run("shortest-path", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := n.Analysis.ShortestPath(ctx, an, analysis.PathQuery{From: fmt.Sprintf("e%06d", i%entities), To: fmt.Sprintf("e%06d", (i+25000)%entities)}); err != nil {
				b.Fatal(err)
			}
			i += 7919
		}
	})
}

// BenchmarkBetweenness: Brandes on a 5,000-entity chart with 15,000 links
// (the largest chart the API returns).
func BenchmarkBetweenness(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	ids := make([]string, 5000)
	for i := range ids {
		ids[i] = fmt.Sprint(i)
	}
	var edges [][2]string
	for i := 0; i < 15000; i++ {
		edges = append(edges, [2]string{ids[r.IntN(5000)], ids[r.IntN(5000)]})
	}
	g := analysis.NewGraph(ids, edges)
	for b.Loop() {
		g.Betweenness()
		g.Communities()
	}
}

package audit_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

func newLog(t testing.TB, st *store.Store) (*audit.Log, *identity.Node) {
	t.Helper()
	node, err := identity.LoadOrCreate(t.TempDir(), "rs", "Serbia")
	if err != nil {
		t.Fatal(err)
	}
	l, err := audit.Open(context.Background(), st, node, clock.NewFake(time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return l, node
}

func fill(t testing.TB, l *audit.Log, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		if err := l.Record(context.Background(), audit.Entry{Actor: fmt.Sprintf("officer%d", i%3), Agency: "rs-mup", Action: "case.read", Object: fmt.Sprintf("case/%d", i), Purpose: "investigation KT-12/26"}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestVerifyDetectsTampering(t *testing.T) {
	cases := []struct {
		name    string
		tamper  []string
		wantMsg string
	}{
		{"untouched", nil, ""},
		{"altered actor", []string{`UPDATE audit_log SET actor = 'someone-else' WHERE idx = 4`}, "entry 4 was altered"},
		{"altered with recomputed-looking hash", []string{`UPDATE audit_log SET purpose = 'x', leaf_hash = (SELECT leaf_hash FROM audit_log WHERE idx = 5) WHERE idx = 4`}, "do not match the checkpoint"},
		{"last entry removed", []string{`DELETE FROM audit_log WHERE idx = 9`}, "entries were removed"},
		{"middle entry removed", []string{`DELETE FROM audit_log WHERE idx = 3`}, "entry 3 is missing"},
		{"two entries reordered", []string{
			`UPDATE audit_log SET idx = 100 WHERE idx = 2`,
			`UPDATE audit_log SET idx = 2 WHERE idx = 3`,
			`UPDATE audit_log SET idx = 3 WHERE idx = 100`,
		}, "do not match the checkpoint"},
		{"checkpoint forged", []string{`UPDATE audit_checkpoints SET tree_size = 9`}, "invalid signature"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				ctx := context.Background()
				l, node := newLog(t, st)
				fill(t, l, 10)
				if _, err := l.Checkpoint(ctx); err != nil {
					t.Fatal(err)
				}
				for _, q := range tc.tamper {
					if _, err := st.ExecContext(ctx, q); err != nil {
						t.Fatalf("tamper %q: %v", q, err)
					}
				}
				rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
				if err != nil {
					t.Fatal(err)
				}
				if tc.wantMsg == "" {
					if !rep.OK() || rep.Entries != 10 || rep.Checkpoints != 1 {
						t.Fatalf("clean log: %+v", rep)
					}
					return
				}
				if rep.OK() {
					t.Fatalf("tampering not detected")
				}
				if !strings.Contains(strings.Join(rep.Problems, "\n"), tc.wantMsg) {
					t.Fatalf("problems %q do not mention %q", rep.Problems, tc.wantMsg)
				}
			})
		})
	}
}

func TestVerifyRejectsOtherKey(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	l, _ := newLog(t, st)
	fill(t, l, 3)
	if _, err := l.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	other, _ := identity.LoadOrCreate(t.TempDir(), "rs", "")
	rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: other.Public(), NodeID: other.ID})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatal("a checkpoint signed by another key must be reported")
	}
}

func TestInclusionProofsAndReopen(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, node := newLog(t, st)
		fill(t, l, 7)
		// Reopen mid-way: the tree state must be rebuilt from stored nodes.
		l2, err := audit.Open(ctx, st, node, clock.System{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		fill(t, l2, 6)
		cp, err := l2.Checkpoint(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Size != 13 || !cp.VerifySignature(node.Public()) {
			t.Fatalf("checkpoint %+v", cp)
		}
		for i := int64(0); i < cp.Size; i++ {
			p, err := l2.ProveInclusion(ctx, i, 0)
			if err != nil {
				t.Fatalf("proof %d: %v", i, err)
			}
			if err := audit.VerifyInclusion(p, cp.Root); err != nil {
				t.Fatalf("proof %d does not verify: %v", i, err)
			}
		}
		p, _ := l2.ProveInclusion(ctx, 2, 0)
		p.LeafHash[0] ^= 1
		if audit.VerifyInclusion(p, cp.Root) == nil {
			t.Fatal("a proof for a changed leaf must fail")
		}
		if _, err := l2.ProveInclusion(ctx, 99, 0); err == nil {
			t.Fatal("proof for a missing entry must fail")
		}
		rep, _ := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
		if !rep.OK() {
			t.Fatalf("verify after reopen: %v", rep.Problems)
		}
	})
}

func TestListFilters(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	l, _ := newLog(t, st)
	fill(t, l, 9)
	got, err := audit.List(ctx, st, audit.Filter{Actor: "officer1", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Index != 7 || got[1].Index != 4 {
		t.Fatalf("list = %+v", got)
	}
}

func BenchmarkAppend(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			st := storetest.Open(b, be.Options(b))
			l, _ := newLog(b, st)
			ctx := context.Background()
			e := audit.Entry{Actor: "officer", Agency: "rs-mup", Action: "person.search", Object: "query/1", Purpose: "KT-1/26"}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := l.Record(ctx, e); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// BenchmarkAppendParallel: concurrent requests each audit one access; group
// commit lets them share database commits.
func BenchmarkAppendParallel(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			st := storetest.Open(b, be.Options(b))
			l, _ := newLog(b, st)
			ctx := context.Background()
			e := audit.Entry{Actor: "officer", Agency: "rs-mup", Action: "person.search", Object: "query/1", Purpose: "KT-1/26"}
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := l.Record(ctx, e); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

func TestConcurrentAppendsKeepTheTreeConsistent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, node := newLog(t, st)
		var wg sync.WaitGroup
		for g := 0; g < 8; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 25; i++ {
					if err := l.Record(ctx, audit.Entry{Actor: fmt.Sprintf("u%d", g), Action: "x", Object: fmt.Sprint(i)}); err != nil {
						t.Error(err)
						return
					}
				}
			}(g)
		}
		wg.Wait()
		if l.Size() != 200 {
			t.Fatalf("size %d", l.Size())
		}
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
		if err != nil || !rep.OK() || rep.Entries != 200 {
			t.Fatalf("verify after concurrent appends: %+v %v", rep, err)
		}
	})
}

// BenchmarkQueueAndDrain: the path of a state change's audit entry — queued
// in the change's own transaction, then appended by the outbox drain in
// batches (one signed head per batch). ns/op is per entry, both steps.
func BenchmarkQueueAndDrain(b *testing.B) {
	for _, be := range storetest.Backends() {
		b.Run(be.Name, func(b *testing.B) {
			st := storetest.Open(b, be.Options(b))
			l, _ := newLog(b, st)
			ctx := context.Background()
			e := audit.Entry{Actor: "officer", Agency: "rs-mup", Action: "exchange.message.send", Object: "thread/1"}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := st.InTx(ctx, func(tx *store.Tx) error { return l.Queue(ctx, tx, e) }); err != nil {
					b.Fatal(err)
				}
				if i%100 == 99 {
					if _, err := l.Drain(ctx); err != nil {
						b.Fatal(err)
					}
				}
			}
			if _, err := l.Drain(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
		})
	}
}

// Several instances of one node share its database and each appends its
// own requests' entries: the tree stays one, without a fork or a gap, and
// an instance that opens while another appends starts cleanly.
func TestInstancesOfOneNodeAppendToOneTree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		node, err := identity.LoadOrCreate(t.TempDir(), "rs", "Serbia")
		if err != nil {
			t.Fatal(err)
		}
		open := func() *audit.Log {
			t.Helper()
			l, err := audit.Open(ctx, st, node, clock.System{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			return l
		}
		a, b := open(), open()
		fill(t, a, 3)
		fill(t, b, 2) // b read the tree before a's entries
		var wg sync.WaitGroup
		for g, l := range []*audit.Log{a, b, a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 20 {
					if err := l.Record(ctx, audit.Entry{Actor: fmt.Sprintf("u%d", g), Action: "x", Object: fmt.Sprint(i)}); err != nil {
						t.Error(err)
						return
					}
				}
			}()
		}
		// A third instance starting meanwhile finds a consistent log.
		c := open()
		wg.Wait()
		fill(t, c, 1)
		if _, err := a.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
		if err != nil || !rep.OK() || rep.Entries != 86 {
			t.Fatalf("verify after appends from three instances: %+v %v", rep, err)
		}
	})
}

// One append larger than a multi-row insert's chunk is stored whole, in
// order, and verifies.
func TestLargeAppendIsStoredWhole(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, node := newLog(t, st)
		fill(t, l, 3)
		entries := make([]audit.Entry, 1234)
		for i := range entries {
			entries[i] = audit.Entry{Actor: "officer", Action: "alerts.import", Object: fmt.Sprintf("alert/%d", i)}
		}
		got, err := l.Append(ctx, entries...)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(entries) || got[0].Index != 3 || got[len(got)-1].Index != 1236 || l.Size() != 1237 {
			t.Fatalf("appended %d entries, first %d, last %d, size %d", len(got), got[0].Index, got[len(got)-1].Index, l.Size())
		}
		list, err := audit.List(ctx, st, audit.Filter{Object: "alert/1233", Limit: 5})
		if err != nil || len(list) != 1 || list[0].Index != 1236 {
			t.Fatalf("last entry stored as %+v (%v)", list, err)
		}
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
		if err != nil || !rep.OK() || rep.Entries != 1237 {
			t.Fatalf("verify: %+v %v", rep, err)
		}
	})
}

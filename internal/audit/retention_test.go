package audit_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

const threeYears = 3 * 365 * 24 * time.Hour

func newClockedLog(t *testing.T, st *store.Store) (*audit.Log, *identity.Node, *clock.Fake) {
	t.Helper()
	node, err := identity.LoadOrCreate(t.TempDir(), "rs", "Serbia")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2023, 1, 10, 9, 0, 0, 0, time.UTC))
	l, err := audit.Open(context.Background(), st, node, clk, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return l, node, clk
}

// agedLog holds 5 entries from January 2023, 4 from 2025 and 3 from mid 2026,
// with a checkpoint signed over all of them.
func agedLog(t *testing.T, st *store.Store) (*audit.Log, *identity.Node, *clock.Fake, audit.Checkpoint) {
	t.Helper()
	l, node, clk := newClockedLog(t, st)
	fill(t, l, 5)
	clk.Set(time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC))
	fill(t, l, 4)
	clk.Set(time.Date(2026, 6, 1, 9, 0, 0, 0, time.UTC))
	fill(t, l, 3)
	cp, err := l.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC))
	return l, node, clk, cp
}

func TestRetentionErasesExpiredEntriesAndKeepsTheLogVerifiable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, node, clk, cp := agedLog(t, st)

		var archive bytes.Buffer
		res, err := l.Prune(ctx, clk.Now().Add(-threeYears), &archive, nil)
		if err != nil {
			t.Fatal(err)
		}
		if res.From != 0 || res.Through != 5 || res.Erased() != 5 {
			t.Fatalf("prune = %+v, want entries 0..4 erased", res)
		}

		// The content is gone from the database; time and hash stay.
		for idx := int64(0); idx < 12; idx++ {
			var actor, purpose, at string
			var pruned int64
			if err := st.QueryRowContext(ctx, `SELECT actor, purpose, at, pruned FROM audit_log WHERE idx = ?`, idx).Scan(&actor, &purpose, &at, &pruned); err != nil {
				t.Fatal(err)
			}
			erased := idx < 5
			if erased != (pruned == 1) || erased != (actor == "" && purpose == "") || at == "" {
				t.Errorf("entry %d: actor %q purpose %q pruned %d; want erased=%v", idx, actor, purpose, pruned, erased)
			}
		}
		var leftover int
		if err := st.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE purpose LIKE '%KT-12/26%' AND idx < 5`).Scan(&leftover); err != nil || leftover != 0 {
			t.Fatalf("erased entries still hold their purpose: %d, %v", leftover, err)
		}

		// The archive holds exactly the erased entries, and each one still
		// hashes to the leaf the signed tree commits to.
		sc := bufio.NewScanner(&archive)
		n := 0
		for sc.Scan() {
			var a audit.ArchivedEntry
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				t.Fatal(err)
			}
			if a.Index != int64(n) || a.Actor == "" || hex.EncodeToString(audit.LeafHash(a.Entry)) != a.LeafHash {
				t.Fatalf("archive line %d = %+v", n, a)
			}
			n++
		}
		if n != 5 {
			t.Fatalf("archive has %d entries, want 5", n)
		}

		rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
		if err != nil || !rep.OK() {
			t.Fatalf("verify after retention: %v %v", err, rep.Problems)
		}
		if rep.Entries != 13 || rep.Erased != 5 {
			t.Fatalf("report = %+v, want 13 entries (12 + the retention record) with 5 erased", rep)
		}
		// Proofs against the checkpoint signed before the erasure still hold.
		for idx := int64(0); idx < cp.Size; idx++ {
			p, err := l.ProveInclusion(ctx, idx, cp.Size)
			if err != nil || audit.VerifyInclusion(p, cp.Root) != nil {
				t.Fatalf("inclusion of %d after retention: %v", idx, err)
			}
		}
		// Listing shows the live entries and the retention record only.
		got, err := audit.List(ctx, st, audit.Filter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 8 || got[0].Action != "audit.prune" || !strings.Contains(got[0].Detail, `"through":5`) {
			t.Fatalf("list after retention = %+v", got)
		}

		// Running again erases nothing and records nothing.
		again, err := l.Prune(ctx, clk.Now().Add(-threeYears), nil, nil)
		if err != nil || again.Erased() != 0 || l.Size() != 13 {
			t.Fatalf("second run = %+v, %v; size %d", again, err, l.Size())
		}

		// In 2028 the entries of March 2025 go too, and the log still verifies.
		clk.Set(time.Date(2028, 6, 1, 9, 0, 0, 0, time.UTC))
		next, err := l.Prune(ctx, clk.Now().Add(-threeYears), nil, nil)
		if err != nil || next.From != 5 || next.Through != 9 {
			t.Fatalf("next year's run = %+v, %v", next, err)
		}
		if rep, _ := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID}); !rep.OK() || rep.Erased != 9 {
			t.Fatalf("verify after second retention: %+v", rep)
		}
	})
}

func TestVerifyDetectsErasureOutsideRetention(t *testing.T) {
	cases := []struct {
		name    string
		tamper  []string
		wantMsg string
	}{
		{"recent entry erased", []string{`UPDATE audit_log SET actor = '', purpose = '', pruned = 1 WHERE idx = 10`}, "no retention record covers it"},
		{"erased entry with a swapped hash", []string{`UPDATE audit_log SET leaf_hash = (SELECT leaf_hash FROM audit_log WHERE idx = 7) WHERE idx = 2`}, "do not match the checkpoint"},
		{"retention record widened", []string{`UPDATE audit_log SET detail = '{"from":0,"through":12,"before":"2026-11-23T09:00:00Z"}' WHERE action = 'audit.prune'`, `UPDATE audit_log SET actor = '', pruned = 1 WHERE idx = 10`}, "entry 12 was altered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				ctx := context.Background()
				l, node, clk, _ := agedLog(t, st)
				if _, err := l.Prune(ctx, clk.Now().Add(-threeYears), nil, nil); err != nil {
					t.Fatal(err)
				}
				if _, err := l.Checkpoint(ctx); err != nil {
					t.Fatal(err)
				}
				for _, q := range tc.tamper {
					if _, err := st.ExecContext(ctx, q); err != nil {
						t.Fatal(err)
					}
				}
				rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
				if err != nil {
					t.Fatal(err)
				}
				if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), tc.wantMsg) {
					t.Fatalf("problems = %q, want one containing %q", rep.Problems, tc.wantMsg)
				}
			})
		})
	}
}

func TestPruneRefusesAFutureCutOff(t *testing.T) {
	st := storetest.SQLite(t)
	l, _, clk := newClockedLog(t, st)
	fill(t, l, 2)
	if _, err := l.Prune(context.Background(), clk.Now().Add(time.Hour), nil, nil); err == nil {
		t.Fatal("a cut-off in the future must be refused")
	}
	if rep, _ := audit.Verify(context.Background(), st, audit.VerifyOptions{}); rep.Erased != 0 {
		t.Fatalf("nothing may be erased: %+v", rep)
	}
}

// unsyncable stands for an archive file whose data cannot reach the disk.
type unsyncable struct{ bytes.Buffer }

func (*unsyncable) Sync() error { return errors.New("no space left on device") }

// TestPruneErasesNothingWhenTheArchiveCannotBeSaved: the archive reaches
// the disk before any record is erased.
func TestPruneErasesNothingWhenTheArchiveCannotBeSaved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, _, clk, _ := agedLog(t, st)
		if _, err := l.Prune(ctx, clk.Now().Add(-threeYears), &unsyncable{}, nil); err == nil || !strings.Contains(err.Error(), "nothing was erased") {
			t.Fatalf("prune with an archive that cannot be saved: %v", err)
		}
		var pruned int
		if err := st.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE pruned = 1`).Scan(&pruned); err != nil || pruned != 0 {
			t.Fatalf("%d records erased (%v)", pruned, err)
		}
	})
}

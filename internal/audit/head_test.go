package audit_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// rewriteEntry changes entry idx the way a database administrator without
// the node key would: new content with a freshly computed leaf hash.
func rewriteEntry(t *testing.T, st *store.Store, idx int64) {
	t.Helper()
	ctx := context.Background()
	var e audit.Entry
	var at string
	if err := st.QueryRowContext(ctx, `SELECT idx, at, actor, agency, action, object, purpose, outcome, detail FROM audit_log WHERE idx = ?`, idx).
		Scan(&e.Index, &at, &e.Actor, &e.Agency, &e.Action, &e.Object, &e.Purpose, &e.Outcome, &e.Detail); err != nil {
		t.Fatal(err)
	}
	e.At = store.ParseTime(at)
	e.Actor = "nobody"
	if _, err := st.ExecContext(ctx, `UPDATE audit_log SET actor = ?, leaf_hash = ? WHERE idx = ?`, e.Actor, audit.LeafHash(e), idx); err != nil {
		t.Fatal(err)
	}
}

func TestVerifyNeedsACheckpointOfTheLatestSize(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func(t *testing.T, st *store.Store)
		wantMsg string
	}{
		{"untouched", func(*testing.T, *store.Store) {}, ""},
		{"entry rewritten with its hash, checkpoints deleted", func(t *testing.T, st *store.Store) {
			rewriteEntry(t, st, 4)
			exec(t, st, `DELETE FROM audit_checkpoints`)
		}, "do not match the node's signed checkpoint of its latest size"},
		{"entry rewritten with its hash, checkpoints and head deleted", func(t *testing.T, st *store.Store) {
			rewriteEntry(t, st, 4)
			exec(t, st, `DELETE FROM audit_checkpoints`, `DELETE FROM audit_head`)
		}, "no signed checkpoint of its latest size"},
		{"tail cut with the later checkpoints", func(t *testing.T, st *store.Store) {
			exec(t, st, `DELETE FROM audit_log WHERE idx >= 7`, `DELETE FROM audit_checkpoints WHERE tree_size > 7`)
		}, "entries were removed"},
		{"tail cut with every checkpoint and the head", func(t *testing.T, st *store.Store) {
			exec(t, st, `DELETE FROM audit_log WHERE idx >= 7`, `DELETE FROM audit_checkpoints`, `DELETE FROM audit_head`)
		}, "no signed checkpoint of its latest size"},
		{"entries added after the head", func(t *testing.T, st *store.Store) {
			exec(t, st, `INSERT INTO audit_log (idx, at, actor, agency, action, object, purpose, outcome, detail, leaf_hash, pruned)
				SELECT 12, at, actor, agency, action, object, purpose, outcome, detail, leaf_hash, 0 FROM audit_log WHERE idx = 11`)
		}, "not covered by the node's signed checkpoint"},
		{"head forged", func(t *testing.T, st *store.Store) {
			exec(t, st, `UPDATE audit_head SET note = replace(note, 'liaison.audit/rs', 'liaison.audit/xx')`)
		}, "not validly signed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				ctx := context.Background()
				l, node := newLog(t, st)
				fill(t, l, 5)
				if _, err := l.Checkpoint(ctx); err != nil {
					t.Fatal(err)
				}
				fill(t, l, 7)
				tc.tamper(t, st)
				rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
				if err != nil {
					t.Fatal(err)
				}
				if tc.wantMsg == "" {
					if !rep.OK() || rep.Entries != 12 || rep.Head == nil || rep.Head.Size != 12 {
						t.Fatalf("clean log: %+v", rep)
					}
					return
				}
				if !strings.Contains(strings.Join(rep.Problems, "\n"), tc.wantMsg) {
					t.Fatalf("problems %q do not mention %q", rep.Problems, tc.wantMsg)
				}
			})
		})
	}
}

func exec(t *testing.T, st *store.Store, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := st.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func TestOpenRefusesALogThatDoesNotMatchItsHead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, node := newLog(t, st)
		fill(t, l, 6)
		exec(t, st, `DELETE FROM audit_log WHERE idx = 5`, `DELETE FROM audit_nodes WHERE level = 0 AND idx = 5`)
		_, err := audit.Open(ctx, st, node, clock.System{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil || !strings.Contains(err.Error(), "does not match its latest signed checkpoint") {
			t.Fatalf("open = %v, want a refusal", err)
		}
	})
}

func TestOpenRecordsAMissingHead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, node := newLog(t, st)
		fill(t, l, 6)
		rewriteEntry(t, st, 2)
		exec(t, st, `DELETE FROM audit_head`)
		// The node is restarted over the rewritten log: it signs a new head,
		// but the gap stays on record and verify reports it.
		if _, err := audit.Open(ctx, st, node, clock.System{}, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "found no signed checkpoint of the log's latest size") {
			t.Fatalf("problems %q", rep.Problems)
		}
	})
}

func TestUpgradeSignsAHeadSilently(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, node := newLog(t, st)
		fill(t, l, 4)
		if _, err := l.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		// A node of an earlier version had no head, but stopped with a
		// checkpoint of its latest size.
		exec(t, st, `DELETE FROM audit_head`)
		if _, err := audit.Open(ctx, st, node, clock.System{}, slog.New(slog.NewTextHandler(io.Discard, nil))); err != nil {
			t.Fatal(err)
		}
		rep, err := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
		if err != nil || !rep.OK() || rep.Entries != 4 {
			t.Fatalf("verify after upgrade: %+v %v", rep, err)
		}
	})
}

func TestWitnessedCheckpointsAreChecked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		l, node := newLog(t, st)
		fill(t, l, 9)
		head, err := audit.Head(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		fill(t, l, 1)
		good := audit.Witnessed{Witness: "ba", Size: head.Size, Root: head.Root}
		rep, _ := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID, Witnessed: []audit.Witnessed{good}})
		if !rep.OK() || len(rep.Witnessed) != 1 || !rep.Witnessed[0].OK {
			t.Fatalf("witness agreeing: %+v", rep)
		}
		// The log is cut back to an older checkpoint whose note is put back
		// as the head: the local log is consistent, the witness is not.
		old, err := l.Checkpoint(ctx) // size 10
		if err != nil {
			t.Fatal(err)
		}
		fill(t, l, 3)
		exec(t, st, `DELETE FROM audit_log WHERE idx >= 10`, `DELETE FROM audit_checkpoints WHERE tree_size > 10`)
		if _, err := st.ExecContext(ctx, `UPDATE audit_head SET tree_size = ?, root_hash = ?, note = ?`, old.Size, old.Root, old.Note); err != nil {
			t.Fatal(err)
		}
		alone, _ := audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID})
		if !alone.OK() {
			t.Fatalf("a log cut back to a signed checkpoint cannot be caught locally, yet: %v", alone.Problems)
		}
		witnessed := audit.Witnessed{Witness: "me", Size: 13, Root: []byte("root of thirteen entries held by me")}
		rep, _ = audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID, Witnessed: []audit.Witnessed{good, witnessed}})
		if rep.OK() || rep.Witnessed[1].OK || !rep.Witnessed[0].OK || !strings.Contains(strings.Join(rep.Problems, "\n"), "witness me holds a checkpoint of 13 entries") {
			t.Fatalf("witness holding more: %+v", rep)
		}
		forked := audit.Witnessed{Witness: "al", Size: 5, Root: head.Root}
		rep, _ = audit.Verify(ctx, st, audit.VerifyOptions{Pinned: node.Public(), NodeID: node.ID, Witnessed: []audit.Witnessed{forked}})
		if rep.OK() || !strings.Contains(strings.Join(rep.Problems, "\n"), "witness al holds a checkpoint of 5 entries") {
			t.Fatalf("witness with another root: %+v", rep)
		}
	})
}

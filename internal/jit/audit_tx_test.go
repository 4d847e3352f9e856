package jit_test

import (
	"context"
	"testing"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/jit"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestChangesCommitWithTheirAuditEntries: with the audit outbox
// unwritable, no workspace change takes effect (creation, message,
// evidence with its file) and nothing is replicated; with it back, each
// works and is audited exactly once.
func TestChangesCommitWithTheirAuditEntries(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			rs := startNode(t, "rs", be, nil)
			ba := startNode(t, "ba", be, nil)
			testutil.PeerAll(t, rs, ba)
			ws := newJIT(t, rs)
			count := func(q string, args ...any) int {
				t.Helper()
				var n int
				if err := rs.Store.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
					t.Fatal(err)
				}
				return n
			}
			tables := []string{"jit_workspaces", "jit_events", "jit_messages", "jit_evidence", "jit_files", "fed_outbox"}
			before := map[string]int{}
			for _, tb := range tables {
				before[tb] = count(`SELECT COUNT(*) FROM ` + tb)
			}
			ev := jit.EvidenceInput{Title: "Phone extraction", Origin: "search of the flat", LegalBasis: "court order 12/2026", FileName: "x.txt", Data: []byte("extraction report")}

			if _, err := rs.Store.ExecContext(ctx, `ALTER TABLE audit_outbox RENAME TO audit_outbox_away`); err != nil {
				t.Fatal(err)
			}
			if _, err := rs.JIT.Create(ctx, ana, jit.CreateInput{Kind: jit.KindJIT, Template: "model-2017", Title: "Second", Members: []jit.MemberInput{
				{Node: "rs", Username: "ana", Name: "Ana Jović", Agency: "rs-tuzilastvo", Role: jit.RoleLeader}}}); err == nil {
				t.Fatal("workspace created without an audit entry")
			}
			if _, err := rs.JIT.PostMessage(ctx, marko, ws.ID, "meeting on Monday"); err == nil {
				t.Fatal("message posted without an audit entry")
			}
			if _, err := rs.JIT.RegisterEvidence(ctx, marko, ws.ID, ev); err == nil {
				t.Fatal("evidence registered without an audit entry")
			}
			if _, err := rs.Store.ExecContext(ctx, `ALTER TABLE audit_outbox_away RENAME TO audit_outbox`); err != nil {
				t.Fatal(err)
			}
			for _, tb := range tables {
				if n := count(`SELECT COUNT(*) FROM ` + tb); n != before[tb] {
					t.Fatalf("%s: %d rows after the refused changes, want %d", tb, n, before[tb])
				}
			}

			ws2, err := rs.JIT.Create(ctx, ana, jit.CreateInput{Kind: jit.KindJIT, Template: "model-2017", Title: "Second", Members: []jit.MemberInput{
				{Node: "rs", Username: "ana", Name: "Ana Jović", Agency: "rs-tuzilastvo", Role: jit.RoleLeader}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rs.JIT.PostMessage(ctx, marko, ws.ID, "meeting on Monday"); err != nil {
				t.Fatal(err)
			}
			e, err := rs.JIT.RegisterEvidence(ctx, marko, ws.ID, ev)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rs.Audit.Drain(ctx); err != nil {
				t.Fatal(err)
			}
			for _, w := range []struct{ action, object string }{
				{"jit." + jit.EvCreate, "jit/" + ws2.ID},
				{"jit." + jit.EvMessage, "jit/" + ws.ID},
				{"jit." + jit.EvEvidenceAdd, "jit/" + ws.ID},
			} {
				es, err := audit.List(ctx, rs.Store, audit.Filter{Action: w.action, Object: w.object, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				if len(es) != 1 {
					t.Errorf("%s %s: %d entries, want 1", w.action, w.object, len(es))
				}
			}
			if n := count(`SELECT COUNT(*) FROM jit_files WHERE evidence_id = ?`, e.ID); n != 1 {
				t.Fatalf("%d files stored", n)
			}
		})
	}
}

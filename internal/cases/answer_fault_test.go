package cases_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// A received query whose answer cannot be sent (its peer is suspended)
// writes no audit entry, waits for a retry with its reason recorded, and
// does not hold back the queries of other peers; once the peer is resumed
// it is answered, and audited, exactly once.
func TestUnanswerableQueryDoesNotHoldBackOthers(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			ba := startNode(t, "ba", be)
			rs := startNode(t, "rs", be)
			me := startNode(t, "me", be)
			testutil.PeerAll(t, ba, rs, me)
			mustEntity(t, ba.Cases, person("Marko", "Petrović", "1985-03-12", ""))
			asker := &auth.Principal{Username: "jovan", Agency: "me-upravapolicije", Roles: []auth.Role{auth.RoleOfficer}}
			ask := func() string {
				q, err := me.Cases.SendQuery(ctx, asker, cases.QueryInput{Purpose: "trafficking investigation", CaseRef: "ME-KT-7/2026", Peers: []string{"ba"},
					Items: []cases.Probe{{Kind: "person", Fields: map[string]string{"given_name": "Marko", "family_name": "Petrovic", "date_of_birth": "1985-03-12"}}}})
				if err != nil {
					t.Fatal(err)
				}
				return q.ID
			}
			answered := func(id string) bool {
				got, err := me.Cases.Query(ctx, asker, id)
				return err == nil && len(got.Results) == 1 && got.Results[0].Hit
			}
			first := ask()
			testutil.WaitFor(t, "the first answer", 20*time.Second, func() bool { return answered(first) })

			// A query from rs arrives, and rs is suspended before it is answered.
			if err := ba.Fed.SetSuspended(ctx, nil, "rs", true); err != nil {
				t.Fatal(err)
			}
			if _, err := ba.Store.ExecContext(ctx, `INSERT INTO cases_inbound (id, query_id, peer, purpose, case_ref, requester, agency, items, state, received_at)
				SELECT 'in-from-rs', 'Q-RS-1', 'rs', purpose, 'RS-KT-1/2026', 'ana', 'rs-mup', items, 'pending', '2000-01-01T00:00:00.000000Z' FROM cases_inbound WHERE query_id = ?`, first); err != nil {
				t.Fatal(err)
			}
			if _, err := ba.Cases.AnswerPending(ctx); err != nil {
				t.Fatalf("a query that cannot be answered must not stop the others: %v", err)
			}
			second := ask()
			testutil.WaitFor(t, "the answer to a later query from another peer", 20*time.Second, func() bool { return answered(second) })

			var attempts int
			var state, lastErr, next string
			if err := ba.Store.QueryRowContext(ctx, `SELECT attempts, state, last_error, next_attempt_at FROM cases_inbound WHERE id = 'in-from-rs'`).Scan(&attempts, &state, &lastErr, &next); err != nil {
				t.Fatal(err)
			}
			if attempts < 1 || state != "pending" || !strings.Contains(lastErr, "suspended") || next == "" {
				t.Fatalf("unanswered query: attempts=%d state=%s error=%q next=%s", attempts, state, lastErr, next)
			}
			if n := len(auditOf(t, ba, "query/Q-RS-1", "cases.query.answer")); n != 0 {
				t.Fatalf("%d answer entries for a query that was not answered", n)
			}
			// Operators see the retry and its reason, and nothing of what was asked.
			h, err := ba.Cases.QueueHealth(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if h.Retrying != 1 || len(h.Problems) != 1 || h.Problems[0].ID != "Q-RS-1" || h.Problems[0].Peer != "rs" || h.Problems[0].State != "retrying" ||
				!strings.Contains(h.Problems[0].LastError, "suspended") || h.Problems[0].NextTry.IsZero() {
				t.Fatalf("queue health: %+v", h)
			}

			// Resumed, it is answered once and audited once.
			if err := ba.Fed.SetSuspended(ctx, nil, "rs", false); err != nil {
				t.Fatal(err)
			}
			if _, err := ba.Store.ExecContext(ctx, `UPDATE cases_inbound SET next_attempt_at = '' WHERE id = 'in-from-rs'`); err != nil {
				t.Fatal(err)
			}
			if _, err := ba.Cases.AnswerPending(ctx); err != nil {
				t.Fatal(err)
			}
			testutil.WaitFor(t, "the retried answer", 20*time.Second, func() bool {
				var st string
				_ = ba.Store.QueryRowContext(ctx, `SELECT state FROM cases_inbound WHERE id = 'in-from-rs'`).Scan(&st)
				return st == "answered"
			})
			if n := len(auditOf(t, ba, "query/Q-RS-1", "cases.query.answer")); n != 1 {
				t.Fatalf("%d answer entries, want 1", n)
			}
		})
	}
}

// auditOf lists the audit entries of one action on one object.
func auditOf(t *testing.T, n *testutil.Node, object, action string) []audit.Entry {
	t.Helper()
	ctx := context.Background()
	if _, err := n.Audit.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := audit.List(ctx, n.Store, audit.Filter{Object: object, Action: action, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

package federation_test

import (
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestNCUDecisionCommitsWithItsAuditEntry: an NCU decision and its audit
// entry are one transaction. When the audit entry cannot be written, the
// message stays waiting for a decision (nothing leaves the country
// unaudited); once it can, the decision is recorded and audited once.
func TestNCUDecisionCommitsWithItsAuditEntry(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			insecure := func(c *config.Config) { c.InsecureFederation = true }
			rs := testutil.Start(t, testutil.Options{NodeID: "rs", Store: be.Options(t), Config: insecure})
			me := testutil.Start(t, testutil.Options{NodeID: "me", Config: insecure})
			testutil.PeerAll(t, rs, me)
			ctx := t.Context()
			officer := &auth.Principal{Username: "ana", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
			ncu := &auth.Principal{Username: "ncu-rs", Agency: "rs-ncu", Roles: []auth.Role{auth.RoleNCUOperator}}
			id, err := rs.Fed.SendNotice(ctx, officer, "me", "Wanted person seen", "Please check the crossing.")
			if err != nil {
				t.Fatal(err)
			}
			state := func() string {
				var st string
				if err := rs.Store.QueryRowContext(ctx, `SELECT state FROM fed_outbox WHERE id = ?`, id).Scan(&st); err != nil {
					t.Fatal(err)
				}
				return st
			}
			if st := state(); st != federation.OutNCUPending {
				t.Fatalf("state %s before the decision", st)
			}
			// The audit outbox refuses writes.
			if _, err := rs.Store.ExecContext(ctx, `ALTER TABLE audit_outbox RENAME TO audit_outbox_away`); err != nil {
				t.Fatal(err)
			}
			if err := rs.Fed.Approve(ctx, ncu, id); err == nil || !strings.Contains(err.Error(), "audit") {
				t.Fatalf("approval without an audit entry: %v", err)
			}
			if st := state(); st != federation.OutNCUPending {
				t.Fatalf("the message is %s although its approval was not audited", st)
			}
			if _, err := rs.Store.ExecContext(ctx, `ALTER TABLE audit_outbox_away RENAME TO audit_outbox`); err != nil {
				t.Fatal(err)
			}
			if err := rs.Fed.Approve(ctx, ncu, id); err != nil {
				t.Fatal(err)
			}
			if n := len(auditOf(t, rs, "envelope/"+id, "ncu.approve")); n != 1 {
				t.Fatalf("%d approval entries, want 1", n)
			}
			testutil.WaitFor(t, "the approved notice at me", 20*time.Second, func() bool { return state() == federation.OutDelivered })
			// The receiving node audits applying it, in the same transaction.
			testutil.RouteIncoming(t, me, &auth.Principal{Username: "ncu-me", Agency: "me-ncu", Roles: []auth.Role{auth.RoleNCUOperator}}, "federation.notice", "me-police")
			testutil.WaitFor(t, "the notice applied at me", 20*time.Second, func() bool {
				var st string
				_ = me.Store.QueryRowContext(ctx, `SELECT state FROM fed_inbox WHERE id = ?`, id).Scan(&st)
				return st == federation.InHandled
			})
			if es := auditOf(t, me, "envelope/"+id, "federation.apply"); len(es) != 1 || es[0].Actor != "peer:rs" || es[0].Detail != "federation.notice" {
				t.Fatalf("apply entries at me: %+v", es)
			}
		})
	}
}

// auditOf lists the audit entries of one action on one object.
func auditOf(t *testing.T, n *testutil.Node, object, action string) []audit.Entry {
	t.Helper()
	if _, err := n.Audit.Drain(t.Context()); err != nil {
		t.Fatal(err)
	}
	es, err := audit.List(t.Context(), n.Store, audit.Filter{Object: object, Action: action, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

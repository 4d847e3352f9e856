package activities

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// TestRegistryChangesCommitWithTheirAuditEntries: with the audit outbox
// unwritable, no registry change takes effect (a draft, an import, a
// round); with it back, each works and is audited exactly once.
func TestRegistryChangesCommitWithTheirAuditEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, "selec")
		admin := &auth.Principal{Username: "admin", Agency: "selec", Roles: []auth.Role{auth.RoleAdmin}}
		drafts := func() int {
			list, err := e.svc.List(ctx, partner, Filter{Drafts: true})
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}
		roundCount := func() int {
			rs, err := e.svc.Rounds(ctx, partner)
			if err != nil {
				t.Fatal(err)
			}
			return len(rs)
		}
		csv := []byte("title,kind,donor,implementer,countries,themes,start_date,end_date\n" +
			"Training on cybercrime investigations,training,EU,UNODC,ME,cybercrime,2027-03-01,2027-04-30\n")

		if _, err := st.ExecContext(ctx, `ALTER TABLE audit_outbox RENAME TO audit_outbox_away`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Create(ctx, partner, euFinancial()); err == nil || !strings.Contains(err.Error(), "audit") {
			t.Fatalf("activity created without an audit entry: %v", err)
		}
		if _, err := e.svc.Import(ctx, partner, "csv", csv, false); err == nil || !strings.Contains(err.Error(), "audit") {
			t.Fatalf("activities imported without an audit entry: %v", err)
		}
		if _, err := e.svc.OpenRound(ctx, admin, RoundInput{Title: "Priorities 2027"}); err == nil || !strings.Contains(err.Error(), "audit") {
			t.Fatalf("round opened without an audit entry: %v", err)
		}
		if _, err := st.ExecContext(ctx, `ALTER TABLE audit_outbox_away RENAME TO audit_outbox`); err != nil {
			t.Fatal(err)
		}
		// Nothing of the refused changes took effect.
		if n := drafts(); n != 0 {
			t.Fatalf("%d activities after refused changes", n)
		}
		if n := roundCount(); n != 0 {
			t.Fatalf("%d rounds after a refused change", n)
		}

		a, err := e.svc.Create(ctx, partner, euFinancial())
		if err != nil {
			t.Fatal(err)
		}
		rep, err := e.svc.Import(ctx, partner, "csv", csv, false)
		if err != nil || len(rep.Created) != 1 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		r, err := e.svc.OpenRound(ctx, admin, RoundInput{Title: "Priorities 2027"})
		if err != nil {
			t.Fatal(err)
		}
		if n := drafts(); n != 2 {
			t.Fatalf("%d activities, want 2", n)
		}
		if _, err := e.al.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ object, action string }{
			{"activity/" + a.ID, "activities.create"},
			{"activity/" + rep.Created[0], "activities.create"},
			{"activities", "activities.import"},
			{"round/" + r.ID, "activities.round.open"},
		} {
			es, err := audit.List(ctx, st, audit.Filter{Object: c.object, Action: c.action})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 1 {
				t.Fatalf("%d %s entries for %s, want 1", len(es), c.action, c.object)
			}
		}
	})
}

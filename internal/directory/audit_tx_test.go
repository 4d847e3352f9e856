package directory_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// TestDirectoryChangesCommitWithTheirAuditEntries: with the audit outbox
// unwritable, no directory change takes effect (new agency, confirmation,
// status); with it back, each works and is audited exactly once.
func TestDirectoryChangesCommitWithTheirAuditEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, "rs")
		mup, err := e.svc.CreateAgency(ctx, admin, mupInput())
		if err != nil {
			t.Fatal(err)
		}
		cp, err := e.svc.CreateContactPoint(ctx, admin, cpInput(mup.ID))
		if err != nil {
			t.Fatal(err)
		}
		agencies := func() int {
			as, err := e.svc.NodeAgencies(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return len(as)
		}
		before := agencies()
		police := directory.AgencyInput{Country: "RS", Code: "rs-bp", Name: "Border Police Administration", Type: "border_police"}

		if _, err := st.ExecContext(ctx, `ALTER TABLE audit_outbox RENAME TO audit_outbox_away`); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateAgency(ctx, admin, police); err == nil || !strings.Contains(err.Error(), "audit") {
			t.Fatalf("agency created without an audit entry: %v", err)
		}
		if _, err := e.svc.ConfirmContactPoint(ctx, admin, cp.ID); err == nil || !strings.Contains(err.Error(), "audit") {
			t.Fatalf("contact point confirmed without an audit entry: %v", err)
		}
		if _, err := st.ExecContext(ctx, `ALTER TABLE audit_outbox_away RENAME TO audit_outbox`); err != nil {
			t.Fatal(err)
		}
		// Nothing of the refused changes took effect.
		if n := agencies(); n != before {
			t.Fatalf("%d agencies after a refused creation, want %d", n, before)
		}
		if got, err := e.svc.ContactPoint(ctx, admin, cp.ID); err != nil || got.Version != cp.Version {
			t.Fatalf("contact point version %d after a refused confirmation, want %d (%v)", got.Version, cp.Version, err)
		}

		bp, err := e.svc.CreateAgency(ctx, admin, police)
		if err != nil {
			t.Fatal(err)
		}
		if n := agencies(); n != before+1 {
			t.Fatalf("%d agencies, want %d", n, before+1)
		}
		if _, err := e.svc.ConfirmContactPoint(ctx, admin, cp.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.al.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ object, action string }{
			{"directory/agency/" + bp.ID, "directory.agency.create"},
			{"directory/contact/" + cp.ID, "directory.contact.confirm"},
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

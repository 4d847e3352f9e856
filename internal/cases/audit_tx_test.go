package cases_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// TestChangesCommitWithTheirAuditEntries: with the audit outbox
// unwritable, no change to the case database takes effect (case, entity,
// relation, merge, filing with provenance, import summary, bulk load); with
// it back, each works and is audited exactly once.
func TestChangesCommitWithTheirAuditEntries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		s, al := newService(t, st)
		a := mustEntity(t, s, person("Marko", "Petrović", "1985-03-12", ""))
		b := mustEntity(t, s, person("Marko", "Petrovic", "1985-03-21", ""))
		count := func(table string) int {
			t.Helper()
			var n int
			if err := st.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		entities, relations := count("cases_entities"), count("cases_relations")
		caseIn := cases.CaseInput{Reference: "RS-KT-1/2026", Title: "Cocaine", CrimeArea: "drugs"}
		prov := cases.ProvenanceInput{Case: "RS-KT-1/2026", Kind: "vehicle", Label: "Audi", Fields: map[string]string{"plate": "BG 123-AA"},
			SourceNode: "ba", SourceAgency: "ba-sipa", ThreadID: "T1", MessageID: "M1"}
		bulk := []map[string]string{{"given_name": "Ivan", "family_name": "Ivić", "date_of_birth": "1970-01-01"}}

		if _, err := st.ExecContext(ctx, `ALTER TABLE audit_outbox RENAME TO audit_outbox_away`); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCase(ctx, officer, caseIn); err == nil {
			t.Fatal("case created without an audit entry")
		}
		if _, _, err := s.CreateEntity(ctx, officer, person("Ana", "Anić", "1990-01-01", "")); err == nil {
			t.Fatal("entity created without an audit entry")
		}
		if _, err := s.Relate(ctx, officer, cases.RelationInput{From: a.ID, To: b.ID, Type: "related_to"}); err == nil {
			t.Fatal("relation created without an audit entry")
		}
		if err := s.Merge(ctx, officer, a.ID, b.ID); err == nil {
			t.Fatal("entities merged without an audit entry")
		}
		if err := s.BulkLoad(ctx, officer, "t", bulk); err == nil {
			t.Fatal("bulk load without an audit entry")
		}
		if _, err := st.ExecContext(ctx, `ALTER TABLE audit_outbox_away RENAME TO audit_outbox`); err != nil {
			t.Fatal(err)
		}
		// Nothing of the refused changes took effect.
		if n := count("cases_cases"); n != 0 {
			t.Fatalf("%d cases after the refused creation", n)
		}
		if n := count("cases_entities"); n != entities {
			t.Fatalf("%d entities, want %d", n, entities)
		}
		if n := count("cases_relations"); n != relations {
			t.Fatalf("%d relations, want %d", n, relations)
		}
		if d, err := s.GetEntity(ctx, officer, b.ID); err != nil || d.Entity.MergedInto != "" {
			t.Fatalf("the duplicate is merged into %q (%v)", d.Entity.MergedInto, err)
		}

		// With the outbox back, each change works and is audited once.
		c, err := s.CreateCase(ctx, officer, caseIn)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateCase(ctx, officer, caseIn); err != nil { // idempotent: no second entry
			t.Fatal(err)
		}
		e, _, err := s.CreateEntity(ctx, officer, person("Ana", "Anić", "1990-01-01", ""))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Relate(ctx, officer, cases.RelationInput{From: a.ID, To: b.ID, Type: "related_to"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddRoute(ctx, officer, c.ID, cases.RouteInput{TravelledOn: "2026-01-05", Stops: []string{"MKSKP", "BCP-TABANOVCE", "RSBEG"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.Merge(ctx, officer, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.Unmerge(ctx, officer, b.ID); err != nil {
			t.Fatal(err)
		}
		pr, err := s.ImportWithProvenance(ctx, officer, prov)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ImportWithProvenance(ctx, officer, prov); err != nil { // already imported: no second entry
			t.Fatal(err)
		}
		rep, err := s.Import(ctx, officer, strings.NewReader("given_name,family_name,date_of_birth\nPetar,Perić,1980-02-02\n"), cases.ImportOptions{Format: cases.FormatCSV, Filename: "p.csv"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.BulkLoad(ctx, officer, "t", bulk); err != nil {
			t.Fatal(err)
		}
		// The bulk load chose its own keys; later entities still get new ones.
		mustEntity(t, s, person("Vesna", "Vesić", "1991-09-09", ""))
		if _, err := al.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		for _, w := range []struct{ action, object string }{
			{"cases.case.create", "case/" + c.ID},
			{"cases.entity.create", "entity/" + e.ID},
			{"cases.relation.create", "entity/" + a.ID},
			{"cases.route.create", "case/" + c.ID},
			{"cases.entity.merge", "entity/" + b.ID},
			{"cases.entity.unmerge", "entity/" + b.ID},
			{"cases.entity.import", "entity/" + pr.EntityID},
			{"cases.import", "import/" + rep.ID},
			{"cases.bulkload", "cases/bulk"},
		} {
			es, err := audit.List(ctx, st, audit.Filter{Action: w.action, Object: w.object, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 1 {
				t.Errorf("%s %s: %d entries, want 1: %s", w.action, w.object, len(es), fmt.Sprint(es))
			}
		}
	})
}

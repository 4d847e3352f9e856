package exchange_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestImportIntoCase: entities received from another node are filed into
// a chosen local case of the case database with their provenance (source
// node and agency, thread, message, markings, importing user), audited,
// and importing again changes nothing.
func TestImportIntoCase(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		rs, me := c.Nodes["rs"], c.Nodes["me"]
		rsOff := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		meOff := user(t, me, "me-officer", "me-police", auth.RoleOfficer)
		mePros := user(t, me, "me-prosecutor", "me-police", auth.RoleProsecutor)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		m := exchange.MessageMarkings{Classification: "confidential", Handling: []string{"H1", "H3"}, HandlingNote: "court use only after consent", Reliability: "A", Accuracy: 1}
		th, err := rs.Exchange.Compose(ctx, rsOff, exchange.NewThread{Subject: "Courier network", Parties: []string{"me"}, Body: "Two persons and a phone.", Markings: m,
			Entities: []exchange.MessageEntity{
				{Kind: "person", Label: "Marko Marković", Fields: map[string]string{"date_of_birth": "1980-02-03", "personal_id": "0302980710123", "nickname": "Kum"}},
				{Kind: "phone", Label: "+381 64 123 4567"},
				{Kind: "vehicle", Label: "no plate known", Fields: map[string]string{"colour": "black"}},
			}})
		if err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, rs, rsNCU)
		testutil.RouteIncoming(t, me, meNCU, exchange.TypeMessage, "me-police")
		testutil.WaitFor(t, "thread on me", 20*time.Second, func() bool { _, err := me.Exchange.Thread(ctx, meOff, th.ID); return err == nil })
		msg := thread(t, me, meOff, th.ID).Messages[0]
		if _, err := me.Cases.CreateCase(ctx, meOff, cases.CaseInput{Reference: "ME-2026-41", Title: "Courier network", CrimeArea: "drugs"}); err != nil {
			t.Fatal(err)
		}
		// Refusals: unknown case, no right to edit cases, no such entity, a vehicle with nothing to identify it.
		if _, err := me.Exchange.ImportEntity(ctx, meOff, th.ID, msg.ID, 0, exchange.ImportInput{CaseRef: "ME-NOPE"}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unknown case: %v", err)
		}
		if _, err := me.Exchange.ImportEntity(ctx, mePros, th.ID, msg.ID, 0, exchange.ImportInput{CaseRef: "ME-2026-41"}); !errs.Is(err, errs.Forbidden) && !errs.Is(err, errs.NotFound) {
			t.Fatalf("prosecutor without case editing: %v", err)
		}
		if _, err := me.Exchange.ImportEntity(ctx, meOff, th.ID, msg.ID, 7, exchange.ImportInput{CaseRef: "ME-2026-41"}); !errs.Is(err, errs.NotFound) {
			t.Fatalf("no such entity: %v", err)
		}
		if _, err := me.Exchange.ImportEntity(ctx, meOff, th.ID, msg.ID, 2, exchange.ImportInput{CaseRef: "ME-2026-41"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("vehicle without plate or VIN: %v", err)
		}
		im, err := me.Exchange.ImportEntity(ctx, meOff, th.ID, msg.ID, 0, exchange.ImportInput{CaseRef: "ME-2026-41", Role: "suspect"})
		if err != nil {
			t.Fatal(err)
		}
		if im.CaseEntityID == "" || !im.Created || im.AlreadyImported || im.CaseRef != "ME-2026-41" {
			t.Fatalf("import: %+v", im)
		}
		if _, err := me.Exchange.ImportEntity(ctx, meOff, th.ID, msg.ID, 1, exchange.ImportInput{CaseRef: "ME-2026-41"}); err != nil {
			t.Fatal(err)
		}
		// The entities are in the local case, as case entities, with the person's name from the label.
		cd, err := me.Cases.GetCase(ctx, meOff, "ME-2026-41")
		if err != nil {
			t.Fatal(err)
		}
		if len(cd.Entities) != 2 {
			t.Fatalf("case entities: %+v", cd.Entities)
		}
		ed, err := me.Cases.GetEntity(ctx, meOff, im.CaseEntityID)
		if err != nil {
			t.Fatal(err)
		}
		if ed.Entity.Kind != "person" || ed.Entity.Fields["full_name"] != "Marko Marković" || ed.Entity.Fields["personal_id"] != "0302980710123" ||
			!strings.Contains(ed.Entity.Source, "exchange:rs/rs-police") || len(ed.Cases) != 1 || ed.Cases[0].Role != "suspect" {
			t.Fatalf("case entity: %+v", ed)
		}
		// Provenance in the case database.
		pv, err := me.Cases.ProvenanceOf(ctx, meOff, "", im.CaseEntityID)
		if err != nil || len(pv) != 1 {
			t.Fatalf("provenance: %+v %v", pv, err)
		}
		p := pv[0]
		var pm exchange.MessageMarkings
		_ = json.Unmarshal(p.Markings, &pm)
		if p.SourceNode != "rs" || p.SourceAgency != "rs-police" || p.ThreadID != th.ID || p.MessageID != msg.ID || p.EntityIndex != 0 ||
			p.ImportedBy != "me-officer" || p.ImportedAgency != "me-police" || p.CaseReference != "ME-2026-41" || pm.Classification != "confidential" ||
			pm.HandlingNote != "court use only after consent" || !strings.Contains(p.MarkingLabel, "CONFIDENTIAL · H1 H3 · A1") || p.Unmapped["nickname"] != "Kum" ||
			p.Original.Label != "Marko Marković" || p.SentAt.IsZero() {
			t.Fatalf("provenance record: %+v", p)
		}
		// Importing again changes nothing.
		again, err := me.Exchange.ImportEntity(ctx, meOff, th.ID, msg.ID, 0, exchange.ImportInput{CaseRef: "ME-2026-41", Role: "suspect"})
		if err != nil || !again.AlreadyImported || again.CaseEntityID != im.CaseEntityID {
			t.Fatalf("second import: %+v %v", again, err)
		}
		_, _ = me.Audit.Drain(ctx)
		count := func(q string, args ...any) int {
			var n int
			if err := me.Store.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(`SELECT COUNT(*) FROM cases_provenance`); n != 2 {
			t.Fatalf("provenance rows: %d", n)
		}
		if n := count(`SELECT COUNT(*) FROM cases_entities WHERE kind = 'person'`); n != 1 {
			t.Fatalf("person entities: %d", n)
		}
		if n := count(`SELECT COUNT(*) FROM ex_imports WHERE thread_id = ?`, th.ID); n != 2 {
			t.Fatalf("exchange import records: %d", n)
		}
		if n := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'cases.entity.import' AND actor = 'me-officer'`); n != 2 {
			t.Fatalf("case imports audited %d times", n)
		}
		if n := count(`SELECT COUNT(*) FROM audit_log WHERE action = 'exchange.entity.import' AND object = ?`, "thread/"+th.ID); n != 2 {
			t.Fatalf("exchange imports audited %d times", n)
		}
		// The free-text handling note stays out of the audit log.
		if n := count(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%court use only%'`); n != 0 {
			t.Fatalf("handling note in the audit log: %d", n)
		}
		ims, err := me.Exchange.Imports(ctx, meOff, th.ID)
		if err != nil || len(ims) != 2 || ims[0].CaseEntityID != im.CaseEntityID || !strings.Contains(string(ims[0].Provenance), `"node":"rs"`) {
			t.Fatalf("imports: %+v %v", ims, err)
		}
	})
}

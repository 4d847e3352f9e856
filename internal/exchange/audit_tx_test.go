package exchange_test

import (
	"context"
	"testing"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// TestChangesCommitWithTheirAuditEntries: with the audit outbox
// unwritable, no exchange change takes effect (new thread, reply, share,
// keep, retention action, an entity filed into a case) and nothing is sent;
// with it back, each works and is audited exactly once.
func TestChangesCommitWithTheirAuditEntries(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		rs := c.Nodes["rs"]
		off := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		newThread := exchange.NewThread{Subject: "Vehicle check", CrimeArea: "drugs", Priority: exchange.PriorityNormal, Parties: []string{"me"},
			Body: "Please check the vehicle.", Markings: marks("restricted", true, "H0"),
			Entities: []exchange.MessageEntity{{Kind: "vehicle", Label: "BG-123-XY", Fields: map[string]string{"plate": "BG-123-XY"}}}}
		if _, err := rs.Cases.CreateCase(ctx, off, cases.CaseInput{Reference: "RS-CASE-1", Title: "Vehicle checks", CrimeArea: "drugs"}); err != nil {
			t.Fatal(err)
		}
		th, err := rs.Exchange.Compose(ctx, off, newThread)
		if err != nil {
			t.Fatal(err)
		}
		count := func(q string, args ...any) int {
			t.Helper()
			var n int
			if err := rs.Store.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		threads, messages, outgoing := count(`SELECT COUNT(*) FROM ex_threads`), count(`SELECT COUNT(*) FROM ex_messages`), count(`SELECT COUNT(*) FROM fed_outbox`)
		entities := count(`SELECT COUNT(*) FROM cases_entities`)
		req := th.Messages[0]
		reply := exchange.Reply{Kind: exchange.KindFollowUp, Body: "Any news?", Markings: marks("restricted", true, "H0")}

		if _, err := rs.Store.ExecContext(ctx, `ALTER TABLE audit_outbox RENAME TO audit_outbox_away`); err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Exchange.Compose(ctx, off, newThread); err == nil {
			t.Fatal("thread created without an audit entry")
		}
		if _, err := rs.Exchange.Reply(ctx, off, th.ID, reply); err == nil {
			t.Fatal("reply sent without an audit entry")
		}
		if err := rs.Exchange.Share(ctx, off, th.ID, "rs-customs"); err == nil {
			t.Fatal("thread shared without an audit entry")
		}
		if _, err := rs.Exchange.KeepThread(ctx, off, th.ID, "ongoing trial"); err == nil {
			t.Fatal("keep reason recorded without an audit entry")
		}
		if _, err := rs.Exchange.SetRetentionAction(ctx, off, th.ID, exchange.RetentionAnonymise); err == nil {
			t.Fatal("retention action recorded without an audit entry")
		}
		if _, err := rs.Exchange.ImportEntity(ctx, off, th.ID, req.ID, 0, exchange.ImportInput{CaseRef: "RS-CASE-1"}); err == nil {
			t.Fatal("entity filed into a case without an audit entry")
		}
		if _, err := rs.Store.ExecContext(ctx, `ALTER TABLE audit_outbox_away RENAME TO audit_outbox`); err != nil {
			t.Fatal(err)
		}
		// Nothing of the refused changes took effect, and nothing was sent.
		if n := count(`SELECT COUNT(*) FROM ex_threads`); n != threads {
			t.Fatalf("%d threads, want %d", n, threads)
		}
		if n := count(`SELECT COUNT(*) FROM ex_messages`); n != messages {
			t.Fatalf("%d messages, want %d", n, messages)
		}
		if n := count(`SELECT COUNT(*) FROM fed_outbox`); n != outgoing {
			t.Fatalf("%d outgoing envelopes, want %d", n, outgoing)
		}
		if n := count(`SELECT COUNT(*) FROM ex_shares WHERE thread_id = ?`, th.ID); n != 0 {
			t.Fatalf("%d shares", n)
		}
		if n := count(`SELECT COUNT(*) FROM ex_threads WHERE id = ? AND keep_reason = '' AND retention_action = ''`, th.ID); n != 1 {
			t.Fatal("the thread's retention settings changed")
		}
		// The filing into the case and the exchange's record of it are one
		// transaction: neither happened.
		if n := count(`SELECT COUNT(*) FROM cases_entities`); n != entities {
			t.Fatalf("%d case entities, want %d", n, entities)
		}
		if n := count(`SELECT COUNT(*) FROM cases_provenance`) + count(`SELECT COUNT(*) FROM ex_imports`); n != 0 {
			t.Fatalf("%d provenance and import records after the refused import", n)
		}

		// With the outbox back, each change works and is audited once.
		th2, err := rs.Exchange.Compose(ctx, off, newThread)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Exchange.Reply(ctx, off, th.ID, reply); err != nil {
			t.Fatal(err)
		}
		if err := rs.Exchange.Share(ctx, off, th.ID, "rs-customs"); err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Exchange.KeepThread(ctx, off, th.ID, "ongoing trial"); err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Exchange.SetRetentionAction(ctx, off, th.ID, exchange.RetentionAnonymise); err != nil {
			t.Fatal(err)
		}
		im, err := rs.Exchange.ImportEntity(ctx, off, th.ID, req.ID, 0, exchange.ImportInput{CaseRef: "RS-CASE-1"})
		if err != nil {
			t.Fatal(err)
		}
		if again, err := rs.Exchange.ImportEntity(ctx, off, th.ID, req.ID, 0, exchange.ImportInput{CaseRef: "RS-CASE-1"}); err != nil || !again.AlreadyImported {
			t.Fatalf("second import: %+v %v", again, err)
		}
		// Marking read is audited once, and only when something was unread.
		customs := user(t, rs, "rs-customs-officer", "rs-customs", auth.RoleOfficer)
		for range 2 {
			if err := rs.Exchange.MarkNotificationsRead(ctx, customs); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := rs.Audit.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		for _, w := range []struct{ action, object string }{
			{"exchange.notification.read", "notifications"},
			{"exchange.thread.create", "thread/" + th2.ID},
			{"exchange.message.send", "thread/" + th.ID},
			{"exchange.thread.share", "thread/" + th.ID},
			{"exchange.thread.keep", "thread/" + th.ID},
			{"exchange.thread.retention", "thread/" + th.ID},
			{"exchange.entity.import", "thread/" + th.ID},
			{"cases.entity.import", "entity/" + im.CaseEntityID},
		} {
			es, err := audit.List(ctx, rs.Store, audit.Filter{Action: w.action, Object: w.object, Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			if len(es) != 1 {
				t.Errorf("%s %s: %d entries, want 1", w.action, w.object, len(es))
			}
		}
	})
}

package exchange_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// findEverywhere counts the rows of every table of n's database whose
// text or binary columns contain marker (case-insensitive): a direct
// look at the database, not through the service.
func findEverywhere(t *testing.T, st *store.Store, marker string) map[string]int {
	t.Helper()
	ctx := context.Background()
	type col struct{ table, name, typ string }
	var cols []col
	q := `SELECT m.name, p.name, p.type FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`
	if st.Dialect == store.Postgres {
		q = `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = current_schema()`
	}
	rows, err := st.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.name, &c.typ); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	found := map[string]int{}
	pattern := "%" + strings.ToLower(marker) + "%"
	for _, c := range cols {
		expr := `LOWER(CAST(` + c.name + ` AS TEXT))`
		if st.Dialect == store.Postgres {
			switch strings.ToLower(c.typ) {
			case "bytea":
				expr = `LOWER(encode(` + c.name + `, 'escape'))`
			case "text", "character varying":
			default:
				continue
			}
		}
		var n int
		if err := st.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+c.table+` WHERE `+expr+` LIKE ?`, pattern).Scan(&n); err != nil {
			t.Fatalf("%s.%s: %v", c.table, c.name, err)
		}
		if n > 0 {
			found[c.table+"."+c.name] += n
		}
	}
	return found
}

// TestRetentionAnonymise: a thread set to be anonymised keeps its routing
// metadata and statistics at the review date while its content, the
// parties' personal data, attachments and entities are gone from every
// table of the database; a thread following the node's default is deleted
// the same day; both are audited by thread ID only.
func TestRetentionAnonymise(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		rs, me := c.Nodes["rs"], c.Nodes["me"]
		rsOff := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		meOff := user(t, me, "me-officer", "me-police", auth.RoleOfficer)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		const secret = "Vranjevac-courier-4418"
		anon, err := rs.Exchange.Compose(ctx, rsOff, exchange.NewThread{Subject: "Courier " + secret, CrimeArea: "drugs", CaseRefs: []string{"RS-" + secret},
			Parties: []string{"me"}, Agencies: []string{"rs-customs"}, Body: "Suspect " + secret + " travels on Friday",
			Markings:    exchange.MessageMarkings{Classification: "confidential", Handling: []string{"H3"}, HandlingNote: "ask " + secret, Reliability: "B", Accuracy: 2},
			Entities:    []exchange.MessageEntity{{Kind: "person", Label: secret, Fields: map[string]string{"personal_id": secret}}},
			Attachments: []exchange.AttachmentUpload{{Name: "route.txt", Data: []byte("route of " + secret)}}})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := rs.Exchange.Compose(ctx, rsOff, exchange.NewThread{Subject: "Other " + secret, Parties: []string{"me"}, Body: "text " + secret, Markings: marks("restricted", true)})
		if err != nil {
			t.Fatal(err)
		}
		if anon.RetentionAction != exchange.RetentionDelete {
			t.Fatalf("default retention action %q", anon.RetentionAction)
		}
		if _, err := rs.Exchange.SetRetentionAction(ctx, rsOff, anon.ID, "sometimes"); err == nil {
			t.Fatal("unknown retention action accepted")
		}
		if th, err := rs.Exchange.SetRetentionAction(ctx, rsOff, anon.ID, "anonymise"); err != nil || th.RetentionAction != exchange.RetentionAnonymise {
			t.Fatalf("set action: %v %q", err, th.RetentionAction)
		}
		if _, err := me.Exchange.SetRetentionAction(ctx, meOff, anon.ID, "anonymise"); err == nil {
			t.Fatal("a user of another node set the action of a thread it cannot see")
		}
		testutil.ApproveAll(t, rs, rsNCU)
		testutil.RouteIncoming(t, me, meNCU, exchange.TypeMessage, "me-police")
		testutil.WaitFor(t, "threads on me", 20*time.Second, func() bool {
			q, _ := me.Fed.Queue(ctx, meNCU)
			for _, it := range q {
				_ = me.Fed.Route(ctx, meNCU, it.ID, "me-police")
			}
			res, _ := me.Exchange.List(ctx, meOff, exchange.Filter{})
			return len(res) == 2
		})
		// me answers the thread to be anonymised: read and delivery acknowledgements flow back.
		thread(t, me, meOff, anon.ID)
		if _, err := me.Exchange.Reply(ctx, meOff, anon.ID, exchange.Reply{Kind: exchange.KindAnswer, Body: "Answer about " + secret, Markings: marks("restricted", false)}); err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, me, meNCU)
		testutil.WaitFor(t, "answer on rs", 20*time.Second, func() bool { return len(thread(t, rs, rsOff, anon.ID).Messages) == 2 })
		before := findEverywhere(t, rs.Store, secret)
		if before["ex_messages.body"] == 0 || before["ex_attachments.data"] == 0 {
			t.Fatalf("marker not stored where expected before the review: %v", before)
		}
		// Warned ahead of the review, with the action named.
		c.Clock.Advance(3*365*24*time.Hour - 10*24*time.Hour)
		if err := rs.Exchange.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		var warned bool
		ns, _ := rs.Exchange.Notifications(ctx, rsOff, true)
		for _, n := range ns {
			if n.Kind == "retention" && n.ThreadID == anon.ID && strings.Contains(n.Text, "anonymised") {
				warned = true
			}
		}
		if !warned {
			t.Fatalf("no anonymisation warning: %+v", ns)
		}
		c.Clock.Advance(11 * 24 * time.Hour)
		for _, n := range []*testutil.Node{rs, me} {
			if err := n.Exchange.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		// The content is gone from every table of both databases, audit log included.
		for _, n := range []*testutil.Node{rs, me} {
			if f := findEverywhere(t, n.Store, secret); len(f) > 0 {
				t.Fatalf("%s: marker still stored after retention: %v", n.Cfg.NodeID, f)
			}
			if f := findEverywhere(t, n.Store, "Friday"); len(f) > 0 {
				t.Fatalf("%s: message text still stored: %v", n.Cfg.NodeID, f)
			}
		}
		// rs anonymised: routing and statistics stay.
		th := thread(t, rs, rsOff, anon.ID)
		if th.Subject != exchange.AnonymisedSubject || th.AnonymisedAt.IsZero() || th.Status != exchange.StatusAnswered || th.CrimeArea != "drugs" ||
			len(th.CaseRefs) != 0 || th.CreatedBy != "" || len(th.Messages) != 2 || !slicesEqual(th.Parties, []string{"rs", "me"}) {
			t.Fatalf("anonymised thread: %+v", th)
		}
		for _, m := range th.Messages {
			if m.Body != "" || m.Author != "" || len(m.Entities) != 0 || len(m.Attachments) != 0 || m.Markings.HandlingNote != "" || m.Markings.Classification == "" || m.Agency == "" {
				t.Fatalf("anonymised message: %+v", m)
			}
		}
		if d := delivery(th, th.Messages[0].ID, "me"); d.DeliveredAt.IsZero() {
			t.Fatalf("delivery statistics lost: %+v", d)
		}
		var routed bool
		rsNCURouting, err := rs.Exchange.Routing(ctx, rsNCU)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rsNCURouting {
			if r.ID == anon.ID && r.Messages == 2 && r.Agency == "rs-police" {
				routed = true
			}
		}
		if !routed {
			t.Fatalf("routing metadata of the anonymised thread: %+v", rsNCURouting)
		}
		if res, _ := rs.Exchange.List(ctx, rsOff, exchange.Filter{Query: "Vranjevac"}); len(res) != 0 {
			t.Fatalf("anonymised thread still found by its content: %+v", res)
		}
		// The other thread followed the node's default and is deleted; me deleted both copies.
		if _, err := rs.Exchange.Thread(ctx, rsOff, gone.ID); err == nil {
			t.Fatal("thread with the default action survived its review")
		}
		if _, err := me.Exchange.Thread(ctx, meOff, anon.ID); err == nil {
			t.Fatal("me kept its copy although its node deletes")
		}
		audited := func(n *testutil.Node, action, id string) int {
			var k int
			_, _ = n.Audit.Drain(ctx)
			_ = n.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND object = ?`, action, "thread/"+id).Scan(&k)
			return k
		}
		if audited(rs, "exchange.retention.anonymise", anon.ID) != 1 || audited(rs, "exchange.retention.delete", gone.ID) != 1 ||
			audited(me, "exchange.retention.delete", anon.ID) != 1 || audited(rs, "exchange.thread.retention", anon.ID) != 1 {
			t.Fatal("retention actions not audited")
		}
		// A second run does nothing more.
		if err := rs.Exchange.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		if audited(rs, "exchange.retention.anonymise", anon.ID) != 1 {
			t.Fatal("anonymised twice")
		}
	})
}

func slicesEqual(a, b []string) bool { return strings.Join(a, ",") == strings.Join(b, ",") }

// TestNotificationsPerUser: two officers of one agency and two NCU
// operators each keep their own read state.
func TestNotificationsPerUser(t *testing.T) {
	ctx := context.Background()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			n := testutil.Start(t, testutil.Options{NodeID: "rs", Store: b.Options(t)})
			off := user(t, n, "rs-officer", "rs-police", auth.RoleOfficer)
			a := user(t, n, "customs-a", "rs-customs", auth.RoleOfficer)
			bb := user(t, n, "customs-b", "rs-customs", auth.RoleAnalyst)
			for i := 0; i < 2; i++ {
				if _, err := n.Exchange.Compose(ctx, off, exchange.NewThread{Subject: "Shared", Agencies: []string{"rs-customs"}, Body: "x", Markings: marks("restricted", true)}); err != nil {
					t.Fatal(err)
				}
			}
			unread := func(p *auth.Principal) int {
				ns, err := n.Exchange.Notifications(ctx, p, true)
				if err != nil {
					t.Fatal(err)
				}
				return len(ns)
			}
			if unread(a) != 2 || unread(bb) != 2 {
				t.Fatalf("unread before: %d %d", unread(a), unread(bb))
			}
			if err := n.Exchange.MarkNotificationsRead(ctx, a); err != nil {
				t.Fatal(err)
			}
			if unread(a) != 0 || unread(bb) != 2 {
				t.Fatalf("after a read: a %d, b %d", unread(a), unread(bb))
			}
			all, _ := n.Exchange.Notifications(ctx, a, false)
			if len(all) != 2 || !all[0].Read {
				t.Fatalf("a's list: %+v", all)
			}
			if ball, _ := n.Exchange.Notifications(ctx, bb, false); len(ball) != 2 || ball[0].Read {
				t.Fatalf("b's list: %+v", ball)
			}
			// A new notification is unread for a again; marking twice is harmless.
			if _, err := n.Exchange.Compose(ctx, off, exchange.NewThread{Subject: "Third", Agencies: []string{"rs-customs"}, Body: "x", Markings: marks("restricted", true)}); err != nil {
				t.Fatal(err)
			}
			if unread(a) != 1 || unread(bb) != 3 {
				t.Fatalf("after a third: a %d, b %d", unread(a), unread(bb))
			}
			for i := 0; i < 2; i++ {
				if err := n.Exchange.MarkNotificationsRead(ctx, bb); err != nil {
					t.Fatal(err)
				}
			}
			if unread(a) != 1 || unread(bb) != 0 {
				t.Fatalf("after b read: a %d, b %d", unread(a), unread(bb))
			}
			if unread(off) != 0 {
				t.Fatalf("the author's agency was notified: %d", unread(off))
			}
		})
	}
}

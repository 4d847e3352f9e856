package exchange_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// cluster is a set of nodes sharing one fake clock.
// cluster is the countries of a test, on one fake clock.
type cluster = testutil.Cluster

func startCluster(t *testing.T, b storetest.Backend, ids ...string) *cluster {
	return testutil.StartCluster(t, b, ids...)
}

// user creates an account and returns its principal.
func user(t *testing.T, n *testutil.Node, name, agency string, roles ...auth.Role) *auth.Principal {
	t.Helper()
	ctx := context.Background()
	if _, err := n.Auth.CreateUser(ctx, nil, auth.NewUser{Username: name, DisplayName: name, Agency: agency, Roles: roles, Password: testutil.Password, Email: name + "@example.test"}); err != nil {
		t.Fatalf("add user: %v", err)
	}
	sess, err := n.Auth.Login(ctx, auth.LoginInput{Username: name, Password: testutil.Password})
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	return sess.Principal
}

func marks(class string, onward bool, handling ...string) exchange.MessageMarkings {
	return exchange.MessageMarkings{Classification: class, Handling: handling, Reliability: "B", Accuracy: 2, OnwardAllowed: onward}
}

func thread(t *testing.T, n *testutil.Node, p *auth.Principal, id string) exchange.Thread {
	t.Helper()
	th, err := n.Exchange.Thread(context.Background(), p, id)
	if err != nil {
		t.Fatalf("thread on %s for %s: %v", n.Cfg.NodeID, p.Username, err)
	}
	return th
}

func delivery(th exchange.Thread, msgID, node string) exchange.Delivery {
	for _, m := range th.Messages {
		if m.ID == msgID {
			for _, d := range m.Deliveries {
				if d.Node == node {
					return d
				}
			}
		}
	}
	return exchange.Delivery{}
}

func eachBackend(t *testing.T, fn func(t *testing.T, b storetest.Backend)) {
	storetest.EachBackend(t, fn)
}

// TestFullCycle: compose on rs → rs NCU approves → me NCU routes → me
// officer reads (read ack) and answers → me NCU approves → the answer is
// auto-routed on rs to the owning agency → status, acks and visibility.
func TestFullCycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		rs, me := c.Nodes["rs"], c.Nodes["me"]
		rsOff := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		rsOther := user(t, rs, "rs-other", "rs-customs", auth.RoleOfficer)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		meOff := user(t, me, "me-officer", "me-police", auth.RoleOfficer)
		meOther := user(t, me, "me-other", "me-customs", auth.RoleOfficer)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)

		th, err := rs.Exchange.Compose(ctx, rsOff, exchange.NewThread{Subject: "Ђорђе Петровић — drug shipment", CrimeArea: "drugs", Priority: exchange.PriorityUrgent,
			CaseRefs: []string{"RS-2026-117"}, Parties: []string{"me"}, Body: "Please check the vehicle BG-123-XY and its owner.",
			Markings:    marks("restricted", false, "H0", "H2"),
			Entities:    []exchange.MessageEntity{{Kind: "vehicle", Label: "BG-123-XY", Fields: map[string]string{"plate": "BG-123-XY"}}},
			Attachments: []exchange.AttachmentUpload{{Name: "note.txt", Data: []byte("plate seen at Debeli Brijeg border crossing\n")}}})
		if err != nil {
			t.Fatal(err)
		}
		if th.Status != exchange.StatusOpen || !th.DeadlineAt.Equal(th.CreatedAt.Add(8*time.Hour)) {
			t.Fatalf("urgent request: status %s deadline %v created %v", th.Status, th.DeadlineAt, th.CreatedAt)
		}
		req := th.Messages[0]
		if d := delivery(th, req.ID, "me"); d.State != "awaiting_ncu" {
			t.Fatalf("before NCU approval the delivery is %q, want awaiting_ncu", d.State)
		}
		if !strings.Contains(req.MarkingLabel, "RESTRICTED · H0 H2 · B2 · no onward transmission") {
			t.Fatalf("marking label %q", req.MarkingLabel)
		}
		// Another agency of the same country does not see the thread.
		if _, err := rs.Exchange.Thread(ctx, rsOther, th.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("other agency reads thread: %v, want not found", err)
		}
		if n := testutil.ApproveAll(t, rs, rsNCU); n != 1 {
			t.Fatalf("approved %d messages, want 1", n)
		}
		item := testutil.RouteIncoming(t, me, meNCU, exchange.TypeMessage, "me-police")
		if !strings.Contains(item.Summary, "[URGENT] request") || strings.Contains(item.Summary, "BG-123") {
			t.Fatalf("NCU summary %q: want routing metadata without content", item.Summary)
		}
		testutil.WaitFor(t, "the thread stored on me", 20*time.Second, func() bool {
			_, err := me.Exchange.Thread(ctx, meOff, th.ID)
			return err == nil
		})
		if _, err := me.Exchange.Thread(ctx, meOther, th.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("unrouted agency reads thread: %v", err)
		}
		got := thread(t, me, meOff, th.ID)
		m := got.Messages[0]
		if got.Subject != th.Subject || got.DeadlineAt.IsZero() || got.OriginNode != "rs" || m.Node != "rs" || m.Markings.Classification != "restricted" ||
			len(m.Entities) != 1 || len(m.Attachments) != 1 || m.Attachments[0].SHA256 != req.Attachments[0].SHA256 {
			t.Fatalf("received thread differs: %+v", got)
		}
		notes, _ := me.Exchange.Notifications(ctx, meOff, true)
		if len(notes) == 0 || !strings.Contains(notes[0].Text, "URGENT") {
			t.Fatalf("no notification for the routed agency: %+v", notes)
		}
		// Delivery and read acknowledgements reach rs.
		testutil.WaitFor(t, "read acknowledgement on rs", 20*time.Second, func() bool {
			return delivery(thread(t, rs, rsOff, th.ID), req.ID, "me").State == "read"
		})
		// The NCU sees routing metadata only.
		ri, err := me.Exchange.Routing(ctx, meNCU)
		if err != nil || len(ri) != 1 || ri[0].Agency != "me-police" || ri[0].Messages != 1 {
			t.Fatalf("routing view: %+v %v", ri, err)
		}

		ans, err := me.Exchange.Reply(ctx, meOff, th.ID, exchange.Reply{Kind: exchange.KindAnswer, Body: "Vehicle registered to Marko Marković, Podgorica.",
			Markings: marks("restricted", true, "H0")})
		if err != nil {
			t.Fatal(err)
		}
		if n := testutil.ApproveAll(t, me, meNCU); n != 1 {
			t.Fatalf("approved %d, want 1", n)
		}
		// No manual routing on rs: the answer follows the thread to rs-police.
		testutil.WaitFor(t, "answer on rs", 20*time.Second, func() bool {
			th2 := thread(t, rs, rsOff, th.ID)
			return len(th2.Messages) == 2 && th2.Status == exchange.StatusAnswered
		})
		testutil.WaitFor(t, "delivery ack of the answer on me", 20*time.Second, func() bool {
			return delivery(thread(t, me, meOff, th.ID), ans.ID, "rs").State != "queued"
		})
		var autoroutes int
		_, _ = rs.Audit.Drain(ctx)
		_ = rs.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, "exchange.autoroute").Scan(&autoroutes)
		if autoroutes != 1 {
			t.Fatalf("auto-routing audited %d times, want 1", autoroutes)
		}
		// Received messages are audited where they arrive, without their content.
		var received int
		var detail string
		_ = rs.Store.QueryRowContext(ctx, `SELECT COUNT(*), MAX(detail) FROM audit_log WHERE action = ? AND object = ?`, "exchange.message.receive", "thread/"+th.ID).Scan(&received, &detail)
		if received != 1 || !strings.Contains(detail, "from me") {
			t.Fatalf("receipt of the answer audited %d times (%q), want 1", received, detail)
		}
		// Search finds the thread across scripts and diacritics, for its agency only.
		for _, q := range []string{"djordje petrovic", "ĐORĐE", "Ђорђе", "markovic", "BG-123", "note.txt"} {
			res, err := rs.Exchange.List(ctx, rsOff, exchange.Filter{Query: q, Purpose: "test"})
			if err != nil || len(res) != 1 {
				t.Fatalf("search %q on rs: %d results, %v", q, len(res), err)
			}
			if res, _ := rs.Exchange.List(ctx, rsOther, exchange.Filter{Query: q}); len(res) != 0 {
				t.Fatalf("search %q leaks to another agency", q)
			}
		}
		if res, _ := rs.Exchange.List(ctx, rsOff, exchange.Filter{Country: "me", Status: exchange.StatusAnswered, CrimeArea: "Drugs"}); len(res) != 1 {
			t.Fatalf("filters: %d results", len(res))
		}
		if res, _ := rs.Exchange.List(ctx, rsOff, exchange.Filter{Country: "al"}); len(res) != 0 {
			t.Fatalf("country filter: %d results", len(res))
		}
		// A received entity can be imported into a local case with provenance.
		if _, err := me.Cases.CreateCase(ctx, meOff, cases.CaseInput{Reference: "ME-CASE-9", Title: "Vehicle checks", CrimeArea: "drugs"}); err != nil {
			t.Fatal(err)
		}
		if _, err := me.Exchange.ImportEntity(ctx, meOff, th.ID, req.ID, 0, exchange.ImportInput{CaseRef: "ME-CASE-9"}); err != nil {
			t.Fatal(err)
		}
		ims, _ := me.Exchange.Imports(ctx, meOff, th.ID)
		if len(ims) != 1 || !strings.Contains(string(ims[0].Provenance), `"node":"rs"`) || ims[0].Entity.Label != "BG-123-XY" {
			t.Fatalf("imports: %+v", ims)
		}
	})
}

func TestRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me", "al")
		rs, me, al := c.Nodes["rs"], c.Nodes["me"], c.Nodes["al"]
		rsOff := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		meOff := user(t, me, "me-officer", "me-police", auth.RoleOfficer)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		alOff := user(t, al, "al-officer", "al-police", auth.RoleOfficer)
		alNCU := user(t, al, "al-ncu", "al-ncu", auth.RoleNCUOperator)

		// Validation and unauthorised recipients.
		bad := []struct {
			name string
			in   exchange.NewThread
			kind errs.Kind
			msg  string
		}{
			{"no recipient", exchange.NewThread{Subject: "s", Body: "b", Markings: marks("restricted", true)}, errs.Invalid, "at least one recipient"},
			{"not a peer", exchange.NewThread{Subject: "s", Body: "b", Parties: []string{"xx"}, Markings: marks("restricted", true)}, errs.Invalid, "not a peer"},
			{"bad classification", exchange.NewThread{Subject: "s", Body: "b", Parties: []string{"me"}, Markings: marks("secret", true)}, errs.Invalid, "classification"},
			{"H3 without note", exchange.NewThread{Subject: "s", Body: "b", Parties: []string{"me"}, Markings: marks("restricted", false, "H3")}, errs.Invalid, "H3"},
			{"H2 with onward", exchange.NewThread{Subject: "s", Body: "b", Parties: []string{"me"}, Markings: marks("restricted", true, "H2")}, errs.Invalid, "contradicts"},
			{"accuracy", exchange.NewThread{Subject: "s", Body: "b", Parties: []string{"me"}, Markings: exchange.MessageMarkings{Classification: "restricted", Reliability: "A", Accuracy: 5}}, errs.Invalid, "accuracy"},
			{"executable attachment", exchange.NewThread{Subject: "s", Body: "b", Parties: []string{"me"}, Markings: marks("restricted", true),
				Attachments: []exchange.AttachmentUpload{{Name: "tool.exe", Data: []byte("MZ\x90\x00")}}}, errs.Invalid, "only PDF"},
			{"disguised attachment", exchange.NewThread{Subject: "s", Body: "b", Parties: []string{"me"}, Markings: marks("restricted", true),
				Attachments: []exchange.AttachmentUpload{{Name: "scan.pdf", Data: []byte("MZ\x90\x00\x03\x00\x00\x00")}}}, errs.Invalid, "not a pdf"},
			{"large attachment", exchange.NewThread{Subject: "s", Body: "b", Parties: []string{"me"}, Markings: marks("restricted", true),
				Attachments: []exchange.AttachmentUpload{{Name: "big.txt", Data: []byte(strings.Repeat("a", 2<<20))}}}, errs.TooLarge, "larger than"},
			{"bad entity", exchange.NewThread{Subject: "s", Body: "b", Parties: []string{"me"}, Markings: marks("restricted", true),
				Entities: []exchange.MessageEntity{{Kind: "spaceship", Label: "x"}}}, errs.Invalid, "kind"},
		}
		for _, tc := range bad {
			_, err := rs.Exchange.Compose(ctx, rsOff, tc.in)
			if !errs.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("%s: got %v, want %v containing %q", tc.name, err, tc.kind, tc.msg)
			}
		}

		th, err := rs.Exchange.Compose(ctx, rsOff, exchange.NewThread{Subject: "Firearms trafficking", Priority: exchange.PriorityNormal, Parties: []string{"me"},
			Body: "Serial numbers attached.", Markings: marks("confidential", false, "H2")})
		if err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, rs, rsNCU)
		testutil.RouteIncoming(t, me, meNCU, exchange.TypeMessage, "me-police")
		testutil.WaitFor(t, "thread on me", 20*time.Second, func() bool { _, err := me.Exchange.Thread(ctx, meOff, th.ID); return err == nil })
		reqID := th.Messages[0].ID

		// Forwarding an H2 / no-onward message without permission is refused.
		_, err = me.Exchange.ForwardMessage(ctx, meOff, th.ID, exchange.Forward{MessageID: reqID, To: "al"})
		if !errs.Is(err, errs.Forbidden) || errs.CodeOf(err) != "no-onward-dissemination" {
			t.Fatalf("forward without permission: %v", err)
		}
		var denied int
		_, _ = me.Audit.Drain(ctx)
		_ = me.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND outcome = ?`, "exchange.message.forward", "denied").Scan(&denied)
		if denied != 1 {
			t.Fatalf("refused forward audited %d times", denied)
		}
		// With the provider's permission it goes, and the permission is recorded.
		fwd, err := me.Exchange.ForwardMessage(ctx, meOff, th.ID, exchange.Forward{MessageID: reqID, To: "al", Permission: "RS NCU, phone call 2026-11-23, ref 55/26"})
		if err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, me, meNCU)
		testutil.RouteIncoming(t, al, alNCU, exchange.TypeMessage, "al-police")
		testutil.WaitFor(t, "forward on al", 20*time.Second, func() bool { _, err := al.Exchange.Thread(ctx, alOff, th.ID); return err == nil })
		alTh := thread(t, al, alOff, th.ID)
		if len(alTh.Messages) != 1 || alTh.Messages[0].Permission == "" || alTh.Messages[0].ForwardedFrom != reqID || alTh.Messages[0].Markings.Classification != "confidential" {
			t.Fatalf("forward on al: %+v", alTh.Messages)
		}
		var permAudit int
		_, _ = me.Audit.Drain(ctx)
		_ = me.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND detail LIKE ?`, "exchange.message.forward", "%permission: RS NCU%").Scan(&permAudit)
		if permAudit != 1 || fwd.Permission == "" {
			t.Fatalf("permission not recorded")
		}

		// al is not a participant of the thread on rs: its message is refused there.
		err = al.Store.InTx(ctx, func(tx *store.Tx) error {
			_, err := al.Fed.Enqueue(ctx, tx, federation.Outgoing{To: "rs", Type: exchange.TypeMessage, Conversation: th.ID, Summary: "intrusion",
				Payload: map[string]any{"summary": "x", "thread": map[string]any{"id": th.ID, "subject": "x", "priority": "normal", "parties": []string{"al"}},
					"message": map[string]any{"id": "m-intruder", "kind": "answer", "body": "fake", "markings": marks("restricted", true)}}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, al, alNCU)
		testutil.WaitFor(t, "refusal of the intruding message on rs", 20*time.Second, func() bool {
			var state, lastErr string
			_ = rs.Store.QueryRowContext(ctx, `SELECT state, last_error FROM fed_inbox WHERE peer = ? AND type = ?`, "al", exchange.TypeMessage).Scan(&state, &lastErr)
			return state == federation.InFailed && strings.Contains(lastErr, "not a participant")
		})
		if got := thread(t, rs, rsOff, th.ID); len(got.Messages) != 1 {
			t.Fatalf("intruding message stored: %d messages", len(got.Messages))
		}

		// Refusing a request needs a reason, which reaches the requester.
		if _, err := me.Exchange.Reply(ctx, meOff, th.ID, exchange.Reply{Kind: exchange.KindRefusal, Markings: marks("restricted", false)}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("refusal without reason: %v", err)
		}
		if _, err := me.Exchange.Reply(ctx, meOff, th.ID, exchange.Reply{Kind: exchange.KindRefusal, Reason: "outside our competence; ask the customs administration", Markings: marks("restricted", false)}); err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, me, meNCU)
		testutil.WaitFor(t, "refusal on rs", 20*time.Second, func() bool { return thread(t, rs, rsOff, th.ID).Status == exchange.StatusRefused })
		got := thread(t, rs, rsOff, th.ID)
		if last := got.Messages[len(got.Messages)-1]; last.Reason == "" || last.Kind != exchange.KindRefusal {
			t.Fatalf("refusal reason missing: %+v", last)
		}
		// A rejected outgoing message shows the NCU's reason to the author.
		msg, err := rs.Exchange.Reply(ctx, rsOff, th.ID, exchange.Reply{Kind: exchange.KindFollowUp, Body: "Understood.", Markings: marks("unclassified", true)})
		if err != nil {
			t.Fatal(err)
		}
		q, _ := rs.Fed.Queue(ctx, rsNCU)
		for _, it := range q {
			if err := rs.Fed.Reject(ctx, rsNCU, it.ID, "not needed"); err != nil {
				t.Fatal(err)
			}
		}
		if d := delivery(thread(t, rs, rsOff, th.ID), msg.ID, "me"); d.State != "rejected" || d.Reason != "not needed" {
			t.Fatalf("rejected delivery: %+v", d)
		}
	})
}

// TestMultiParty: a thread with two countries and a regional body; an
// answer from one participant reaches every other participant.
func TestMultiParty(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me", "selec")
		rs, me, selec := c.Nodes["rs"], c.Nodes["me"], c.Nodes["selec"]
		rsOff := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		meOff := user(t, me, "me-officer", "me-police", auth.RoleOfficer)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		seOff := user(t, selec, "se-analyst", "selec-analysis", auth.RoleAnalyst)
		seNCU := user(t, selec, "se-ncu", "selec-secretariat", auth.RoleNCUOperator)
		th, err := rs.Exchange.Compose(ctx, rsOff, exchange.NewThread{Subject: "Regional cocaine route", Parties: []string{"me", "selec"}, Body: "Joint assessment requested.",
			Markings: marks("restricted", true, "H0")})
		if err != nil {
			t.Fatal(err)
		}
		if n := testutil.ApproveAll(t, rs, rsNCU); n != 2 {
			t.Fatalf("approved %d envelopes, want one per participant", n)
		}
		testutil.RouteIncoming(t, me, meNCU, exchange.TypeMessage, "me-police")
		testutil.RouteIncoming(t, selec, seNCU, exchange.TypeMessage, "selec-analysis")
		testutil.WaitFor(t, "thread on me and selec", 20*time.Second, func() bool {
			_, e1 := me.Exchange.Thread(ctx, meOff, th.ID)
			_, e2 := selec.Exchange.Thread(ctx, seOff, th.ID)
			return e1 == nil && e2 == nil
		})
		if _, err := me.Exchange.Reply(ctx, meOff, th.ID, exchange.Reply{Kind: exchange.KindAnswer, Body: "Route confirmed via Bar port.", Markings: marks("restricted", true, "H0")}); err != nil {
			t.Fatal(err)
		}
		if n := testutil.ApproveAll(t, me, meNCU); n != 2 {
			t.Fatalf("answer approved to %d nodes, want rs and selec", n)
		}
		// Both receivers already hold the thread: the answer is routed automatically.
		testutil.WaitFor(t, "answer at rs and selec", 20*time.Second, func() bool {
			return len(thread(t, rs, rsOff, th.ID).Messages) == 2 && len(thread(t, selec, seOff, th.ID).Messages) == 2
		})
	})
}

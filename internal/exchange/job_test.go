package exchange_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func TestDeadlineDefaults(t *testing.T) {
	s := exchange.New(exchange.Deps{NodeID: "rs", Clock: clock.NewFake(t0)}, exchange.Config{})
	custom := exchange.New(exchange.Deps{NodeID: "rs", Clock: clock.NewFake(t0)}, exchange.Config{UrgentDeadline: time.Hour, DatabaseDeadline: 24 * time.Hour, DefaultDeadline: 48 * time.Hour})
	for _, tc := range []struct {
		s        *exchange.Service
		priority string
		db       bool
		want     time.Duration
	}{
		{s, exchange.PriorityUrgent, false, 8 * time.Hour},
		{s, exchange.PriorityUrgent, true, 8 * time.Hour},
		{s, exchange.PriorityNormal, true, 3 * 24 * time.Hour},
		{s, exchange.PriorityNormal, false, 7 * 24 * time.Hour},
		{custom, exchange.PriorityUrgent, false, time.Hour},
		{custom, exchange.PriorityNormal, true, 24 * time.Hour},
		{custom, exchange.PriorityNormal, false, 48 * time.Hour},
	} {
		if got := tc.s.Deadline(t0, tc.priority, tc.db); !got.Equal(t0.Add(tc.want)) {
			t.Errorf("%s db=%v: deadline after %v, want %v", tc.priority, tc.db, got.Sub(t0), tc.want)
		}
	}
}

func kinds(ns []exchange.ExchangeNotification) string {
	var k []string
	for _, n := range ns {
		k = append(k, n.Kind)
	}
	return strings.Join(k, ",")
}

// TestDeadlineClock drives reminders, expiry and escalation with the
// injected clock across two nodes, and a delay that moves the deadline.
func TestDeadlineClock(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		rs, me := c.Nodes["rs"], c.Nodes["me"]
		rsOff := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		meOff := user(t, me, "me-officer", "me-police", auth.RoleOfficer)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		th, err := rs.Exchange.Compose(ctx, rsOff, exchange.NewThread{Subject: "Urgent check", Priority: exchange.PriorityUrgent, Parties: []string{"me"},
			Body: "Is this person detained?", Markings: marks("restricted", true)})
		if err != nil {
			t.Fatal(err)
		}
		th2, err := rs.Exchange.Compose(ctx, rsOff, exchange.NewThread{Subject: "Registry extract", Priority: exchange.PriorityNormal, DatabaseInfo: true, Parties: []string{"me"},
			Body: "Company registry extract please.", Markings: marks("unclassified", true)})
		if err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, rs, rsNCU)
		testutil.RouteIncoming(t, me, meNCU, exchange.TypeMessage, "me-police")
		testutil.WaitFor(t, "both threads on me", 20*time.Second, func() bool {
			// the second message of the conversation is another thread: route it too
			q, _ := me.Fed.Queue(ctx, meNCU)
			for _, it := range q {
				_ = me.Fed.Route(ctx, meNCU, it.ID, "me-police")
			}
			res, _ := me.Exchange.List(ctx, meOff, exchange.Filter{})
			return len(res) == 2
		})
		tick := func() {
			t.Helper()
			for _, n := range []*testutil.Node{rs, me} {
				if err := n.Exchange.Tick(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		_ = me.Exchange.MarkNotificationsRead(ctx, meOff)
		tick()
		if ns, _ := me.Exchange.Notifications(ctx, meOff, true); len(ns) != 0 {
			t.Fatalf("notifications before any deadline: %s", kinds(ns))
		}
		// Reminder at three quarters of the 8-hour window, to the agency that owes the answer.
		c.Clock.Advance(6*time.Hour + time.Minute)
		tick()
		tick()
		ns, _ := me.Exchange.Notifications(ctx, meOff, true)
		if kinds(ns) != "reminder" || ns[0].ThreadID != th.ID {
			t.Fatalf("after 6 h: %s", kinds(ns))
		}
		if ns, _ := rs.Exchange.Notifications(ctx, rsOff, true); len(ns) != 0 {
			t.Fatalf("requester reminded: %s", kinds(ns))
		}
		// Expiry: the owing agency is told, the NCU supervisor gets the escalation, the requester learns there is no answer.
		c.Clock.Advance(2 * time.Hour)
		tick()
		ns, _ = me.Exchange.Notifications(ctx, meOff, true)
		if kinds(ns) != "deadline,reminder" {
			t.Fatalf("after 8 h at me: %s", kinds(ns))
		}
		if ns, _ := me.Exchange.Notifications(ctx, meNCU, true); kinds(ns) != "escalation" {
			t.Fatalf("NCU escalation: %s", kinds(ns))
		}
		if ns, _ := rs.Exchange.Notifications(ctx, rsOff, true); kinds(ns) != "deadline" {
			t.Fatalf("requester at expiry: %s", kinds(ns))
		}
		if res, _ := rs.Exchange.List(ctx, rsOff, exchange.Filter{Overdue: true}); len(res) != 1 || res[0].ID != th.ID || !res[0].Overdue {
			t.Fatalf("overdue filter: %+v", res)
		}
		dash, err := rs.Exchange.Dashboard(ctx, rsOff)
		if err != nil || len(dash) != 1 || dash[0].Country != "me" || dash[0].Total != 2 || dash[0].Overdue != 1 || dash[0].Under1d != 2 {
			t.Fatalf("dashboard: %+v %v", dash, err)
		}
		// The database request (3 days) is delayed with a reason and a new deadline.
		newDL := c.Clock.Now().Add(5 * 24 * time.Hour).Truncate(time.Second)
		if _, err := me.Exchange.Reply(ctx, meOff, th2.ID, exchange.Reply{Kind: exchange.KindDelay, Reason: "registry offline until Monday", NewDeadline: newDL, Markings: marks("unclassified", true)}); err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, me, meNCU)
		testutil.WaitFor(t, "new deadline on rs", 20*time.Second, func() bool { return thread(t, rs, rsOff, th2.ID).DeadlineAt.Equal(newDL) })
		_ = rs.Exchange.MarkNotificationsRead(ctx, rsOff)
		c.Clock.Advance(3 * 24 * time.Hour)
		tick()
		if ns, _ := rs.Exchange.Notifications(ctx, rsOff, true); len(ns) != 0 {
			t.Fatalf("delayed request expired at its old deadline: %s", kinds(ns))
		}
		var escalations int
		_, _ = me.Audit.Drain(ctx)
		_ = me.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, "exchange.deadline.escalate").Scan(&escalations)
		if escalations != 1 {
			t.Fatalf("escalations audited: %d", escalations)
		}
	})
}

// TestRetention deletes an expired thread on both nodes (content gone,
// deletion audited) and keeps one with a recorded reason.
func TestRetention(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		rs, me := c.Nodes["rs"], c.Nodes["me"]
		rsOff := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		meOff := user(t, me, "me-officer", "me-police", auth.RoleOfficer)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		const secret = "Zlatibor-safehouse-7731"
		gone, err := rs.Exchange.Compose(ctx, rsOff, exchange.NewThread{Subject: "Old case " + secret, Parties: []string{"me"}, Body: "Meeting at " + secret,
			Markings: marks("restricted", true), Entities: []exchange.MessageEntity{{Kind: "address", Label: secret}},
			Attachments: []exchange.AttachmentUpload{{Name: "map.txt", Data: []byte(secret)}}})
		if err != nil {
			t.Fatal(err)
		}
		kept, err := rs.Exchange.Compose(ctx, rsOff, exchange.NewThread{Subject: "Long-running case", Parties: []string{"me"}, Body: "Still relevant", Markings: marks("restricted", true)})
		if err != nil {
			t.Fatal(err)
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
		thread(t, me, meOff, gone.ID) // read: sends a read ack
		testutil.WaitFor(t, "read ack", 20*time.Second, func() bool { return delivery(thread(t, rs, rsOff, gone.ID), gone.Messages[0].ID, "me").State == "read" })
		if gone.ReviewAt.Sub(gone.CreatedAt) != 3*365*24*time.Hour {
			t.Fatalf("review date %v after creation", gone.ReviewAt.Sub(gone.CreatedAt))
		}
		if _, err := rs.Exchange.KeepThread(ctx, rsOff, kept.ID, "trial pending at Belgrade Higher Court"); err != nil {
			t.Fatal(err)
		}
		c.Clock.Advance(3*365*24*time.Hour - 20*24*time.Hour)
		if err := rs.Exchange.Tick(ctx); err != nil {
			t.Fatal(err)
		}
		ns, _ := rs.Exchange.Notifications(ctx, rsOff, true)
		if !strings.Contains(kinds(ns), "retention") {
			t.Fatalf("no retention warning: %s", kinds(ns))
		}
		c.Clock.Advance(21 * 24 * time.Hour)
		for _, n := range []*testutil.Node{rs, me} {
			if err := n.Exchange.Tick(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, n := range []*testutil.Node{rs, me} {
			p := map[string]*auth.Principal{"rs": rsOff, "me": meOff}[n.Cfg.NodeID]
			if _, err := n.Exchange.Thread(ctx, p, gone.ID); err == nil {
				t.Fatalf("%s: expired thread still readable", n.Cfg.NodeID)
			}
			// Content is gone from every table, including the envelopes that carried it.
			for _, q := range []string{
				`SELECT COUNT(*) FROM ex_threads WHERE subject LIKE ?`, `SELECT COUNT(*) FROM ex_messages WHERE body LIKE ? OR entities LIKE ?`,
				`SELECT COUNT(*) FROM ex_terms WHERE term LIKE ?`, `SELECT COUNT(*) FROM fed_inbox WHERE envelope LIKE ?`, `SELECT COUNT(*) FROM fed_outbox WHERE envelope LIKE ?`,
				`SELECT COUNT(*) FROM ex_attachments WHERE thread_id = ?`, `SELECT COUNT(*) FROM ex_notifications WHERE thread_id = ?`, `SELECT COUNT(*) FROM ex_deliveries WHERE thread_id = ?`,
			} {
				arg := "%" + strings.ToLower("zlatibor") + "%"
				args := []any{arg}
				if strings.Contains(q, "thread_id") {
					args = []any{gone.ID}
				}
				if strings.Count(q, "?") == 2 {
					args = append(args, arg)
				}
				var k int
				if err := n.Store.QueryRowContext(ctx, q, args...).Scan(&k); err != nil || k != 0 {
					t.Fatalf("%s: %s → %d (%v)", n.Cfg.NodeID, q, k, err)
				}
			}
			var del int
			var detail string
			_, _ = n.Audit.Drain(ctx)
			_ = n.Store.QueryRowContext(ctx, `SELECT COUNT(*), MAX(detail) FROM audit_log WHERE action = ? AND object = ?`, "exchange.retention.delete", "thread/"+gone.ID).Scan(&del, &detail)
			if del != 1 || strings.Contains(detail, "Zlatibor") {
				t.Fatalf("%s: deletion audited %d times (%q)", n.Cfg.NodeID, del, detail)
			}
		}
		// The thread with a reason to keep survives on rs with a new review date; me had no reason and deleted its copy.
		k := thread(t, rs, rsOff, kept.ID)
		if !k.ReviewAt.After(c.Clock.Now()) || k.KeepReason != "" {
			t.Fatalf("kept thread: review %v reason %q", k.ReviewAt, k.KeepReason)
		}
		if _, err := me.Exchange.Thread(ctx, meOff, kept.ID); err == nil {
			t.Fatalf("me kept a thread without a reason")
		}
	})
}

// smtpServer is a minimal local SMTP server that records messages.
type smtpServer struct {
	ln     net.Listener
	reject string // RCPT addresses containing it are refused
	mu     sync.Mutex
	msgs   []string
	rcpt   [][]string
}

func startSMTP(t *testing.T) *smtpServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

func (s *smtpServer) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	w := func(l string) { _, _ = c.Write([]byte(l + "\r\n")) }
	w("220 test ESMTP")
	var rcpt []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			w("250 test")
		case strings.HasPrefix(cmd, "MAIL FROM"):
			w("250 ok")
		case strings.HasPrefix(cmd, "RCPT TO") && s.reject != "" && strings.Contains(line, s.reject):
			w("550 no such user")
		case strings.HasPrefix(cmd, "RCPT TO"):
			rcpt = append(rcpt, strings.Trim(strings.TrimSpace(line[8:]), "<>"))
			w("250 ok")
		case cmd == "DATA":
			w("354 go ahead")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, b.String())
			s.rcpt = append(s.rcpt, rcpt)
			s.mu.Unlock()
			rcpt = nil
			w("250 queued")
		case cmd == "QUIT":
			w("221 bye")
			return
		default:
			w("250 ok")
		}
	}
}

func TestEmailNotificationsCarryNoContent(t *testing.T) {
	ctx := context.Background()
	srv := startSMTP(t)
	n := testutil.Start(t, testutil.Options{NodeID: "rs", Store: storetest.Backends()[0].Options(t), Config: func(c *config.Config) {
		c.SMTPAddr, c.SMTPFrom = srv.ln.Addr().String(), "liaison@rs.test"
	}})
	off := user(t, n, "rs-officer", "rs-police", auth.RoleOfficer)
	user(t, n, "rs-customs", "rs-customs", auth.RoleOfficer)
	user(t, n, "rs-other", "rs-border", auth.RoleOfficer)
	const secret = "Operation Nightjar"
	if _, err := n.Exchange.Compose(ctx, off, exchange.NewThread{Subject: secret, Agencies: []string{"rs-customs"}, Body: secret + " details", Markings: marks("restricted", true)}); err != nil {
		t.Fatal(err)
	}
	if err := n.Exchange.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.msgs) != 1 || len(srv.rcpt[0]) != 1 || srv.rcpt[0][0] != "rs-customs@example.test" {
		t.Fatalf("mails: %d, recipients %v", len(srv.msgs), srv.rcpt)
	}
	m := srv.msgs[0]
	if strings.Contains(m, "Nightjar") || !strings.Contains(m, "no case information") || !strings.Contains(m, "Subject: Liaison: new notification") {
		t.Fatalf("mail content:\n%s", m)
	}
	// Mailed once only.
	srv.mu.Unlock()
	if err := n.Exchange.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	if len(srv.msgs) != 1 {
		t.Fatalf("mailed again: %d", len(srv.msgs))
	}
}

// One notification whose recipients the relay refuses is tried again
// later with its reason shown; the notifications after it are mailed and
// audited, and a refused colleague does not stop the others' e-mail.
func TestEmailFailureDoesNotHoldBackOthers(t *testing.T) {
	ctx := context.Background()
	srv := startSMTP(t)
	srv.reject = "bad"
	n := testutil.Start(t, testutil.Options{NodeID: "rs", Store: storetest.Backends()[0].Options(t), Config: func(c *config.Config) {
		c.SMTPAddr, c.SMTPFrom = srv.ln.Addr().String(), "liaison@rs.test"
	}})
	off := user(t, n, "rs-officer", "rs-police", auth.RoleOfficer)
	user(t, n, "rs-bad-border", "rs-border", auth.RoleOfficer)
	user(t, n, "rs-customs", "rs-customs", auth.RoleOfficer)
	user(t, n, "rs-bad-customs", "rs-customs", auth.RoleOfficer)
	for _, to := range []string{"rs-border", "rs-customs"} {
		if _, err := n.Exchange.Compose(ctx, off, exchange.NewThread{Subject: "s", Agencies: []string{to}, Body: "b", Markings: marks("restricted", true)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := n.Exchange.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	got := fmt.Sprint(srv.rcpt)
	srv.mu.Unlock()
	if got != "[[rs-customs@example.test]]" {
		t.Fatalf("recipients %s, want only rs-customs", got)
	}
	h, err := n.Exchange.MailQueueHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if h.Retrying != 1 || h.Waiting != 0 || len(h.Problems) != 1 || h.Problems[0].Peer != "rs-border" || !strings.Contains(h.Problems[0].LastError, "550") || h.Problems[0].NextTry.IsZero() {
		t.Fatalf("mail queue: %+v", h)
	}
	// Not due yet: the next round does not try it again.
	if err := n.Exchange.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if h, _ := n.Exchange.MailQueueHealth(ctx); h.Problems[0].Attempts != 1 {
		t.Fatalf("tried again before its time: %+v", h.Problems[0])
	}
	if _, err := n.Audit.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := audit.List(ctx, n.Store, audit.Filter{Action: "exchange.notification.mail", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Agency != "rs-customs" || !strings.Contains(es[0].Detail, "recipients=2") {
		t.Fatalf("mail audit: %+v", es)
	}
}

package mla_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/mla"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// cluster is the countries of a test, on one fake clock.
type cluster = testutil.Cluster

func startCluster(t *testing.T, b storetest.Backend, ids ...string) *cluster {
	return testutil.StartCluster(t, b, ids...)
}

func user(t *testing.T, n *testutil.Node, name, agency string, roles ...auth.Role) *auth.Principal {
	return n.Principal(t, name, agency, roles...)
}

func eachBackend(t *testing.T, fn func(t *testing.T, b storetest.Backend)) {
	storetest.EachBackend(t, fn)
}

// mlaBasis finds the seeded CoE MLA convention (ETS 30).
func mlaBasis(t *testing.T, n *testutil.Node, p *auth.Principal) string {
	t.Helper()
	as, err := n.Dir.Agreements(context.Background(), p, "RS", "mla")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if strings.Contains(a.ShortName, "ETS 30") {
			return a.ID
		}
	}
	t.Fatal("no ETS 30 agreement in the directory")
	return ""
}

type parties struct {
	rs, me                       *testutil.Node
	rsPol, rsPros, rsNCU         *auth.Principal
	mePol, mePros, meNCU, meOthr *auth.Principal
	basis                        string
}

func setup(t *testing.T, c *cluster) parties {
	p := parties{rs: c.Nodes["rs"], me: c.Nodes["me"]}
	p.rsPol = user(t, p.rs, "rs-police", "rs-pros-office", auth.RoleOfficer)
	p.rsPros = user(t, p.rs, "rs-prosecutor", "rs-pros-office", auth.RoleProsecutor)
	p.rsNCU = user(t, p.rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
	p.mePol = user(t, p.me, "me-police", "me-pros-office", auth.RoleOfficer)
	p.mePros = user(t, p.me, "me-prosecutor", "me-pros-office", auth.RoleProsecutor)
	p.meNCU = user(t, p.me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
	p.meOthr = user(t, p.me, "me-other", "me-customs", auth.RoleProsecutor)
	p.basis = mlaBasis(t, p.rs, p.rsPol)
	return p
}

func draft(p parties, kind string) mla.Draft {
	return mla.Draft{TargetNode: "me", Kind: kind, Title: "Bank records of Marko Marković", Facts: "Cocaine trafficking through the port of Bar, 2025–2026.",
		Measures: "Please provide account statements for 2025 of accounts held by Marko Marković at banks in Montenegro.", Persons: "Marko Marković, born 1980",
		CaseRefs: []string{"RS-KTO-117/26"}, LegalBasisID: p.basis, Channel: mla.ChannelFormal, Translations: []mla.Translation{{Language: "sr", Done: true}}}
}

// sendAndRoute drafts (police), signs and sends (prosecutor), approves at
// rs's NCU and routes at me's NCU; it returns the request once both sides
// hold it as received.
func sendAndRoute(t *testing.T, p parties, d mla.Draft) mla.Request {
	t.Helper()
	ctx := context.Background()
	r, err := p.rs.MLA.Create(ctx, p.rsPol, d)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != mla.StatusDraft || r.Direction != mla.Outgoing || !strings.Contains(r.LegalBasis, "ETS 30") {
		t.Fatalf("draft: %+v", r)
	}
	// Police draft but never sign.
	if _, err := p.rs.MLA.Send(ctx, p.rsPol, r.ID); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("police sends: %v, want forbidden", err)
	}
	if r, err = p.rs.MLA.Send(ctx, p.rsPros, r.ID); err != nil {
		t.Fatal(err)
	}
	if r.Status != mla.StatusSent || r.SignedBy != "rs-prosecutor" || r.Digest != mla.Digest(r) || r.RecogniseDue.IsZero() {
		t.Fatalf("sent: %+v", r)
	}
	if n := testutil.ApproveAll(t, p.rs, p.rsNCU); n != 1 {
		t.Fatalf("approved %d, want 1", n)
	}
	item := testutil.RouteIncoming(t, p.me, p.meNCU, mla.TypeRequest, "me-pros-office")
	if strings.Contains(item.Summary, "Marković") {
		t.Fatalf("NCU summary shows content: %q", item.Summary)
	}
	testutil.WaitFor(t, "request received on me", 20*time.Second, func() bool {
		got, err := p.me.MLA.Get(ctx, p.mePros, r.ID)
		return err == nil && got.Status == mla.StatusReceived
	})
	testutil.WaitFor(t, "receipt acknowledged on rs", 20*time.Second, func() bool {
		got, _ := p.rs.MLA.Get(ctx, p.rsPros, r.ID)
		return got.Status == mla.StatusReceived
	})
	return r
}

func TestRequestLifecycleAcrossNodes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		p := setup(t, c)
		r := sendAndRoute(t, p, draft(p, "banking"))

		got, err := p.me.MLA.Get(ctx, p.mePros, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Direction != mla.Incoming || got.OriginNode != "rs" || got.Title != r.Title || got.Digest != r.Digest || got.SignedBy != "rs-prosecutor" ||
			!got.RecogniseDue.Equal(got.ReceivedAt.Add(30*24*time.Hour)) {
			t.Fatalf("received copy: %+v", got)
		}
		if _, err := p.me.MLA.Get(ctx, p.meOthr, r.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("an agency the request was not routed to reads it: %v", err)
		}
		// The requested side cannot withdraw; the requesting side cannot execute.
		if _, err := p.me.MLA.Transition(ctx, p.mePros, r.ID, mla.Change{Status: mla.StatusWithdrawn, Reason: "x"}); errs.CodeOf(err) != "bad-transition" {
			t.Fatalf("requested side withdraws: %v", err)
		}
		if _, err := p.rs.MLA.Transition(ctx, p.rsPros, r.ID, mla.Change{Status: mla.StatusExecuted}); errs.CodeOf(err) != "bad-transition" {
			t.Fatalf("requesting side executes: %v", err)
		}
		// No skipping from received straight to executed.
		if _, err := p.me.MLA.Transition(ctx, p.mePros, r.ID, mla.Change{Status: mla.StatusExecuted}); errs.CodeOf(err) != "bad-transition" {
			t.Fatalf("received → executed: %v", err)
		}
		// Recognition is a prosecutor's decision.
		if _, err := p.me.MLA.Transition(ctx, p.mePol, r.ID, mla.Change{Status: mla.StatusInExecution}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("police recognises: %v", err)
		}
		got, err = p.me.MLA.Transition(ctx, p.mePros, r.ID, mla.Change{Status: mla.StatusInExecution})
		if err != nil {
			t.Fatal(err)
		}
		if !got.ExecuteDue.Equal(got.RecognisedAt.Add(90 * 24 * time.Hour)) {
			t.Fatalf("execute due %v, recognised %v", got.ExecuteDue, got.RecognisedAt)
		}
		// Police execute and report.
		if _, err := p.me.MLA.Transition(ctx, p.mePol, r.ID, mla.Change{Status: mla.StatusPartial, Note: "Statements of two accounts attached; third bank pending."}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.me.MLA.Transition(ctx, p.mePol, r.ID, mla.Change{Status: mla.StatusExecuted, Note: "All statements provided."}); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "execution reported on rs", 20*time.Second, func() bool {
			got, _ := p.rs.MLA.Get(ctx, p.rsPol, r.ID)
			return got.Status == mla.StatusExecuted
		})
		got, _ = p.rs.MLA.Get(ctx, p.rsPol, r.ID)
		var statuses []string
		notes := ""
		for _, e := range got.Events {
			if e.Kind == "status" {
				statuses = append(statuses, e.Status)
			}
			notes += e.Note + "\n"
		}
		want := "sent received in_execution partially_executed executed"
		if strings.Join(statuses, " ") != want || !strings.Contains(notes, "third bank pending") || got.ExecuteDue.IsZero() || got.ClosedAt.IsZero() {
			t.Fatalf("timeline on rs: %v (want %s); notes %q", statuses, want, notes)
		}
		// A final status stays.
		if _, err := p.me.MLA.Transition(ctx, p.mePros, r.ID, mla.Change{Status: mla.StatusRefused, Reason: "late"}); errs.CodeOf(err) != "bad-transition" {
			t.Fatalf("refuse an executed request: %v", err)
		}

		// Turnaround per country pair and the directory's implementation record.
		st, err := p.rs.MLA.Stats(ctx, p.rsPol)
		if err != nil || len(st) != 1 || st[0].From != "rs" || st[0].To != "me" || st[0].Sent != 1 || st[0].Executed != 1 {
			t.Fatalf("stats: %+v %v", st, err)
		}
		im, err := p.rs.Dir.Implementation(ctx, p.rsPol, "agreement", p.basis)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, ind := range im.Indicators {
			if ind.Source == "mla" {
				found = !ind.NoData && ind.Requests == 1 && strings.Contains(ind.Detail, "rs→me: 1 sent, 1 executed")
			}
		}
		if !found {
			t.Fatalf("implementation record: %+v", im.Indicators)
		}
	})
}

func TestRefusalWithReason(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		p := setup(t, c)
		r := sendAndRoute(t, p, draft(p, "search_seizure"))
		if _, err := p.me.MLA.Transition(ctx, p.mePros, r.ID, mla.Change{Status: mla.StatusRefused}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("refusal without reason: %v", err)
		}
		if _, err := p.me.MLA.Transition(ctx, p.mePol, r.ID, mla.Change{Status: mla.StatusRefused, Reason: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("police refuses: %v", err)
		}
		const reason = "Dual criminality not met: the conduct is not an offence under Montenegrin law."
		if _, err := p.me.MLA.Transition(ctx, p.mePros, r.ID, mla.Change{Status: mla.StatusRefused, Reason: reason}); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "refusal on rs", 20*time.Second, func() bool {
			got, _ := p.rs.MLA.Get(ctx, p.rsPros, r.ID)
			return got.Status == mla.StatusRefused && got.Reason == reason
		})
	})
}

func TestDeadlinesRemindersAndExtension(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, storetest.Backends()[0], "rs", "me")
	p := setup(t, c)
	r := sendAndRoute(t, p, draft(p, "evidence"))
	got, _ := p.me.MLA.Get(ctx, p.mePros, r.ID)
	due := got.RecogniseDue

	// Nothing is due yet.
	if n, err := p.me.MLA.Deadlines(ctx); err != nil || n != 0 {
		t.Fatalf("deadlines at start: %d %v", n, err)
	}
	c.Clock.Advance(24 * 24 * time.Hour) // 6 days before the recognition deadline
	for _, n := range []*testutil.Node{p.rs, p.me} {
		if k, err := n.MLA.Deadlines(ctx); err != nil || k != 1 {
			t.Fatalf("%s reminders: %d %v", n.Cfg.NodeID, k, err)
		}
		if k, _ := n.MLA.Deadlines(ctx); k != 0 {
			t.Fatalf("%s reminded twice", n.Cfg.NodeID)
		}
	}
	got, _ = p.me.MLA.Get(ctx, p.mePros, r.ID)
	if !got.DueSoon || got.Overdue != "" || !hasEvent(got, "reminder") {
		t.Fatalf("due soon: %+v", got)
	}
	c.Clock.Set(due.Add(time.Minute))
	if k, _ := p.me.MLA.Deadlines(ctx); k != 1 {
		t.Fatalf("overdue notices: %d", k)
	}
	got, _ = p.me.MLA.Get(ctx, p.mePros, r.ID)
	if got.Overdue != "recognition" || !hasEvent(got, "overdue") {
		t.Fatalf("overdue: %+v", got)
	}
	list, _ := p.me.MLA.List(ctx, p.mePros, mla.Filter{Overdue: true})
	if len(list) != 1 {
		t.Fatalf("overdue list: %d", len(list))
	}
	// One extension of 30 days, with a reason, by the requested side.
	if _, err := p.me.MLA.Extend(ctx, p.mePros, r.ID, ""); !errs.Is(err, errs.Invalid) {
		t.Fatalf("extension without reason: %v", err)
	}
	if _, err := p.rs.MLA.Extend(ctx, p.rsPros, r.ID, "x"); errs.CodeOf(err) != "bad-transition" {
		t.Fatalf("requesting side extends: %v", err)
	}
	got, err := p.me.MLA.Extend(ctx, p.mePros, r.ID, "Bank records need a court order; hearing on the 12th.")
	if err != nil {
		t.Fatal(err)
	}
	if !got.RecogniseDue.Equal(due.Add(30*24*time.Hour)) || got.Overdue != "" || !got.Extended {
		t.Fatalf("extended: due %v (was %v) overdue %q", got.RecogniseDue, due, got.Overdue)
	}
	if _, err := p.me.MLA.Extend(ctx, p.mePros, r.ID, "again"); errs.CodeOf(err) != "already-extended" {
		t.Fatalf("second extension: %v", err)
	}
	testutil.WaitFor(t, "extension on rs", 20*time.Second, func() bool {
		g, _ := p.rs.MLA.Get(ctx, p.rsPros, r.ID)
		return g.Extended && g.RecogniseDue.Equal(due.Add(30*24*time.Hour))
	})
	// Execution deadline: 90 days from recognition.
	if _, err := p.me.MLA.Transition(ctx, p.mePros, r.ID, mla.Change{Status: mla.StatusInExecution}); err != nil {
		t.Fatal(err)
	}
	c.Clock.Advance(91 * 24 * time.Hour)
	if k, _ := p.me.MLA.Deadlines(ctx); k != 1 {
		t.Fatalf("execution overdue notices: %d", k)
	}
	got, _ = p.me.MLA.Get(ctx, p.mePros, r.ID)
	if got.Overdue != "execution" {
		t.Fatalf("execution overdue: %q", got.Overdue)
	}
}

func hasEvent(r mla.Request, kind string) bool {
	for _, e := range r.Events {
		if e.Kind == kind {
			return true
		}
	}
	return false
}

func TestDraftRulesAndWithdrawal(t *testing.T) {
	ctx := context.Background()
	c := startCluster(t, storetest.Backends()[0], "rs", "me")
	p := setup(t, c)
	d := draft(p, "extradition")
	if _, err := p.rs.MLA.Create(ctx, p.rsPol, d); err == nil || !strings.Contains(errs.SafeMessage(err), "extradition") {
		t.Fatalf("extradition under an MLA-only convention: %v", err)
	}
	d = draft(p, "evidence")
	d.Translations = []mla.Translation{{Language: "sq"}}
	r, err := p.rs.MLA.Create(ctx, p.rsPol, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.rs.MLA.Send(ctx, p.rsPros, r.ID); errs.CodeOf(err) != "translation-missing" {
		t.Fatalf("send with a missing translation: %v", err)
	}
	if _, err := p.rs.MLA.SetTranslation(ctx, p.rsPol, r.ID, "sq", true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.rs.MLA.Create(ctx, &auth.Principal{Username: "a", Agency: "x", Roles: []auth.Role{auth.RoleAnalyst}}, d); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("analyst drafts: %v", err)
	}
	// A withdrawn draft never leaves the node.
	if _, err := p.rs.MLA.Transition(ctx, p.rsPros, r.ID, mla.Change{Status: mla.StatusWithdrawn}); err != nil {
		t.Fatal(err)
	}
	q, _ := p.rs.Fed.Queue(ctx, p.rsNCU)
	if len(q) != 0 {
		t.Fatalf("withdrawn draft queued: %+v", q)
	}
	// Withdrawing a received request needs a reason and reaches the other side.
	r2 := sendAndRoute(t, p, draft(p, "video_hearing"))
	if _, err := p.rs.MLA.Transition(ctx, p.rsPros, r2.ID, mla.Change{Status: mla.StatusWithdrawn}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("withdraw without reason: %v", err)
	}
	if _, err := p.rs.MLA.Transition(ctx, p.rsPros, r2.ID, mla.Change{Status: mla.StatusWithdrawn, Reason: "The suspect was arrested in Serbia."}); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "withdrawal on me", 20*time.Second, func() bool {
		g, _ := p.me.MLA.Get(ctx, p.mePros, r2.ID)
		return g.Status == mla.StatusWithdrawn
	})
}

func TestTransitionTable(t *testing.T) {
	allowed := map[[2]string]bool{
		{"draft", "sent"}: true, {"draft", "withdrawn"}: true,
		{"sent", "received"}: true, {"sent", "refused"}: true, {"sent", "withdrawn"}: true,
		{"received", "in_execution"}: true, {"received", "refused"}: true, {"received", "withdrawn"}: true,
		{"in_execution", "partially_executed"}: true, {"in_execution", "executed"}: true, {"in_execution", "refused"}: true, {"in_execution", "withdrawn"}: true,
		{"partially_executed", "executed"}: true, {"partially_executed", "refused"}: true, {"partially_executed", "withdrawn"}: true,
	}
	for _, from := range mla.Statuses {
		for _, to := range mla.Statuses {
			if got := mla.CanTransition(from, to); got != allowed[[2]string{from, to}] {
				t.Errorf("%s → %s: %v", from, to, got)
			}
		}
	}
}

func TestParseLanguages(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		bad      bool
	}{
		{"sq, mk*, en", "sq, mk*, en", false},
		{"SQ sq+done", "sq*", false},
		{"", "", false},
		{"s", "", true},
		{"sr1", "", true},
	} {
		ts, err := mla.ParseLanguages(tc.in)
		if (err != nil) != tc.bad || (!tc.bad && mla.FormatLanguages(ts) != tc.want) {
			t.Errorf("%q: %v %v", tc.in, mla.FormatLanguages(ts), err)
		}
	}
}

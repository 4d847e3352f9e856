package analysis_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

const wait = 20 * time.Second

func eachBackend(t *testing.T, fn func(t *testing.T, b storetest.Backend)) {
	storetest.EachBackend(t, fn)
}

func startCluster(t *testing.T, b storetest.Backend, ids ...string) map[string]*testutil.Node {
	t.Helper()
	clk := clock.NewFake(time.Now().UTC())
	out := map[string]*testutil.Node{}
	var ns []*testutil.Node
	for _, id := range ids {
		n := testutil.Start(t, testutil.Options{NodeID: id, Store: b.Options(t), Clock: clk, Config: func(cfg *config.Config) { cfg.InsecureFederation = true }})
		out[id] = n
		ns = append(ns, n)
	}
	testutil.PeerAll(t, ns...)
	return out
}

func user(t *testing.T, n *testutil.Node, name, agency string, roles ...auth.Role) *auth.Principal {
	return n.Principal(t, name, agency, roles...)
}

func request(subject string) exchange.NewThread {
	return exchange.NewThread{Subject: subject, CrimeArea: "drugs", Priority: exchange.PriorityUrgent, Parties: []string{"me"},
		Body:     "Please check the vehicle BG-123-XY and its owner Đorđe Petrović.",
		Markings: exchange.MessageMarkings{Classification: "restricted", Handling: []string{"H0"}, Reliability: "B", Accuracy: 2}}
}

// TestScoreboardAcrossNodes: Serbia sends Montenegro two requests, one
// answered; each node's scoreboard counts exactly its own records; Serbia
// shares its scoreboard with Bosnia and Herzegovina through its NCU, and
// what leaves carries counts only.
func TestScoreboardAcrossNodes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me", "ba")
		rs, me, ba := c["rs"], c["me"], c["ba"]
		rsOff := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		rsAn := user(t, rs, "rs-analyst", "rs-police", auth.RoleAnalyst)
		rsAdmin := user(t, rs, "rs-admin2", "rs-it", auth.RoleAdmin)
		meOff := user(t, me, "me-officer", "me-police", auth.RoleOfficer)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		meAn := user(t, me, "me-analyst", "me-police", auth.RoleAnalyst)
		baNCU := user(t, ba, "ba-ncu", "ba-ncu", auth.RoleNCUOperator)
		baAn := user(t, ba, "ba-analyst", "ba-police", auth.RoleAnalyst)

		// Officers do not see the scoreboard.
		if _, err := rs.Analysis.Scoreboard(ctx, rsOff); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer reads the scoreboard: %v", err)
		}

		answered, err := rs.Exchange.Compose(ctx, rsOff, request("Ђорђе Петровић — drug shipment"))
		if err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, rs, rsNCU)
		testutil.RouteIncoming(t, me, meNCU, exchange.TypeMessage, "me-police")
		testutil.WaitFor(t, "the request on me", wait, func() bool { _, err := me.Exchange.Thread(ctx, meOff, answered.ID); return err == nil })
		if _, err := me.Exchange.Reply(ctx, meOff, answered.ID, exchange.Reply{Kind: exchange.KindAnswer, Body: "Vehicle registered to Marko Marković.",
			Markings: exchange.MessageMarkings{Classification: "restricted", Handling: []string{"H0"}, Reliability: "B", Accuracy: 2}}); err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, me, meNCU)
		testutil.WaitFor(t, "the answer on rs", wait, func() bool {
			th, err := rs.Exchange.Thread(ctx, rsOff, answered.ID)
			return err == nil && th.Status == exchange.StatusAnswered
		})
		open, err := rs.Exchange.Compose(ctx, rsOff, request("Second vehicle"))
		if err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, rs, rsNCU)
		testutil.RouteIncoming(t, me, meNCU, exchange.TypeMessage, "me-police")
		testutil.WaitFor(t, "the second request on me", wait, func() bool { _, err := me.Exchange.Thread(ctx, meOff, open.ID); return err == nil })

		sb, err := rs.Analysis.Scoreboard(ctx, rsAn)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := sb.Pair("me")
		if !ok || p.RequestsSent != 2 || p.RequestsAnswered != 1 || p.WithDeadline != 1 || p.WithinDeadline != 1 || p.RequestsReceived != 0 {
			t.Fatalf("rs's record with me: %+v", p)
		}
		if len(p.Quarters) != 1 || p.Quarters[0].Quarter != analysis.QuarterOf(answered.CreatedAt) || p.Quarters[0].RequestsSent != 2 {
			t.Fatalf("quarters: %+v", p.Quarters)
		}
		mb, err := me.Analysis.Scoreboard(ctx, meAn)
		if err != nil {
			t.Fatal(err)
		}
		if q, ok := mb.Pair("rs"); !ok || q.RequestsReceived != 2 || q.RequestsWeAnswered != 1 || q.RequestsSent != 0 {
			t.Fatalf("me's record with rs: %+v", q)
		}

		// Agreements: PCC SEE binds Serbia and Montenegro; with no recorded
		// use it is declaratory, and an entry of the implementation record
		// changes that.
		pcc := findAgreement(t, sb, "PCC SEE")
		if !pcc.Declaratory || pcc.Uses != 0 {
			t.Fatalf("PCC SEE before any use: %+v", pcc)
		}
		if _, err := rs.Dir.AddActivity(ctx, rsAdmin, "agreement", pcc.ID, directory.ActivityInput{Kind: "training", OccurredOn: "2026-03-10"}); err != nil {
			t.Fatal(err)
		}
		sb, _ = rs.Analysis.Scoreboard(ctx, rsAn)
		if pcc = findAgreement(t, sb, "PCC SEE"); pcc.Declaratory || pcc.Manual != 1 {
			t.Fatalf("PCC SEE after a training: %+v", pcc)
		}

		// Sharing waits for the NCU and carries counts only.
		if _, err := rs.Analysis.ShareScoreboard(ctx, rsAn, analysis.ShareInput{Peers: []string{"rs"}}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("share with nobody: %v", err)
		}
		if _, err := rs.Analysis.ShareScoreboard(ctx, rsAn, analysis.ShareInput{Peers: []string{"ba"}}); err != nil {
			t.Fatal(err)
		}
		var raw, state string
		if err := rs.Store.QueryRowContext(ctx, `SELECT envelope, state FROM fed_outbox WHERE type = ?`, analysis.TypeScoreboard).Scan(&raw, &state); err != nil {
			t.Fatal(err)
		}
		if state != "ncu_pending" {
			t.Fatalf("shared scoreboard is %s before the NCU decided", state)
		}
		for _, personal := range []string{"Petrov", "Петров", "Marko", "BG-123", "vehicle", "rs-officer"} {
			if strings.Contains(raw, personal) {
				t.Fatalf("the shared scoreboard's envelope carries %q", personal)
			}
		}
		testutil.ApproveAll(t, rs, rsNCU)
		testutil.RouteIncoming(t, ba, baNCU, analysis.TypeScoreboard, "ba-police")
		var boards []analysis.Scoreboard
		testutil.WaitFor(t, "rs's scoreboard on ba", wait, func() bool {
			boards, err = ba.Analysis.Scoreboards(ctx, baAn)
			return err == nil && len(boards) == 2
		})
		got, ok := boards[1].Pair("me")
		if boards[1].Node != "rs" || !ok || got.RequestsSent != 2 || got.RequestsAnswered != 1 {
			t.Fatalf("ba's copy of rs's scoreboard: %+v", boards[1])
		}
		csv := string(analysis.ScoreboardCSV(boards, ""))
		if !strings.Contains(csv, "rs,me,total,2,1,50,1,1,100,") {
			t.Fatalf("CSV:\n%s", csv)
		}
	})
}

func findAgreement(t *testing.T, b analysis.Scoreboard, short string) analysis.AgreementUse {
	t.Helper()
	for _, a := range b.Agreements {
		if a.ShortName == short {
			return a
		}
	}
	t.Fatalf("agreement %s not on the scoreboard: %+v", short, b.Agreements)
	return analysis.AgreementUse{}
}

package operations_test

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

const wait = 20 * time.Second

func eachBackend(t *testing.T, fn func(t *testing.T, b storetest.Backend)) {
	storetest.EachBackend(t, fn)
}

// cluster is the countries of a test, on one fake clock.
type cluster = testutil.Cluster

func startCluster(t *testing.T, b storetest.Backend, ids ...string) *cluster {
	return testutil.StartCluster(t, b, ids...)
}

func user(t *testing.T, n *testutil.Node, name, agency string, roles ...auth.Role) *auth.Principal {
	return n.Principal(t, name, agency, roles...)
}

// waitOp waits until node n holds operation id in a state cond accepts.
func waitOp(t *testing.T, n *testutil.Node, p *auth.Principal, id, what string, cond func(operations.Operation) bool) operations.Operation {
	t.Helper()
	var last operations.Operation
	testutil.WaitFor(t, what+" on "+n.Cfg.NodeID, wait, func() bool {
		o, err := n.Ops.Get(context.Background(), p, id)
		last = o
		return err == nil && cond(o)
	})
	return last
}

func pursuitInput(host string) operations.OpenInput {
	return operations.OpenInput{Kind: operations.KindPursuit, Title: "Stolen Audi A6 fleeing towards Zvornik", Countries: []string{host},
		Details: operations.OpDetails{Unit: "Traffic police Loznica, patrol 3", Officers: []string{"Nikola Janković", "Milan Perić"}, Vehicles: []string{"Škoda Octavia LO-123-PP"},
			Persons: []string{"unknown male driver"}, TargetVehicle: "Audi A6, black, BG-987-XY", Offence: "armed robbery of a petrol station", Direction: "towards Zvornik",
			Crossing: "Mali Zvornik – Zvornik"},
		Position: "44.3870, 19.1050", Where: "Mali Zvornik, approaching the bridge"}
}

func kinds(o operations.Operation) []string {
	var out []string
	for _, e := range o.Events {
		out = append(out, e.Kind)
	}
	return out
}

// TestHotPursuitAcrossNodes: Serbia notifies Bosnia and Herzegovina of a
// hot pursuit; the host NCU acknowledges and hands over to its own unit,
// which then sees the operation; position updates arrive in order with
// the track; the pursuing country ends it and files the report. Only the
// units involved and the NCUs see it.
func TestHotPursuitAcrossNodes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "ba")
		rs, ba := c.Nodes["rs"], c.Nodes["ba"]
		rsPol := user(t, rs, "rs-traffic", "rs-traffic-loznica", auth.RoleOfficer)
		rsOther := user(t, rs, "rs-other", "rs-police-nis", auth.RoleOfficer)
		rsAnalyst := user(t, rs, "rs-analyst", "rs-traffic-loznica", auth.RoleAnalyst)
		baNCU := user(t, ba, "ba-ncu", "ba-ncu", auth.RoleNCUOperator)
		baBorder := user(t, ba, "ba-border", "ba-border-police", auth.RoleOfficer)

		o, err := rs.Ops.Open(ctx, rsPol, pursuitInput("ba"))
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != operations.StNotified || o.LegalBasis != "PCC SEE" || o.Terms == nil || o.Terms.Country != "BA" {
			t.Fatalf("opened: status %s, basis %q, terms %+v", o.Status, o.LegalBasis, o.Terms)
		}
		got := waitOp(t, ba, baNCU, o.ID, "the notification", func(o operations.Operation) bool { return o.Status == operations.StNotified })
		if got.OriginNode != "rs" || got.Details.TargetVehicle != "Audi A6, black, BG-987-XY" || got.LastPos == nil || got.LastPos.Lat != 44.387 {
			t.Fatalf("received: %+v", got)
		}
		// The Bosnian border police do not see it before it is handed over;
		// in Serbia, another unit and an analyst do not see it at all.
		if _, err := ba.Ops.Get(ctx, baBorder, o.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("host unit before handover: %v", err)
		}
		if _, err := rs.Ops.Get(ctx, rsOther, o.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("another unit: %v", err)
		}
		if _, err := rs.Ops.Get(ctx, rsAnalyst, o.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("analyst: %v", err)
		}
		if board, _ := rs.Ops.Board(ctx, rsOther, operations.BoardFilter{}); len(board) != 0 {
			t.Fatalf("board of another unit: %d", len(board))
		}
		// An officer cannot take the host's decisions; the pursuing side cannot either.
		if _, err := ba.Ops.Act(ctx, baBorder, o.ID, operations.ActInput{Kind: operations.EvAcknowledge}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer acknowledging: %v", err)
		}
		if _, err := ba.Ops.Act(ctx, baNCU, o.ID, operations.ActInput{Kind: operations.EvAcknowledge, Text: "PCC Zvornik informed"}); err != nil {
			t.Fatal(err)
		}
		waitOp(t, rs, rsPol, o.ID, "the acknowledgement", func(o operations.Operation) bool { return o.Status == operations.StAcknowledged })

		for i, p := range []string{"44.3950, 19.1210", "44.4020, 19.1380", "44°24'30\"N 19°09'00\"E"} {
			if _, err := rs.Ops.Act(ctx, rsPol, o.ID, operations.ActInput{Kind: operations.EvPosition, Position: p, Text: "update " + string(rune('1'+i))}); err != nil {
				t.Fatal(err)
			}
		}
		waitOp(t, ba, baNCU, o.ID, "three positions", func(o operations.Operation) bool { return len(o.Track) == 4 })
		if _, err := ba.Ops.Act(ctx, baNCU, o.ID, operations.ActInput{Kind: operations.EvHandover, Agency: "ba-border-police", Text: "patrol Zvornik 2 takes over"}); err != nil {
			t.Fatal(err)
		}
		got = waitOp(t, ba, baBorder, o.ID, "the handover and three positions", func(o operations.Operation) bool {
			return o.Status == operations.StHandedOver && len(o.Track) == 4
		})
		if got.Track[3].Lat != 44.408333 || got.LastText != "update 3" {
			t.Fatalf("track %+v, last %q", got.Track, got.LastText)
		}
		var texts []string
		for _, e := range got.Events {
			if e.Kind == operations.EvPosition {
				texts = append(texts, e.Text)
			}
		}
		if strings.Join(texts, ",") != "update 1,update 2,update 3" {
			t.Fatalf("positions out of order: %v", texts)
		}
		if !got.ChainOK {
			t.Fatal("the host's log does not verify")
		}
		waitOp(t, rs, rsPol, o.ID, "the handover", func(o operations.Operation) bool { return o.Status == operations.StHandedOver })

		// The host cannot end it; the report needs the end first.
		if _, err := ba.Ops.Act(ctx, baBorder, o.ID, operations.ActInput{Kind: operations.EvEnd}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("host ending: %v", err)
		}
		if _, err := rs.Ops.Act(ctx, rsPol, o.ID, operations.ActInput{Kind: operations.EvReport, Text: "report"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("report before end: %v", err)
		}
		ended, err := rs.Ops.Act(ctx, rsPol, o.ID, operations.ActInput{Kind: operations.EvEnd, Text: "suspect apprehended by BA border police at Karakaj"})
		if err != nil {
			t.Fatal(err)
		}
		if want := ended.UpdatedAt.Add(rs.Ops.Config().ReportWithin); !ended.DeadlineAt.Equal(want) {
			t.Fatalf("report due %v, want %v", ended.DeadlineAt, want)
		}
		if _, err := rs.Ops.Act(ctx, rsPol, o.ID, operations.ActInput{Kind: operations.EvReport, Text: "Pursuit of 14 km, 9 of them in BA; no injuries."}); err != nil {
			t.Fatal(err)
		}
		got = waitOp(t, ba, baBorder, o.ID, "the report", func(o operations.Operation) bool { return o.Status == operations.StReported })
		want := []string{"opened", "acknowledge", "position", "position", "position", "handover", "end", "report"}
		if !slices.Equal(kinds(got), want) {
			t.Fatalf("host log %v, want %v", kinds(got), want)
		}
		if board, _ := ba.Ops.Board(ctx, baNCU, operations.BoardFilter{}); len(board) != 0 {
			t.Fatalf("a reported pursuit stays on the board: %d", len(board))
		}
	})
}

// TestLegalBasisRefused: Kosovo is not a party to PCC SEE and the directory
// holds no bilateral agreement with Serbia: the pursuit is refused with
// the reason, and nothing is stored or sent.
func TestLegalBasisRefused(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "xk")
		rs := c.Nodes["rs"]
		rsPol := user(t, rs, "rs-traffic", "rs-traffic", auth.RoleOfficer)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		basis, err := rs.Ops.LegalBasis(ctx, rsPol, operations.KindPursuit, "xk")
		if err != nil || basis.Allowed || basis.Code != "no-agreement" {
			t.Fatalf("basis %+v, %v", basis, err)
		}
		_, err = rs.Ops.Open(ctx, rsPol, pursuitInput("xk"))
		var e *errs.E
		if !errors.As(err, &e) || e.Code != "no-legal-basis" || !strings.Contains(e.Msg, "between RS and XK") {
			t.Fatalf("open without agreement: %v", err)
		}
		if board, _ := rs.Ops.Board(ctx, rsNCU, operations.BoardFilter{All: true}); len(board) != 0 {
			t.Fatalf("stored: %d", len(board))
		}
		if q, _ := rs.Fed.Queue(ctx, rsNCU); len(q) != 0 {
			t.Fatalf("queued: %d", len(q))
		}
		// With Bosnia and Herzegovina the PCC SEE applies; a declaration
		// excluding hot pursuit refuses it too.
		ok, err := rs.Ops.LegalBasis(ctx, rsPol, operations.KindPursuit, "ba")
		if err != nil || !ok.Allowed || ok.Agreement != "PCC SEE" || ok.Terms.SurveillanceMinutes != 300 || ok.Terms.Declared {
			t.Fatalf("RS–BA: %+v, %v", ok, err)
		}
		admin := user(t, rs, "rs-admin", "rs-ncu", auth.RoleAdmin)
		if _, err := rs.Ops.SetTerms(ctx, admin, operations.TermsInput{AgreementID: ok.AgreementID, Country: "BA", Pursuit: false, SurveillanceMinutes: 120}); err != nil {
			t.Fatal(err)
		}
		_, err = rs.Ops.Open(ctx, rsPol, pursuitInput("ba"))
		if !errors.As(err, &e) || e.Code != "no-legal-basis" || !strings.Contains(e.Msg, "does not allow hot pursuit") {
			t.Fatalf("excluded by declaration: %v", err)
		}
	})
}

// TestSurveillanceDeadline: urgent surveillance started without
// authorisation must be authorised within the host's declared deadline
// (default 5 h); at the deadline the team is told to stop, on both nodes.
// Prior authorisation ends the wait.
func TestSurveillanceDeadline(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		rs, me := c.Nodes["rs"], c.Nodes["me"]
		rsPol := user(t, rs, "rs-surv", "rs-special-unit", auth.RoleOfficer)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		in := operations.OpenInput{Kind: operations.KindSurveillance, Title: "Courier of the Kotor cell", Countries: []string{"me"}, Urgent: true,
			Details: operations.OpDetails{Unit: "SBPOK surveillance team 2", Persons: []string{"Petar Vuković"}, TargetVehicle: "VW Golf PG-AB-123", Route: "Bijelo Polje – Podgorica – Bar"}}
		start := c.Clock.Now()
		o, err := rs.Ops.Open(ctx, rsPol, in)
		if err != nil {
			t.Fatal(err)
		}
		if o.Status != operations.StUrgent || o.DeadlineAt.Sub(start.Add(5*time.Hour)).Abs() > time.Millisecond {
			t.Fatalf("urgent: %s, deadline %v", o.Status, o.DeadlineAt)
		}
		waitOp(t, me, meNCU, o.ID, "the urgent surveillance", func(o operations.Operation) bool { return o.Status == operations.StUrgent })
		c.Clock.Advance(5*time.Hour - time.Second)
		if n, err := rs.Ops.CheckDeadlines(ctx); err != nil || n != 0 {
			t.Fatalf("before the deadline: %d, %v", n, err)
		}
		c.Clock.Advance(time.Second)
		if n, err := rs.Ops.CheckDeadlines(ctx); err != nil || n != 1 {
			t.Fatalf("at the deadline: %d, %v", n, err)
		}
		got, err := rs.Ops.Get(ctx, rsPol, o.ID)
		if err != nil || got.Status != operations.StStopRequired || !got.Overdue {
			t.Fatalf("after the deadline: %+v, %v", got.Status, err)
		}
		waitOp(t, me, meNCU, o.ID, "the stop", func(o operations.Operation) bool { return o.Status == operations.StStopRequired })
		// A late authorisation is no longer possible.
		if _, err := me.Ops.Act(ctx, meNCU, o.ID, operations.ActInput{Kind: operations.EvAuthorise}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("late authorisation: %v", err)
		}

		// A second urgent surveillance is authorised in time.
		o2, err := rs.Ops.Open(ctx, rsPol, in)
		if err != nil {
			t.Fatal(err)
		}
		waitOp(t, me, meNCU, o2.ID, "the second surveillance", func(o operations.Operation) bool { return o.Status == operations.StUrgent })
		if _, err := me.Ops.Act(ctx, meNCU, o2.ID, operations.ActInput{Kind: operations.EvAuthorise, Text: "authorised; Montenegrin officers accompany from Bijelo Polje"}); err != nil {
			t.Fatal(err)
		}
		waitOp(t, rs, rsPol, o2.ID, "the authorisation", func(o operations.Operation) bool { return o.Status == operations.StAuthorised && o.DeadlineAt.IsZero() })
		c.Clock.Advance(6 * time.Hour)
		if n, err := rs.Ops.CheckDeadlines(ctx); err != nil || n != 0 {
			t.Fatalf("authorised in time: %d, %v", n, err)
		}
	})
}

// TestPartnerDownCatchesUpInOrder: the host node is down while the
// pursuing country posts its updates and while an incident shared with it
// is opened and reported on; when it is back everything arrives, in order.
func TestPartnerDownCatchesUpInOrder(t *testing.T) {
	ctx := context.Background()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	baAddr := ln.Addr().String()
	ln.Close()
	baDir := t.TempDir()
	startBA := func(noCleanup bool) *testutil.Node {
		return testutil.Start(t, testutil.Options{NodeID: "ba", NoCleanup: noCleanup, Config: func(c *config.Config) {
			c.InsecureFederation, c.Addr, c.DataDir = true, baAddr, baDir
		}})
	}
	rs := testutil.Start(t, testutil.Options{NodeID: "rs", Config: func(c *config.Config) {
		c.InsecureFederation = true
	}})
	ba := startBA(true)
	testutil.Peer(t, rs, ba)
	rsPol := user(t, rs, "rs-traffic", "rs-traffic", auth.RoleOfficer)
	baNCU := user(t, ba, "ba-ncu", "ba-ncu", auth.RoleNCUOperator)
	o, err := rs.Ops.Open(ctx, rsPol, pursuitInput("ba"))
	if err != nil {
		t.Fatal(err)
	}
	waitOp(t, ba, baNCU, o.ID, "the notification", func(o operations.Operation) bool { return true })
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	ba.Close(closeCtx)
	cancel()

	const n = 8
	for i := range n {
		if _, err := rs.Ops.Act(ctx, rsPol, o.ID, operations.ActInput{Kind: operations.EvPosition, Text: "km " + string(rune('0'+i)),
			Position: "44.4, 19." + string(rune('1'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	// An incident opened and reported on while the partner is down.
	rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
	inc, err := rs.Ops.Open(ctx, rsNCU, operations.OpenInput{Kind: operations.KindIncident, Title: "Flooding on the Drina", Severity: 3, Countries: []string{"ba"},
		Details: operations.OpDetails{IncidentType: "natural_disaster", Location: "Loznica – Zvornik", LeadOrg: "Sector for emergency management", Commander: "Col. Marić"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"river at 4.1 m", "river at 4.6 m", "river at 5.0 m, evacuation of Mali Zvornik"} {
		if _, err := rs.Ops.Act(ctx, rsNCU, inc.ID, operations.ActInput{Kind: operations.EvSitrep, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	ba = startBA(false)
	got := waitOp(t, ba, baNCU, o.ID, "the updates sent while down", func(o operations.Operation) bool { return len(o.Track) == n+1 })
	for i := range n {
		if e := got.Events[i+1]; e.Text != "km "+string(rune('0'+i)) {
			t.Fatalf("entry %d is %q", i+1, e.Text)
		}
	}
	if !got.ChainOK {
		t.Fatal("the log does not verify after the catch-up")
	}
	gotInc := waitOp(t, ba, baNCU, inc.ID, "the incident opened while down", func(o operations.Operation) bool { return len(o.Events) == 4 })
	for i, e := range gotInc.Events[1:] {
		if e.Kind != operations.EvSitrep || e.Data.Number != i+1 {
			t.Fatalf("situation report %d arrived as %s no. %d", i+1, e.Kind, e.Data.Number)
		}
	}
}

// TestControlledDeliveryAcrossRoute: every country on the route authorises;
// each decision reaches the other route country through the origin.
func TestControlledDeliveryAcrossRoute(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "al", "me", "ba")
		al, me, ba := c.Nodes["al"], c.Nodes["me"], c.Nodes["ba"]
		alPol := user(t, al, "al-drugs", "al-antidrug", auth.RoleOfficer)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		baNCU := user(t, ba, "ba-ncu", "ba-ncu", auth.RoleNCUOperator)
		o, err := al.Ops.Open(ctx, alPol, operations.OpenInput{Kind: operations.KindDelivery, Title: "Cannabis in a lorry, Durrës to Sarajevo", Countries: []string{"me", "ba"},
			Details: operations.OpDetails{Consignment: "about 120 kg of cannabis hidden in a lorry of tiles", Route: "Hani i Hotit – Podgorica – Nikšić – Bileća – Sarajevo",
				Handovers: []string{"Hani i Hotit / Božaj", "Vraćenovići / Deleuša"}, Unit: "Anti-drug directorate"}})
		if err != nil {
			t.Fatal(err)
		}
		waitOp(t, me, meNCU, o.ID, "the request", func(o operations.Operation) bool { return o.Status == operations.StRequested })
		waitOp(t, ba, baNCU, o.ID, "the request", func(o operations.Operation) bool { return o.Status == operations.StRequested })
		if _, err := me.Ops.Act(ctx, meNCU, o.ID, operations.ActInput{Kind: operations.EvAuthorise, Text: "prosecutor's order KT-55/26"}); err != nil {
			t.Fatal(err)
		}
		got := waitOp(t, ba, baNCU, o.ID, "Montenegro's authorisation relayed", func(o operations.Operation) bool {
			return slices.ContainsFunc(o.Countries, func(c operations.OpCountry) bool { return c.Node == "me" && c.State == "authorised" })
		})
		if got.Status != operations.StRequested {
			t.Fatalf("authorised before every country: %s", got.Status)
		}
		if _, err := ba.Ops.Act(ctx, baNCU, o.ID, operations.ActInput{Kind: operations.EvAuthorise}); err != nil {
			t.Fatal(err)
		}
		for _, n := range []*testutil.Node{al, me} {
			p := alPol
			if n == me {
				p = meNCU
			}
			waitOp(t, n, p, o.ID, "every authorisation", func(o operations.Operation) bool { return o.Status == operations.StAuthorised })
		}
		if _, err := al.Ops.Act(ctx, alPol, o.ID, operations.ActInput{Kind: operations.EvStart}); err != nil {
			t.Fatal(err)
		}
		waitOp(t, me, meNCU, o.ID, "the start", func(o operations.Operation) bool { return o.Status == operations.StInProgress })
		if _, err := me.Ops.Act(ctx, meNCU, o.ID, operations.ActInput{Kind: operations.EvPassed, Text: "handed over at Vraćenovići 14:10"}); err != nil {
			t.Fatal(err)
		}
		waitOp(t, ba, baNCU, o.ID, "Montenegro passed", func(o operations.Operation) bool {
			return slices.ContainsFunc(o.Countries, func(c operations.OpCountry) bool { return c.Node == "me" && c.State == "passed" })
		})
		if _, err := al.Ops.Act(ctx, alPol, o.ID, operations.ActInput{Kind: operations.EvEnd, Text: "consignment seized in Sarajevo, 3 arrested"}); err != nil {
			t.Fatal(err)
		}
		if _, err := al.Ops.Act(ctx, alPol, o.ID, operations.ActInput{Kind: operations.EvReport, Text: "End report"}); err != nil {
			t.Fatal(err)
		}
		waitOp(t, ba, baNCU, o.ID, "the end report", func(o operations.Operation) bool { return o.Status == operations.StReported })
	})
}

// TestJointPatrol: Albania proposes a joint patrol schedule with
// Montenegro, Montenegro confirms, the patrol report counts in the
// statistics per border sector.
func TestJointPatrol(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "al", "me")
		al, me := c.Nodes["al"], c.Nodes["me"]
		alPol := user(t, al, "al-border", "al-border-shkoder", auth.RoleOfficer)
		alNCU := user(t, al, "al-ncu", "al-ncu", auth.RoleNCUOperator)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		in := operations.OpenInput{Kind: operations.KindPatrol, Title: "Joint patrol Lake Shkodër, week 50", Countries: []string{"me"},
			Details: operations.OpDetails{Sector: "Lake Shkodër – Hani i Hotit", Start: "2026-12-07", End: "2026-12-13", Schedule: "daily 08:00–16:00",
				Officers: []string{"Arben Hoxha", "Dragan Radović"}, Language: "English and Albanian", Commander: "Insp. Arben Hoxha",
				SectorArea: []operations.GeoPoint{{Lat: 42.35, Lon: 19.35}, {Lat: 42.20, Lon: 19.50}, {Lat: 42.05, Lon: 19.40}}}}
		o, err := al.Ops.Open(ctx, alPol, in)
		if err != nil {
			t.Fatal(err)
		}
		waitOp(t, me, meNCU, o.ID, "the proposal", func(o operations.Operation) bool { return o.Status == operations.StProposed })
		if _, err := al.Ops.Act(ctx, alPol, o.ID, operations.ActInput{Kind: operations.EvReport, Text: "too early", Checks: 1}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("report before confirmation: %v", err)
		}
		if _, err := me.Ops.Act(ctx, meNCU, o.ID, operations.ActInput{Kind: operations.EvConfirm, Text: "two officers of the Bar border police station"}); err != nil {
			t.Fatal(err)
		}
		waitOp(t, al, alPol, o.ID, "the confirmation", func(o operations.Operation) bool { return o.Status == operations.StConfirmed })
		if _, err := al.Ops.Act(ctx, alPol, o.ID, operations.ActInput{Kind: operations.EvReport, Text: "42 persons and 17 vehicles checked; one irregular migrant group handed over",
			Checks: 59, Links: "alert 0193…, case AL-2026-88"}); err != nil {
			t.Fatal(err)
		}
		stats, err := al.Ops.PatrolStats(ctx, alNCU)
		if err != nil || len(stats) != 1 || stats[0].Sector != "Lake Shkodër – Hani i Hotit" || stats[0].Reported != 1 || stats[0].Checks != 59 {
			t.Fatalf("stats %+v, %v", stats, err)
		}
		waitOp(t, me, meNCU, o.ID, "the report", func(o operations.Operation) bool { return o.Status == operations.StReported })
		if stats, _ := me.Ops.PatrolStats(ctx, meNCU); len(stats) != 1 || stats[0].Checks != 59 {
			t.Fatalf("Montenegro's stats %+v", stats)
		}
	})
}

// TestIncidentCoordinationAndChain: an exercise incident with situation
// reports, organisations and tasks, shared with a partner after it began
// (who receives the whole log); the hash chain detects an altered entry.
func TestIncidentCoordinationAndChain(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "mk", "al")
		mk, al := c.Nodes["mk"], c.Nodes["al"]
		mkCMC := user(t, mk, "mk-cmc", "mk-crisis-centre", auth.RoleNCUOperator)
		alNCU := user(t, al, "al-ncu", "al-ncu", auth.RoleNCUOperator)
		o, err := mk.Ops.Open(ctx, mkCMC, operations.OpenInput{Kind: operations.KindIncident, Title: "Exercise: forest fire near Ohrid", Exercise: true, Severity: 3,
			Details:  operations.OpDetails{IncidentType: "natural_disaster", Location: "Galičica national park", LeadOrg: "Crisis Management Centre", Commander: "Col. Ilievski"},
			Position: "40.95, 20.80"})
		if err != nil {
			t.Fatal(err)
		}
		if !o.Exercise || o.Status != operations.StOpen {
			t.Fatalf("incident %+v", o)
		}
		steps := []operations.ActInput{
			{Kind: operations.EvSitrep, Text: "Fire front 2 km, wind NW"},
			{Kind: operations.EvOrg, Org: "Protection and Rescue Directorate", State: "active"},
			{Kind: operations.EvTask, Title: "Close the road Ohrid–Pestani", Priority: "high", Agency: "mk-traffic-police"},
			{Kind: operations.EvShare, Node: "al"},
			{Kind: operations.EvSitrep, Text: "Fire front 3 km, Albanian side threatened near Pogradec"},
		}
		for _, st := range steps {
			if o, err = mk.Ops.Act(ctx, mkCMC, o.ID, st); err != nil {
				t.Fatalf("%s: %v", st.Kind, err)
			}
		}
		if len(o.Tasks) != 1 || o.Tasks[0].State != "assigned" || len(o.Orgs) != 1 || o.Events[5].Data.Number != 2 {
			t.Fatalf("tasks %+v orgs %+v", o.Tasks, o.Orgs)
		}
		taskID := o.Tasks[0].ID
		got := waitOp(t, al, alNCU, o.ID, "the shared incident with its log", func(o operations.Operation) bool { return len(o.Events) == 6 })
		if !got.Exercise || len(got.Tasks) != 1 || len(got.Orgs) != 1 || got.Events[5].Data.Number != 2 {
			t.Fatalf("shared copy: %+v", got)
		}
		// Albania adds its organisation and completes a task; the lead node
		// records both; only the lead writes situation reports.
		if _, err := al.Ops.Act(ctx, alNCU, o.ID, operations.ActInput{Kind: operations.EvSitrep, Text: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("sitrep from a partner: %v", err)
		}
		if _, err := al.Ops.Act(ctx, alNCU, o.ID, operations.ActInput{Kind: operations.EvOrg, Org: "Albanian Civil Protection", State: "standing_by"}); err != nil {
			t.Fatal(err)
		}
		if _, err := al.Ops.Act(ctx, alNCU, o.ID, operations.ActInput{Kind: operations.EvTaskState, TaskID: taskID, State: "done"}); err != nil {
			t.Fatal(err)
		}
		got = waitOp(t, mk, mkCMC, o.ID, "Albania's entries", func(o operations.Operation) bool { return len(o.Orgs) == 2 && o.Tasks[0].State == "done" })
		if !got.ChainOK {
			t.Fatal("chain does not verify")
		}
		if err := mk.Ops.VerifyLog(ctx, mkCMC, o.ID); err != nil {
			t.Fatal(err)
		}
		// Someone with database access rewrites the first situation report.
		if err := operations.Tamper(ctx, mk.Store, o.ID, 2, "Fire under control"); err != nil {
			t.Fatal(err)
		}
		err = mk.Ops.VerifyLog(ctx, mkCMC, o.ID)
		var e *errs.E
		if !errors.As(err, &e) || e.Code != "log-altered" || !strings.Contains(e.Msg, "entry 2") {
			t.Fatalf("altered entry: %v", err)
		}
		if got, _ := mk.Ops.Get(ctx, mkCMC, o.ID); got.ChainOK {
			t.Fatal("the read does not report the altered log")
		}
		if _, err := mk.Ops.Act(ctx, mkCMC, o.ID, operations.ActInput{Kind: operations.EvClose}); err != nil {
			t.Fatal(err)
		}
		waitOp(t, al, alNCU, o.ID, "the closure", func(o operations.Operation) bool { return o.Status == operations.StClosed })
	})
}

// TestMessagesAreOrdinaryTraffic: operation messages do not wait at the NCU.
func TestMessagesAreOrdinaryTraffic(t *testing.T) {
	c := startCluster(t, storetest.Backends()[0], "rs", "ba")
	rsPol := user(t, c.Nodes["rs"], "rs-traffic", "rs-traffic", auth.RoleOfficer)
	rsNCU := user(t, c.Nodes["rs"], "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
	if _, err := c.Nodes["rs"].Ops.Open(context.Background(), rsPol, pursuitInput("ba")); err != nil {
		t.Fatal(err)
	}
	q, err := c.Nodes["rs"].Fed.Queue(context.Background(), rsNCU)
	if err != nil || slices.ContainsFunc(q, func(i federation.QueueItem) bool { return i.Direction == "outgoing" }) {
		t.Fatalf("held at the NCU: %+v %v", q, err)
	}
}

// Another instance of the node (a second service on the same database)
// tells its open boards about a change made through the first one.
func TestBoardsFollowOtherInstances(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "mk")
		mk := c.Nodes["mk"]
		cmc := user(t, mk, "mk-cmc", "mk-crisis-centre", auth.RoleNCUOperator)
		other := operations.New(operations.Deps{Store: mk.Store, Audit: mk.Audit, NodeID: "mk"}, operations.Config{})
		changes, stop := other.Subscribe()
		defer stop()
		follow := operations.NewFollower(other)
		if err := follow.Poll(ctx); err != nil { // takes note of what is there
			t.Fatal(err)
		}
		o, err := mk.Ops.Open(ctx, cmc, operations.OpenInput{Kind: operations.KindIncident, Title: "Flood in Kumanovo", Severity: 2,
			Details: operations.OpDetails{IncidentType: "natural_disaster", Location: "Kumanovo", LeadOrg: "Crisis Management Centre", Commander: "Maj. Stojanov"}})
		if err != nil {
			t.Fatal(err)
		}
		seenOn := func(what string) {
			t.Helper()
			if err := follow.Poll(ctx); err != nil {
				t.Fatal(err)
			}
			for {
				select {
				case ch := <-changes:
					if ch.OpID == o.ID {
						return
					}
				default:
					t.Fatalf("the other instance's board was not told about %s", what)
				}
			}
		}
		seenOn("the new incident")
		if _, err := mk.Ops.Act(ctx, cmc, o.ID, operations.ActInput{Kind: operations.EvSitrep, Text: "River level falling"}); err != nil {
			t.Fatal(err)
		}
		seenOn("the situation report")
		if err := follow.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case ch := <-changes:
			t.Fatalf("told again about an unchanged operation: %+v", ch)
		default:
		}
	})
}

// TestDeclaredTermsReachTheOtherParties: Serbia's NCU declares that Serbia
// does not allow hot pursuit on its territory under PCC SEE; the
// declaration reaches Bosnia and Herzegovina's node, whose pursuit into
// Serbia is then refused with that reason. A declaration recorded for
// another state stays on the node that recorded it.
func TestDeclaredTermsReachTheOtherParties(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "ba")
		rs, ba := c.Nodes["rs"], c.Nodes["ba"]
		rsAdmin := user(t, rs, "rs-admin", "rs-ncu", auth.RoleAdmin)
		baPol := user(t, ba, "ba-traffic", "ba-traffic", auth.RoleOfficer)
		basis, err := ba.Ops.LegalBasis(ctx, baPol, operations.KindPursuit, "rs")
		if err != nil || !basis.Allowed || basis.Terms.Declared {
			t.Fatalf("BA→RS before: %+v %v", basis, err)
		}
		if _, err := rs.Ops.SetTerms(ctx, rsAdmin, operations.TermsInput{AgreementID: basis.AgreementID, Country: "BA", Pursuit: false}); err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Ops.SetTerms(ctx, rsAdmin, operations.TermsInput{AgreementID: basis.AgreementID, Country: "RS", Pursuit: false, SurveillanceMinutes: 240, Note: "Art. 13 declaration"}); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "RS's declaration on ba", wait, func() bool {
			b, err := ba.Ops.LegalBasis(ctx, baPol, operations.KindPursuit, "rs")
			return err == nil && b.Terms.Declared
		})
		got, err := ba.Ops.LegalBasis(ctx, baPol, operations.KindPursuit, "rs")
		if err != nil || got.Allowed || got.Code != "pursuit-excluded" || got.Terms.SurveillanceMinutes != 240 || got.Terms.Note != "Art. 13 declaration" {
			t.Fatalf("BA→RS after RS declared: %+v %v", got, err)
		}
		// What rs recorded for BA was not sent: ba's own side is unchanged.
		if back, err := rs.Ops.LegalBasis(ctx, user(t, rs, "rs-pol", "rs-traffic", auth.RoleOfficer), operations.KindPursuit, "ba"); err != nil || back.Allowed {
			t.Fatalf("RS→BA with RS's record for BA: %+v %v", back, err)
		}
		var n int
		if err := ba.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM ops_terms WHERE country = 'BA'`).Scan(&n); err != nil || n != 0 {
			t.Fatalf("a declaration for BA reached ba: %d %v", n, err)
		}
	})
}

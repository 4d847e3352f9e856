package demo_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/demo"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func TestDemoFederationStartsPeeredAndServes(t *testing.T) {
	ctx := context.Background()
	f, err := demo.Start(ctx, demo.Options{Dir: t.TempDir(), Nodes: []string{"rs", "me", "selec"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(ctx)
	if len(f.Nodes) != 3 {
		t.Fatalf("%d nodes", len(f.Nodes))
	}
	for _, n := range f.Nodes {
		resp, err := http.Get(n.BaseURL() + "/readyz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("%s not ready: %v", n.Cfg.NodeID, err)
		}
		resp.Body.Close()
		peers, err := n.Fed.Peers(ctx)
		if err != nil || len(peers) != 2 {
			t.Fatalf("%s peers: %v %v", n.Cfg.NodeID, peers, err)
		}
		users, _ := n.Auth.CountUsers(ctx)
		if users != len(demo.Users) {
			t.Fatalf("%s has %d users", n.Cfg.NodeID, users)
		}
	}
	// The seeded notice from Serbia to Montenegro waits in the Serbian NCU queue.
	q, _ := f.Nodes[0].Fed.Queue(ctx, nil)
	if len(q) != 1 || q[0].Peer != "me" {
		t.Fatalf("rs queue %+v", q)
	}
	// Serbia's alerts reached Montenegro, which flagged the arrest alert:
	// "do not act" there, a hit with the action elsewhere.
	ncu := &auth.Principal{Username: "ncu", Agency: "me-up", Roles: []auth.Role{auth.RoleNCUOperator}}
	res, err := f.Nodes[1].Alerts.Check(ctx, ncu, "Petrovic Marko 12.03.1985", "demo test")
	if err != nil || !res.Hit || !res.Matches[0].DoNotAct || res.Matches[0].Warnings[0] != "armed" {
		t.Fatalf("check on me: %+v %v", res, err)
	}
	// The arrest alert carries a photo; the discreet check on the driver
	// links to it.
	if !res.Matches[0].Photo {
		t.Fatalf("the demo arrest alert has no photo: %+v", res.Matches[0])
	}
	if ph, err := f.Nodes[1].Alerts.GetPhoto(ctx, ncu, res.Matches[0].AlertID); err != nil || ph.ContentType != "image/png" {
		t.Fatalf("demo photo on me: %v", err)
	}
	// The name alone is not a NO HIT: the date of birth is asked for.
	if r, err := f.Nodes[1].Alerts.Check(ctx, ncu, "Petrovic Marko", ""); err != nil || r.Hit || !r.Unsettled || r.Open[0].AlertID != res.Matches[0].AlertID {
		t.Fatalf("demo check by name alone: %+v %v", r, err)
	}
	if r2, err := f.Nodes[1].Alerts.Check(ctx, ncu, "Dejan Ristić 1988-07-30", ""); err != nil || !r2.Hit {
		t.Fatalf("linked demo alert on me: %+v %v", r2, err)
	} else if a, err := f.Nodes[1].Alerts.Get(ctx, ncu, r2.Matches[0].AlertID); err != nil || len(a.Linked) != 1 || a.Linked[0].ID != res.Matches[0].AlertID {
		t.Fatalf("demo link: %+v %v", a.Linked, err)
	}
	if res, err := f.Nodes[1].Alerts.Check(ctx, ncu, "CZ75B123456", ""); err != nil || !res.Hit {
		t.Fatalf("stolen firearm on me: %+v %v", res, err)
	}
	// The pistol stolen in Serbia and seized in Montenegro: the hit report
	// waits at Montenegro's NCU.
	if fs, err := f.Nodes[1].Alerts.Firearms(ctx, ncu); err != nil || len(fs) != 1 || fs[0].Status != "seized" {
		t.Fatalf("firearms on me: %+v %v", fs, err)
	}
	if q, _ := f.Nodes[1].Fed.Queue(ctx, ncu); len(q) == 0 || q[len(q)-1].Type != "alerts.hit" {
		t.Fatalf("me queue: %+v", q)
	}
	// A ping between demo nodes makes a round trip.
	if _, err := f.Nodes[0].Fed.Ping(ctx, nil, "selec"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		p, _ := f.Nodes[0].Fed.Peer(ctx, "selec")
		if !p.LastContactAt.IsZero() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("no contact with selec")
}

func TestUnknownDemoNode(t *testing.T) {
	_, err := demo.Start(context.Background(), demo.Options{Dir: t.TempDir(), Nodes: []string{"zz"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		t.Fatal("unknown node must be refused")
	}
}

// TestDemoOperations: the demo's operations room has a hot pursuit from
// Serbia into Bosnia and Herzegovina in progress, a joint patrol between
// Albania and Montenegro and an exercise incident, on the partners' boards.
func TestDemoOperations(t *testing.T) {
	ctx := context.Background()
	f, err := demo.Start(ctx, demo.Options{Dir: t.TempDir(), Nodes: []string{"rs", "ba", "al", "me", "mk"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(ctx)
	board := func(node string) []operations.Operation {
		for i, n := range f.Nodes {
			if n.Cfg.NodeID == node {
				ops, err := n.Ops.Board(ctx, &auth.Principal{Username: "ncu", Agency: f.Specs[i].Agency, Roles: []auth.Role{auth.RoleNCUOperator}}, operations.BoardFilter{})
				if err != nil {
					t.Fatal(err)
				}
				return ops
			}
		}
		t.Fatalf("no node %s", node)
		return nil
	}
	has := func(node, kind, status string, exercise bool) bool {
		for _, o := range board(node) {
			if o.Kind == kind && o.Status == status && o.Exercise == exercise {
				return true
			}
		}
		return false
	}
	testutil.WaitFor(t, "the demo operations on the partners' boards", 30*time.Second, func() bool {
		return has("ba", operations.KindPursuit, operations.StAcknowledged, false) && has("rs", operations.KindPursuit, operations.StAcknowledged, false) &&
			has("me", operations.KindPatrol, operations.StConfirmed, false) && has("al", operations.KindIncident, operations.StOpen, true)
	})
	// The states' declared terms under PCC SEE reach the other parties:
	// Serbia's node shows what Bosnia and Herzegovina and Montenegro declared.
	rs := f.Nodes[0]
	ncu := &auth.Principal{Username: "ncu", Agency: f.Specs[0].Agency, Roles: []auth.Role{auth.RoleNCUOperator}}
	basis, err := rs.Ops.LegalBasis(ctx, ncu, operations.KindPursuit, "ba")
	if err != nil || !basis.Terms.Declared || basis.Terms.PursuitKm != 30 {
		t.Fatalf("RS→BA basis in the demo: %+v %v", basis, err)
	}
	testutil.WaitFor(t, "the demo's declared terms on rs", 30*time.Second, func() bool {
		ds, err := rs.Ops.AgreementTerms(ctx, ncu, basis.AgreementID)
		got := map[string]bool{}
		for _, d := range ds {
			got[d.Country] = true
		}
		return err == nil && got["RS"] && got["BA"] && got["ME"]
	})
}

// TestDemoPrivateQueryAndDeconfliction: the demo shows a private hit/no-hit
// query that finds a person across scripts, and deconfliction notices for
// the NCUs of Serbia, Bosnia and Herzegovina and Albania.
func TestDemoPrivateQueryAndDeconfliction(t *testing.T) {
	ctx := context.Background()
	f, err := demo.Start(ctx, demo.Options{Dir: t.TempDir(), Nodes: []string{"rs", "ba", "al"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(ctx)
	rs, ba, al := f.Nodes[0], f.Nodes[1], f.Nodes[2]
	if rs.Cfg.NodeID != "rs" || ba.Cfg.NodeID != "ba" || al.Cfg.NodeID != "al" {
		t.Fatalf("node order %s %s %s", rs.Cfg.NodeID, ba.Cfg.NodeID, al.Cfg.NodeID)
	}
	ncu := &auth.Principal{Username: "ncu", Agency: "rs-mup", Roles: []auth.Role{auth.RoleNCUOperator}}
	deadline := time.Now().Add(30 * time.Second)
	for {
		qs, _ := rs.Cases.Queries(ctx, ncu)
		nrs, _ := rs.Cases.DeconfNotices(ctx, ncu, "open")
		nba, _ := ba.Cases.DeconfNotices(ctx, ncu, "open")
		nal, _ := al.Cases.DeconfNotices(ctx, ncu, "open")
		if len(qs) == 1 && qs[0].Mode == "private" && qs[0].Hits == 1 && len(nrs) == 2 && len(nba) == 1 && len(nal) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queries %+v; notices rs %d ba %d al %d", qs, len(nrs), len(nba), len(nal))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

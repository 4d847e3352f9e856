package demo_test

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/demo"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestDemoAnalysisScoreboard: the demo's national nodes share their
// scoreboards with SELEC, and each one's counts equal the records it
// holds: Montenegro's request to Serbia, the hot pursuit and the JITs.
func TestDemoAnalysisScoreboard(t *testing.T) {
	ctx := context.Background()
	f, err := demo.Start(ctx, demo.Options{Dir: t.TempDir(), Nodes: []string{"rs", "me", "ba", "selec"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(ctx)
	byID := map[string]int{}
	for i, n := range f.Nodes {
		byID[n.Cfg.NodeID] = i
	}
	analyst := func(node string) *auth.Principal {
		return &auth.Principal{Username: "analyst", Agency: f.Specs[byID[node]].Agency, Roles: []auth.Role{auth.RoleAnalyst}}
	}
	me := f.Nodes[byID["me"]]
	own, err := me.Analysis.Scoreboard(ctx, analyst("me"))
	if err != nil {
		t.Fatal(err)
	}
	var threads int
	if err := me.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_threads WHERE origin_node = 'me' AND parties LIKE '%"rs"%'`).Scan(&threads); err != nil {
		t.Fatal(err)
	}
	if p, _ := own.Pair("rs"); threads == 0 || p.RequestsSent != threads {
		t.Fatalf("me's requests to rs: scoreboard %d, records %d", p.RequestsSent, threads)
	}
	rs := f.Nodes[byID["rs"]]
	rsOwn, err := rs.Analysis.Scoreboard(ctx, analyst("rs"))
	if err != nil {
		t.Fatal(err)
	}
	var ops int
	if err := rs.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM ops_operations WHERE exercise = 0 AND nodes LIKE '%"ba"%'`).Scan(&ops); err != nil {
		t.Fatal(err)
	}
	if p, _ := rsOwn.Pair("ba"); ops == 0 || p.Operations+p.Patrols != ops {
		t.Fatalf("rs's operations with ba: scoreboard %+v, records %d", p, ops)
	}
	selec := f.Nodes[byID["selec"]]
	var boards []analysis.Scoreboard
	testutil.WaitFor(t, "the national scoreboards on SELEC", 30*time.Second, func() bool {
		boards, err = selec.Analysis.Scoreboards(ctx, analyst("selec"))
		return err == nil && len(boards) == 4
	})
	for _, b := range boards[1:] {
		if b.Node == "me" {
			if p, _ := b.Pair("rs"); p.RequestsSent != threads {
				t.Fatalf("me's shared record with rs on SELEC: %+v", p)
			}
		}
	}
	// SELEC's regional drugs assessment is in progress with the approved
	// contributions of Serbia and Montenegro, each paragraph attributed.
	list, err := selec.Analysis.Assessments(ctx, analyst("selec"))
	if err != nil || len(list) != 1 || list[0].State != analysis.AStateDraft {
		t.Fatalf("assessments on SELEC: %+v %v", list, err)
	}
	if nodes := list[0].Nodes(); len(nodes) != 2 || nodes[0] != "me" || nodes[1] != "rs" {
		t.Fatalf("contributions merged: %v", nodes)
	}
}

// TestDemoAnalysisTables: Bosnia and Herzegovina's three jurisdictions and
// North Macedonia share gender-based violence tables with SELEC, whose
// regional table keeps each one's definitions; small cells are suppressed.
func TestDemoAnalysisTables(t *testing.T) {
	ctx := context.Background()
	f, err := demo.Start(ctx, demo.Options{Dir: t.TempDir(), Nodes: []string{"ba", "mk", "selec"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close(ctx)
	selec := f.Nodes[2]
	an := &auth.Principal{Username: "analyst", Agency: f.Specs[2].Agency, Roles: []auth.Role{auth.RoleAnalyst}}
	var r analysis.Regional
	testutil.WaitFor(t, "four GBV contributions on SELEC", 30*time.Second, func() bool {
		r, err = selec.Analysis.RegionalTable(ctx, an, "gbv", "2025")
		return err == nil && len(r.Contributions) == 4
	})
	for _, c := range r.Contributions {
		if len(c.Definitions) == 0 {
			t.Fatalf("%s without definitions", c.Jurisdiction)
		}
	}
	for _, row := range r.Rows {
		for _, v := range row.Values {
			if v != nil && *v > 0 && *v < analysis.MinCell {
				t.Fatalf("a small cell reached SELEC: %+v", row)
			}
		}
	}
}

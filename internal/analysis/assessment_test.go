package analysis_test

import (
	"context"
	"strings"
	"testing"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func TestAssessmentStateMachines(t *testing.T) {
	cases := []struct {
		machine, from, move, to string
		ok                      bool
	}{
		{"contribution", analysis.CStateDraft, analysis.MoveSubmit, analysis.CStateSubmitted, true},
		{"contribution", analysis.CStateDraft, analysis.MoveApprove, "", false},
		{"contribution", analysis.CStateDraft, analysis.MoveReturn, "", false},
		{"contribution", analysis.CStateSubmitted, analysis.MoveApprove, analysis.CStateApproved, true},
		{"contribution", analysis.CStateSubmitted, analysis.MoveReturn, analysis.CStateDraft, true},
		{"contribution", analysis.CStateSubmitted, analysis.MoveSubmit, "", false},
		{"contribution", analysis.CStateApproved, analysis.MoveReturn, "", false},
		{"contribution", analysis.CStateApproved, analysis.MoveSubmit, "", false},
		{"contribution", analysis.CStateReceived, analysis.MoveApprove, "", false},
		{"contribution", analysis.CStateApproved, analysis.MoveSupersede, "", false},
		{"assessment", analysis.AStateDraft, analysis.MoveSubmit, analysis.AStateReview, true},
		{"assessment", analysis.AStateDraft, analysis.MoveApprove, "", false},
		{"assessment", analysis.AStateReview, analysis.MoveReturn, analysis.AStateDraft, true},
		{"assessment", analysis.AStateReview, analysis.MoveApprove, analysis.AStateApproved, true},
		{"assessment", analysis.AStateReview, analysis.MoveSupersede, "", false},
		{"assessment", analysis.AStateApproved, analysis.MoveSupersede, analysis.AStateSuperseded, true},
		{"assessment", analysis.AStateApproved, analysis.MoveReturn, "", false},
		{"assessment", analysis.AStateApproved, analysis.MoveSubmit, "", false},
		{"assessment", analysis.AStateSuperseded, analysis.MoveApprove, "", false},
		{"assessment", analysis.AStateSuperseded, analysis.MoveSubmit, "", false},
		{"assessment", analysis.AStateDraft, "publish", "", false},
	}
	for _, c := range cases {
		move := analysis.AssessmentMove
		if c.machine == "contribution" {
			move = analysis.ContributionMove
		}
		to, ok := move(c.from, c.move)
		if ok != c.ok || to != c.to {
			t.Errorf("%s %s --%s--> %q %v, want %q %v", c.machine, c.from, c.move, to, ok, c.to, c.ok)
		}
	}
}

func TestRiskAndPublicVersion(t *testing.T) {
	th := analysis.Threat{Title: "Cocaine through ports", Threat: analysis.Score{Value: 5}, Vulnerability: analysis.Score{Value: 4}, Impact: analysis.Score{Value: 5}}
	if th.Risk() != 100 || analysis.RiskLevel(th.Risk()) != "critical" || analysis.RiskLevel(26) != "low" || analysis.RiskLevel(27) != "medium" || analysis.RiskLevel(64) != "high" {
		t.Fatalf("risk %d %s", th.Risk(), analysis.RiskLevel(th.Risk()))
	}
	a := analysis.Assessment{Node: "selec", Paragraphs: []analysis.Paragraph{{Section: "trends", Text: "open"}, {Section: "trends", Text: "closed", Restricted: true}},
		Contributions: []analysis.NationalContribution{{Node: "rs", Paragraphs: []analysis.Paragraph{{Section: "routes", Text: "rs open"}, {Section: "routes", Text: "rs closed", Restricted: true}}}},
		Threats:       []analysis.Threat{th, {Title: "secret", Restricted: true}}, ApprovedBy: "someone"}
	m := a.Merged()
	if len(m) != 5 || len(m[1].Paragraphs) != 2 || m[1].Paragraphs[0].Node != "selec" || m[4].Paragraphs[0].Node != "rs" {
		t.Fatalf("merged: %+v", m)
	}
	pub := a.PublicVersion()
	for _, s := range pub.Merged() {
		for _, p := range s.Paragraphs {
			if strings.Contains(p.Text, "closed") {
				t.Fatalf("public version keeps %q", p.Text)
			}
		}
	}
	if !pub.Public || len(pub.Threats) != 1 || pub.ApprovedBy != "" || len(a.Threats) != 2 {
		t.Fatalf("public: %+v", pub)
	}
}

func paragraphs(country string) []analysis.Paragraph {
	return []analysis.Paragraph{
		{Section: analysis.SecTrends, Text: "Cocaine seizures in " + country + " doubled against 2024; Đakovica–Podgorica corridor, Ниш."},
		{Section: analysis.SecRoutes, Text: "Container traffic through the port; details restricted.", Restricted: true},
	}
}

// TestContributionReachesRegionalNode: a Serbian analyst drafts a
// contribution, a second person approves it, the envelope leaves through
// the NCU and the regional node merges it with attribution into its
// assessment, which is reviewed, approved, and its priorities declared as
// needs.
func TestContributionReachesRegionalNode(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "selec")
		rs, selec := c["rs"], c["selec"]
		rsAn := user(t, rs, "rs-analyst", "rs-police", auth.RoleAnalyst)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		rsOff := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		seAn := user(t, selec, "se-analyst", "selec", auth.RoleAnalyst)
		seNCU := user(t, selec, "se-ncu", "selec", auth.RoleNCUOperator)
		seOff := user(t, selec, "se-officer", "selec", auth.RoleOfficer)

		in := analysis.ContributionInput{RegionalNode: "selec", CrimeArea: "drugs", Period: "2025", Title: "Serbia: drugs 2025", Paragraphs: paragraphs("Serbia")}
		if _, err := rs.Analysis.CreateContribution(ctx, rsOff, in); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer drafts: %v", err)
		}
		bad := in
		bad.Paragraphs = []analysis.Paragraph{{Section: analysis.SecGroups, Text: "Leader JMBG 0101990710123"}}
		if _, err := rs.Analysis.CreateContribution(ctx, rsAn, bad); !errs.Is(err, errs.Invalid) || errs.CodeOf(err) != "personal-data" {
			t.Fatalf("personal number accepted: %v", err)
		}
		cn, err := rs.Analysis.CreateContribution(ctx, rsAn, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Analysis.MoveContribution(ctx, rsNCU, cn.ID, analysis.MoveInput{Move: analysis.MoveApprove}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("approve a draft: %v", err)
		}
		if _, err := rs.Analysis.MoveContribution(ctx, rsAn, cn.ID, analysis.MoveInput{Move: analysis.MoveSubmit}); err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Analysis.MoveContribution(ctx, rsAn, cn.ID, analysis.MoveInput{Move: analysis.MoveApprove}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("analyst approves: %v", err)
		}
		// Someone with both roles cannot approve what they submitted.
		both := user(t, rs, "rs-both", "rs-police", auth.RoleAnalyst, auth.RoleNCUOperator)
		own, err := rs.Analysis.CreateContribution(ctx, both, in)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Analysis.MoveContribution(ctx, both, own.ID, analysis.MoveInput{Move: analysis.MoveSubmit}); err != nil {
			t.Fatal(err)
		}
		if _, err := rs.Analysis.MoveContribution(ctx, both, own.ID, analysis.MoveInput{Move: analysis.MoveApprove}); errs.CodeOf(err) != "four-eyes" {
			t.Fatalf("approve one's own contribution: %v", err)
		}
		if r, err := rs.Analysis.MoveContribution(ctx, rsNCU, own.ID, analysis.MoveInput{Move: analysis.MoveReturn, Note: "Add the routes."}); err != nil || r.State != analysis.CStateDraft || r.Note != "Add the routes." {
			t.Fatalf("return: %+v %v", r, err)
		}
		approved, err := rs.Analysis.MoveContribution(ctx, rsNCU, cn.ID, analysis.MoveInput{Move: analysis.MoveApprove})
		if err != nil || approved.State != analysis.CStateApproved || approved.ApprovedBy != "rs-ncu" {
			t.Fatalf("approve: %+v %v", approved, err)
		}
		var raw, state string
		if err := rs.Store.QueryRowContext(ctx, `SELECT envelope, state FROM fed_outbox WHERE type = ?`, analysis.TypeContribution).Scan(&raw, &state); err != nil {
			t.Fatal(err)
		}
		if state != "ncu_pending" || strings.Contains(raw, "rs-analyst") {
			t.Fatalf("outgoing contribution %s: %s", state, raw)
		}
		testutil.ApproveAll(t, rs, rsNCU)
		testutil.RouteIncoming(t, selec, seNCU, analysis.TypeContribution, "selec")
		testutil.WaitFor(t, "the contribution on selec", wait, func() bool {
			cs, err := selec.Analysis.Contributions(ctx, seAn)
			return err == nil && len(cs) == 1 && cs[0].State == analysis.CStateReceived
		})

		a, err := selec.Analysis.CreateAssessment(ctx, seAn, analysis.AssessmentInput{CrimeArea: "drugs", Period: "2025", Title: "Regional drugs assessment 2025",
			Summary: "Cocaine routes shift to the Adriatic ports.", Paragraphs: []analysis.Paragraph{{Section: analysis.SecTrends, Text: "Regional view."}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(a.Contributions) != 1 || a.Contributions[0].Node != "rs" {
			t.Fatalf("merged contributions: %+v", a.Contributions)
		}
		m := a.Merged()
		if m[1].Key != analysis.SecTrends || len(m[1].Paragraphs) != 2 || m[1].Paragraphs[1].Node != "rs" || !strings.Contains(m[1].Paragraphs[1].Text, "Ниш") {
			t.Fatalf("attribution: %+v", m[1])
		}
		if _, err := selec.Analysis.MoveAssessment(ctx, seAn, a.ID, analysis.MoveInput{Move: analysis.MoveSubmit}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("submit without threats: %v", err)
		}
		upd := analysis.AssessmentInput{CrimeArea: "drugs", Period: "2025", Title: a.Title, Summary: a.Summary, Paragraphs: a.Paragraphs, Version: a.Version,
			Threats: []analysis.Threat{{Title: "Cocaine through Adriatic ports", Threat: analysis.Score{Value: 5, Reasoning: "Capable groups"},
				Vulnerability: analysis.Score{Value: 4, Reasoning: "Few scanners"}, Impact: analysis.Score{Value: 4, Reasoning: "Violence"}}},
			Priorities: []analysis.Priority{{Title: "Container profiling training", Rank: 1, Countries: []string{"ME", "al"}}}}
		if a, err = selec.Analysis.UpdateAssessment(ctx, seAn, a.ID, upd); err != nil {
			t.Fatal(err)
		}
		if _, err := selec.Analysis.UpdateAssessment(ctx, seAn, a.ID, upd); errs.CodeOf(err) != "version-conflict" {
			t.Fatalf("stale edit: %v", err)
		}
		if a, err = selec.Analysis.MoveAssessment(ctx, seAn, a.ID, analysis.MoveInput{Move: analysis.MoveSubmit}); err != nil || a.State != analysis.AStateReview {
			t.Fatalf("submit: %+v %v", a.State, err)
		}
		if _, err := selec.Analysis.SendNeeds(ctx, seNCU, a.ID); errs.CodeOf(err) != "not-approved" {
			t.Fatalf("needs before approval: %v", err)
		}
		if a, err = selec.Analysis.MoveAssessment(ctx, seNCU, a.ID, analysis.MoveInput{Move: analysis.MoveApprove}); err != nil || a.State != analysis.AStateApproved {
			t.Fatalf("approve: %+v %v", a.State, err)
		}
		// Every logged-in user reads the public version only.
		pub, err := selec.Analysis.Assessment(ctx, seOff, a.ID, false)
		if err != nil || !pub.Public || len(pub.Contributions[0].Paragraphs) != 1 {
			t.Fatalf("officer's version: %+v %v", pub, err)
		}
		needs, err := selec.Analysis.SendNeeds(ctx, seNCU, a.ID)
		if err != nil || len(needs) != 2 || needs[0].Theme != "drugs" || needs[0].OwnerNode != "selec" {
			t.Fatalf("needs: %+v %v", needs, err)
		}
		if _, err := selec.Analysis.SendNeeds(ctx, seNCU, a.ID); errs.CodeOf(err) != "needs-sent" {
			t.Fatalf("needs twice: %v", err)
		}
		reg, err := selec.Acts.Needs(ctx, seOff, "ME", "")
		if err != nil || len(reg) != 1 || reg[0].Title != "Container profiling training" {
			t.Fatalf("registry: %+v %v", reg, err)
		}
	})
}

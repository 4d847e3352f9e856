package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/auth"
)

// demoContributions are national contributions (synthetic analysis text,
// no personal data) to SELEC's regional drugs assessment of 2025.
var demoContributions = map[string][]analysis.Paragraph{
	"rs": {
		{Section: analysis.SecIndicators, Text: "Cocaine seizures rose to 1.9 t (2024: 0.8 t); 14 cannabis plantations dismantled in Šumadija and Pomoravlje."},
		{Section: analysis.SecTrends, Text: "Shipments move from Adriatic ports to the Danube corridor; synthetic drugs ordered online and delivered by post are increasing."},
		{Section: analysis.SecModusOperand, Text: "Cocaine is hidden in banana and coffee containers declared for transit; cash couriers return proceeds by car."},
		{Section: analysis.SecGroups, Text: "Three groups with cells in Montenegro and the EU, each using corrupt port insiders.", Restricted: true},
		{Section: analysis.SecRoutes, Text: "Bar – Podgorica – Belgrade – Horgoš; Danube barges from Prahovo."},
	},
	"me": {
		{Section: analysis.SecIndicators, Text: "Port of Bar: 1.2 t cocaine in four seizures; two clandestine laboratories found near Nikšić."},
		{Section: analysis.SecTrends, Text: "Fewer but larger consignments; violent rivalry between two clans continues abroad."},
		{Section: analysis.SecModusOperand, Text: "Rip-on/rip-off in containers; encrypted phones replaced by ordinary messaging apps after 2021."},
		{Section: analysis.SecGroups, Text: "Two clans control most of the traffic through the port, with members in Serbia and Spain.", Restricted: true},
		{Section: analysis.SecRoutes, Text: "Latin America – Bar – Western Balkans – EU; secondary route through Albanian ports."},
	},
	"al": {
		{Section: analysis.SecIndicators, Text: "Cannabis cultivation fell after eradication campaigns; 430 kg of cocaine seized in Durrës."},
		{Section: analysis.SecTrends, Text: "Albanian-speaking brokers buy directly in South America and sell wholesale in the EU."},
		{Section: analysis.SecModusOperand, Text: "Fruit containers through Durrës; proceeds laundered through real estate on the coast."},
		{Section: analysis.SecRoutes, Text: "Durrës – Tirana – Kakavijë; sea route from Vlorë to Italy for cannabis."},
	},
}

var demoNames = map[string]string{"rs": "Serbia", "me": "Montenegro", "al": "Albania"}

// seedAssessment starts SELEC's regional drugs assessment of 2025: each
// national node present drafts a contribution, a second person approves
// it, the NCUs send and route it, and SELEC's analysts merge what arrived
// into a draft with scored threats and priorities, ready for review.
func (f *Federation) seedAssessment(ctx context.Context) error {
	var regional *app.Node
	agency := map[string]string{}
	for i, n := range f.Nodes {
		agency[n.Cfg.NodeID] = f.Specs[i].Agency
		if n.Cfg.NodeID == "selec" {
			regional = n
		}
	}
	if regional == nil {
		return nil
	}
	as := func(node string, role auth.Role) *auth.Principal {
		return &auth.Principal{Username: string(role), Agency: agency[node], Roles: []auth.Role{role}}
	}
	sent := 0
	for _, n := range f.Nodes {
		id := n.Cfg.NodeID
		paras, ok := demoContributions[id]
		if !ok {
			continue
		}
		c, err := n.Analysis.CreateContribution(ctx, as(id, auth.RoleAnalyst), analysis.ContributionInput{RegionalNode: "selec", CrimeArea: "drugs", Period: "2025",
			Title: demoNames[id] + ": drugs 2025, national contribution", Paragraphs: paras})
		if err != nil {
			return fmt.Errorf("demo contribution of %s: %w", id, err)
		}
		if _, err := n.Analysis.MoveContribution(ctx, as(id, auth.RoleAnalyst), c.ID, analysis.MoveInput{Move: analysis.MoveSubmit}); err != nil {
			return err
		}
		if _, err := n.Analysis.MoveContribution(ctx, as(id, auth.RoleNCUOperator), c.ID, analysis.MoveInput{Move: analysis.MoveApprove}); err != nil {
			return err
		}
		q, err := n.Fed.Queue(ctx, as(id, auth.RoleNCUOperator))
		if err != nil {
			return err
		}
		for _, it := range q {
			if it.Direction == "outgoing" && it.Type == analysis.TypeContribution {
				if err := n.Fed.Approve(ctx, as(id, auth.RoleNCUOperator), it.ID); err != nil {
					return err
				}
				sent++
			}
		}
	}
	ncu := as("selec", auth.RoleNCUOperator)
	analyst := as("selec", auth.RoleAnalyst)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		q, err := regional.Fed.Queue(ctx, ncu)
		if err != nil {
			return err
		}
		for _, it := range q {
			if it.Direction == "incoming" && it.Type == analysis.TypeContribution {
				if err := regional.Fed.Route(ctx, ncu, it.ID, agency["selec"]); err != nil {
					return err
				}
			}
		}
		cs, err := regional.Analysis.Contributions(ctx, analyst)
		if err != nil {
			return err
		}
		if len(cs) >= sent {
			break
		}
	}
	score := func(v int, why string) analysis.Score { return analysis.Score{Value: v, Reasoning: why} }
	_, err := regional.Analysis.CreateAssessment(ctx, analyst, analysis.AssessmentInput{CrimeArea: "drugs", Period: "2025", Title: "SEE drugs threat assessment 2025",
		Summary: "Cocaine trafficking through the region's ports is the main threat; national contributions agree on a shift of routes towards the Danube corridor.",
		Paragraphs: []analysis.Paragraph{
			{Section: analysis.SecTrends, Text: "Regional seizures of cocaine more than doubled against 2024, while cannabis cultivation fell."},
			{Section: analysis.SecRoutes, Text: "The maritime entry points (Bar, Durrës) feed two land routes: the Balkan route to Central Europe and the Danube corridor."},
		},
		Threats: []analysis.Threat{
			{Title: "Cocaine through Adriatic ports", Description: "Container shipments from South America transiting the region's ports.",
				Threat: score(5, "Well-resourced groups with insiders at ports, reported by three countries."), Vulnerability: score(4, "Few container scanners; transit cargo rarely inspected."),
				Impact: score(4, "Violence between groups and corruption of port and customs officers.")},
			{Title: "Synthetic drugs ordered online", Threat: score(3, "Growing but fragmented supply."), Vulnerability: score(4, "Postal parcels are hardly checked."),
				Impact: score(3, "Health harm among young users.")},
			{Title: "Cannabis cultivation", Threat: score(2, "Fell after eradication campaigns."), Vulnerability: score(3, "Rural areas with little police presence."),
				Impact: score(2, "Mostly regional markets."), Restricted: true},
		},
		Priorities: []analysis.Priority{
			{Title: "Container profiling and risk analysis training for port police and customs", Rank: 1, Countries: []string{"ME", "AL", "RS"}},
			{Title: "Online drug markets and parcel screening", Rank: 2, Countries: []string{"RS", "MK"}},
		}})
	return err
}

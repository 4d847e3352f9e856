package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-wb/liaison/internal/analysis"
	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/auth"
)

// seedAnalysis has every national node share its cooperation scoreboard
// (computed from the demo's own exchanges, operations and JITs) with the
// regional node; each NCU approves what leaves and SELEC's NCU routes what
// arrives to its analysts, so SELEC's matrix shows every country's record.
func (f *Federation) seedAnalysis(ctx context.Context) error {
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
	shared := 0
	for _, n := range f.Nodes {
		id := n.Cfg.NodeID
		if n == regional {
			continue
		}
		if _, err := n.Analysis.ShareScoreboard(ctx, as(id, auth.RoleAnalyst), analysis.ShareInput{Peers: []string{"selec"}}); err != nil {
			return err
		}
		for _, t := range demoTables[id] {
			rep, err := n.Analysis.ImportTable(ctx, as(id, auth.RoleAnalyst), t.in, []byte(t.csv))
			if err != nil {
				return err
			}
			if !rep.Saved {
				return fmt.Errorf("demo table %s: %+v", t.in.Title, rep.Errors)
			}
			if _, err := n.Analysis.ShareTable(ctx, as(id, auth.RoleAnalyst), rep.Table.ID, analysis.ShareInput{Peers: []string{"selec"}}); err != nil {
				return err
			}
		}
		q, err := n.Fed.Queue(ctx, as(id, auth.RoleNCUOperator))
		if err != nil {
			return err
		}
		for _, it := range q {
			if it.Direction == "outgoing" && (it.Type == analysis.TypeScoreboard || it.Type == analysis.TypeTable) {
				if err := n.Fed.Approve(ctx, as(id, auth.RoleNCUOperator), it.ID); err != nil {
					return err
				}
				shared++
			}
		}
	}
	ncu := as("selec", auth.RoleNCUOperator)
	routed := 0
	for deadline := time.Now().Add(20 * time.Second); routed < shared && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		q, err := regional.Fed.Queue(ctx, ncu)
		if err != nil {
			return err
		}
		for _, it := range q {
			if it.Direction == "incoming" && (it.Type == analysis.TypeScoreboard || it.Type == analysis.TypeTable) {
				if err := regional.Fed.Route(ctx, ncu, it.ID, agency["selec"]); err != nil {
					return err
				}
				routed++
			}
		}
	}
	return nil
}

type demoTable struct {
	in  analysis.TableInput
	csv string
}

// demoTables are gender-based violence tables (synthetic figures) for
// Bosnia and Herzegovina's three jurisdictions and North Macedonia, each
// with its own definitions, so SELEC's regional table shows how they compare.
var demoTables = map[string][]demoTable{
	"ba": {
		{analysis.TableInput{Set: "gbv", Title: "Gender-based violence, Federation of BiH, 2025", Period: "2025", Jurisdiction: "BA-FBIH", Source: "FBiH Ministry of Interior, cantonal police records",
			Definitions: []analysis.Definition{{Indicator: "ipv_victims", NationalOffence: "Art. 222 Domestic violence, FBiH Criminal Code", Note: "victims counted per reported offence; relationship recorded since 2023"},
				{Indicator: "protection_orders_granted", NationalOffence: "Law on protection from domestic violence (FBiH), protective measures ordered by courts"}}},
			"indicator,sex,relationship,form,value\nipv_victims,female,current_partner,physical,684\nipv_victims,female,former_partner,physical,191\nipv_victims,female,current_partner,psychological,402\n" +
				"femicides,female,,,6\nprotection_orders_applied,,,,733\nprotection_orders_granted,,,,611\nperpetrators_prosecuted,male,,,498\nperpetrators_convicted,male,,,3\n"},
		{analysis.TableInput{Set: "gbv", Title: "Gender-based violence, Republika Srpska, 2025", Period: "2025", Jurisdiction: "BA-RS", Source: "RS Ministry of Interior",
			Definitions: []analysis.Definition{{Indicator: "ipv_victims", NationalOffence: "Art. 190 Domestic violence, RS Criminal Code", Note: "victims counted once per year; former partners included with family members"}}},
			"indicator,sex,relationship,form,value\nipv_victims,female,current_partner,physical,455\nipv_victims,female,family_member,physical,212\nfemicides,female,,,4\nprotection_orders_granted,,,,388\nperpetrators_convicted,male,,,141\n"},
		{analysis.TableInput{Set: "gbv", Title: "Gender-based violence, Brčko District, 2025", Period: "2025", Jurisdiction: "BA-BD", Source: "Brčko District Police",
			Definitions: []analysis.Definition{{Indicator: "ipv_victims", NationalOffence: "Art. 218 Domestic violence, Brčko District Criminal Code"}}},
			"indicator,sex,relationship,form,value\nipv_victims,female,current_partner,physical,38\nfemicides,female,,,1\nprotection_orders_granted,,,,27\n"},
	},
	"mk": {
		{analysis.TableInput{Set: "gbv", Title: "Gender-based violence, North Macedonia, 2025", Period: "2025", Jurisdiction: "MK", Source: "National coordinative body for gender-based violence",
			Definitions: []analysis.Definition{{Indicator: "ipv_victims", NationalOffence: "Law on prevention and protection from violence against women and domestic violence (2021)", Note: "includes violence by family members outside the couple"}}},
			"indicator,sex,relationship,form,value\nipv_victims,female,current_partner,physical,1021\nipv_victims,female,current_partner,psychological,644\nfemicides,female,,,7\nprotection_orders_applied,,,,512\nprotection_orders_granted,,,,430\n"},
	},
}

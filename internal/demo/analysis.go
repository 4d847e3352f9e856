package demo

import (
	"context"
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
		q, err := n.Fed.Queue(ctx, as(id, auth.RoleNCUOperator))
		if err != nil {
			return err
		}
		for _, it := range q {
			if it.Direction == "outgoing" && it.Type == analysis.TypeScoreboard {
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
			if it.Direction == "incoming" && it.Type == analysis.TypeScoreboard {
				if err := regional.Fed.Route(ctx, ncu, it.ID, agency["selec"]); err != nil {
					return err
				}
				routed++
			}
		}
	}
	return nil
}

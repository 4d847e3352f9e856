package demo

import (
	"context"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
)

// RegionalSecret is the demo region's secret for privacy-preserving
// encodings. A real region agrees its own and configures it on every node
// (LIAISON_PPRL_SECRET); it is never in the linkage schema.
const RegionalSecret = "liaison demo regional secret - not for production"

// seedPrivate shows the privacy-preserving features: Serbia asks Bosnia
// and Herzegovina in private mode about a person it writes in Cyrillic
// (only encodings travel; the answer is a hit), and Serbia, Bosnia and
// Herzegovina and Albania register their drug investigations for regional
// deconfliction, so that the NCUs find notices naming each other's
// contact points.
func (f *Federation) seedPrivate(ctx context.Context) error {
	byID := map[string]*app.Node{}
	agency := map[string]string{}
	for i, n := range f.Nodes {
		byID[n.Cfg.NodeID] = n
		agency[n.Cfg.NodeID] = f.Specs[i].Agency
	}
	officer := func(id string) *auth.Principal {
		return &auth.Principal{Username: "officer", Agency: agency[id], Roles: []auth.Role{auth.RoleOfficer}}
	}
	if rs, ba := byID["rs"], byID["ba"]; rs != nil && ba != nil {
		if _, err := rs.Cases.SendQuery(ctx, officer("rs"), cases.QueryInput{Mode: cases.ModePrivate, Purpose: "identify a courier of the Bar cocaine route (private query)",
			CaseRef: "RS-KT-117/2026", Peers: []string{"ba"},
			Items: []cases.Probe{{Kind: "person", Fields: map[string]string{"full_name": "Ненад Јовановић", "date_of_birth": "21.06.1981"}}}}); err != nil {
			return err
		}
	}
	regs := []struct {
		node, ref, contact string
		peers              []string
	}{
		{"rs", "RS-KT-117/2026", "Insp. Milica Stanković, SBPOK Belgrade, +381 11 306 2000", []string{"ba", "al"}},
		{"ba", "BA-SIPA-2026-17", "Emina Kovačević, SIPA Sarajevo, +387 33 702 100", []string{"rs"}},
		{"al", "AL-DPP-88/2026", "Arjan Dervishi, DPP Shkodër, +355 22 240 000", []string{"rs"}},
	}
	for _, r := range regs {
		n := byID[r.node]
		if n == nil {
			continue
		}
		var peers []string
		for _, p := range r.peers {
			if byID[p] != nil {
				peers = append(peers, p)
			}
		}
		if len(peers) == 0 {
			continue
		}
		if _, err := n.Cases.RegisterDeconfliction(ctx, officer(r.node), r.ref, cases.DeconfInput{Peers: peers, Contact: r.contact}); err != nil {
			return err
		}
	}
	return nil
}

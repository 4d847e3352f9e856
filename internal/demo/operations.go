package demo

import (
	"context"
	"strings"
	"time"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/operations"
)

// demoTerms are synthetic declarations under PCC SEE, by node: Serbia
// without limits, Bosnia and Herzegovina with distance and time limits and
// no right to apprehend, Montenegro with a shorter surveillance deadline.
var demoTerms = []struct {
	node string
	in   operations.TermsInput
}{
	{"rs", operations.TermsInput{Pursuit: true, Apprehend: true, SurveillanceMinutes: 300, Note: "Declaration on signature (synthetic demo data)"}},
	{"ba", operations.TermsInput{Pursuit: true, PursuitKm: 30, PursuitHours: 2, SurveillanceMinutes: 300, Note: "Pursuit on roads only (synthetic demo data)"}},
	{"me", operations.TermsInput{Pursuit: true, PursuitKm: 20, Apprehend: true, SurveillanceMinutes: 180}},
}

// seedTerms has each node's NCU declare its state's terms under the
// agreement that allows hot pursuit from Serbia into Bosnia and
// Herzegovina (PCC SEE); the declarations reach the other parties' nodes.
func (f *Federation) seedTerms(ctx context.Context, byID map[string]*app.Node, ncu func(string) *auth.Principal) error {
	rs := byID["rs"]
	if rs == nil || byID["ba"] == nil {
		return nil
	}
	basis, err := rs.Ops.LegalBasis(ctx, ncu("rs"), operations.KindPursuit, "ba")
	if err != nil || basis.AgreementID == "" {
		return err
	}
	for _, d := range demoTerms {
		n := byID[d.node]
		if n == nil {
			continue
		}
		in := d.in
		in.AgreementID, in.Country = basis.AgreementID, strings.ToUpper(d.node)
		if _, err := n.Ops.SetTerms(ctx, ncu(d.node), in); err != nil {
			return err
		}
	}
	return nil
}

// seedOperations fills the operations room: a hot pursuit from Serbia into
// Bosnia and Herzegovina in progress (acknowledged by the Bosnian NCU), a
// joint patrol schedule between Albania and Montenegro (confirmed by
// Montenegro) and an exercise incident led by North Macedonia's Crisis
// Management Centre, shared with Albania and Serbia.
func (f *Federation) seedOperations(ctx context.Context) error {
	byID := map[string]*app.Node{}
	agency := map[string]string{}
	for i, n := range f.Nodes {
		byID[n.Cfg.NodeID] = n
		agency[n.Cfg.NodeID] = f.Specs[i].Agency
	}
	officer := func(node string) *auth.Principal {
		return &auth.Principal{Username: "officer", Agency: agency[node], Roles: []auth.Role{auth.RoleOfficer}}
	}
	ncu := func(node string) *auth.Principal {
		return &auth.Principal{Username: "ncu", Agency: agency[node], Roles: []auth.Role{auth.RoleNCUOperator}}
	}
	// held waits (briefly) until node holds the operation.
	held := func(node, id string) bool {
		for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if _, err := byID[node].Ops.Get(ctx, ncu(node), id); err == nil {
				return true
			}
		}
		return false
	}
	if err := f.seedTerms(ctx, byID, ncu); err != nil {
		return err
	}
	if rs, ba := byID["rs"], byID["ba"]; rs != nil && ba != nil {
		o, err := rs.Ops.Open(ctx, officer("rs"), operations.OpenInput{Kind: operations.KindPursuit, Title: "Stolen black Audi A6 after an armed robbery in Loznica",
			Countries: []string{"ba"},
			Details: operations.OpDetails{Unit: "Traffic police Loznica, patrol 3", Officers: []string{"Nikola Janković", "Milan Perić"}, Vehicles: []string{"Škoda Octavia LO 123-PP"},
				Persons: []string{"two men, about 30, dark clothing"}, TargetVehicle: "Audi A6, black, BG 987-XY", Offence: "armed robbery of a petrol station",
				Direction: "west, towards Zvornik and Vlasenica", Crossing: "Mali Zvornik – Zvornik"},
			Position: "44.3870, 19.1050", Where: "Mali Zvornik, approaching the Drina bridge"})
		if err != nil {
			return err
		}
		for _, p := range []struct{ pos, where string }{{"44.3930, 19.1120", "on the bridge, crossing into BA"}, {"44.4010, 19.1290", "Karakaj junction"}, {"44.3700, 19.0600", "M19 towards Vlasenica"}} {
			if _, err := rs.Ops.Act(ctx, officer("rs"), o.ID, operations.ActInput{Kind: operations.EvPosition, Position: p.pos, Text: p.where}); err != nil {
				return err
			}
		}
		if held("ba", o.ID) {
			if _, err := ba.Ops.Act(ctx, ncu("ba"), o.ID, operations.ActInput{Kind: operations.EvAcknowledge, Text: "Border police Zvornik informed; patrol on the M19"}); err != nil {
				return err
			}
		}
	}
	if al, me := byID["al"], byID["me"]; al != nil && me != nil {
		today := time.Now().UTC()
		o, err := al.Ops.Open(ctx, officer("al"), operations.OpenInput{Kind: operations.KindPatrol, Title: "Joint patrol Hani i Hotit – Lake Shkodër",
			Countries: []string{"me"},
			Details: operations.OpDetails{Sector: "Hani i Hotit – Lake Shkodër", Start: today.AddDate(0, 0, 3).Format("2006-01-02"), End: today.AddDate(0, 0, 9).Format("2006-01-02"),
				Schedule: "daily 07:00–15:00 and 15:00–23:00", Officers: []string{"Arben Hoxha", "Ilir Krasniqi", "Dragan Radović", "Marko Vujović"},
				Language: "Albanian and Montenegrin, English as bridge", Commander: "Insp. Arben Hoxha (AL) / Insp. Dragan Radović (ME)",
				SectorArea: []operations.GeoPoint{{Lat: 42.36, Lon: 19.38}, {Lat: 42.33, Lon: 19.50}, {Lat: 42.18, Lon: 19.48}, {Lat: 42.10, Lon: 19.36}, {Lat: 42.22, Lon: 19.30}}}})
		if err != nil {
			return err
		}
		if held("me", o.ID) {
			if _, err := me.Ops.Act(ctx, ncu("me"), o.ID, operations.ActInput{Kind: operations.EvConfirm, Text: "Two officers of the Tuzi border police station"}); err != nil {
				return err
			}
		}
	}
	if mk := byID["mk"]; mk != nil {
		var share []string
		for _, n := range []string{"al", "rs"} {
			if byID[n] != nil {
				share = append(share, n)
			}
		}
		o, err := mk.Ops.Open(ctx, ncu("mk"), operations.OpenInput{Kind: operations.KindIncident, Title: "Exercise SKOPJE SHIELD: chemical spill on the Tabanovce rail line",
			Exercise: true, Severity: 4, Countries: share,
			Details:  operations.OpDetails{IncidentType: "hazmat", Location: "Tabanovce rail freight yard", LeadOrg: "Crisis Management Centre", Commander: "Col. Zoran Ilievski"},
			Position: "42.2170, 21.6960", Where: "Tabanovce freight yard, near the border crossing"})
		if err != nil {
			return err
		}
		for _, in := range []operations.ActInput{
			{Kind: operations.EvSitrep, Text: "Tank wagon leaking chlorine; 500 m cordon; border crossing closed to freight."},
			{Kind: operations.EvOrg, Org: "Protection and Rescue Directorate", State: "active"},
			{Kind: operations.EvOrg, Org: "Ministry of Health – Kumanovo hospital", State: "standing_by"},
			{Kind: operations.EvTask, Title: "Divert freight traffic to Deve Bair", Priority: "high", Agency: "Border police Kumanovo"},
			{Kind: operations.EvTask, Title: "Inform the Serbian border police at Preševo", Priority: "urgent"},
		} {
			if _, err := mk.Ops.Act(ctx, ncu("mk"), o.ID, in); err != nil {
				return err
			}
		}
	}
	return nil
}

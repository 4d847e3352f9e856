package activities

import (
	"context"
	"database/sql"
	"errors"

	"github.com/liaison-wb/liaison/internal/auth"
)

// Demo content: a realistic set of donor activities published by the
// regional node, one of them overlapping another (resolved by coordinating)
// and a draft with an overlap still to resolve; needs declared by each
// country's own node; an event, a best practice and a prioritisation round.
var (
	demoRS   = Beneficiary{Country: "RS", Agency: "Ministry of Interior – Criminal Police Directorate"}
	demoME   = Beneficiary{Country: "ME", Agency: "Police Directorate"}
	demoBA   = Beneficiary{Country: "BA", Agency: "State Investigation and Protection Agency (SIPA)"}
	demoAL   = Beneficiary{Country: "AL", Agency: "State Police"}
	demoSPAK = Beneficiary{Country: "AL", Agency: "Special Anti-Corruption Structure (SPAK)"}
	demoMK   = Beneficiary{Country: "MK", Agency: "Ministry of Interior – Border Police"}
	demoXK   = Beneficiary{Country: "XK", Agency: "Kosovo Police"}

	demoActivities = []Input{
		{Title: "Countering money laundering and financial investigations in the Western Balkans", Kind: "training", Donor: "European Union (IPA III)", Implementer: "UNODC",
			Description: "Modular training for investigators and prosecutors on parallel financial investigations, tracing and confiscation of criminal assets.",
			Budget:      2400000, Currency: "EUR", Countries: []string{"RS", "ME", "BA"}, Agencies: []Beneficiary{demoRS, demoME, demoBA},
			Themes: []string{"money_laundering", "organised_crime"}, StartDate: "2026-09-01", EndDate: "2028-08-31", Beneficiaries: 360,
			ExpectedResults: "360 investigators and prosecutors trained; national manuals on financial investigations", Indicators: []string{"parallel financial investigations opened per year"},
			ContactName: "Programme officer, UNODC Regional Office", ContactEmail: "wb-aml@unodc.example"},
		{Title: "Green-border surveillance equipment", Kind: "equipment", Donor: "Germany", Implementer: "GIZ",
			Description: "Thermal cameras, vehicles and document readers for border police units at the green border.",
			Budget:      3100000, Currency: "EUR", Countries: []string{"AL", "MK"}, Agencies: []Beneficiary{demoAL, demoMK},
			Themes: []string{"border_security", "migrant_smuggling"}, StartDate: "2026-03-01", EndDate: "2027-12-31", ContactName: "GIZ project office Skopje", ContactEmail: "border@giz.example"},
		{Title: "Forensic laboratory information system", Kind: "it_system", Donor: "United States (INL)", Implementer: "ICITAP",
			Description: "Laboratory information management system and chain-of-custody tracking for forensic centres.",
			Budget:      800000, Currency: "USD", Countries: []string{"ME", "XK"}, Agencies: []Beneficiary{{Country: "ME", Agency: "Forensic Centre"}, demoXK},
			Themes: []string{"organised_crime"}, StartDate: "2027-01-15", EndDate: "2027-12-31", ContactName: "ICITAP Podgorica", ContactEmail: "icitap-me@state.example"},
		{Title: "Mentoring the Special Prosecution Office on high-level corruption cases", Kind: "mentoring", Donor: "United Kingdom", Implementer: "Crown Prosecution Service",
			Budget: 600000, Currency: "GBP", Countries: []string{"AL"}, Agencies: []Beneficiary{demoSPAK},
			Themes: []string{"corruption", "money_laundering"}, StartDate: "2026-06-01", EndDate: "2028-05-31", ContactName: "Resident legal adviser", ContactEmail: "rla-tirana@cps.example"},
		{Title: "Tracing illicit firearms: joint training of firearms focal points", Kind: "training", Donor: "European Union (CFSP)", Implementer: "UNDP SEESAC",
			Budget: 900000, Currency: "EUR", Countries: []string{"AL", "BA", "ME", "MK", "RS", "XK"},
			Themes: []string{"firearms", "organised_crime"}, StartDate: "2027-02-01", EndDate: "2027-11-30", Beneficiaries: 90, ContactName: "SEESAC", ContactEmail: "firearms@seesac.example"},
		{Title: "Study visit: investigating online child sexual exploitation", Kind: "study_visit", Donor: "OSCE", Implementer: "OSCE Mission to Skopje",
			Budget: 45000, Currency: "EUR", Countries: []string{"MK", "RS"}, Agencies: []Beneficiary{{Country: "MK", Agency: "Ministry of Interior – Cybercrime Unit"}, {Country: "RS", Agency: "Special Prosecutor's Office for High-Tech Crime"}},
			Themes: []string{"cybercrime"}, StartDate: "2027-04-12", EndDate: "2027-04-16", Beneficiaries: 12},
		{Title: "Cybercrime and electronic evidence for judges and prosecutors (iPROCEEDS-3)", Kind: "training", Donor: "European Union / Council of Europe", Implementer: "Council of Europe",
			Budget: 4200000, Currency: "EUR", Countries: []string{"AL", "BA", "ME", "MK", "RS", "XK"}, Themes: []string{"cybercrime", "money_laundering"},
			StartDate: "2026-01-01", EndDate: "2029-06-30", Beneficiaries: 600, ContactName: "C-PROC", ContactEmail: "cybercrime@coe.example"},
		{Title: "Victim identification in mixed migration flows", Kind: "training", Donor: "Switzerland", Implementer: "IOM",
			Budget: 1100000, Currency: "CHF", Countries: []string{"BA", "ME", "RS"}, Agencies: []Beneficiary{demoBA, demoME},
			Themes: []string{"thb", "migrant_smuggling"}, StartDate: "2026-10-01", EndDate: "2028-03-31", Beneficiaries: 240},
	}

	// demoOverlap overlaps the first activity; it is resolved by
	// coordinating and published.
	demoOverlap = Input{Title: "Obuka o finansijskim istragama i oduzimanju imovine", Kind: "training", Donor: "United States (INL)", Implementer: "OPDAT",
		Description: "Obuka za tužioce i policijske službenike: finansijske istrage, praćenje novca i oduzimanje imovine stečene kriminalom.",
		Budget:      350000, Currency: "USD", Countries: []string{"RS"}, Agencies: []Beneficiary{demoRS},
		Themes: []string{"money_laundering"}, StartDate: "2027-03-01", EndDate: "2027-06-30", Beneficiaries: 40, ContactName: "OPDAT Belgrade", ContactEmail: "opdat-bg@state.example"}

	// demoDraft overlaps the first activity too and waits for its partner
	// to resolve the overlap.
	demoDraft = Input{Title: "Mentoring financial investigators of the Montenegrin police", Kind: "mentoring", Donor: "Norway", Implementer: "Norwegian Police Directorate",
		Description: "Embedded advisers supporting financial investigations and asset confiscation.", Budget: 5000000, Currency: "NOK",
		Countries: []string{"ME"}, Agencies: []Beneficiary{demoME}, Themes: []string{"money_laundering"}, StartDate: "2027-01-01", EndDate: "2027-12-31"}

	demoNeeds = map[string][]NeedInput{
		"AL": {{Country: "AL", Agency: "State Police", Theme: "cybercrime", Priority: 1, Title: "Accredited digital forensics laboratory", Description: "Evidence from mobile devices is examined abroad, with months of delay."},
			{Country: "AL", Agency: "State Police", Theme: "drugs", Priority: 2, Title: "Detection of cannabis cultivation by remote sensing"}},
		"BA": {{Country: "BA", Agency: "SIPA", Theme: "money_laundering", Priority: 1, Title: "Tracing crypto-assets", Description: "No tools or training to follow virtual currency transfers."},
			{Country: "BA", Agency: "Border Police", Theme: "firearms", Priority: 2, Title: "Ballistic information shared between entity laboratories"}},
		"ME": {{Country: "ME", Agency: "Police Directorate", Theme: "organised_crime", Priority: 1, Title: "Witness protection capacity"},
			{Country: "ME", Agency: "Police Directorate", Theme: "gbv", Priority: 2, Title: "Specialised training on domestic violence risk assessment"}},
		"MK": {{Country: "MK", Agency: "Border Police", Theme: "migrant_smuggling", Priority: 1, Title: "Joint patrols and shared situational picture at the southern border"},
			{Country: "MK", Agency: "Ministry of Interior", Theme: "gbv", Priority: 2, Title: "Shelters' cooperation with police in gender-based violence cases"}},
		"RS": {{Country: "RS", Agency: "Criminal Police Directorate", Theme: "cybercrime", Priority: 2, Title: "Mobile device forensics outside Belgrade"},
			{Country: "RS", Agency: "Criminal Police Directorate", Theme: "money_laundering", Priority: 3, Title: "Financial investigators in regional police departments"}},
		"XK": {{Country: "XK", Agency: "Kosovo Police", Theme: "corruption", Priority: 1, Title: "Unexplained wealth investigations"},
			{Country: "XK", Agency: "Kosovo Police", Theme: "drugs", Priority: 2, Title: "Drug profiling laboratory"}},
	}
)

// SeedDemo fills the registry for the demo federation: activities, an
// event, a best practice and a round on the regional node, needs on each
// country's node. Call it after the nodes are peered so entries replicate.
// It does nothing when the node already has entries of its own.
func (s *Service) SeedDemo(ctx context.Context) error {
	n, err := ownEntries(ctx, s.d.Store, s.d.Node)
	if err != nil {
		return dbErr("activities.SeedDemo", err)
	}
	if n > 0 {
		return nil
	}
	partner := &auth.Principal{Username: "partner", DisplayName: "Donor coordinator", Agency: "donor-coordination", Roles: []auth.Role{auth.RolePartner, auth.RoleAdmin}}
	country, err := firstCountryOf(ctx, s.d.Store, s.d.Node)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return dbErr("activities.SeedDemo", err)
	}
	if err == nil {
		ncu := &auth.Principal{Username: "ncu", Agency: s.d.Node + "-ncu", Roles: []auth.Role{auth.RoleNCUOperator}}
		for _, in := range demoNeeds[country] {
			if _, err := s.CreateNeed(ctx, ncu, in); err != nil {
				return err
			}
		}
		return nil
	}
	if s.d.Node != "selec" {
		return nil
	}
	// publish resolves every overlap by coordinating, as partners do at the
	// donor coordination meeting, then publishes.
	publish := func(in Input, reason string) (Activity, error) {
		a, err := s.Create(ctx, partner, in)
		if err != nil {
			return a, err
		}
		ovs, err := s.Overlaps(ctx, partner, a.ID)
		if err != nil {
			return a, err
		}
		for _, o := range ovs {
			if _, err := s.Resolve(ctx, partner, a.ID, ResolutionInput{With: o.Activity.ID, Decision: "coordinate", Reason: reason}); err != nil {
				return a, err
			}
		}
		status := "planned"
		if in.StartDate < s.d.Clock.Now().Format("2006-01-02") {
			status = "ongoing"
		}
		return s.Publish(ctx, partner, a.ID, status)
	}
	var first Activity
	for i, in := range demoActivities {
		a, err := publish(in, "Complementary: different beneficiaries and topics, agreed at the regional donor coordination meeting.")
		if err != nil {
			return err
		}
		if i == 0 {
			first = a
		}
	}
	if _, err := publish(demoOverlap, "Agreed with UNODC: OPDAT trains prosecutors in Belgrade; UNODC keeps the police modules."); err != nil {
		return err
	}
	if _, err := s.Create(ctx, partner, demoDraft); err != nil {
		return err
	}
	if _, err := s.CreateEvent(ctx, partner, EventInput{Title: "Regional workshop on parallel financial investigations", Kind: "training", ActivityID: first.ID,
		StartDate: "2026-11-10", EndDate: "2026-11-12", Country: "ME", City: "Budva", Themes: []string{"money_laundering"},
		Participants: []Participation{{Country: "RS", Agency: demoRS.Agency, Count: 6}, {Country: "ME", Agency: demoME.Agency, Count: 8}, {Country: "BA", Agency: demoBA.Agency, Count: 5}},
		Materials:    []Document{{Title: "Workshop agenda", URL: "https://unodc.example/wb-aml/budva-agenda.pdf"}}, ContactName: "UNODC Regional Office", ContactEmail: "wb-aml@unodc.example"}); err != nil {
		return err
	}
	if _, err := s.CreatePractice(ctx, partner, PracticeInput{Title: "Trgovina ljudima: rana identifikacija žrtava na graničnim prelazima", Language: "sr",
		Summary: "Kontrolna lista indikatora i postupak upućivanja žrtava trgovine ljudima, primenjen u zajedničkim patrolama.", Themes: []string{"thb"}}); err != nil {
		return err
	}
	admin := &auth.Principal{Username: "admin", Agency: "selec", Roles: []auth.Role{auth.RoleAdmin}}
	if _, err := s.OpenRound(ctx, admin, RoundInput{Title: "Regional priorities 2027", Description: "Give 1–5 points to the needs your country or organisation considers most urgent."}); err != nil {
		return err
	}
	return nil
}

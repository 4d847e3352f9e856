package directory

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-wb/liaison/internal/store"
)

// demoAgency is a real institution of the region; the people and channels
// attached to it in the demo are synthetic.
type demoAgency struct {
	country, code, name, local, acronym, typ, parent, jurisdiction string
}

var demoAgencies = []demoAgency{
	{"AL", "al-asp", "State Police", "Policia e Shtetit", "ASP", "police", "", "national"},
	{"AL", "al-ppp", "General Prosecution Office", "Prokuroria e Përgjithshme", "", "prosecution", "", "national"},
	{"AL", "al-spak", "Special Prosecution Office against Corruption and Organised Crime", "Prokuroria e Posaçme kundër Korrupsionit dhe Krimit të Organizuar", "SPAK", "prosecution", "", "corruption and organised crime"},
	{"AL", "al-dppppp", "General Directorate for the Prevention of Money Laundering", "Drejtoria e Përgjithshme për Parandalimin e Pastrimit të Parave", "", "fiu", "", "national"},
	{"BA", "ba-dkpt", "Directorate for Coordination of Police Bodies", "Direkcija za koordinaciju policijskih tijela", "DKPT", "police", "", "state level; international police cooperation"},
	{"BA", "ba-sipa", "State Investigation and Protection Agency", "Državna agencija za istrage i zaštitu", "SIPA", "police", "", "state level"},
	{"BA", "ba-gp", "Border Police of Bosnia and Herzegovina", "Granična policija Bosne i Hercegovine", "GP BiH", "border_police", "", "state border"},
	{"BA", "ba-tbih", "Prosecutor's Office of Bosnia and Herzegovina", "Tužilaštvo Bosne i Hercegovine", "", "prosecution", "", "state level"},
	{"BA-BIH", "ba-fup", "Federal Police Administration", "Federalna uprava policije", "FUP", "police", "", "Federation of Bosnia and Herzegovina"},
	{"BA-SRP", "ba-mup-rs", "Ministry of Interior of Republika Srpska", "Министарство унутрашњих послова Републике Српске", "MUP RS", "police", "", "Republika Srpska"},
	{"BA-BRC", "ba-pbd", "Police of Brčko District", "Policija Brčko distrikta", "", "police", "", "Brčko District"},
	{"ME", "me-up", "Police Directorate", "Uprava policije", "", "police", "", "national"},
	{"ME", "me-vdt", "Supreme State Prosecutor's Office", "Vrhovno državno tužilaštvo", "VDT", "prosecution", "", "national"},
	{"ME", "me-sdt", "Special State Prosecutor's Office", "Specijalno državno tužilaštvo", "SDT", "prosecution", "me-vdt", "organised crime and high-level corruption"},
	{"ME", "me-uc", "Customs Administration", "Uprava carina", "", "customs", "", "national"},
	{"MK", "mk-mvr", "Ministry of Interior", "Министерство за внатрешни работи", "MVR", "police", "", "national"},
	{"MK", "mk-jo", "Public Prosecutor's Office", "Јавно обвинителство", "", "prosecution", "", "national"},
	{"MK", "mk-ufr", "Financial Intelligence Office", "Управа за финансиско разузнавање", "UFR", "fiu", "", "national"},
	{"RS", "rs-mup", "Ministry of Interior", "Министарство унутрашњих послова", "MUP", "police", "", "national"},
	{"RS", "rs-uks", "Criminal Police Directorate", "Управа криминалистичке полиције", "UKP", "police", "rs-mup", "national"},
	{"RS", "rs-ugp", "Border Police Administration", "Управа граничне полиције", "UGP", "border_police", "rs-mup", "state border"},
	{"RS", "rs-rjt", "Republic Public Prosecutor's Office", "Републичко јавно тужилаштво", "RJT", "prosecution", "", "national"},
	{"RS", "rs-tok", "Prosecutor's Office for Organised Crime", "Тужилаштво за организовани криминал", "TOK", "prosecution", "", "organised crime"},
	{"RS", "rs-uspn", "Administration for the Prevention of Money Laundering", "Управа за спречавање прања новца", "USPN", "fiu", "", "national"},
	{"XK", "xk-pk", "Kosovo Police", "Policia e Kosovës", "", "police", "", "national"},
	{"XK", "xk-zpsh", "Office of the Chief State Prosecutor", "Zyra e Kryeprokurorit të Shtetit", "", "prosecution", "", "national"},
	{"XK", "xk-njif", "Financial Intelligence Unit", "Njësia e Inteligjencës Financiare", "NJIF", "fiu", "", "national"},
}

// demoPeople are synthetic holders and deputies per country.
var demoPeople = map[string][][2]string{
	"AL": {{"Arben Hoxha", "Elira Dervishi"}, {"Besnik Shehu", "Anila Kola"}, {"Erion Leka", "Mirela Hasani"}, {"Klodian Meta", "Blerina Çela"}, {"Gentian Duka", "Ornela Gjoni"}, {"Artan Basha", "Eriola Topi"}},
	"BA": {{"Amir Hadžić", "Dragana Kovačević"}, {"Emir Begić", "Sanja Marić"}, {"Haris Delić", "Jelena Tomić"}, {"Mirza Softić", "Ivana Jurić"}, {"Adnan Kurtović", "Lejla Osmanović"}, {"Kenan Mujić", "Maja Vuković"}},
	"ME": {{"Milan Radović", "Jovana Bulatović"}, {"Vuk Đukanović", "Tamara Šćepanović"}, {"Nikola Vujošević", "Ana Raičević"}, {"Dejan Mugoša", "Marina Perović"}, {"Stefan Kalezić", "Ivana Vujović"}, {"Luka Popović", "Milena Vukčević"}},
	"MK": {{"Goran Trajkovski", "Marija Stojanovska"}, {"Aleksandar Petrovski", "Elena Nikolovska"}, {"Bujar Ademi", "Ivana Georgieva"}, {"Dragan Jovanovski", "Teuta Rexhepi"}, {"Vladimir Stojanov", "Biljana Ristovska"}, {"Zoran Dimitrievski", "Arta Selmani"}},
	"RS": {{"Nenad Marković", "Jelena Petrović"}, {"Dragan Nikolić", "Milica Đorđević"}, {"Marko Ilić", "Ana Jovanović"}, {"Stefan Pavlović", "Ivana Savić"}, {"Vladimir Lazić", "Tijana Mitić"}, {"Miloš Stanković", "Jovana Ristić"}},
	"XK": {{"Driton Krasniqi", "Vjosa Berisha"}, {"Arianit Gashi", "Drita Morina"}, {"Fatmir Hoti", "Liridona Bytyqi"}, {"Valon Shala", "Arta Kelmendi"}, {"Ilir Zeka", "Donika Hyseni"}, {"Agron Rama", "Fjolla Sylaj"}},
}

var demoNodes = map[string]string{"AL": "al", "BA": "ba", "BA-BIH": "ba", "BA-SRP": "ba", "BA-BRC": "ba", "ME": "me", "MK": "mk", "RS": "rs", "XK": "xk"}

var demoDomains = map[string]string{"AL": "al", "BA": "ba", "ME": "me", "MK": "mk", "RS": "rs", "XK": "xk"}

var demoZones = map[string]string{"AL": "Europe/Tirane", "BA": "Europe/Sarajevo", "ME": "Europe/Podgorica", "MK": "Europe/Skopje", "RS": "Europe/Belgrade", "XK": "Europe/Belgrade"}

var demoLangs = map[string][]string{"AL": {"sq", "en"}, "BA": {"bs", "hr", "sr", "en"}, "ME": {"sr", "en"}, "MK": {"mk", "sq", "en"}, "RS": {"sr", "en"}, "XK": {"sq", "sr", "en"}}

// SeedDemo fills the directory with synthetic contact points for the whole
// region, each owned by its country's node as if replicated from it, so
// every demo node can answer "who do I contact in X for Y". Idempotent.
func (s *Service) SeedDemo(ctx context.Context) error {
	const op = "directory.SeedDemo"
	now := s.clock.Now()
	agencyIDs := map[string]string{}
	inserted := 0
	err := s.st.InTx(ctx, func(tx *store.Tx) error {
		exists := func(table, id string) (bool, error) { return rowExists(ctx, tx, table, id) }
		for _, a := range demoAgencies {
			id := seedID("demo-agency", a.code)
			agencyIDs[a.code] = id
			ok, err := exists("dir_agencies", id)
			if err != nil || ok {
				if err != nil {
					return err
				}
				continue
			}
			in := AgencyInput{Country: a.country, Code: a.code, Name: a.name, LocalName: a.local, Acronym: a.acronym, Type: a.typ, Jurisdiction: a.jurisdiction,
				Sources: []string{"Liaison demo data: institution is real, people and channels are synthetic"}}
			if a.parent != "" {
				in.ParentID = agencyIDs[a.parent]
			}
			if err := s.insertAgency(ctx, tx, id, demoNodes[a.country], in, "", "demo"); err != nil {
				return fmt.Errorf("demo agency %s: %w", a.code, err)
			}
			inserted++
		}
		police := map[string]string{"AL": "al-asp", "BA": "ba-dkpt", "ME": "me-up", "MK": "mk-mvr", "RS": "rs-mup", "XK": "xk-pk"}
		prosecution := map[string]string{"AL": "al-ppp", "BA": "ba-tbih", "ME": "me-vdt", "MK": "mk-jo", "RS": "rs-rjt", "XK": "xk-zpsh"}
		seepag := seedID("mechanism", "SEEPAG")
		for i, c := range []string{"AL", "BA", "ME", "MK", "RS", "XK"} {
			people, dom := demoPeople[c], demoDomains[c]
			roles := []struct {
				role, agency, mech string
				always             bool
			}{
				{"ncu", police[c], "", true},
				{"desk_24_7", police[c], "", true},
				{"prosecutorial_focal_point", prosecution[c], seepag, false},
				{"aro", police[c], "", false},
				{"gbv", police[c], "", false},
				{"firearms", police[c], "", false}, // SEESAC firearms focal point network
			}
			for j, r := range roles {
				id := seedID("demo-contact", c+"/"+r.role)
				ok, err := exists("dir_contact_points", id)
				if err != nil {
					return err
				}
				if ok {
					continue
				}
				mech := r.mech
				if c == "XK" {
					mech = "" // Kosovo is not a SEEPAG participant
				}
				in := ContactPointInput{Country: c, AgencyID: agencyIDs[r.agency], MechanismID: mech, Role: r.role, Title: Label(ContactRoles, r.role),
					HolderName: people[j][0], HolderTitle: "Head of unit", DeputyName: people[j][1], AlwaysOn: r.always, TimeZone: demoZones[c], Languages: demoLangs[c],
					Channels: []Channel{{Kind: "phone", Value: fmt.Sprintf("+000 %d0 555 %02d%02d", i+1, i, j)}, {Kind: "email", Value: r.role + "@" + dom + ".liaison.example"}},
					Notes:    "Synthetic demo entry.", Sources: []string{"Liaison demo data"}}
				if r.always {
					in.Channels = append(in.Channels, Channel{Kind: "secure", Value: "Liaison " + dom + " / " + r.role})
				} else {
					in.Hours = "Mon-Fri 08:00-16:00"
				}
				if in, err = s.cleanContact(ctx, tx, op, in); err != nil {
					return fmt.Errorf("demo contact %s %s: %w", c, r.role, err)
				}
				if err := s.insertContact(ctx, tx, id, demoNodes[c], in, "", "demo"); err != nil {
					return err
				}
				inserted++
				// One contact point per country has not been confirmed for
				// four months, so the staleness flag shows in the demo.
				if r.role == "gbv" {
					if err := setContactConfirmedAt(ctx, tx, id, now.Add(-120*24*time.Hour)); err != nil {
						return err
					}
				}
			}
		}
		// Two clearly marked demo bilateral agreements give the matrix
		// something beyond the multilateral conventions.
		for _, a := range []struct {
			key, owner string
			in         AgreementInput
		}{
			{"demo-rs-me-police", "rs", AgreementInput{Title: "Demo: bilateral police cooperation agreement Serbia – Montenegro", ShortName: "Demo RS–ME police", Types: []string{"police_cooperation", "jit"},
				Parties: []Party{{Country: "RS"}, {Country: "ME"}}, Signed: "2019-04-10", InForce: "2019-11-01", Status: "active", Sources: []string{"Liaison demo data (synthetic)"}}},
			{"demo-al-xk-readmission", "al", AgreementInput{Title: "Demo: readmission agreement Albania – Kosovo", ShortName: "Demo AL–XK readmission", Types: []string{"readmission"},
				Parties: []Party{{Country: "AL"}, {Country: "XK"}}, Signed: "2023-02-15", Status: "declaratory", StatusNote: "Signed, no recorded use", Sources: []string{"Liaison demo data (synthetic)"}}},
		} {
			id := seedID("demo-agreement", a.key)
			ok, err := exists("dir_agreements", id)
			if err != nil {
				return err
			}
			if ok {
				continue
			}
			c, err := s.cleanAgreement(ctx, tx, op, a.in)
			if err != nil {
				return fmt.Errorf("demo agreement %s: %w", a.key, err)
			}
			if err := s.insertAgreement(ctx, tx, id, a.owner, c, "", "demo"); err != nil {
				return err
			}
			inserted++
		}
		if inserted == 0 {
			return nil
		}
		return s.recordTx(ctx, tx, nil, "directory.demo.seed", "directory/demo", fmt.Sprintf("inserted=%d", inserted))
	})
	return dbErr(op, err)
}

package cases

import (
	"context"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
)

// demoActor seeds demo data.
var demoActor = &auth.Principal{Username: "demo-seed", Agency: "demo"}

type demoEntity struct {
	ref  string
	in   EntityInput
	rels [][2]string // type, other ref
}

// SeedDemo stores a few synthetic cases for the demo federation. Some
// persons are known in two countries, spelt in different scripts (Serbian
// Cyrillic in rs, Latin in ba; Albanian in al, Serbian Cyrillic in rs), so
// that a demo hit/no-hit search finds a hit. Seeding is idempotent.
func (s *Service) SeedDemo(ctx context.Context) error {
	person := func(given, family, dob, id, nat, city string) map[string]string {
		f := map[string]string{"given_name": given, "family_name": family, "date_of_birth": dob, "nationality": nat, "city": city}
		if id != "" {
			f["personal_id"] = id
		}
		return f
	}
	var cs []CaseInput
	var es []demoEntity
	var routes [][]string // stops of journeys on the node's demo case, the most recent first
	switch s.d.NodeID {
	case "rs":
		cs = []CaseInput{{Reference: "RS-KT-117/2026", Title: "Кокаин преко луке Бар", CrimeArea: "drugs", OpenedOn: "2026-02-11", Places: []string{"Београд", "Нови Сад"},
			Route: []string{"ME", "RS", "HU"}, ModusOperandi: "hidden compartment in lorry; couriers paid in cash"}}
		es = []demoEntity{
			{"p1", EntityInput{Kind: "person", Fields: person("Ненад", "Јовановић", "1981-06-21", "2106981710040", "RS", "Београд"), Case: "RS-KT-117/2026", Role: "suspect", Aliases: []string{"Неша"}}, [][2]string{{"uses", "v1"}, {"uses", "t1"}}},
			{"p2", EntityInput{Kind: "person", Fields: person("Агрон", "Красничи", "1979-04-02", "", "XK", "Нови Пазар"), Case: "RS-KT-117/2026", Role: "suspect"}, [][2]string{{"travelled_with", "p1"}}},
			{"v1", EntityInput{Kind: "vehicle", Fields: map[string]string{"plate": "BG-1234-AB", "make": "Scania", "model": "R450"}, Case: "RS-KT-117/2026", Role: "object"}, nil},
			{"t1", EntityInput{Kind: "phone", Fields: map[string]string{"number": "+381 63 555 0101"}, Case: "RS-KT-117/2026", Role: "object"}, nil},
		}
		routes = [][]string{{"MEBAR", "MEPOD", "BCP-DOBRAKOVO", "RSBEG", "RSNSA", "BCP-HORGOS"}, {"MEBAR", "MEPOD", "BCP-DOBRAKOVO", "RSBEG", "BCP-HORGOS"},
			{"MEBAR", "MEPOD", "BCP-DOBRAKOVO", "RSBEG", "BCP-BATROVCI"}}
	case "ba":
		cs = []CaseInput{{Reference: "BA-SIPA-2026-17", Title: "Cocaine route Neum – Bijeljina", CrimeArea: "drugs", OpenedOn: "2026-01-20", Places: []string{"Neum", "Bijeljina"},
			Route: []string{"HR", "BA", "RS"}, ModusOperandi: "hidden compartment in lorry; front company for transport"}}
		es = []demoEntity{
			{"p1", EntityInput{Kind: "person", Fields: person("Nenad", "Jovanović", "21.06.1981", "2106981710040", "RS", "Bijeljina"), Case: "BA-SIPA-2026-17", Role: "suspect"}, [][2]string{{"member_of", "o1"}, {"paid", "a1"}}},
			{"p2", EntityInput{Kind: "person", Fields: person("Emir", "Hodžić", "1975-11-30", "", "BA", "Sarajevo"), Case: "BA-SIPA-2026-17", Role: "suspect"}, [][2]string{{"member_of", "o1"}}},
			{"o1", EntityInput{Kind: "organisation", Fields: map[string]string{"name": "Drina Trans d.o.o.", "reg_no": "4402123450008", "country": "BA"}, Case: "BA-SIPA-2026-17", Role: "associate"}, nil},
			{"a1", EntityInput{Kind: "account", Fields: map[string]string{"iban": "BA39 1290 0794 0102 8494", "bank": "UniCredit"}, Case: "BA-SIPA-2026-17", Role: "object"}, nil},
		}
		routes = [][]string{{"BANEU", "BAMOS", "BASJJ", "BCP-ZVORNIK", "RSBEG"}, {"BANEU", "BAMOS", "BASJJ", "BABIJ", "BCP-RACA", "RSBEG"}}
	case "al":
		cs = []CaseInput{{Reference: "AL-DPP-88/2026", Title: "Kanabis drejt Malit të Zi", CrimeArea: "drugs", OpenedOn: "2026-03-05", Places: []string{"Shkodër"},
			Route: []string{"AL", "ME", "BA"}, ModusOperandi: "speedboat across the lake; cash couriers"}}
		es = []demoEntity{
			{"p1", EntityInput{Kind: "person", Fields: person("Agron", "Krasniqi", "1979-04-02", "", "XK", "Shkodër"), Case: "AL-DPP-88/2026", Role: "suspect"}, nil},
			{"p2", EntityInput{Kind: "person", Fields: person("Besnik", "Hoxha", "1988-08-08", "J80808123B", "AL", "Shkodër"), Case: "AL-DPP-88/2026", Role: "suspect"}, [][2]string{{"called", "p1"}}},
		}
		routes = [][]string{{"ALSKU", "BCP-HANIHOTIT", "MEPOD", "BCP-DELEUSA", "BAMOS"}, {"ALSKU", "BCP-SUKOBIN", "MEBAR", "MEPOD", "BCP-DELEUSA", "BAMOS"}}
	case "me":
		cs = []CaseInput{{Reference: "ME-UP-2026-31", Title: "Cigarette smuggling Bar", CrimeArea: "excise_fraud", OpenedOn: "2026-02-02", Places: []string{"Bar"},
			Route: []string{"AL", "ME", "BA"}, ModusOperandi: "containers declared as furniture"}}
		es = []demoEntity{{"p1", EntityInput{Kind: "person", Fields: person("Vuk", "Đukanović", "1983-05-17", "", "ME", "Bar"), Case: "ME-UP-2026-31", Role: "suspect"}, nil}}
	case "mk":
		cs = []CaseInput{{Reference: "MK-OJO-2026-5", Title: "Migrant smuggling Gevgelija", CrimeArea: "migrant_smuggling", OpenedOn: "2026-01-09", Places: []string{"Гевгелија"},
			Route: []string{"GR", "MK", "RS"}, ModusOperandi: "vans at night; forged documents"}}
		es = []demoEntity{{"p1", EntityInput{Kind: "person", Fields: person("Горан", "Стојановски", "1979-12-01", "", "MK", "Куманово"), Case: "MK-OJO-2026-5", Role: "suspect"}, nil}}
		routes = [][]string{{"BCP-BOGORODICA", "MKGEV", "MKSKP", "BCP-TABANOVCE", "RSPRE", "RSBEG", "BCP-HORGOS"}, {"BCP-BOGORODICA", "MKGEV", "MKSKP", "BCP-TABANOVCE", "RSPRE", "RSBEG"},
			{"MKGEV", "MKSKP", "MKKUM", "BCP-TABANOVCE", "RSPRE", "RSINI"}, {"BCP-BOGORODICA", "MKGEV", "MKSKP", "BCP-TABANOVCE", "RSPRE", "RSBEG", "BCP-BATROVCI"}}
	case "xk":
		cs = []CaseInput{{Reference: "XK-PK-2026-44", Title: "Armë zjarri nga Serbia", CrimeArea: "firearms", OpenedOn: "2026-03-01", Places: []string{"Prishtinë"},
			Route: []string{"RS", "XK", "AL"}, ModusOperandi: "weapons hidden in fuel tanks"}}
		es = []demoEntity{{"w1", EntityInput{Kind: "weapon", Fields: map[string]string{"type": "pistol", "make": "Zastava", "model": "CZ99", "serial": "ZC-991234"}, Case: "XK-PK-2026-44", Role: "object"}, nil}}
		routes = [][]string{{"XKPRN", "XKPRZ", "BCP-MORINE", "ALTIA", "ALDRZ"}}
	default:
		return nil
	}
	for _, c := range cs {
		k, err := s.CreateCase(ctx, demoActor, c)
		if err != nil {
			return err
		}
		if err := s.seedDemoRoutes(ctx, k.ID, routes); err != nil {
			return err
		}
	}
	ids := map[string]string{}
	for _, e := range es {
		ent, _, err := s.CreateEntity(ctx, demoActor, e.in)
		if err != nil {
			return err
		}
		ids[e.ref] = ent.ID
	}
	for _, e := range es {
		for _, r := range e.rels {
			if _, err := s.Relate(ctx, demoActor, RelationInput{From: ids[e.ref], To: ids[r[1]], Type: r[0]}); err != nil {
				return err
			}
		}
	}
	return nil
}

// seedDemoRoutes records journeys on a demo case, a fortnight apart
// before today, unless it already has routes.
func (s *Service) seedDemoRoutes(ctx context.Context, caseID string, routes [][]string) error {
	have, err := routesOfCase(ctx, s.d.Store, caseID)
	if err != nil || len(have) > 0 {
		return err
	}
	for i, stops := range routes {
		day := s.now().AddDate(0, 0, -14*(i+1)).Format(time.DateOnly)
		if _, err := s.AddRoute(ctx, demoActor, caseID, RouteInput{TravelledOn: day, Stops: stops, Note: "demo"}); err != nil {
			return err
		}
	}
	return nil
}

package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

var (
	partner = &auth.Principal{Username: "partner", Agency: "eu-delegation", Roles: []auth.Role{auth.RolePartner}}
	ncu     = &auth.Principal{Username: "ncu", Agency: "rs-mup", Roles: []auth.Role{auth.RoleNCUOperator}}
	officer = &auth.Principal{Username: "officer", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
	start   = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
)

type env struct {
	st  *store.Store
	al  *audit.Log
	clk *clock.Fake
	svc *Service
}

func newEnv(t *testing.T, st *store.Store, node string) *env {
	t.Helper()
	ctx := context.Background()
	id, err := identity.LoadOrCreate(t.TempDir(), node, node)
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(start)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	al, err := audit.Open(ctx, st, id, clk, logger)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := directory.New(st, al, clk, logger, node).Seed(ctx); err != nil {
		t.Fatal(err)
	}
	return &env{st: st, al: al, clk: clk, svc: New(Deps{Store: st, Audit: al, Clock: clk, Logger: logger, Node: node})}
}

// Realistic registry content: an EU-funded financial investigations
// training in Serbia, German border equipment in Albania and a forensic IT
// system in Montenegro.
func euFinancial() Input {
	return Input{
		Title:       "Training on financial investigations and asset recovery",
		Description: "Modular training for investigators and prosecutors on parallel financial investigations, tracing and confiscation of criminal assets.",
		Kind:        "training", Implementer: "UNODC", Donor: "European Union (IPA III)", Budget: 450000, Currency: "EUR",
		Countries: []string{"RS"},
		Agencies: []Beneficiary{{Country: "RS", Agency: "Ministry of Interior – Criminal Police Directorate"},
			{Country: "RS", Agency: "Prosecutor's Office for Organised Crime"}},
		Themes: []string{"money_laundering", "organised_crime"}, StartDate: "2027-03-01", EndDate: "2027-09-30",
		ExpectedResults: "120 investigators trained; a national manual on financial investigations",
		Indicators:      []string{"number of parallel financial investigations opened"},
		Beneficiaries:   120, ContactName: "Ana Kovač", ContactEmail: "ana.kovac@unodc.example",
	}
}

func germanBorder() Input {
	return Input{Title: "Equipment for border crossing points", Description: "Thermal cameras and document readers at the green border.",
		Kind: "equipment", Implementer: "GIZ", Donor: "Germany", Budget: 1200000, Currency: "EUR", Countries: []string{"AL"},
		Agencies: []Beneficiary{{Country: "AL", Agency: "State Police – Border and Migration Department"}},
		Themes:   []string{"migrant_smuggling", "border_security"}, StartDate: "2027-01-15", EndDate: "2027-12-31"}
}

func forensicIT() Input {
	return Input{Title: "Forensic laboratory information system", Kind: "it_system", Implementer: "ICITAP", Donor: "United States", Budget: 300000, Currency: "USD",
		Countries: []string{"ME"}, Agencies: []Beneficiary{{Country: "ME", Agency: "Forensic Centre Danilovgrad"}},
		Themes: []string{"organised_crime"}, StartDate: "2027-02-01", EndDate: "2027-11-30"}
}

// usDraft is the draft a second donor prepares, written in Serbian.
func usDraft() Input {
	return Input{Title: "Obuka o finansijskim istragama i oduzimanju imovine",
		Description: "Obuka za policijske službenike i tužioce: finansijske istrage, praćenje novca i oduzimanje imovine stečene kriminalom.",
		Kind:        "training", Implementer: "OPDAT", Donor: "United States (INL)", Budget: 200000, Currency: "USD",
		Countries: []string{"RS"}, Agencies: []Beneficiary{{Country: "RS", Agency: "Ministry of Interior - Criminal Police Directorate"}},
		Themes: []string{"Money laundering"}, StartDate: "2027-05-01", EndDate: "2027-06-30"}
}

func (e *env) published(t *testing.T, in Input) Activity {
	t.Helper()
	ctx := context.Background()
	a, err := e.svc.Create(ctx, partner, in)
	if err != nil {
		t.Fatalf("create %q: %v", in.Title, err)
	}
	a, err = e.svc.Publish(ctx, partner, a.ID, "planned")
	if err != nil {
		t.Fatalf("publish %q: %v", in.Title, err)
	}
	return a
}

func TestOverlapCheckAndPublish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, "selec")
		eu := e.published(t, euFinancial())
		e.published(t, germanBorder())
		e.published(t, forensicIT())

		draft, err := e.svc.Create(ctx, partner, usDraft())
		if err != nil {
			t.Fatal(err)
		}
		if draft.Status != "draft" || draft.Published {
			t.Fatalf("new activity: status %q published %v", draft.Status, draft.Published)
		}
		ovs, err := e.svc.Overlaps(ctx, partner, draft.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ovs) != 1 || ovs[0].Activity.ID != eu.ID {
			t.Fatalf("overlaps: want only the EU training, got %+v", ovs)
		}
		o := ovs[0]
		if o.Score < 0.75 {
			t.Errorf("score %.2f, want a strong overlap", o.Score)
		}
		byFactor := map[string]Factor{}
		for _, f := range o.Factors {
			byFactor[f.Factor] = f
		}
		if f := byFactor["agency"]; f.Score != 1 || !strings.Contains(f.Explanation, "Criminal Police Directorate") {
			t.Errorf("agency factor: %+v", f)
		}
		if f := byFactor["theme"]; f.Score != 1 || !strings.Contains(f.Explanation, "Money laundering") {
			t.Errorf("theme factor: %+v", f)
		}
		if f := byFactor["kind"]; f.Score != 1 {
			t.Errorf("kind factor: %+v", f)
		}
		if f := byFactor["time"]; f.Score < 0.9 || !strings.Contains(f.Explanation, "2027-05-01 to 2027-06-30") {
			t.Errorf("time factor: %+v", f)
		}
		if f := byFactor["text"]; f.Score < 0.5 || !strings.Contains(f.Explanation, "financial") || !strings.Contains(f.Explanation, "training") {
			t.Errorf("text factor (Serbian draft vs English entry): %+v", f)
		}

		// Publishing is refused until the overlap is resolved.
		_, err = e.svc.Publish(ctx, partner, draft.ID, "planned")
		if errs.CodeOf(err) != "unresolved-overlaps" || !strings.Contains(errs.SafeMessage(err), "Training on financial investigations") {
			t.Fatalf("publish with open overlap: %v", err)
		}
		// Proceeding needs a reason.
		if _, err := e.svc.Resolve(ctx, partner, draft.ID, ResolutionInput{With: eu.ID, Decision: "proceed"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("proceed without reason: %v", err)
		}
		// Only an actual overlap can be resolved.
		if _, err := e.svc.Resolve(ctx, partner, draft.ID, ResolutionInput{With: "nope", Decision: "coordinate"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("resolve a non-overlap: %v", err)
		}
		if _, err := e.svc.Resolve(ctx, officer, draft.ID, ResolutionInput{With: eu.ID, Decision: "coordinate"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer resolves: %v", err)
		}
		d2, err := e.svc.Resolve(ctx, partner, draft.ID, ResolutionInput{With: eu.ID, Decision: "coordinate", Reason: "Agreed with UNODC: our course covers prosecutors only, from June."})
		if err != nil {
			t.Fatal(err)
		}
		if len(d2.Resolutions) != 1 || d2.Resolutions[0].Decision != "coordinate" || d2.Resolutions[0].By != "partner" {
			t.Fatalf("resolutions: %+v", d2.Resolutions)
		}
		pub, err := e.svc.Publish(ctx, partner, draft.ID, "planned")
		if err != nil {
			t.Fatal(err)
		}
		if !pub.Published || pub.Status != "planned" || pub.Version != d2.Version+1 {
			t.Fatalf("published: %+v", pub)
		}
		// The resolution stays visible with the overlap.
		ovs, _ = e.svc.Overlaps(ctx, officer, draft.ID)
		if len(ovs) != 1 || ovs[0].Resolution == nil || ovs[0].Resolution.Decision != "coordinate" {
			t.Fatalf("overlap after publishing: %+v", ovs)
		}
		// Every change is audited: queued in the outbox, which the log drains.
		if _, err := e.al.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		entries, err := audit.List(ctx, st, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, en := range entries {
			seen[en.Action] = true
		}
		for _, a := range []string{"activities.create", "activities.resolve", "activities.publish"} {
			if !seen[a] {
				t.Errorf("no audit entry %s", a)
			}
		}
	})
}

func TestMergeWithdrawsDraft(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, "selec")
		eu := e.published(t, euFinancial())
		d, err := e.svc.Create(ctx, partner, usDraft())
		if err != nil {
			t.Fatal(err)
		}
		d, err = e.svc.Resolve(ctx, partner, d.ID, ResolutionInput{With: eu.ID, Decision: "merge", Reason: "Funds added to the EU action"})
		if err != nil {
			t.Fatal(err)
		}
		if d.MergedInto != eu.ID || d.Status != "cancelled" {
			t.Fatalf("after merge: %+v", d)
		}
		if _, err := e.svc.Publish(ctx, partner, d.ID, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("publish merged draft: %v", err)
		}
		// Drafts are not visible to other users, nor in the public list.
		if _, err := e.svc.Get(ctx, officer, d.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("officer reads draft: %v", err)
		}
		list, _ := e.svc.List(ctx, officer, Filter{Drafts: true})
		if len(list) != 1 {
			t.Fatalf("public list: %d", len(list))
		}
	})
}

func TestNoOverlapAcrossCountriesOrYears(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, "selec")
		e.published(t, euFinancial())
		in := usDraft()
		in.Countries, in.Agencies = []string{"MK"}, []Beneficiary{{Country: "MK", Agency: "Ministry of Interior"}}
		ovs, err := e.svc.Check(ctx, partner, in)
		if err != nil || len(ovs) != 0 {
			t.Fatalf("other country: %v %+v", err, ovs)
		}
		in = usDraft()
		in.StartDate, in.EndDate = "2029-01-01", "2029-03-01"
		if ovs, err := e.svc.Check(ctx, partner, in); err != nil || len(ovs) != 0 {
			t.Fatalf("two years later: %v %+v", err, ovs)
		}
		// Same agency and theme but an equipment delivery, in Albanian: still
		// shown, with a lower score than the training.
		in = Input{Title: "Pajisje për hetimet financiare", Kind: "equipment", Implementer: "ICITAP", Donor: "United States",
			Countries: []string{"RS"}, Agencies: []Beneficiary{{Country: "RS", Agency: "Ministry of Interior – Criminal Police Directorate"}},
			Themes: []string{"money_laundering"}, StartDate: "2027-04-01", EndDate: "2027-04-30"}
		ovs, err = e.svc.Check(ctx, partner, in)
		if err != nil || len(ovs) != 1 {
			t.Fatalf("equipment: %v %+v", err, ovs)
		}
		if ovs[0].Score >= 0.9 {
			t.Errorf("equipment vs training scored %.2f", ovs[0].Score)
		}
	})
}

func TestValidation(t *testing.T) {
	st := storetest.SQLite(t)
	ctx := context.Background()
	e := newEnv(t, st, "selec")
	cases := []struct {
		mut  func(*Input)
		want string
	}{
		{func(i *Input) { i.Title = " " }, "title is required"},
		{func(i *Input) { i.Kind = "picnic" }, "kind"},
		{func(i *Input) { i.Currency = "XYZ" }, "currency"},
		{func(i *Input) { i.Countries = []string{"QQ"}; i.Agencies = nil }, "unknown country"},
		{func(i *Input) { i.Themes = []string{"fishing"} }, "theme list"},
		{func(i *Input) { i.EndDate = "2026-01-01" }, "before start_date"},
		{func(i *Input) { i.StartDate = "31.02.2027" }, "start_date"},
		{func(i *Input) { i.ContactEmail = "not-an-address" }, "contact_email"},
		{func(i *Input) { i.Documents = []Document{{URL: "javascript:alert(1)"}} }, "http"},
	}
	for _, c := range cases {
		in := euFinancial()
		c.mut(&in)
		_, err := e.svc.Create(ctx, partner, in)
		if !errs.Is(err, errs.Invalid) || !strings.Contains(errs.SafeMessage(err), c.want) {
			t.Errorf("want %q, got %v", c.want, err)
		}
	}
	// Themes and kinds may be written in the region's languages.
	in := euFinancial()
	in.Kind, in.Themes, in.StartDate = "Obuka", []string{"Pranje novca"}, "01.03.2027"
	a, err := e.svc.Create(ctx, partner, in)
	if err != nil {
		t.Fatal(err)
	}
	if a.Kind != "training" || a.Themes[0] != "money_laundering" || a.StartDate != "2027-03-01" {
		t.Fatalf("resolved: %s %v %s", a.Kind, a.Themes, a.StartDate)
	}
	if _, err := e.svc.Create(ctx, officer, euFinancial()); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("officer creates: %v", err)
	}
}

func TestReplicationHandler(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, "rs")
		remote := fromInput(Activity{ID: "0193aaaa-0000-7000-8000-000000000001", OwnerNode: "al", Version: 3, Status: "planned", Published: true,
			CreatedAt: start, UpdatedAt: start}, germanBorder())
		deliver := func(from string, a Activity) {
			t.Helper()
			payload, _ := json.Marshal(Publication{Kind: "activity", Activity: &a})
			err := st.InTx(ctx, func(tx *store.Tx) error {
				return e.svc.handle(ctx, tx, federation.Incoming{Envelope: federation.Envelope{ID: "x", From: from, Type: TypePublish, Payload: payload}})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		deliver("al", remote)
		got, err := e.svc.Get(ctx, officer, remote.ID)
		if err != nil || got.Version != 3 || got.OwnerNode != "al" {
			t.Fatalf("replicated: %+v %v", got, err)
		}
		// An older version does not overwrite a newer one.
		old := remote
		old.Version, old.Title = 2, "Old title"
		deliver("al", old)
		// Another node cannot publish al's entry.
		forged := remote
		forged.Version, forged.Title, forged.OwnerNode = 9, "Forged", "al"
		deliver("me", forged)
		got, _ = e.svc.Get(ctx, officer, remote.ID)
		if got.Title != remote.Title || got.Version != 3 {
			t.Fatalf("stale or forged publication applied: %+v", got)
		}
		newer := remote
		newer.Version, newer.Status = 4, "ongoing"
		deliver("al", newer)
		got, _ = e.svc.Get(ctx, officer, remote.ID)
		if got.Version != 4 || got.Status != "ongoing" {
			t.Fatalf("newer version not applied: %+v", got)
		}
		// The local node cannot change it.
		in := germanBorder()
		in.Version = 4
		if _, err := e.svc.Update(ctx, partner, remote.ID, in); errs.CodeOf(err) != "not-owner" {
			t.Fatalf("update of a peer's entry: %v", err)
		}
	})
}

func TestNeedsBelongToTheCountryNode(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, "rs")
		n, err := e.svc.CreateNeed(ctx, ncu, NeedInput{Country: "RS", Agency: "Criminal Police Directorate", Theme: "cybercrime", Priority: 1,
			Title: "Digital forensics capacity", Description: "No certified lab for mobile devices outside Belgrade"})
		if err != nil {
			t.Fatal(err)
		}
		if n.Status != "open" || n.OwnerNode != "rs" {
			t.Fatalf("need: %+v", n)
		}
		if _, err := e.svc.CreateNeed(ctx, ncu, NeedInput{Country: "AL", Theme: "drugs", Priority: 2, Title: "x"}); errs.CodeOf(err) != "not-owner" {
			t.Fatalf("need for another country: %v", err)
		}
		if _, err := e.svc.CreateNeed(ctx, partner, NeedInput{Country: "RS", Theme: "drugs", Priority: 2, Title: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("partner declares a need: %v", err)
		}
		list, err := e.svc.Needs(ctx, officer, "RS", "")
		if err != nil || len(list) != 1 {
			t.Fatalf("needs: %v %+v", err, list)
		}
	})
}

func TestTextSimilarityAcrossLanguages(t *testing.T) {
	en := "Training on financial investigations"
	for _, other := range []string{"Obuka o finansijskim istragama", "Обука о финансијским истрагама", "Trajnim për hetimet financiare", "Обука за финансиски истраги"} {
		s, shared := TextSimilarity(en, "", other, "")
		if s < 0.9 {
			t.Errorf("%q vs %q: %.2f (%v)", en, other, s, shared)
		}
	}
	if s, _ := TextSimilarity(en, "", "Thermal cameras for the green border", ""); s > 0.2 {
		t.Errorf("unrelated titles scored %.2f", s)
	}
}

func TestSeedDemo(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, storetest.SQLite(t), "selec")
	if err := e.svc.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SeedDemo(ctx); err != nil { // idempotent
		t.Fatal(err)
	}
	all, err := e.svc.List(ctx, partner, Filter{Drafts: true})
	if err != nil || len(all) != len(demoActivities)+2 {
		t.Fatalf("seeded %d activities: %v", len(all), err)
	}
	var draft Activity
	for _, a := range all {
		if !a.Published {
			draft = a
		}
	}
	ovs, err := e.svc.Overlaps(ctx, partner, draft.ID)
	if err != nil || len(ovs) == 0 || ovs[0].Resolution != nil {
		t.Fatalf("demo draft should have an open overlap: %v %+v", err, ovs)
	}
	g, err := e.svc.Gap(ctx, officer, 2027)
	if err != nil || g.Activities != len(demoActivities)+1 || len(g.ByYear) == 0 {
		t.Fatalf("gap: %v %+v", err, g)
	}
	rs := newEnv(t, storetest.SQLite(t), "rs")
	if err := rs.svc.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	needs, _ := rs.svc.Needs(ctx, officer, "RS", "")
	if len(needs) != len(demoNeeds["RS"]) {
		t.Fatalf("rs needs: %+v", needs)
	}
}

func TestImportXLSXAndCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, "selec")
		x := excelize.NewFile()
		rows := [][]any{
			{"Titulli", "Lloji", "Donatori", "Zbatuesi", "Shteti", "Institucioni", "Temat", "Fillimi", "Mbarimi", "Buxheti", "Monedha", "Koment"},
			{"Trajnim për hetimin financiar", "trajnim", "EU", "UNODC", "AL", "State Police", "Money laundering", "2027-03-01", "2027-05-31", "250.000", "EUR", "ok"},
			{"Pajisje për kufirin", "pajisje", "Germany", "GIZ", "AL", "Border Police", "Border security", "2027-01-01", "2026-12-31", "1000", "EUR", ""},
			{},
			{"", "training", "Norway", "NPD", "ZZ", "x", "drugs", "2027-01-01", "2027-02-01", "", "", ""},
		}
		for i, r := range rows {
			cell, _ := excelize.CoordinatesToCellName(1, i+1)
			_ = x.SetSheetRow("Sheet1", cell, &r)
		}
		var b bytes.Buffer
		_ = x.Write(&b)
		rep, err := e.svc.Import(ctx, partner, "xlsx", b.Bytes(), true)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows != 3 || rep.Valid != 1 || len(rep.Created) != 0 || len(rep.Errors) != 2 {
			t.Fatalf("dry run: %+v", rep)
		}
		if rep.Errors[0].Row != 3 || rep.Errors[0].Column != "Mbarimi" || !strings.Contains(rep.Errors[0].Message, "before start_date") {
			t.Errorf("row 3: %+v", rep.Errors[0])
		}
		if rep.Errors[1].Row != 5 || rep.Errors[1].Column != "Titulli" {
			t.Errorf("row 5: %+v", rep.Errors[1])
		}
		if len(rep.Ignored) != 1 || rep.Ignored[0] != "Koment" {
			t.Errorf("ignored: %v", rep.Ignored)
		}
		rep, err = e.svc.Import(ctx, partner, "xlsx", b.Bytes(), false)
		if err != nil || len(rep.Created) != 1 {
			t.Fatalf("import: %v %+v", err, rep)
		}
		a, _ := e.svc.Get(ctx, partner, rep.Created[0])
		if a.Kind != "training" || a.Budget != 250000 || a.Themes[0] != "money_laundering" || a.Agencies[0].Country != "AL" || a.Published {
			t.Fatalf("imported: %+v", a)
		}
		// A file without the required columns says which are missing.
		rep, err = e.svc.Import(ctx, partner, "csv", []byte("name,amount\nx,1\n"), true)
		if err != nil || len(rep.Errors) == 0 || rep.Errors[0].Row != 1 {
			t.Fatalf("missing columns: %v %+v", err, rep)
		}
		if _, err := e.svc.Import(ctx, partner, "xlsx", []byte("not a workbook"), true); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad xlsx: %v", err)
		}
		// Export round trip: the CSV export imports again.
		e.published(t, euFinancial())
		body, _, _, err := e.svc.Export(ctx, officer, "csv", Filter{})
		if err != nil {
			t.Fatal(err)
		}
		rep, err = e.svc.Import(ctx, partner, "csv", body, true)
		if err != nil || rep.Valid != 1 || len(rep.Errors) != 0 {
			t.Fatalf("re-import of export: %v %+v", err, rep)
		}
	})
}

func TestRoundsEventsPracticesGap(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st, "rs")
		admin := &auth.Principal{Username: "admin", Agency: "rs-mup", Roles: []auth.Role{auth.RoleAdmin}}
		cyber, err := e.svc.CreateNeed(ctx, ncu, NeedInput{Country: "RS", Theme: "cybercrime", Priority: 2, Title: "Mobile forensics"})
		if err != nil {
			t.Fatal(err)
		}
		aml, _ := e.svc.CreateNeed(ctx, ncu, NeedInput{Country: "RS", Theme: "money_laundering", Priority: 1, Title: "Financial investigators"})
		e.published(t, euFinancial())
		r, err := e.svc.OpenRound(ctx, admin, RoundInput{Title: "Priorities 2027"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.svc.CastVote(ctx, officer, r.ID, VoteInput{NeedID: cyber.ID, Points: 5}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer votes: %v", err)
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(e.svc.CastVote(ctx, ncu, r.ID, VoteInput{NeedID: cyber.ID, Points: 5, Comment: "No lab outside Belgrade"}))
		must(e.svc.CastVote(ctx, partner, r.ID, VoteInput{NeedID: cyber.ID, Points: 4}))
		must(e.svc.CastVote(ctx, partner, r.ID, VoteInput{NeedID: aml.ID, Points: 2}))
		must(e.svc.CastVote(ctx, partner, r.ID, VoteInput{NeedID: aml.ID, Points: 3})) // replaces
		res, err := e.svc.Result(ctx, partner, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.List[0].Need.ID != cyber.ID || res.List[0].Total != 9 || res.List[1].Total != 3 || len(res.List[0].Votes) != 2 || res.List[0].Votes[0].Comment != "No lab outside Belgrade" {
			t.Fatalf("result: %+v", res.List)
		}
		// Votes and comments are for participants.
		res, _ = e.svc.Result(ctx, officer, r.ID)
		if len(res.List[0].Votes) != 0 || res.List[0].Total != 9 {
			t.Fatalf("officer sees: %+v", res.List[0])
		}
		must(e.svc.CloseRound(ctx, admin, r.ID))
		if err := e.svc.CastVote(ctx, partner, r.ID, VoteInput{NeedID: aml.ID, Points: 1}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("vote after close: %v", err)
		}

		if _, err := e.svc.CreateEvent(ctx, partner, EventInput{Title: "Regional workshop on mobile forensics", Kind: "training", StartDate: "2027-04-10", Country: "RS", City: "Novi Sad",
			Themes: []string{"cybercrime"}, Participants: []Participation{{Country: "RS", Agency: "MUP", Count: 7}, {Country: "ME", Agency: "UP", Count: 3}}}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreatePractice(ctx, partner, PracticeInput{Title: "Trafficking in human beings: early victim identification at border crossings", Language: "en",
			Summary: "Checklist of indicators used by joint patrols.", Themes: []string{"thb"}}); err != nil {
			t.Fatal(err)
		}
		// The library is searchable across languages.
		for _, q := range []string{"trgovina ljudima", "трговина људима", "trafficking"} {
			ps, err := e.svc.Practices(ctx, officer, q)
			if err != nil || len(ps) != 1 {
				t.Errorf("search %q: %v %d", q, err, len(ps))
			}
		}
		g, err := e.svc.Gap(ctx, officer, 2027)
		if err != nil {
			t.Fatal(err)
		}
		var rsRow Row
		for _, row := range g.Countries {
			if row.Key == "RS" {
				rsRow = row
			}
		}
		cell := func(theme string) Cell {
			for _, c := range rsRow.Cells {
				if c.Theme == theme {
					return c
				}
			}
			return Cell{}
		}
		if c := cell("cybercrime"); !c.Gap || c.Needs != 1 || c.Participants != 7 || c.TopPriority != 2 {
			t.Errorf("cybercrime cell: %+v", c)
		}
		if c := cell("money_laundering"); c.Gap || c.Activities != 1 || c.FundingEUR != 225000 {
			t.Errorf("money laundering cell: %+v", c)
		}
		if len(g.UnmetNeeds) != 1 || g.UnmetNeeds[0].ID != cyber.ID {
			t.Errorf("unmet: %+v", g.UnmetNeeds)
		}
		if len(g.Agencies) != 2 {
			t.Errorf("agency rows: %+v", g.Agencies)
		}
	})
}

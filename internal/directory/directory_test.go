package directory_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

var (
	admin   = &auth.Principal{Username: "admin", Agency: "rs-mup", Roles: []auth.Role{auth.RoleAdmin}}
	officer = &auth.Principal{Username: "officer", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
	start   = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
)

type env struct {
	st  *store.Store
	al  *audit.Log
	clk *clock.Fake
	svc *directory.Service
}

// newEnv opens a seeded directory for node on a fresh database.
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
	svc := directory.New(st, al, clk, logger, node)
	if _, err := svc.Seed(ctx); err != nil {
		t.Fatalf("seed: %v", err)
	}
	return &env{st: st, al: al, clk: clk, svc: svc}
}

// sibling is the directory of another node sharing the database, which is
// how a replicated record from a peer looks locally.
func (e *env) sibling(node string) *directory.Service {
	return directory.New(e.st, e.al, e.clk, slog.New(slog.NewTextHandler(io.Discard, nil)), node)
}

func wantKind(t *testing.T, err error, kind errs.Kind, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %v error containing %q, got nil", kind, msg)
	}
	if errs.KindOf(err) != kind || !strings.Contains(errs.SafeMessage(err), msg) {
		t.Fatalf("want %v error containing %q, got %v: %q", kind, msg, errs.KindOf(err), errs.SafeMessage(err))
	}
}

func mupInput() directory.AgencyInput {
	return directory.AgencyInput{Country: "RS", Code: "rs-mup", Name: "Ministry of Interior", LocalName: "Министарство унутрашњих послова", Acronym: "MUP", Type: "police", Languages: []string{"sr"}}
}

func TestSeedIsIdempotentAndKeepsLocalEdits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "pccsee")
		ctx := context.Background()
		ref, err := directory.Reference()
		if err != nil {
			t.Fatal(err)
		}
		rep, err := e.svc.Seed(ctx)
		if err != nil || rep.Inserted != 0 || rep.Updated != 0 {
			t.Fatalf("second seed changed data: %+v %v", rep, err)
		}
		ms, err := e.svc.Mechanisms(ctx, officer, "", "")
		if err != nil || len(ms) != len(ref.Mechanisms) {
			t.Fatalf("mechanisms %d want %d: %v", len(ms), len(ref.Mechanisms), err)
		}
		for _, code := range []string{"RCC", "SELEC", "SEPCA", "PCCSEE", "JPCC-TREBINJE", "SEEPAG", "SEESAC", "MARRI", "RAI", "IISG", "WBCTi", "WBCSCi", "WBBSi", "HF"} {
			m, err := e.svc.Mechanism(ctx, officer, code)
			if err != nil {
				t.Fatalf("mechanism %s: %v", code, err)
			}
			if len(m.Sources) == 0 || m.Purpose == "" || len(m.Members) == 0 || m.Founded == 0 {
				t.Errorf("mechanism %s is incomplete: %+v", code, m)
			}
		}
		wbcti, _ := e.svc.Mechanism(ctx, officer, "WBCTi")
		iisg, _ := e.svc.Mechanism(ctx, officer, "IISG")
		if wbcti.ParentID != iisg.ID {
			t.Errorf("WBCTi parent %q want IISG %q", wbcti.ParentID, iisg.ID)
		}
		// The PCC SEE node edits its own mechanism; a later seed keeps the edit.
		pcc, _ := e.svc.Mechanism(ctx, officer, "PCCSEE")
		if err := e.svc.SetStatus(ctx, admin, "mechanism", pcc.ID, "active", "Expert working group met in October"); err != nil {
			t.Fatal(err)
		}
		// Regional reference data is not editable by any node.
		rcc, _ := e.svc.Mechanism(ctx, officer, "RCC")
		wantKind(t, e.svc.SetStatus(ctx, admin, "mechanism", rcc.ID, "dormant", ""), errs.Forbidden, "seed file")
		// A newer seed file changes both; only the unedited one follows.
		for i := range ref.Mechanisms {
			ref.Mechanisms[i].Purpose += " (revised)"
		}
		rep, err = directory.SeedWith(ctx, e.svc, ref)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Updated != len(ref.Mechanisms)-1 || rep.KeptLocal != 1 {
			t.Fatalf("reseed report %+v", rep)
		}
		pcc2, _ := e.svc.Mechanism(ctx, officer, "PCCSEE")
		rcc2, _ := e.svc.Mechanism(ctx, officer, "RCC")
		if strings.HasSuffix(pcc2.Purpose, "(revised)") || pcc2.StatusNote != "Expert working group met in October" || pcc2.Seeded {
			t.Errorf("local edit overwritten: %+v", pcc2)
		}
		if !strings.HasSuffix(rcc2.Purpose, "(revised)") || rcc2.Version != rcc.Version+1 || !rcc2.Seeded {
			t.Errorf("seed update not applied: %+v", rcc2)
		}
	})
}

func TestCountries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "rs")
		ctx := context.Background()
		cs, err := e.svc.Countries(ctx, officer)
		if err != nil {
			t.Fatal(err)
		}
		if cs[0].Kind != "participant" || len(cs) < 40 {
			t.Fatalf("countries: %d first %+v", len(cs), cs[0])
		}
		for _, tc := range []struct{ in, want string }{
			{"rs", "RS"}, {"Србија", "RS"}, {"Kosova", "XK"}, {"Crna Gora", "ME"}, {"Brcko distrikt", "BA-BRC"}, {"Северна Македонија", "MK"}, {"BiH", "BA"},
		} {
			c, err := e.svc.ResolveCountry(ctx, tc.in)
			if err != nil || c.Code != tc.want {
				t.Errorf("ResolveCountry(%q) = %q, %v; want %s", tc.in, c.Code, err, tc.want)
			}
		}
		_, err = e.svc.ResolveCountry(ctx, "Atlantis")
		wantKind(t, err, errs.NotFound, "no country matches")
	})
}

func TestAgencyValidationAndOwnership(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "rs")
		ctx := context.Background()
		mup, err := e.svc.CreateAgency(ctx, admin, mupInput())
		if err != nil {
			t.Fatal(err)
		}
		if mup.OwnerNode != "rs" || mup.Version != 1 || mup.ID == "" {
			t.Fatalf("created %+v", mup)
		}
		for _, tc := range []struct {
			name string
			edit func(*directory.AgencyInput)
			kind errs.Kind
			msg  string
		}{
			{"duplicate name in other script", func(in *directory.AgencyInput) { in.Code = "rs-mup2"; in.Name = "MINISTRY OF INTERIOR" }, errs.Conflict, `an agency named "Ministry of Interior" already exists in RS`},
			{"duplicate code", func(in *directory.AgencyInput) { in.Name = "Border Police Administration" }, errs.Conflict, `code "rs-mup" is already used`},
			{"no name", func(in *directory.AgencyInput) { in.Code = "rs-x"; in.Name = " " }, errs.Invalid, "name is required"},
			{"bad code", func(in *directory.AgencyInput) { in.Code = "RS MUP!" }, errs.Invalid, "code must be"},
			{"unknown type", func(in *directory.AgencyInput) { in.Code = "rs-x"; in.Type = "militia" }, errs.Invalid, `agency type "militia" is not known`},
			{"unknown country", func(in *directory.AgencyInput) { in.Code = "rs-x"; in.Country = "ZZ" }, errs.Invalid, `unknown country code "ZZ"`},
			{"other node's country", func(in *directory.AgencyInput) { in.Code = "me-up"; in.Name = "Police Directorate"; in.Country = "ME" }, errs.Forbidden, "maintained by node me"},
			{"missing parent", func(in *directory.AgencyInput) { in.Code = "rs-x"; in.Name = "X"; in.ParentID = "nope" }, errs.Invalid, "parent agency does not exist"},
			{"bad language", func(in *directory.AgencyInput) { in.Code = "rs-x"; in.Name = "X"; in.Languages = []string{"Serbian"} }, errs.Invalid, "language"},
			{"bad website", func(in *directory.AgencyInput) { in.Code = "rs-x"; in.Name = "X"; in.Website = "javascript:alert(1)" }, errs.Invalid, "website must start"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := mupInput()
				tc.edit(&in)
				_, err := e.svc.CreateAgency(ctx, admin, in)
				wantKind(t, err, tc.kind, tc.msg)
			})
		}
		// Type aliases in the local language resolve.
		bp := mupInput()
		bp.Code, bp.Name, bp.LocalName, bp.Type, bp.ParentID = "rs-ugp", "Border Police Administration", "Управа граничне полиције", "granicna policija", mup.ID
		border, err := e.svc.CreateAgency(ctx, admin, bp)
		if err != nil || border.Type != "border_police" || border.ParentID != mup.ID {
			t.Fatalf("border police: %+v %v", border, err)
		}
		_, err = e.svc.CreateAgency(ctx, officer, bp)
		wantKind(t, err, errs.Forbidden, "role")

		// Montenegro's node owns Montenegro's agencies; Serbia's admin cannot edit them.
		me := e.sibling("me")
		up, err := me.CreateAgency(ctx, admin, directory.AgencyInput{Country: "ME", Code: "me-up", Name: "Police Directorate", LocalName: "Uprava policije", Type: "police"})
		if err != nil {
			t.Fatal(err)
		}
		in := directory.AgencyInput{Country: "ME", Code: "me-up", Name: "Police Administration", Type: "police"}
		_, err = e.svc.UpdateAgency(ctx, admin, up.ID, in)
		wantKind(t, err, errs.Forbidden, "maintained by node me")
		// Optimistic concurrency: an edit based on an old version is refused.
		in.Version = up.Version
		up2, err := me.UpdateAgency(ctx, admin, up.ID, in)
		if err != nil || up2.Version != 2 || up2.Name != "Police Administration" {
			t.Fatalf("update: %+v %v", up2, err)
		}
		_, err = me.UpdateAgency(ctx, admin, up.ID, in)
		wantKind(t, err, errs.Conflict, "someone else changed")

		list, err := e.svc.Agencies(ctx, officer, directory.AgencyFilter{Country: "RS"})
		if err != nil || len(list) != 2 {
			t.Fatalf("RS agencies %d %v", len(list), err)
		}
		// Every change and read was audited, denials too. Changes queue
		// their entries in the outbox, which the log drains.
		if _, err := e.al.Drain(ctx); err != nil {
			t.Fatal(err)
		}
		es, err := audit.List(ctx, e.st, audit.Filter{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, x := range es {
			seen[x.Action+"/"+x.Outcome] = true
		}
		for _, want := range []string{"directory.agency.create/ok", "directory.agency.update/ok", "directory.edit/denied", "directory.agency.list/ok"} {
			if !seen[want] {
				t.Errorf("no audit entry %s in %v", want, seen)
			}
		}
	})
}

func cpInput(agencyID string) directory.ContactPointInput {
	return directory.ContactPointInput{Country: "RS", AgencyID: agencyID, Role: "asset recovery office", HolderName: "Jelena Petrović", HolderTitle: "Head of ARO",
		DeputyName: "Marko Ilić", Hours: "Mon-Fri 07:30-15:30", TimeZone: "Europe/Belgrade", Languages: []string{"sr", "en"},
		Channels: []directory.Channel{{Kind: "phone", Value: "+381 11 000 0000"}, {Kind: "email", Value: "aro@example.rs"}}}
}

func TestContactPointsLookupStalenessAndHandover(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "rs")
		ctx := context.Background()
		mup, err := e.svc.CreateAgency(ctx, admin, mupInput())
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			edit func(*directory.ContactPointInput)
			msg  string
		}{
			{"no holder", func(in *directory.ContactPointInput) { in.HolderName = "" }, "needs a current holder"},
			{"no channel", func(in *directory.ContactPointInput) { in.Channels = nil }, "at least one channel"},
			{"bad e-mail", func(in *directory.ContactPointInput) {
				in.Channels = []directory.Channel{{Kind: "email", Value: "nobody"}}
			}, "not an e-mail address"},
			{"no hours", func(in *directory.ContactPointInput) { in.Hours = "" }, "office hours"},
			{"bad zone", func(in *directory.ContactPointInput) { in.TimeZone = "Mars/Olympus" }, "time zone"},
			{"unknown role", func(in *directory.ContactPointInput) { in.Role = "astrologer" }, `role "astrologer" is not known`},
			{"deputy is holder", func(in *directory.ContactPointInput) { in.DeputyName = "JELENA PETROVIC" }, "different person"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := cpInput(mup.ID)
				tc.edit(&in)
				_, err := e.svc.CreateContactPoint(ctx, admin, in)
				wantKind(t, err, errs.Invalid, tc.msg)
			})
		}
		aro, err := e.svc.CreateContactPoint(ctx, admin, cpInput(mup.ID))
		if err != nil {
			t.Fatal(err)
		}
		if aro.Role != "aro" || aro.Stale || aro.AgencyName != "Ministry of Interior" {
			t.Fatalf("created %+v", aro)
		}
		ncuIn := cpInput(mup.ID)
		ncuIn.Role, ncuIn.HolderName, ncuIn.DeputyName, ncuIn.AlwaysOn, ncuIn.Hours = "ncu", "Dragan Nikolić", "", true, ""
		ncu, err := e.svc.CreateContactPoint(ctx, admin, ncuIn)
		if err != nil {
			t.Fatal(err)
		}

		// "Who do I contact in Serbia for asset recovery now?", in any script.
		for _, q := range [][2]string{{"RS", "aro"}, {"Србија", "Asset recovery office"}, {"srbija", "confiscation"}} {
			res, err := e.svc.Lookup(ctx, officer, q[0], q[1])
			if err != nil || len(res.Contacts) != 1 || res.Contacts[0].Holder.Name != "Jelena Petrović" || res.Fallback {
				t.Fatalf("lookup %v: %+v %v", q, res, err)
			}
		}
		// Nobody holds the JIT role: the NCU is offered instead.
		res, err := e.svc.Lookup(ctx, officer, "RS", "jit")
		if err != nil || !res.Fallback || len(res.Contacts) != 1 || res.Contacts[0].ID != ncu.ID {
			t.Fatalf("fallback lookup: %+v %v", res, err)
		}
		res, err = e.svc.Lookup(ctx, officer, "XK", "aro")
		if err != nil || len(res.Contacts) != 0 || !strings.Contains(res.Message, "no national contact unit") {
			t.Fatalf("empty lookup: %+v %v", res, err)
		}
		_, err = e.svc.Lookup(ctx, officer, "RS", "horoscope")
		wantKind(t, err, errs.Invalid, "not known")

		// 91 days without confirmation: flagged; confirming clears the flag.
		e.clk.Advance(91 * 24 * time.Hour)
		stale, err := e.svc.ContactPoints(ctx, officer, directory.ContactFilter{StaleOnly: true})
		if err != nil || len(stale) != 2 || !stale[0].Stale {
			t.Fatalf("stale: %d %v", len(stale), err)
		}
		if _, err := e.svc.ConfirmContactPoint(ctx, officer, aro.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer confirmed: %v", err)
		}
		c, err := e.svc.ConfirmContactPoint(ctx, admin, aro.ID)
		if err != nil || c.Stale {
			t.Fatalf("confirm: %+v %v", c, err)
		}

		// Handover validation.
		for _, tc := range []struct {
			in   directory.HandoverInput
			kind errs.Kind
			msg  string
		}{
			{directory.HandoverInput{}, errs.Invalid, "cannot be left without a holder"},
			{directory.HandoverInput{ToHolder: "jelena petrovic"}, errs.Invalid, "already holds"},
			{directory.HandoverInput{ToHolder: "Ana Jovanović", EffectiveFrom: "2020-01-01"}, errs.Invalid, "cannot start in the past"},
			{directory.HandoverInput{ToHolder: "Ana Jovanović", EffectiveFrom: "2027-02-30"}, errs.Invalid, "not a real calendar date"},
			{directory.HandoverInput{ToHolder: "Ana Jovanović", ToDeputy: "Ana Jovanovic"}, errs.Invalid, "different person"},
		} {
			_, err := e.svc.Handover(ctx, admin, aro.ID, tc.in)
			wantKind(t, err, tc.kind, tc.msg)
		}
		_, err = e.svc.Handover(ctx, officer, aro.ID, directory.HandoverInput{ToHolder: "Ana Jovanović"})
		wantKind(t, err, errs.Forbidden, "role")

		// Open items held by other modules follow the role.
		work := &fakeWork{open: 3}
		e.svc.RegisterWorkSource("exchange", work)

		// A dated handover is pending until its day, then takes effect on read.
		day := e.clk.Now().Add(10 * 24 * time.Hour).Format("2006-01-02")
		h, err := e.svc.Handover(ctx, admin, aro.ID, directory.HandoverInput{ToHolder: "Ana Jovanović", ToHolderTitle: "Head of ARO", EffectiveFrom: day,
			Reason: "Jelena Petrović moves to the prosecution service", OpenItems: []string{"Letter to ME ARO on vessel seizure", ""}})
		if err != nil || h.State != directory.HandoverScheduled || len(h.OpenItems) != 1 {
			t.Fatalf("scheduled: %+v %v", h, err)
		}
		c, err = e.svc.ContactPoint(ctx, officer, aro.ID)
		if err != nil || c.Holder.Name != "Jelena Petrović" || c.Pending == nil || c.Pending.To.Name != "Ana Jovanović" {
			t.Fatalf("pending: %+v %v", c, err)
		}
		_, err = e.svc.Handover(ctx, admin, aro.ID, directory.HandoverInput{ToHolder: "Someone Else"})
		wantKind(t, err, errs.Conflict, "already scheduled")
		e.clk.Advance(10 * 24 * time.Hour)
		res, err = e.svc.Lookup(ctx, officer, "RS", "aro")
		if err != nil || res.Contacts[0].Holder.Name != "Ana Jovanović" || res.Contacts[0].Deputy.Name != "Marko Ilić" || res.Contacts[0].Pending != nil {
			t.Fatalf("after handover day: %+v %v", res.Contacts, err)
		}
		if work.calls != 1 || work.from != "Jelena Petrović" || work.to != "Ana Jovanović" {
			t.Fatalf("work source: %+v", work)
		}
		// The deputy takes over at once: the deputy post becomes vacant.
		h, err = e.svc.Handover(ctx, admin, aro.ID, directory.HandoverInput{ToHolder: "Marko Ilić"})
		if err != nil || h.State != directory.HandoverDone || h.Reassigned != 3 {
			t.Fatalf("immediate: %+v %v", h, err)
		}
		c, _ = e.svc.ContactPoint(ctx, officer, aro.ID)
		if c.Holder.Name != "Marko Ilić" || c.Deputy.Name != "" || c.HolderSince != directory.Day(e.clk.Now().Format("2006-01-02")) {
			t.Fatalf("after deputy took over: %+v", c)
		}
		hs, err := e.svc.Handovers(ctx, officer, aro.ID)
		if err != nil || len(hs) != 2 || hs[0].To.Name != "Marko Ilić" {
			t.Fatalf("history: %+v %v", hs, err)
		}
		// A search finds people in roles in either script.
		hits, err := e.svc.Search(ctx, officer, "Марко Илић", 10)
		if err != nil || len(hits) != 1 || hits[0].Kind != "contact_point" {
			t.Fatalf("search person: %+v %v", hits, err)
		}
	})
}

type fakeWork struct {
	open, calls int
	from, to    string
}

func (f *fakeWork) OpenItems(context.Context, string) (int, error) { return f.open, nil }
func (f *fakeWork) Reassign(_ context.Context, _ string, from, to string) (int, error) {
	f.calls++
	f.from, f.to = from, to
	return f.open, nil
}

func TestAgreementsAndMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "rs")
		ctx := context.Background()
		base := directory.AgreementInput{Title: "Agreement between Serbia and Montenegro on police cooperation", Types: []string{"police_cooperation"},
			Parties: []directory.Party{{Country: "RS"}, {Country: "ME"}}, Signed: "2019-03-01", InForce: "2019-09-01", Sources: []string{"Official Gazette"}}
		for _, tc := range []struct {
			name string
			edit func(*directory.AgreementInput)
			kind errs.Kind
			msg  string
		}{
			{"in force before signature", func(in *directory.AgreementInput) { in.InForce = "2018-12-31" }, errs.Invalid, "cannot enter into force (2018-12-31) before it was signed (2019-03-01)"},
			{"ratified before signature", func(in *directory.AgreementInput) { in.Ratified = "2019-01-01" }, errs.Invalid, "cannot be ratified"},
			{"in force without signature", func(in *directory.AgreementInput) { in.Signed = "" }, errs.Invalid, "must have a signature date"},
			{"bad date", func(in *directory.AgreementInput) { in.Signed = "1.3.2019" }, errs.Invalid, "YYYY-MM-DD"},
			{"one party", func(in *directory.AgreementInput) { in.Parties = in.Parties[:1] }, errs.Invalid, "at least two parties"},
			{"bilateral with three", func(in *directory.AgreementInput) { in.Parties = append(in.Parties, directory.Party{Country: "BA"}) }, errs.Invalid, "exactly two parties"},
			{"party twice", func(in *directory.AgreementInput) { in.Parties[1].Country = "rs" }, errs.Invalid, "listed twice"},
			{"no type", func(in *directory.AgreementInput) { in.Types = nil }, errs.Invalid, "at least one type"},
			{"not a party", func(in *directory.AgreementInput) { in.Parties = []directory.Party{{Country: "ME"}, {Country: "AL"}} }, errs.Forbidden, "its own country is party"},
			{"duplicate seed title", func(in *directory.AgreementInput) {
				in.Title = "European Convention on Extradition"
				in.Multilateral = true
			}, errs.Conflict, "already registered"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := base
				in.Parties = append([]directory.Party(nil), base.Parties...)
				tc.edit(&in)
				_, err := e.svc.CreateAgreement(ctx, admin, in)
				wantKind(t, err, tc.kind, tc.msg)
			})
		}
		a, err := e.svc.CreateAgreement(ctx, admin, base)
		if err != nil {
			t.Fatal(err)
		}
		pending := base
		pending.Title, pending.Types, pending.InForce = "Agreement between Serbia and Montenegro on readmission", []string{"readmission"}, ""
		if _, err := e.svc.CreateAgreement(ctx, admin, pending); err != nil {
			t.Fatal(err)
		}
		m, err := e.svc.Matrix(ctx, officer, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Countries) != 6 {
			t.Fatalf("matrix countries %d", len(m.Countries))
		}
		names := func(row, col string) map[string]string {
			out := map[string]string{}
			for _, it := range m.Cell(row, col).Items {
				out[it.Name] = it.State
			}
			return out
		}
		rsme := names("RS", "ME")
		if rsme[a.Title] != directory.StateInForce || rsme["Agreement between Serbia and Montenegro on readmission"] != directory.StateSigned ||
			rsme["PCC SEE"] != directory.StateInForce || rsme["CoE MLA Convention (ETS 30)"] != directory.StateInForce {
			t.Errorf("RS-ME cell: %v", rsme)
		}
		// Kosovo is not a party to the Council of Europe or UN conventions.
		if xk := names("RS", "XK"); len(xk) != 0 {
			t.Errorf("RS-XK cell: %v", xk)
		}
		m, err = e.svc.Matrix(ctx, officer, "extradition", []string{"AT"})
		if err != nil || len(m.Countries) != 7 {
			t.Fatalf("matrix with AT: %v", err)
		}
		for _, it := range m.Cell("AL", "AT").Items {
			if !strings.Contains(it.Name, "Extradition") && !strings.Contains(it.Name, "UNTOC") {
				t.Errorf("type filter let through %s", it.Name)
			}
		}
		_, err = e.svc.Matrix(ctx, officer, "", []string{"ZZ"})
		wantKind(t, err, errs.Invalid, "unknown country")

		list, err := e.svc.Agreements(ctx, officer, "XK", "")
		if err != nil || len(list) != 0 {
			t.Fatalf("XK agreements %d %v", len(list), err)
		}
	})
}

func TestImplementationRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "rs")
		ctx := context.Background()
		sel, _ := e.svc.Mechanism(ctx, officer, "SELEC")
		im, err := e.svc.Implementation(ctx, officer, "mechanism", sel.ID)
		if err != nil || !im.NoData || len(im.Indicators) != len(directory.UsageModules) || !im.Indicators[0].NoData || im.Suggested != "" {
			t.Fatalf("empty record: %+v %v", im, err)
		}
		for _, tc := range []struct {
			in  directory.ActivityInput
			msg string
		}{
			{directory.ActivityInput{Kind: "party", OccurredOn: "2026-10-01"}, "not known"},
			{directory.ActivityInput{Kind: "training"}, "date of the activity is required"},
			{directory.ActivityInput{Kind: "training", OccurredOn: "2027-01-01"}, "in the future"},
			{directory.ActivityInput{Kind: "training", OccurredOn: "2026-10-01", Count: -3}, "between 1 and 100000"},
		} {
			_, err := e.svc.AddActivity(ctx, admin, "mechanism", sel.ID, tc.in)
			wantKind(t, err, errs.Invalid, tc.msg)
		}
		if _, err := e.svc.AddActivity(ctx, officer, "mechanism", sel.ID, directory.ActivityInput{Kind: "training", OccurredOn: "2026-10-01"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("officer added activity: %v", err)
		}
		if _, err := e.svc.AddActivity(ctx, admin, "mechanism", sel.ID, directory.ActivityInput{Kind: "joint_operation", Count: 4, OccurredOn: "2026-09-15", Note: "Operation on cocaine route"}); err != nil {
			t.Fatal(err)
		}
		e.svc.RegisterUsageSource("exchange", usageFunc(func(kind, id string) directory.Usage {
			return directory.Usage{Requests: 12, LastActivity: "2026-10-30"}
		}))
		im, err = e.svc.Implementation(ctx, officer, "mechanism", "SELEC")
		if err != nil {
			t.Fatal(err)
		}
		if im.NoData || im.Totals.Requests != 12 || im.Totals.JointOperations != 4 || im.Totals.LastActivity != "2026-10-30" || im.Suggested != "active" || len(im.Manual) != 1 {
			t.Fatalf("record: %+v", im)
		}
		_, err = e.svc.Implementation(ctx, officer, "treaty", sel.ID)
		wantKind(t, err, errs.Invalid, "agreement or mechanism")
	})
}

type usageFunc func(kind, id string) directory.Usage

func (f usageFunc) Usage(_ context.Context, kind, id string) (directory.Usage, error) {
	return f(kind, id), nil
}

func TestSearchAcrossScripts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "rs")
		ctx := context.Background()
		if _, err := e.svc.CreateAgency(ctx, admin, mupInput()); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			q, kind, title string
		}{
			{"министарство унутрашњих", "agency", "Ministry of Interior"},
			{"Ministarstvo unutrasnjih poslova", "agency", "Ministry of Interior"},
			{"MUP", "agency", "Ministry of Interior"},
			{"selec", "mechanism", "Southeast European Law Enforcement Center"},
			{"SECI", "mechanism", "Southeast European Law Enforcement Center"},
			{"Spai", "mechanism", "Regional Anti-corruption Initiative"},
			{"Брчко", "country", "Brčko District of Bosnia and Herzegovina"},
			{"palermo", "agreement", "United Nations Convention against Transnational Organized Crime"},
			{"small arms", "mechanism", "South Eastern and Eastern Europe Clearinghouse for the Control of Small Arms and Light Weapons"},
		} {
			hits, err := e.svc.Search(ctx, officer, tc.q, 20)
			if err != nil {
				t.Fatalf("%q: %v", tc.q, err)
			}
			found := false
			for _, h := range hits {
				found = found || (h.Kind == tc.kind && h.Title == tc.title)
			}
			if !found {
				t.Errorf("search %q: no %s %q in %+v", tc.q, tc.kind, tc.title, hits)
			}
		}
		hits, err := e.svc.Search(ctx, officer, "100%_", 20)
		if err != nil || len(hits) != 0 {
			t.Fatalf("wildcards matched: %+v %v", hits, err)
		}
		_, err = e.svc.Search(ctx, officer, "  ", 20)
		wantKind(t, err, errs.Invalid, "at least one word")
	})
}

func TestSeedDemo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st, "me")
		ctx := context.Background()
		for range 2 {
			if err := e.svc.SeedDemo(ctx); err != nil {
				t.Fatal(err)
			}
		}
		all, err := e.svc.ContactPoints(ctx, officer, directory.ContactFilter{})
		if err != nil || len(all) != 36 {
			t.Fatalf("demo contact points %d %v", len(all), err)
		}
		// SEESAC's network: a firearms focal point in every country.
		fa, err := e.svc.ContactPoints(ctx, officer, directory.ContactFilter{Role: "firearms"})
		if err != nil || len(fa) != 6 {
			t.Fatalf("demo firearms focal points %d %v", len(fa), err)
		}
		res, err := e.svc.Lookup(ctx, officer, "Kosova", "prosecutorial focal point")
		if err != nil || len(res.Contacts) != 1 || res.Contacts[0].OwnerNode != "xk" || res.Contacts[0].MechanismID != "" {
			t.Fatalf("XK focal point: %+v %v", res, err)
		}
		stale, _ := e.svc.ContactPoints(ctx, officer, directory.ContactFilter{StaleOnly: true})
		if len(stale) != 6 {
			t.Fatalf("stale demo entries %d", len(stale))
		}
		// The Montenegrin node may hand over its own contact points only.
		if _, err := e.svc.Handover(ctx, admin, res.Contacts[0].ID, directory.HandoverInput{ToHolder: "Someone"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("ME handed over an XK contact point: %v", err)
		}
		me, _ := e.svc.Lookup(ctx, officer, "ME", "ncu")
		if _, err := e.svc.Handover(ctx, admin, me.Contacts[0].ID, directory.HandoverInput{ToHolder: "Someone Else"}); err != nil {
			t.Fatal(err)
		}
		// A snapshot publishes only this node's own records.
		snap, err := e.svc.Snapshot(ctx)
		if err != nil || len(snap.ContactPoints) != 6 || len(snap.Agencies) != 4 || snap.Owner != "me" {
			t.Fatalf("snapshot: %d contacts, %d agencies, %v", len(snap.ContactPoints), len(snap.Agencies), err)
		}
	})
}

func TestReplicationBetweenNodes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		me := newEnv(t, st, "me")
		rs := newEnv(t, storetest.SQLite(t), "rs") // the peer has its own database
		up, err := me.svc.CreateAgency(ctx, admin, directory.AgencyInput{Country: "ME", Code: "me-up", Name: "Police Directorate", LocalName: "Uprava policije", Type: "police"})
		if err != nil {
			t.Fatal(err)
		}
		in := directory.ContactPointInput{Country: "ME", AgencyID: up.ID, Role: "aro", HolderName: "Dejan Mugoša", Hours: "Mon-Fri 07:00-15:00",
			Channels: []directory.Channel{{Kind: "email", Value: "aro@up.example"}}}
		cp, err := me.svc.CreateContactPoint(ctx, admin, in)
		if err != nil {
			t.Fatal(err)
		}
		snap, err := me.svc.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := rs.svc.ApplySnapshot(ctx, "me", snap)
		if err != nil || rep.Inserted != 2 || len(rep.Refused) != 0 {
			t.Fatalf("first apply: %+v %v", rep, err)
		}
		res, err := rs.svc.Lookup(ctx, officer, "Crna Gora", "asset recovery")
		if err != nil || len(res.Contacts) != 1 || res.Contacts[0].OwnerNode != "me" || res.Contacts[0].AgencyName != "Police Directorate" {
			t.Fatalf("replicated lookup: %+v %v", res, err)
		}
		// Serbia's administrators cannot change Montenegro's record.
		_, err = rs.svc.Handover(ctx, admin, cp.ID, directory.HandoverInput{ToHolder: "Intruder"})
		wantKind(t, err, errs.Forbidden, "maintained by node me")
		// Re-applying is idempotent; a newer version replaces the old one.
		if rep, _ := rs.svc.ApplySnapshot(ctx, "me", snap); rep.Current != 2 || rep.Inserted+rep.Updated != 0 {
			t.Fatalf("re-apply: %+v", rep)
		}
		if _, err := me.svc.Handover(ctx, admin, cp.ID, directory.HandoverInput{ToHolder: "Marina Perović"}); err != nil {
			t.Fatal(err)
		}
		snap2, _ := me.svc.Snapshot(ctx)
		if rep, _ := rs.svc.ApplySnapshot(ctx, "me", snap2); rep.Updated != 1 || rep.Current != 1 {
			t.Fatalf("update apply: %+v", rep)
		}
		if rep, _ := rs.svc.ApplySnapshot(ctx, "me", snap); rep.Current != 2 {
			t.Fatalf("an older snapshot must not roll back: %+v", rep)
		}
		got, _ := rs.svc.ContactPoint(ctx, officer, cp.ID)
		if got.Holder.Name != "Marina Perović" {
			t.Fatalf("replicated holder %q", got.Holder.Name)
		}
		// A node cannot publish another country's entries, nor pose as another node.
		forged := snap2
		forged.Agencies = []directory.Agency{{ID: "0190f000-0000-7000-8000-000000000001", Country: "RS", Code: "rs-fake", Name: "Fake Ministry", Type: "police", Meta: directory.Meta{OwnerNode: "me", Version: 1}}}
		forged.ContactPoints = nil
		rep, err = rs.svc.ApplySnapshot(ctx, "me", forged)
		if err != nil || len(rep.Refused) != 1 || !strings.Contains(rep.Refused[0], "not the authority for RS") {
			t.Fatalf("forged: %+v %v", rep, err)
		}
		_, err = rs.svc.ApplySnapshot(ctx, "al", snap2)
		wantKind(t, err, errs.Invalid, `snapshot is of node "me" but came from "al"`)
		_, err = rs.svc.ApplySnapshot(ctx, "rs", snap2)
		wantKind(t, err, errs.Invalid, "its own records")
	})
}

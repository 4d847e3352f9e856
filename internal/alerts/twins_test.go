package alerts_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/entity"
	"github.com/liaison-wb/liaison/internal/identity"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/match/synth"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// register is one node's alert register for the scoring tests: the
// drafts given plus n synthetic alerted persons bulk loaded, and a
// register model fitted on all their persons.
type register struct {
	deps    alerts.Deps
	officer *auth.Principal
	model   *match.Model
}

func newRegister(t *testing.T, opts store.Options, seed uint64, n int, drafts []alerts.AlertDraft) register {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t, opts)
	node, err := identity.LoadOrCreate(t.TempDir(), "rs", "Serbia")
	if err != nil {
		t.Fatal(err)
	}
	lg := slog.New(slog.DiscardHandler)
	al, err := audit.Open(ctx, st, node, clock.System{}, lg)
	if err != nil {
		t.Fatal(err)
	}
	var sample []entity.Person
	person := func(given, family, dob string) {
		sample = append(sample, match.PersonFromFields(map[string]string{match.ColGiven: given, match.ColFamily: family, match.ColDOB: dob}, "RS"))
	}
	for _, d := range drafts {
		person(d.Person.GivenName, d.Person.FamilyName, d.Person.DateOfBirth)
	}
	g := synth.New(seed)
	for i := 0; i < n; i++ {
		idn := g.Identity()
		drafts = append(drafts, alerts.AlertDraft{Kind: alerts.KindCheck, Person: &alerts.WantedPerson{GivenName: idn.Given, FamilyName: idn.Family, DateOfBirth: idn.DOB.String()},
			Action: "Report.", Reason: "Synthetic.", Authority: "Court", WarrantRef: "S-" + strconv.Itoa(i)})
		person(idn.Given, idn.Family, idn.DOB.String())
	}
	deps := alerts.Deps{Store: st, Audit: al, Logger: lg, NodeID: "rs", Region: "RS"}
	console := &auth.Principal{Username: "console", Agency: "rs-ncu", Roles: []auth.Role{auth.RoleNCUOperator}, Console: true}
	if err := alerts.New(deps, alerts.Config{}).BulkLoad(ctx, console, drafts); err != nil {
		t.Fatal(err)
	}
	return register{deps: deps, model: match.FitRegister(sample, 50000, 1),
		officer: &auth.Principal{Username: "officer", Agency: "rs-police", Roles: []auth.Role{auth.RoleOfficer}}}
}

// checker is a fresh service (its index built from the database) that
// scores with model.
func (r register) checker(model *match.Model) *alerts.Service {
	d := r.deps
	d.Model = func(context.Context) (*match.Model, error) { return model, nil }
	return alerts.New(d, alerts.Config{})
}

// Two alerts the check cannot tell apart (the same name and date of birth,
// other nationalities and numbers) do not share out one probability
// between them so that neither is a HIT: the person checked is one of
// them, and both are reported as HITs. An alert of the same name with
// another date of birth stays out.
func TestAlertsTheCheckCannotTellApartAreBothHits(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			r := newRegister(t, b.Options(t), 5, 2000, []alerts.AlertDraft{
				{Kind: alerts.KindArrest, Person: &alerts.WantedPerson{GivenName: "Arta", FamilyName: "Berisha", DateOfBirth: "1984-10-08", Sex: "f", Nationalities: []string{"AL"}, NationalIDs: []string{"I46008135C"}},
					Action: "Arrest.", Reason: "Warrant.", Authority: "Court", WarrantRef: "K-A"},
				{Kind: alerts.KindCheck, Person: &alerts.WantedPerson{GivenName: "Arta", FamilyName: "Berisha", DateOfBirth: "1984-10-08", Sex: "f", Nationalities: []string{"XK"}, NationalIDs: []string{"1278720587"}},
					Action: "Report.", Reason: "Inquiry.", Authority: "Court", WarrantRef: "K-B"},
				{Kind: alerts.KindCheck, Person: &alerts.WantedPerson{GivenName: "Arta", FamilyName: "Berisha", DateOfBirth: "1979-03-21", Sex: "f"},
					Action: "Report.", Reason: "Inquiry.", Authority: "Court", WarrantRef: "K-C"},
			})
			res, err := r.checker(r.model).Check(context.Background(), r.officer, "Arta Berisha 08.10.1984", "border check")
			if err != nil {
				t.Fatal(err)
			}
			if !res.Hit || !res.Certain {
				t.Fatalf("check of a name and date two alerts carry: hit %v, certain %v, matches %+v", res.Hit, res.Certain, res.Matches)
			}
			hits := map[string]bool{}
			for _, m := range res.Matches {
				if m.Person != nil && m.Certain {
					hits[m.WarrantRef] = true
				}
				if m.WarrantRef == "K-C" && m.Certain {
					t.Errorf("the namesake born in 1979 is a HIT: %+v", m)
				}
			}
			if !hits["K-A"] || !hits["K-B"] {
				t.Errorf("HITs %v, want both alerts born 1984-10-08", hits)
			}
		})
	}
}

// A name of the check that is only similar to the alert's and is itself
// a name of the register (Šarić checked, Marić alerted) is another
// person's name, not a typing error: a possible hit, never a HIT. A typo
// the register does not hold (Maruć) is still a HIT.
func TestAnotherKnownNameIsAPossibleHitNotAHit(t *testing.T) {
	r := newRegister(t, storetest.Backends()[0].Options(t), 7, 2000, []alerts.AlertDraft{
		{Kind: alerts.KindArrest, Person: &alerts.WantedPerson{GivenName: "Mirjana", FamilyName: "Marić", DateOfBirth: "1978-06-26", Sex: "f"},
			Action: "Arrest.", Reason: "Warrant.", Authority: "Court", WarrantRef: "K-M"},
		{Kind: alerts.KindCheck, Person: &alerts.WantedPerson{GivenName: "Dragan", FamilyName: "Šarić", DateOfBirth: "1961-01-13", Sex: "m"},
			Action: "Report.", Reason: "Inquiry.", Authority: "Court", WarrantRef: "K-S"},
	})
	svc := r.checker(r.model)
	for _, tt := range []struct {
		query   string
		certain bool
	}{
		{"Mirjana Marić 26.06.1978", true},
		{"Mirjana Maruć 26.06.1978", true},
		{"Mirjana Šarić 26.06.1978", false},
	} {
		res, err := svc.Check(context.Background(), r.officer, tt.query, "border check")
		if err != nil {
			t.Fatal(err)
		}
		var found *alerts.CheckMatch
		for i := range res.Matches {
			if res.Matches[i].WarrantRef == "K-M" {
				found = &res.Matches[i]
			}
		}
		switch {
		case found == nil:
			t.Errorf("%s: the alert on Mirjana Marić is not listed: %+v", tt.query, res.Matches)
		case found.Certain != tt.certain || res.Certain != tt.certain:
			t.Errorf("%s: HIT %v (result %v), want %v; score %.3f", tt.query, found.Certain, res.Certain, tt.certain, found.Score)
		}
	}
}

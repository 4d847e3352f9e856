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
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// A node's checks weigh with the model fitted on its case database (or on
// a sample), whose prior is that of another register. The scores of a
// check must be those of the register of alerts searched: the same
// whatever prior the model came with.
func TestCheckScoresUseTheAlertRegistersPrior(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, storetest.Backends()[0].Options(t))
	node, err := identity.LoadOrCreate(t.TempDir(), "rs", "Serbia")
	if err != nil {
		t.Fatal(err)
	}
	lg := slog.New(slog.DiscardHandler)
	al, err := audit.Open(ctx, st, node, clock.System{}, lg)
	if err != nil {
		t.Fatal(err)
	}
	console := &auth.Principal{Username: "console", Agency: "rs-ncu", Roles: []auth.Role{auth.RoleNCUOperator}, Console: true}
	officer := &auth.Principal{Username: "officer", Agency: "rs-police", Roles: []auth.Role{auth.RoleOfficer}}
	g := synth.New(3)
	var sample []entity.Person
	drafts := []alerts.AlertDraft{{Kind: alerts.KindArrest, Person: &alerts.WantedPerson{GivenName: "Jelena", FamilyName: "Jovanović", DateOfBirth: "1957-01-06", Sex: "f"},
		Action: "Arrest.", Reason: "Warrant.", Authority: "Court", WarrantRef: "K-0"}}
	for i := 1; i < 3000; i++ {
		idn := g.Identity()
		drafts = append(drafts, alerts.AlertDraft{Kind: alerts.KindCheck, Person: &alerts.WantedPerson{GivenName: idn.Given, FamilyName: idn.Family, DateOfBirth: idn.DOB.String()},
			Action: "Report.", Reason: "Synthetic.", Authority: "Court", WarrantRef: "K-" + strconv.Itoa(i)})
		sample = append(sample, match.PersonFromFields(map[string]string{match.ColGiven: idn.Given, match.ColFamily: idn.Family, match.ColDOB: idn.DOB.String()}, "RS"))
	}
	fitted := match.FitRegister(sample, 50000, 1)
	loader := alerts.New(alerts.Deps{Store: st, Audit: al, Logger: lg, NodeID: "rs", Region: "RS"}, alerts.Config{})
	if err := loader.BulkLoad(ctx, console, drafts); err != nil {
		t.Fatal(err)
	}
	var want float64
	for i, prior := range []float64{match.RegisterPrior(len(drafts)), match.RegisterPrior(5_000_000), 0.01} {
		model := fitted.WithPrior(prior)
		svc := alerts.New(alerts.Deps{Store: st, Audit: al, Logger: lg, NodeID: "rs", Region: "RS",
			Model: func(context.Context) (*match.Model, error) { return model, nil }}, alerts.Config{})
		res, err := svc.Check(ctx, officer, "Jelena Jovanović 06.01.1957", "border check")
		if err != nil || !res.Certain || res.Matches[0].Person.FamilyName != "Jovanović" {
			t.Fatalf("model prior %g: %+v %v", prior, res, err)
		}
		if got := res.Matches[0].Score; i == 0 {
			want = got
		} else if got != want {
			t.Errorf("model prior %g: score %.6f, with the register's prior %.6f", prior, got, want)
		}
	}
	if fitted.Prior != match.RegisterPrior(len(sample)) {
		t.Errorf("WithPrior changed the model it copied: prior %g", fitted.Prior)
	}
}

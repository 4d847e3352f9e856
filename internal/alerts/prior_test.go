package alerts_test

import (
	"context"
	"testing"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/match"
	"github.com/liaison-wb/liaison/internal/store/storetest"
)

// A node's checks weigh with the model fitted on its case database (or on
// a sample), whose prior is that of another register. The scores of a
// check must be those of the register of alerts searched: the same
// whatever prior the model came with.
func TestCheckScoresUseTheAlertRegistersPrior(t *testing.T) {
	const synthetic = 2999
	r := newRegister(t, storetest.Backends()[0].Options(t), 3, synthetic, []alerts.AlertDraft{{Kind: alerts.KindArrest,
		Person: &alerts.WantedPerson{GivenName: "Jelena", FamilyName: "Jovanović", DateOfBirth: "1957-01-06", Sex: "f"},
		Action: "Arrest.", Reason: "Warrant.", Authority: "Court", WarrantRef: "K-0"}})
	fitted := r.model
	fittedPrior := fitted.Prior
	var want float64
	for i, prior := range []float64{match.RegisterPrior(synthetic + 1), match.RegisterPrior(5_000_000), 0.01} {
		res, err := r.checker(fitted.WithPrior(prior)).Check(context.Background(), r.officer, "Jelena Jovanović 06.01.1957", "border check")
		if err != nil || !res.Certain || res.Matches[0].Person.FamilyName != "Jovanović" {
			t.Fatalf("model prior %g: %+v %v", prior, res, err)
		}
		if got := res.Matches[0].Score; i == 0 {
			want = got
		} else if got != want {
			t.Errorf("model prior %g: score %.6f, with the register's prior %.6f", prior, got, want)
		}
	}
	if fitted.Prior != fittedPrior {
		t.Errorf("WithPrior changed the model it copied: prior %g, was %g", fitted.Prior, fittedPrior)
	}
}

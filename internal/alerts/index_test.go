package alerts_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/match/synth"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// A copy received from the issuer enters the in-memory index of the
// receiving node once committed, a check finds it there, and after the
// issuer withdraws it the check no longer does.
func TestCheckFindsReplicatedAlertThroughTheIndexUntilWithdrawn(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		p := setup(t, c)
		// Built before the copy arrives: the copy must come in through the
		// index's update after commit, not through a build.
		st, err := p.me.Alerts.WarmIndex(ctx)
		if err != nil || !st.Ready || st.Live != 0 {
			t.Fatalf("index before: %+v %v", st, err)
		}
		d := arrestDraft("me")
		d.Object = nil
		a := publish(t, p, d)
		if st := p.me.Alerts.IndexStats(); !st.Ready || st.Live != 1 || st.Postings == 0 {
			t.Fatalf("index after the copy arrived: %+v", st)
		}
		for _, q := range []string{"Marko Petrović 12.03.1985", "Петровић Марко 1985-03-12", "012345678"} {
			res, err := p.me.Alerts.Check(ctx, p.mePol, q, "border check")
			if err != nil || !res.Hit || res.Matches[0].AlertID != a.ID || !res.Matches[0].Certain || res.Matches[0].Band != "high" {
				t.Fatalf("check %q: %+v %v", q, res, err)
			}
		}
		if _, err := p.rs.Alerts.End(ctx, p.rsPros, a.ID, alerts.StatusWithdrawn, "Warrant revoked by the court."); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "withdrawal on me", wait, func() bool {
			got, _ := p.me.Alerts.Get(ctx, p.meNCU, a.ID)
			return got.Status == alerts.StatusWithdrawn
		})
		if st := p.me.Alerts.IndexStats(); st.Live != 0 {
			t.Fatalf("index after the withdrawal: %+v", st)
		}
		for _, q := range []string{"Marko Petrović 12.03.1985", "012345678"} {
			if res, err := p.me.Alerts.Check(ctx, p.mePol, q, "border check"); err != nil || res.Hit {
				t.Fatalf("check %q after the withdrawal: %+v %v", q, res, err)
			}
		}
	})
}

// BenchmarkAlertCheck measures one check (parse, index lookup, scoring,
// read-back, audit) against 20,000 alerts in force on SQLite.
func BenchmarkAlertCheck(b *testing.B) {
	ctx := context.Background()
	n := testutil.Start(b, testutil.Options{NodeID: "rs", Store: storetest.Backends()[0].Options(b)})
	console := &auth.Principal{Username: "console", Agency: "rs-ncu", Roles: []auth.Role{auth.RoleNCUOperator}, Console: true}
	officer := &auth.Principal{Username: "officer", Agency: "rs-police", Roles: []auth.Role{auth.RoleOfficer}}
	g := synth.New(1)
	var queries []string
	var drafts []alerts.AlertDraft
	for i := 0; i < 20000; i++ {
		idn := g.Identity()
		drafts = append(drafts, alerts.AlertDraft{Kind: alerts.KindCheck, Person: &alerts.WantedPerson{GivenName: idn.Given, FamilyName: idn.Family, DateOfBirth: idn.DOB.String()},
			Action: "Report.", Reason: "Synthetic.", Authority: "Bench", WarrantRef: "K-" + strconv.Itoa(i)})
		if i%40 == 0 {
			queries = append(queries, fmt.Sprintf("%s %s %s", idn.Family, idn.Given, idn.DOB.String()))
			o := g.Identity()
			queries = append(queries, fmt.Sprintf("%s %s %s", o.Given, o.Family, o.DOB.String()))
		}
		if len(drafts) == 5000 {
			if err := n.Alerts.BulkLoad(ctx, console, drafts); err != nil {
				b.Fatal(err)
			}
			drafts = drafts[:0]
		}
	}
	if _, err := n.Alerts.WarmIndex(ctx); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if _, err := n.Alerts.Check(ctx, officer, queries[i%len(queries)], "benchmark"); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

package assets_test

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/assets"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func start(t *testing.T, b storetest.Backend, clk clock.Clock, ids ...string) map[string]*testutil.Node {
	t.Helper()
	out := map[string]*testutil.Node{}
	var ns []*testutil.Node
	for _, id := range ids {
		n := testutil.Start(t, testutil.Options{NodeID: id, Store: b.Options(t), Clock: clk, Config: func(c *config.Config) { c.InsecureFederation = true }})
		out[id] = n
		ns = append(ns, n)
	}
	if len(ns) > 1 {
		testutil.PeerAll(t, ns...)
	}
	return out
}

func user(t *testing.T, n *testutil.Node, name, agency string, roles ...auth.Role) *auth.Principal {
	t.Helper()
	ctx := context.Background()
	if _, err := n.Auth.CreateUser(ctx, nil, auth.NewUser{Username: name, DisplayName: name, Agency: agency, Roles: roles, Password: testutil.Password}); err != nil {
		t.Fatal(err)
	}
	sess, err := n.Auth.Login(ctx, auth.LoginInput{Username: name, Password: testutil.Password})
	if err != nil {
		t.Fatal(err)
	}
	return sess.Principal
}

func eachBackend(t *testing.T, fn func(t *testing.T, b storetest.Backend)) {
	storetest.EachBackend(t, fn)
}

func TestStepTransitions(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		clk := clock.NewFake(time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
		n := start(t, b, clk, "rs")["rs"]
		off := user(t, n, "aro-officer", "rs-aro", auth.RoleOfficer)
		an := user(t, n, "aro-analyst", "rs-aro", auth.RoleAnalyst)
		if _, err := n.Cases.CreateCase(ctx, off, cases.CaseInput{Reference: "RS-KTO-117/26", Title: "Port of Bar cocaine"}); err != nil {
			t.Fatal(err)
		}
		newAsset := func(kind string) assets.NewAsset {
			return assets.NewAsset{Kind: kind, Description: "Apartment, Bulevar oslobođenja 12, Novi Sad", Identifier: "KO Novi Sad 1234/5", Country: "rs",
				Person: "Marko Marković", CaseRef: "RS-KTO-117/26", Value: "185,000", Currency: "eur",
				First: assets.StepInput{Step: "traced", Date: "2026-01-15", Authority: "ARO Serbia"}}
		}
		if _, err := n.Assets.Create(ctx, an, newAsset("real_estate")); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("analyst registers an asset: %v", err)
		}
		bad := newAsset("real_estate")
		bad.CaseRef = "NO-SUCH-CASE"
		if _, err := n.Assets.Create(ctx, off, bad); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown case: %v", err)
		}
		a, err := n.Assets.Create(ctx, off, newAsset("real_estate"))
		if err != nil {
			t.Fatal(err)
		}
		if a.Step != assets.StepTraced || a.ValueCents != 18500000 || a.Country != "RS" || a.Currency != "EUR" || len(a.History) != 1 {
			t.Fatalf("created: %+v", a)
		}
		// Invalid skip: traced → confiscated without a freeze or seizure.
		_, err = n.Assets.RecordStep(ctx, off, a.ID, assets.StepInput{Step: "confiscated", Date: "2026-06-01", Authority: "Higher Court Novi Sad", DecisionRef: "K-55/26"})
		if errs.CodeOf(err) != "step-skipped" {
			t.Fatalf("traced → confiscated without freeze: %v", err)
		}
		// Valid path: frozen, then confiscated, managed, disposed.
		steps := []assets.StepInput{
			{Step: "frozen", Date: "2026-02-01", Authority: "Higher Court Novi Sad", DecisionRef: "Kpp-12/26"},
			{Step: "confiscated", Date: "2026-09-01", Authority: "Higher Court Novi Sad", DecisionRef: "K-55/26", Value: "170000"},
			{Step: "managed", Date: "2026-09-15", Authority: "Directorate for Management of Seized Assets"},
			{Step: "disposed", Date: "2026-11-01", Authority: "Directorate for Management of Seized Assets", DecisionRef: "sale 44/26", Value: "172.500,00"},
		}
		for _, st := range steps {
			if a, err = n.Assets.RecordStep(ctx, off, a.ID, st); err != nil {
				t.Fatalf("%s: %v", st.Step, err)
			}
		}
		if a.Step != assets.StepDisposed || len(a.History) != 5 {
			t.Fatalf("after path: %+v", a)
		}
		// Backwards and after the end: refused.
		if _, err := n.Assets.RecordStep(ctx, off, a.ID, assets.StepInput{Step: "returned", Date: "2026-11-02", Authority: "x"}); errs.CodeOf(err) != "step-backwards" {
			t.Fatalf("returned after disposed: %v", err)
		}
		// Skip with an explicit reason is accepted and recorded.
		v, err := n.Assets.Create(ctx, off, assets.NewAsset{Kind: "vehicle", Description: "Audi Q7", Identifier: "WAUZZZ4L78D012345", Country: "ME", Value: "40000", Currency: "EUR",
			First: assets.StepInput{Step: "traced", Date: "2026-03-01", Authority: "ARO Serbia"}})
		if err != nil {
			t.Fatal(err)
		}
		const why = "Confiscated in the final judgment in absentia; the vehicle was never frozen because it was located only after the judgment."
		if v, err = n.Assets.RecordStep(ctx, off, v.ID, assets.StepInput{Step: "confiscated", Date: "2026-07-01", Authority: "Basic Court Podgorica", SkipReason: why}); err != nil {
			t.Fatal(err)
		}
		if v.Step != assets.StepConfiscated || v.History[1].SkipReason != why {
			t.Fatalf("skip with reason: %+v", v)
		}
		// Dates cannot go back or into the future.
		if _, err := n.Assets.RecordStep(ctx, off, v.ID, assets.StepInput{Step: "managed", Date: "2026-06-01", Authority: "x"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("date before the previous step: %v", err)
		}
		if _, err := n.Assets.RecordStep(ctx, off, v.ID, assets.StepInput{Step: "managed", Date: "2027-01-01", Authority: "x"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("date in the future: %v", err)
		}
		// Dashboard: values at each step by country and year.
		d, err := n.Assets.Dashboard(ctx, an)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]int64{}
		for _, r := range d {
			got[r.Country+" "+r.Year+" "+r.Step+" "+r.Currency] = r.ValueCents
		}
		want := map[string]int64{"RS 2026 traced EUR": 18500000, "RS 2026 frozen EUR": 18500000, "RS 2026 confiscated EUR": 17000000,
			"RS 2026 managed EUR": 18500000, "RS 2026 disposed EUR": 17250000, "ME 2026 traced EUR": 4000000, "ME 2026 confiscated EUR": 4000000}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("dashboard %s = %d, want %d (all: %v)", k, got[k], v, got)
			}
		}
		list, err := n.Assets.List(ctx, an, assets.Filter{CaseRef: "RS-KTO-117/26"})
		if err != nil || len(list) != 1 {
			t.Fatalf("list by case: %d %v", len(list), err)
		}
	})
}

func TestCheckStepTable(t *testing.T) {
	for _, tc := range []struct {
		history      []string
		next, reason string
		code         string
	}{
		{nil, "traced", "", ""},
		{nil, "frozen", "", "step-skipped"},
		{nil, "frozen", "found during a search", ""},
		{[]string{"traced"}, "frozen", "", ""},
		{[]string{"traced"}, "seized", "", ""},
		{[]string{"traced"}, "confiscated", "", "step-skipped"},
		{[]string{"traced"}, "confiscated", "judgment in absentia", ""},
		{[]string{"traced", "seized"}, "confiscated", "", ""},
		{[]string{"traced", "frozen"}, "returned", "", "step-skipped"},
		{[]string{"traced", "frozen"}, "returned", "freeze lifted, returned to owner", ""},
		{[]string{"traced", "frozen", "confiscated"}, "returned", "", ""},
		{[]string{"traced", "frozen", "confiscated"}, "frozen", "", "step-backwards"},
		{[]string{"traced", "frozen", "confiscated", "disposed"}, "returned", "x", "step-backwards"},
		{[]string{"traced"}, "stolen", "", "unknown-step"},
	} {
		code, _ := assets.CheckStep(tc.history, tc.next, tc.reason)
		if code != tc.code {
			t.Errorf("%v → %s (reason %q): %q, want %q", tc.history, tc.next, tc.reason, code, tc.code)
		}
	}
}

func TestParseAmount(t *testing.T) {
	for in, want := range map[string]int64{"": 0, "12500": 1250000, "12,500": 1250000, "12,500.50": 1250050, "12.500,50": 1250050, "1 250 000": 125000000,
		"0.5": 50, "1.234.567": 123456700, "7,5": 750} {
		got, err := assets.ParseAmount(in)
		if err != nil || got != want {
			t.Errorf("%q: %d %v, want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"-5", "abc", "1e5", "12.345.6789", "9999999999999999"} {
		if _, err := assets.ParseAmount(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	if assets.FormatAmount(123456789) != "1,234,567.89" {
		t.Errorf("format: %s", assets.FormatAmount(123456789))
	}
}

func TestRequestToAnotherARO(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		ns := start(t, b, nil, "rs", "ba")
		rs, ba := ns["rs"], ns["ba"]
		rsOff := user(t, rs, "rs-aro", "rs-aro", auth.RoleOfficer)
		rsNCU := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		baOff := user(t, ba, "ba-aro", "ba-aro", auth.RoleOfficer)
		baNCU := user(t, ba, "ba-ncu", "ba-ncu", auth.RoleNCUOperator)
		baAn := user(t, ba, "ba-analyst", "ba-aro", auth.RoleAnalyst)
		if _, err := rs.Assets.SendRequest(ctx, rsOff, assets.NewRequest{TargetNode: "rs", Purpose: "trace", Subject: "x"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("request to oneself: %v", err)
		}
		r, err := rs.Assets.SendRequest(ctx, rsOff, assets.NewRequest{TargetNode: "ba", Purpose: "trace", Subject: "Marko Marković, born 1980",
			Details: "Real estate and accounts in Bosnia and Herzegovina", CaseRef: "RS-KTO-117/26"})
		if err != nil {
			t.Fatal(err)
		}
		q, _ := rs.Fed.Queue(ctx, rsNCU)
		if len(q) != 1 || q[0].Type != assets.TypeRequest {
			t.Fatalf("NCU queue: %+v", q)
		}
		if err := rs.Fed.Approve(ctx, rsNCU, q[0].ID); err != nil {
			t.Fatal(err)
		}
		var item federation.QueueItem
		testutil.WaitFor(t, "request at ba's NCU", 20*time.Second, func() bool {
			q, _ := ba.Fed.Queue(ctx, baNCU)
			for _, it := range q {
				if it.Direction == "incoming" {
					item = it
					return true
				}
			}
			return false
		})
		if err := ba.Fed.Route(ctx, baNCU, item.ID, "ba-aro"); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "request stored on ba", 20*time.Second, func() bool {
			_, err := ba.Assets.Request(ctx, baOff, r.ID)
			return err == nil
		})
		if _, err := ba.Assets.AnswerRequest(ctx, baAn, r.ID, assets.AROAnswer{Text: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("analyst answers: %v", err)
		}
		if _, err := ba.Assets.AnswerRequest(ctx, baOff, r.ID, assets.AROAnswer{Text: "One apartment in Bijeljina (cadastral plot 2211), one account at a bank in Sarajevo."}); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "answer on rs", 20*time.Second, func() bool {
			got, _ := rs.Assets.Request(ctx, rsOff, r.ID)
			return got.Status == assets.ReqAnswered && got.AnsweredBy == "ba-aro@ba"
		})
	})
}

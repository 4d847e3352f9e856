package alerts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/directory"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

const wait = 20 * time.Second

// cluster is the countries of a test, on one fake clock.
type cluster = testutil.Cluster

func startCluster(t *testing.T, b storetest.Backend, ids ...string) *cluster {
	return testutil.StartCluster(t, b, ids...)
}

func user(t *testing.T, n *testutil.Node, name, agency string, roles ...auth.Role) *auth.Principal {
	return n.Principal(t, name, agency, roles...)
}

func eachBackend(t *testing.T, fn func(t *testing.T, b storetest.Backend)) {
	storetest.EachBackend(t, fn)
}

type parties struct {
	rs, me                       *testutil.Node
	rsPol, rsPol2, rsPros, rsNCU *auth.Principal
	mePol, meNCU, mePartner      *auth.Principal
}

func setup(t *testing.T, c *cluster) parties {
	p := parties{rs: c.Nodes["rs"], me: c.Nodes["me"]}
	p.rsPol = user(t, p.rs, "rs-police", "rs-police-dir", auth.RoleOfficer)
	p.rsPol2 = user(t, p.rs, "rs-police-2", "rs-police-dir", auth.RoleOfficer)
	p.rsPros = user(t, p.rs, "rs-prosecutor", "rs-police-dir", auth.RoleProsecutor)
	p.rsNCU = user(t, p.rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
	p.mePol = user(t, p.me, "me-border", "me-border-police", auth.RoleOfficer)
	p.meNCU = user(t, p.me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
	p.mePartner = user(t, p.me, "me-donor", "donor", auth.RolePartner)
	return p
}

func arrestDraft(recipients ...string) alerts.AlertDraft {
	d := alerts.AlertDraft{Kind: alerts.KindArrest, Sub: "extradition",
		Person: &alerts.WantedPerson{GivenName: "Marko", FamilyName: "Petrović", Names: []string{"Марко Петровић", "Marko Petrovski"}, DateOfBirth: "1985-03-12",
			PlaceOfBirth: "Niš", Sex: "m", Nationalities: []string{"rs"}, Documents: []string{"012345678"}, Description: "scar on the left cheek"},
		Warnings: []string{"violent", "armed"}, Action: "Arrest with a view to extradition; inform the Serbian NCU at once.",
		Reason: "Armed robbery of a jewellery shop in Niš, 2025.", Authority: "Higher Public Prosecutor's Office in Niš", WarrantRef: "KTI-117/25",
		InterpolRef: "Red 2025/12345"}
	for _, r := range recipients {
		d.Recipients = append(d.Recipients, alerts.RecipientInput{Node: r})
	}
	return d
}

// publish drafts (officer), validates (prosecutor) and waits for the copy
// on me.
func publish(t *testing.T, p parties, d alerts.AlertDraft) alerts.Alert {
	t.Helper()
	ctx := context.Background()
	a, err := p.rs.Alerts.Create(ctx, p.rsPol, d)
	if err != nil {
		t.Fatal(err)
	}
	validator := p.rsPol2
	if d.Kind == alerts.KindArrest {
		validator = p.rsPros
	}
	if a, err = p.rs.Alerts.Validate(ctx, validator, a.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "copy of the alert on me", wait, func() bool {
		got, err := p.me.Alerts.Get(ctx, p.meNCU, a.ID)
		return err == nil && got.Digest == a.Digest
	})
	return a
}

func TestAlertLifecycleAcrossNodes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me", "xk")
		p := setup(t, c)

		// PCC SEE does not cover Kosovo: no recipient without a basis.
		_, err := p.rs.Alerts.Create(ctx, p.rsPol, arrestDraft("me", "xk"))
		if errs.CodeOf(err) != "no-legal-basis" || !strings.Contains(errs.SafeMessage(err), "XK") {
			t.Fatalf("recipient without a legal basis: %v", err)
		}
		a, err := p.rs.Alerts.Create(ctx, p.rsPol, arrestDraft("me"))
		if err != nil {
			t.Fatal(err)
		}
		if a.Status != alerts.StatusDraft || len(a.Recipients) != 1 || a.Recipients[0].LegalBasis == "" ||
			strings.Join(a.Warnings, ",") != "armed,violent" || a.InterpolRef != "red 2025/12345" {
			t.Fatalf("draft: %+v", a)
		}
		// Four eyes; a prosecutor validates arrest alerts.
		if _, err := p.rs.Alerts.Validate(ctx, p.rsPol, a.ID); errs.CodeOf(err) != "four-eyes" {
			t.Fatalf("author validates: %v", err)
		}
		if _, err := p.rs.Alerts.Validate(ctx, p.rsPol2, a.ID); errs.CodeOf(err) != "prosecutor-only" {
			t.Fatalf("officer validates an arrest alert: %v", err)
		}
		if a, err = p.rs.Alerts.Validate(ctx, p.rsPros, a.ID); err != nil {
			t.Fatal(err)
		}
		if a.Status != alerts.StatusActive || a.Digest != alerts.Digest(a) || !a.ReviewDue.Equal(a.ValidatedAt.Add(5*365*24*time.Hour)) || a.Recipients[0].SentAt.IsZero() {
			t.Fatalf("validated: %+v", a)
		}
		// A second arrest alert of the same country on the same person is refused.
		if _, err := p.rs.Alerts.Create(ctx, p.rsPol, arrestDraft()); errs.CodeOf(err) != "incompatible" {
			t.Fatalf("duplicate arrest alert: %v", err)
		}

		var copy alerts.Alert
		testutil.WaitFor(t, "signed copy on me", wait, func() bool {
			copy, err = p.me.Alerts.Get(ctx, p.mePol, a.ID)
			return err == nil
		})
		if copy.Local || copy.OriginNode != "rs" || copy.Digest != a.Digest || copy.Signature == "" || copy.EnvelopeID == "" || copy.LegalBasis != a.Recipients[0].LegalBasis {
			t.Fatalf("copy on me: %+v", copy)
		}

		// Checks on me find the person across scripts, order and diacritics.
		for _, q := range []string{"Petrovic Marko 12.03.1985", "ПЕТРОВИЋ Марко 1985-03-12", "012345678"} {
			res, err := p.me.Alerts.Check(ctx, p.mePol, q, "border check at Dobrakovo")
			if err != nil {
				t.Fatal(err)
			}
			if !res.Hit || res.Matches[0].AlertID != a.ID || res.Matches[0].Action != a.Action || res.Matches[0].Warnings[0] != "armed" || res.Matches[0].DoNotAct {
				t.Fatalf("check %q: %+v", q, res)
			}
		}
		if res, err := p.me.Alerts.Check(ctx, p.mePol, "Jovan Jovanović 1990-01-01", ""); err != nil || res.Hit {
			t.Fatalf("check of another person: %+v %v", res, err)
		}
		// Partners see no alerts at all.
		if _, err := p.me.Alerts.Check(ctx, p.mePartner, "Marko Petrović", ""); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("partner checks: %v", err)
		}
		if _, err := p.me.Alerts.List(ctx, p.mePartner, alerts.Filter{}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("partner lists: %v", err)
		}

		// me flags the alert: "do not act" on me only; rs sees the flag.
		if _, err := p.me.Alerts.Flag(ctx, p.mePol, a.ID, "x", false); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("front-line officer flags: %v", err)
		}
		if _, err := p.me.Alerts.Flag(ctx, p.meNCU, a.ID, "The offence is time-barred under Montenegrin law.", false); err != nil {
			t.Fatal(err)
		}
		res, _ := p.me.Alerts.Check(ctx, p.mePol, "Marko Petrović 1985-03-12", "")
		if !res.Hit || !res.Matches[0].DoNotAct || !strings.Contains(res.Matches[0].FlagReason, "time-barred") {
			t.Fatalf("flagged alert on me: %+v", res)
		}
		res, _ = p.rs.Alerts.Check(ctx, p.rsPol, "Marko Petrović 1985-03-12", "")
		if !res.Hit || res.Matches[0].DoNotAct {
			t.Fatalf("flag shows on the issuer's own check: %+v", res)
		}
		testutil.WaitFor(t, "flag seen by the issuer", wait, func() bool {
			got, _ := p.rs.Alerts.Get(ctx, p.rsPol, a.ID)
			return len(got.Flags) == 1 && got.Flags[0].Node == "me" && strings.Contains(got.Flags[0].Reason, "time-barred")
		})
		if _, err := p.rs.Alerts.RequestLift(ctx, p.rsPros, a.ID, "me", "New charges are not time-barred; see the amended warrant."); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "lift request on me", wait, func() bool {
			got, _ := p.me.Alerts.Get(ctx, p.meNCU, a.ID)
			for _, e := range got.Events {
				if e.Kind == "lift_request" && strings.Contains(e.Note, "URGENT") {
					return true
				}
			}
			return false
		})

		// Hit report from me, through both NCUs, answered by rs.
		h, err := p.me.Alerts.ReportHit(ctx, p.mePol, a.ID, alerts.HitInput{Place: "Dobrakovo border crossing", CheckReason: "routine entry check",
			Route: "Sarajevo – Pljevlja", Companions: "one adult woman", Vehicle: "BG-123-AB", ActionTaken: "Person held; flag means no arrest, waiting for instructions."})
		if err != nil {
			t.Fatal(err)
		}
		if h.Status != alerts.HitSent || !h.Due.Equal(h.CreatedAt.Add(12*time.Hour)) {
			t.Fatalf("hit report: %+v", h)
		}
		if n := testutil.ApproveAll(t, p.me, p.meNCU); n != 1 {
			t.Fatalf("approved %d at me's NCU, want 1 hit report", n)
		}
		testutil.RouteIncoming(t, p.rs, p.rsNCU, alerts.TypeHit, "rs-police-dir")
		var got alerts.Alert
		testutil.WaitFor(t, "hit on rs", wait, func() bool {
			got, _ = p.rs.Alerts.Get(ctx, p.rsPros, a.ID)
			return got.Status == alerts.StatusHit && len(got.Hits) == 1
		})
		if got.Hits[0].Place != "Dobrakovo border crossing" || got.Hits[0].Direction != "incoming" || got.Hits[0].ReporterNode != "me" || got.Hits[0].Due.Sub(h.Due).Abs() > time.Second {
			t.Fatalf("hit on rs: %+v", got.Hits[0])
		}
		testutil.WaitFor(t, "hit status replicated to me", wait, func() bool {
			got, _ := p.me.Alerts.Get(ctx, p.meNCU, a.ID)
			return got.Status == alerts.StatusHit
		})
		if _, err := p.rs.Alerts.AnswerHit(ctx, p.rsPros, got.Hits[0].ID, alerts.AnswerInput{Answer: "Please hold the person for 48 hours; the extradition request follows.", Outcome: alerts.StatusNotPossible}); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "answer on me", wait, func() bool {
			hs, _ := p.me.Alerts.Hits(ctx, p.mePol)
			return len(hs) == 1 && hs[0].Status == alerts.HitAnswered && strings.Contains(hs[0].Answer, "48 hours")
		})

		// Hiding: front-line users on me no longer see it; the NCU does.
		if _, err := p.rs.Alerts.SetHidden(ctx, p.rsPros, a.ID, true, "Surveillance operation under way."); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "hidden on me", wait, func() bool {
			_, err := p.me.Alerts.Get(ctx, p.mePol, a.ID)
			return errs.Is(err, errs.NotFound)
		})
		if res, _ := p.me.Alerts.Check(ctx, p.mePol, "Marko Petrović 1985-03-12", ""); res.Hit {
			t.Fatalf("front-line check finds a hidden alert: %+v", res)
		}
		// Nor does a name without a date show it as left open (the check
		// still asks for the date, as it does for any name without one).
		if res, _ := p.me.Alerts.Check(ctx, p.mePol, "Marko Petrović", ""); res.Hit || len(res.Open) != 0 {
			t.Fatalf("front-line check shows a hidden alert as open: %+v", res)
		}
		if res, _ := p.me.Alerts.Check(ctx, p.meNCU, "Marko Petrović 1985-03-12", ""); !res.Hit {
			t.Fatal("the NCU does not see a hidden alert")
		}

		// Withdrawal replicates; a check afterwards gives no hit.
		if _, err := p.rs.Alerts.End(ctx, p.rsPros, a.ID, alerts.StatusWithdrawn, ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("withdrawal without reason: %v", err)
		}
		if _, err := p.rs.Alerts.End(ctx, p.rsPros, a.ID, alerts.StatusWithdrawn, "Warrant revoked by the court."); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "withdrawal on me", wait, func() bool {
			got, _ := p.me.Alerts.Get(ctx, p.meNCU, a.ID)
			return got.Status == alerts.StatusWithdrawn
		})
		if res, _ := p.me.Alerts.Check(ctx, p.meNCU, "Marko Petrović 1985-03-12", ""); res.Hit {
			t.Fatalf("withdrawn alert still hits: %+v", res)
		}
	})
}

func TestBilateralBasisForKosovo(t *testing.T) {
	b := storetest.Backends()[0]
	ctx := context.Background()
	c := startCluster(t, b, "rs", "xk")
	rs, xk := c.Nodes["rs"], c.Nodes["xk"]
	admin := user(t, rs, "rs-admin", "rs-it", auth.RoleAdmin)
	pol := user(t, rs, "rs-police", "rs-police-dir", auth.RoleOfficer)
	pol2 := user(t, rs, "rs-police-2", "rs-police-dir", auth.RoleOfficer)
	xkPol := user(t, xk, "xk-police", "xk-border", auth.RoleOfficer)
	d := alerts.AlertDraft{Kind: alerts.KindObject, Sub: "seizure", Object: &alerts.WantedObject{Type: "vehicle", Plate: "BG 123-AB", VIN: "WVWZZZ1JZXW000001", Make: "Volkswagen", Model: "Golf"},
		Action: "Seize the vehicle and inform the Serbian NCU.", Reason: "Stolen in Belgrade on 3 May 2026.", Authority: "Police Directorate Belgrade",
		Recipients: []alerts.RecipientInput{{Node: "xk"}}}
	if _, err := rs.Alerts.Create(ctx, pol, d); errs.CodeOf(err) != "no-legal-basis" {
		t.Fatalf("xk without a bilateral basis: %v", err)
	}
	ag, err := rs.Dir.CreateAgreement(ctx, admin, directory.AgreementInput{Title: "Arrangement on police cooperation between Serbia and Kosovo (test)", Types: []string{"police_cooperation"},
		Parties: []directory.Party{{Country: "RS"}, {Country: "XK"}}, Signed: "2019-06-01", InForce: "2020-01-01"})
	if err != nil {
		t.Fatal(err)
	}
	d.Recipients[0].LegalBasisID = ag.ID
	a, err := rs.Alerts.Create(ctx, pol, d)
	if err != nil {
		t.Fatal(err)
	}
	if a, err = rs.Alerts.Validate(ctx, pol2, a.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "copy on xk", wait, func() bool {
		_, err := xk.Alerts.Get(ctx, xkPol, a.ID)
		return err == nil
	})
	// The plate typed with other separators, in Cyrillic, and the VIN.
	for _, q := range []string{"bg123ab", "БГ 123 АБ", "WVWZZZ1JZXW000001"} {
		res, err := xk.Alerts.Check(ctx, xkPol, q, "")
		if err != nil || !res.Hit || res.Matches[0].AlertID != a.ID || !res.Matches[0].Certain {
			t.Fatalf("check %q: %+v %v", q, res, err)
		}
	}
}

func TestReviewExpiryReplicates(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		p := setup(t, c)
		d := alerts.AlertDraft{Kind: alerts.KindCheck, Sub: "discreet", Person: &alerts.WantedPerson{GivenName: "Ana", FamilyName: "Kovačević", DateOfBirth: "1991-07-02"},
			Action: "Discreet check: report place, time and companions; do not alert the person.", Reason: "Suspected courier of a smuggling network.",
			Authority: "Police Directorate Belgrade", Recipients: []alerts.RecipientInput{{Node: "me"}}}
		a := publish(t, p, d)
		if !a.ReviewDue.Equal(a.ValidatedAt.Add(365 * 24 * time.Hour)) {
			t.Fatalf("review of a check alert: %v", a.ReviewDue)
		}
		// Four months ahead the issuer is warned, once.
		c.Clock.Advance(365*24*time.Hour - 100*24*time.Hour)
		w, e, err := p.rs.Alerts.Review(ctx)
		if err != nil || w != 1 || e != 0 {
			t.Fatalf("review warning: %d %d %v", w, e, err)
		}
		if w, _, _ := p.rs.Alerts.Review(ctx); w != 0 {
			t.Fatal("warned twice")
		}
		c.Clock.Advance(101 * 24 * time.Hour)
		if _, e, err := p.rs.Alerts.Review(ctx); err != nil || e != 1 {
			t.Fatalf("expiry: %d %v", e, err)
		}
		got, _ := p.rs.Alerts.Get(ctx, p.rsPol, a.ID)
		if got.Status != alerts.StatusExpired {
			t.Fatalf("status on rs: %s", got.Status)
		}
		testutil.WaitFor(t, "expiry on me", wait, func() bool {
			got, _ := p.me.Alerts.Get(ctx, p.meNCU, a.ID)
			return got.Status == alerts.StatusExpired
		})
		if res, _ := p.me.Alerts.Check(ctx, p.mePol, "Ana Kovačević 1991-07-02", ""); res.Hit {
			t.Fatal("an expired alert hits")
		}
	})
}

func TestMisusedIdentityShownOnCheck(t *testing.T) {
	b := storetest.Backends()[0]
	ctx := context.Background()
	c := startCluster(t, b, "rs", "me")
	p := setup(t, c)
	d := arrestDraft("me")
	d.Misused = &alerts.Misused{Name: "Marko Petrović", DateOfBirth: "1985-03-12", Document: "009999999", Note: "The genuine holder is 1.92 m tall and has no scar.", Consent: false}
	if _, err := p.rs.Alerts.Create(ctx, p.rsPol, d); !errs.Is(err, errs.Invalid) {
		t.Fatalf("misused identity without consent: %v", err)
	}
	d.Misused.Consent = true
	a := publish(t, p, d)
	res, err := p.me.Alerts.Check(ctx, p.mePol, "Marko Petrovic 1985-03-12", "")
	if err != nil || !res.Hit || res.Matches[0].AlertID != a.ID || res.Matches[0].Misused == nil || !strings.Contains(res.Matches[0].Misused.Note, "no scar") {
		t.Fatalf("check shows the misused identity: %+v %v", res, err)
	}
	// Typos, a swapped day and month, an alias in another script.
	for _, q := range []string{"Marko Petrovc 1985-03-12", "Petrović Marko 1985-12-03", "Марко Петровски 12.03.1985"} {
		res, err := p.me.Alerts.Check(ctx, p.mePol, q, "")
		if err != nil || !res.Hit || res.Matches[0].AlertID != a.ID {
			t.Errorf("check %q: %+v %v", q, res, err)
		}
	}
}

func TestDraftValidation(t *testing.T) {
	b := storetest.Backends()[0]
	ctx := context.Background()
	c := startCluster(t, b, "rs")
	rs := c.Nodes["rs"]
	pol := user(t, rs, "rs-police", "rs-police-dir", auth.RoleOfficer)
	partner := user(t, rs, "donor", "donor", auth.RolePartner)
	for name, d := range map[string]alerts.AlertDraft{
		"no kind":                 {Person: &alerts.WantedPerson{GivenName: "A", FamilyName: "B"}, Action: "x", Reason: "y", Authority: "z"},
		"arrest without warrant":  {Kind: alerts.KindArrest, Person: &alerts.WantedPerson{GivenName: "A", FamilyName: "B"}, Action: "x", Reason: "y", Authority: "z"},
		"document without status": {Kind: alerts.KindObject, Object: &alerts.WantedObject{Type: "document_issued", DocNumber: "AB123456"}, Action: "x", Reason: "y", Authority: "z"},
		"object without number":   {Kind: alerts.KindObject, Object: &alerts.WantedObject{Type: "vehicle", Make: "VW"}, Action: "x", Reason: "y", Authority: "z"},
		"bad interpol":            {Kind: alerts.KindCheck, Person: &alerts.WantedPerson{FamilyName: "B"}, Action: "x", Reason: "y", Authority: "z", InterpolRef: "pink 1"},
		"bad warning":             {Kind: alerts.KindCheck, Person: &alerts.WantedPerson{FamilyName: "B"}, Action: "x", Reason: "y", Authority: "z", Warnings: []string{"grumpy"}},
		"no action":               {Kind: alerts.KindCheck, Person: &alerts.WantedPerson{FamilyName: "B"}, Reason: "y", Authority: "z"},
		"unknown recipient":       {Kind: alerts.KindCheck, Person: &alerts.WantedPerson{FamilyName: "B"}, Action: "x", Reason: "y", Authority: "z", Recipients: []alerts.RecipientInput{{Node: "zz"}}},
	} {
		if _, err := rs.Alerts.Create(ctx, pol, d); !errs.Is(err, errs.Invalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
	if _, err := rs.Alerts.Create(ctx, partner, alerts.AlertDraft{}); !errs.Is(err, errs.Forbidden) {
		t.Errorf("partner drafts: %v", err)
	}
	// Drafts are seen by their agency only, not by front-line users elsewhere.
	other := user(t, rs, "rs-customs", "rs-customs", auth.RoleOfficer)
	a, err := rs.Alerts.Create(ctx, pol, alerts.AlertDraft{Kind: alerts.KindObject, Object: &alerts.WantedObject{Type: "firearm", Serial: "CZ-75-123456", Make: "CZ", Model: "75"},
		Action: "Seize.", Reason: "Stolen from a gun shop.", Authority: "Police Directorate Novi Sad"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Alerts.Get(ctx, other, a.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("another agency reads a draft: %v", err)
	}
	if res, _ := rs.Alerts.Check(ctx, other, "CZ75123456", ""); res.Hit {
		t.Fatal("a draft hits")
	}
}

// A hit on a national alert goes straight to the issuing agency; its
// answer deadline passing is noted once on the timeline.
func TestNationalHitDeadline(t *testing.T) {
	b := storetest.Backends()[0]
	ctx := context.Background()
	c := startCluster(t, b, "rs")
	rs := c.Nodes["rs"]
	pol := user(t, rs, "rs-police", "rs-police-dir", auth.RoleOfficer)
	pol2 := user(t, rs, "rs-police-2", "rs-police-dir", auth.RoleOfficer)
	border := user(t, rs, "rs-border", "rs-border-police", auth.RoleOfficer)
	a, err := rs.Alerts.Create(ctx, pol, alerts.AlertDraft{Kind: alerts.KindMissing, Sub: "child", Person: &alerts.WantedPerson{GivenName: "Mila", FamilyName: "Jović", DateOfBirth: "2013-02-03"},
		Action: "Place the child in safety.", Reason: "Missing from Subotica.", Authority: "PU Subotica"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.Alerts.Validate(ctx, pol2, a.ID); err != nil {
		t.Fatal(err)
	}
	h, err := rs.Alerts.ReportHit(ctx, border, a.ID, alerts.HitInput{Place: "Horgoš", ActionTaken: "Child in the care of social services."})
	if err != nil || h.Direction != "incoming" || h.Agency != "rs-police-dir" {
		t.Fatalf("national hit: %+v %v", h, err)
	}
	if n, _ := rs.Alerts.OpenHits(ctx, pol); n != 1 {
		t.Fatalf("open hits for the issuer: %d", n)
	}
	c.Clock.Advance(13 * time.Hour)
	for range 2 {
		if _, _, err := rs.Alerts.Review(ctx); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := rs.Alerts.Get(ctx, pol, a.ID)
	n := 0
	for _, e := range got.Events {
		if e.Kind == "hit_overdue" {
			n++
		}
	}
	if got.Status != alerts.StatusHit || n != 1 || !got.Hits[0].Overdue {
		t.Fatalf("overdue hit: status %s, %d overdue notes, %+v", got.Status, n, got.Hits)
	}
}

// A draft on a person Montenegro already alerted shows Montenegro's alert;
// an alert without recipients is distributed later; drafts can be changed.
func TestExistingAlertsDistributeAndUpdate(t *testing.T) {
	b := storetest.Backends()[0]
	ctx := context.Background()
	c := startCluster(t, b, "rs", "me")
	p := setup(t, c)
	mePol2 := user(t, p.me, "me-border-2", "me-border-police", auth.RoleOfficer)
	meAlert, err := p.me.Alerts.Create(ctx, p.mePol, alerts.AlertDraft{Kind: alerts.KindCheck, Sub: "specific",
		Person: &alerts.WantedPerson{GivenName: "Đorđe", FamilyName: "Jovanović", DateOfBirth: "1984-05-17"},
		Action: "Specific check of the vehicle and luggage.", Reason: "Heroin courier.", Authority: "UP Podgorica", Recipients: []alerts.RecipientInput{{Node: "rs"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.me.Alerts.Validate(ctx, mePol2, meAlert.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "me's alert on rs", wait, func() bool {
		_, err := p.rs.Alerts.Get(ctx, p.rsNCU, meAlert.ID)
		return err == nil
	})
	d := arrestDraft()
	d.Person = &alerts.WantedPerson{GivenName: "Djordje", FamilyName: "Jovanovic", Names: []string{"Ђорђе Јовановић"}, DateOfBirth: "1984-05-17"}
	a, err := p.rs.Alerts.Create(ctx, p.rsPol, d)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Existing) != 1 || a.Existing[0].ID != meAlert.ID || a.Existing[0].OriginNode != "me" || !a.Existing[0].Compatible {
		t.Fatalf("existing alerts of other countries: %+v", a.Existing)
	}
	d.Reason = "Organising heroin transports from Montenegro."
	if a, err = p.rs.Alerts.Update(ctx, p.rsPol, a.ID, d); err != nil || a.Reason != d.Reason {
		t.Fatalf("update: %+v %v", a, err)
	}
	if _, err := p.rs.Alerts.Validate(ctx, p.rsPros, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.rs.Alerts.Update(ctx, p.rsPol, a.ID, d); errs.CodeOf(err) != "not-a-draft" {
		t.Fatalf("update after validation: %v", err)
	}
	if a, err = p.rs.Alerts.Distribute(ctx, p.rsPros, a.ID, []alerts.RecipientInput{{Node: "me"}}); err != nil || len(a.Recipients) != 1 || a.Recipients[0].SentAt.IsZero() {
		t.Fatalf("distribute: %+v %v", a.Recipients, err)
	}
	testutil.WaitFor(t, "distributed copy on me", wait, func() bool {
		got, err := p.me.Alerts.Get(ctx, p.mePol, a.ID)
		return err == nil && got.Reason == d.Reason
	})
}

// The review periods and the warning are settings of the node
// (--alerts-review-*): a check alert on a node that reviews checks after
// 30 days, with a warning 10 days ahead.
func TestReviewPeriodsFromSettings(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Now().UTC())
	n := testutil.Start(t, testutil.Options{NodeID: "rs", Clock: clk, Config: func(c *config.Config) {
		c.AlertsReviewCheck, c.AlertsReviewWarning = 30*24*time.Hour, 10*24*time.Hour
	}})
	if got := n.Alerts.Config(); got.Review[alerts.KindCheck] != 30*24*time.Hour || got.Review[alerts.KindArrest] != 5*365*24*time.Hour || got.WarnBefore != 10*24*time.Hour {
		t.Fatalf("alerts settings: %+v", got)
	}
	pol := user(t, n, "rs-police", "rs-police-dir", auth.RoleOfficer)
	pol2 := user(t, n, "rs-police-2", "rs-police-dir", auth.RoleOfficer)
	a, err := n.Alerts.Create(ctx, pol, alerts.AlertDraft{Kind: alerts.KindCheck, Sub: "discreet", Person: &alerts.WantedPerson{GivenName: "Ana", FamilyName: "Kovačević", DateOfBirth: "1991-07-02"},
		Action: "Report place and time.", Reason: "Suspected courier.", Authority: "Police Directorate Belgrade"})
	if err != nil {
		t.Fatal(err)
	}
	if a, err = n.Alerts.Validate(ctx, pol2, a.ID); err != nil || !a.ReviewDue.Equal(a.ValidatedAt.Add(30*24*time.Hour)) {
		t.Fatalf("review date: %v %v", a.ReviewDue, err)
	}
	clk.Advance(19 * 24 * time.Hour)
	if w, _, err := n.Alerts.Review(ctx); err != nil || w != 0 {
		t.Fatalf("warned 11 days ahead: %d %v", w, err)
	}
	clk.Advance(2 * 24 * time.Hour)
	if w, _, err := n.Alerts.Review(ctx); err != nil || w != 1 {
		t.Fatalf("not warned 9 days ahead: %d %v", w, err)
	}
}

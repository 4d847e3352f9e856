package alerts_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// A pistol stolen in Serbia is seized in Montenegro: recording the seizure
// hits the Serbian alert and reports the hit to Serbia through both NCUs;
// Montenegro then asks Serbia's focal point to trace it, and Serbia
// answers with its legal history.
func TestSeizedFirearmHitAndTracingCycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me")
		p := setup(t, c)
		stolen := publish(t, p, alerts.AlertDraft{Kind: alerts.KindObject, Sub: "seizure",
			Object: &alerts.WantedObject{Type: "firearm", Serial: "CZ75-B-123456", Make: "CZ", Model: "75 B", Calibre: "9×19 mm"},
			Action: "Seize the firearm.", Reason: "Stolen from a dealer in Kragujevac.", Authority: "PU Kragujevac",
			Recipients: []alerts.RecipientInput{{Node: "me"}}})

		res, err := p.me.Alerts.RecordFirearm(ctx, p.mePol, alerts.FirearmInput{Manufacturer: "Česká zbrojovka", CountryMade: "cz", Serial: "cz75b 123456",
			Model: "75 B", Calibre: "9×19 mm", Type: "pistol", Status: "seized", Place: "Bar port", Route: "Albania – Montenegro – EU"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Hits) != 1 || res.Hits[0].AlertID != stolen.ID || len(res.Reports) != 1 || res.Reports[0].IssuerNode != "rs" {
			t.Fatalf("seizure: %+v", res)
		}
		testutil.ApproveAll(t, p.me, p.meNCU)
		testutil.RouteIncoming(t, p.rs, p.rsNCU, alerts.TypeHit, "rs-police-dir")
		testutil.WaitFor(t, "hit on rs", wait, func() bool {
			got, _ := p.rs.Alerts.Get(ctx, p.rsPol, stolen.ID)
			return got.Status == alerts.StatusHit && len(got.Hits) == 1 && strings.Contains(got.Hits[0].CheckReason, "seized firearm")
		})
		st, err := p.me.Alerts.FirearmStats(ctx, p.mePol)
		if err != nil || len(st) != 3 || st[0].Value != "pistol" || st[1].Value != "CZ" {
			t.Fatalf("stats: %+v %v", st, err)
		}

		// Tracing request from me to rs.
		if _, err := p.me.Alerts.RequestTrace(ctx, p.mePol, res.Firearm.ID, alerts.TraceInput{ToNode: "rs"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("trace without circumstances: %v", err)
		}
		if _, err := p.me.Alerts.RequestTrace(ctx, p.mePol, res.Firearm.ID, alerts.TraceInput{ToNode: "rs", Circumstances: "Found at Bar port.", FocalPointID: "no-such-contact"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("trace to a contact that is not a focal point: %v", err)
		}
		tr, err := p.me.Alerts.RequestTrace(ctx, p.mePol, res.Firearm.ID, alerts.TraceInput{ToNode: "rs", Circumstances: "Found in a car at Bar port with two other pistols."})
		if err != nil {
			t.Fatal(err)
		}
		if tr.Status != alerts.TraceSent || tr.LegalBasis == "" || tr.Markings.Serial != "cz75b 123456" || !tr.Due.Equal(tr.CreatedAt.Add(30*24*time.Hour)) {
			t.Fatalf("trace: %+v", tr)
		}
		// The requested country's firearms focal point comes from the
		// directory (SEESAC's network in the demo directory): the first one
		// by default, or the one chosen.
		if err := p.me.Dir.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		fps := p.me.Alerts.FocalPoints(ctx, p.mePol, []string{"rs", "xx"})
		if len(fps["rs"]) != 1 || len(fps["xx"]) != 0 {
			t.Fatalf("focal points: %+v", fps)
		}
		tr2, err := p.me.Alerts.RequestTrace(ctx, p.mePol, res.Firearm.ID, alerts.TraceInput{ToNode: "rs", Circumstances: "Second request.", FocalPointID: fps["rs"][0].ID})
		if err != nil || !strings.Contains(tr2.FocalPoint, "Firearms focal point") || !strings.Contains(tr2.FocalPoint, "Miloš Stanković") {
			t.Fatalf("trace to the chosen focal point: %+v %v", tr2.FocalPoint, err)
		}
		testutil.ApproveAll(t, p.me, p.meNCU)
		testutil.RouteIncoming(t, p.rs, p.rsNCU, alerts.TypeTrace, "rs-police-dir")
		testutil.WaitFor(t, "acknowledged on me", wait, func() bool {
			got, _ := p.me.Alerts.GetTrace(ctx, p.mePol, tr.ID)
			return got.Status == alerts.TraceAcknowledged
		})
		if _, err := p.rs.Alerts.UpdateTrace(ctx, p.rsPol, tr.ID, alerts.TraceChange{Status: alerts.TraceClosed}); errs.CodeOf(err) != "bad-transition" {
			t.Fatalf("requested side closes: %v", err)
		}
		if _, err := p.rs.Alerts.UpdateTrace(ctx, p.rsPol, tr.ID, alerts.TraceChange{Status: alerts.TraceInProgress}); err != nil {
			t.Fatal(err)
		}
		if _, err := p.rs.Alerts.UpdateTrace(ctx, p.rsPol, tr.ID, alerts.TraceChange{Status: alerts.TraceAnswered}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("answer without history: %v", err)
		}
		history := "Made 2019 by Česká zbrojovka; imported to Serbia 2020 (import marking RS-20); sold to a licensed dealer in Kragujevac; reported stolen January 2026."
		if _, err := p.rs.Alerts.UpdateTrace(ctx, p.rsPol, tr.ID, alerts.TraceChange{Status: alerts.TraceAnswered, Answer: history}); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "answer on me", wait, func() bool {
			got, _ := p.me.Alerts.GetTrace(ctx, p.mePol, tr.ID)
			return got.Status == alerts.TraceAnswered && got.Answer == history
		})
		if _, err := p.me.Alerts.UpdateTrace(ctx, p.mePol, tr.ID, alerts.TraceChange{Status: alerts.TraceClosed}); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "closed on rs", wait, func() bool {
			got, _ := p.rs.Alerts.GetTrace(ctx, p.rsPol, tr.ID)
			return got.Status == alerts.TraceClosed
		})
		got, _ := p.rs.Alerts.GetTrace(ctx, p.rsPol, tr.ID)
		var sts []string
		for _, e := range got.Events {
			sts = append(sts, e.Status)
		}
		if strings.Join(sts, " ") != "acknowledged in_progress answered closed" {
			t.Fatalf("timeline on rs: %v", sts)
		}
		if _, err := p.me.Alerts.GetTrace(ctx, p.mePartner, tr.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("partner reads a trace: %v", err)
		}
	})
}

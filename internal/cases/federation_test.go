package cases_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func startNode(t *testing.T, id string, be storetest.Backend) *testutil.Node {
	return testutil.Start(t, testutil.Options{NodeID: id, Store: be.Options(t), Config: func(c *config.Config) { c.InsecureFederation = true }})
}

func auditActions(t *testing.T, n *testutil.Node, object string) map[string]audit.Entry {
	t.Helper()
	ctx := context.Background()
	if _, err := n.Audit.Drain(ctx); err != nil {
		t.Fatal(err)
	}
	es, err := audit.List(ctx, n.Store, audit.Filter{Object: object, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]audit.Entry{}
	for _, e := range es {
		out[e.Action] = e
	}
	return out
}

// The full hit/no-hit flow between two real nodes: a batch query with a
// Cyrillic spelling of a person the owner stores in Latin script, a
// vehicle, and an unknown person; answers carry no personal data; the
// owner's officer releases one hit and refuses the other; both travel as
// secure-exchange messages with protective markings, pass the two NCUs and
// land in the requester's exchange inbox, linked to the query; everything
// is audited on both sides.
func TestHitNoHitAcrossNodes(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			rs := startNode(t, "rs", be)
			ba := startNode(t, "ba", be)
			testutil.PeerAll(t, rs, ba)

			owner := &auth.Principal{Username: "amra", Agency: "ba-sipa", Roles: []auth.Role{auth.RoleOfficer}}
			ownerNCU := &auth.Principal{Username: "ncu-ba", Agency: "ba-ncu", Roles: []auth.Role{auth.RoleNCUOperator}}
			asker := &auth.Principal{Username: "ana", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
			askerNCU := &auth.Principal{Username: "ncu-rs", Agency: "rs-ncu", Roles: []auth.Role{auth.RoleNCUOperator}}

			if _, err := ba.Cases.CreateCase(ctx, owner, cases.CaseInput{Reference: "BA-2026-17", Title: "Cocaine route Neum", CrimeArea: "drugs", Route: []string{"ME", "BA", "HR"}}); err != nil {
				t.Fatal(err)
			}
			in := person("Marko", "Petrović", "1985-03-12", "1203985170006")
			in.Case, in.Role = "BA-2026-17", "suspect"
			mustEntity(t, ba.Cases, in)
			mustEntity(t, ba.Cases, person("Marko", "Petrović", "1962-11-02", ""))
			mustEntity(t, ba.Cases, cases.EntityInput{Kind: "vehicle", Fields: map[string]string{"plate": "A12-K-345", "make": "Audi"}})

			q, err := rs.Cases.SendQuery(ctx, asker, cases.QueryInput{Purpose: "identify courier in cocaine investigation", CaseRef: "RS-KT-99/2026", Peers: []string{"ba"},
				Items: []cases.Probe{
					{Kind: "person", Fields: map[string]string{"full_name": "Петровић Марко", "date_of_birth": "12.03.1985"}},
					{Kind: "person", Fields: map[string]string{"given_name": "Ivana", "family_name": "Kovač", "date_of_birth": "1970-07-07"}},
					{Kind: "vehicle", Fields: map[string]string{"plate": "А12К345"}}, // Cyrillic look-alike letters
				}})
			if err != nil {
				t.Fatal(err)
			}
			var got cases.OutQuery
			testutil.WaitFor(t, "answers", 20*time.Second, func() bool {
				got, err = rs.Cases.Query(ctx, asker, q.ID)
				return err == nil && len(got.Results) == 3
			})
			byItem := map[int]cases.PeerResult{}
			for _, r := range got.Results {
				byItem[r.N] = r
			}
			if !byItem[1].Hit || byItem[1].Band != cases.BandHigh || byItem[1].Reference == "" {
				t.Errorf("Cyrillic near-miss: %+v, want a high hit", byItem[1])
			}
			if byItem[2].Hit || byItem[2].Reference != "" {
				t.Errorf("unknown person: %+v, want no hit", byItem[2])
			}
			if !byItem[3].Hit {
				t.Errorf("vehicle: %+v, want a hit", byItem[3])
			}

			// The answer as it arrived: nothing about the owner's records.
			assertNoPersonalData(t, rs)

			// Audit on both sides, with purpose and case reference.
			ra := auditActions(t, rs, "query/"+q.ID)
			for _, a := range []string{"cases.query.send", "cases.answer.receive"} {
				if e, ok := ra[a]; !ok || e.Purpose != "identify courier in cocaine investigation" {
					t.Errorf("rs audit %s: %+v", a, e)
				}
			}
			ba.Audit.Drain(ctx)
			bq := auditActions(t, ba, "query/"+q.ID)
			for _, a := range []string{"cases.query.receive", "cases.query.answer"} {
				e, ok := bq[a]
				if !ok || e.Purpose != "identify courier in cocaine investigation" || !strings.Contains(e.Detail, "RS-KT-99/2026") || !strings.Contains(e.Actor, "ana") {
					t.Errorf("ba audit %s: %+v", a, e)
				}
			}

			// The owner's hit inbox says what was asked, by whom and why.
			hits, err := ba.Cases.Hits(ctx, owner, "new")
			if err != nil {
				t.Fatal(err)
			}
			if len(hits) != 2 {
				t.Fatalf("hit inbox has %d items, want 2", len(hits))
			}
			var personHit, vehicleHit cases.Hit
			for _, h := range hits {
				if h.Asked.Requester != "ana" || h.Asked.Agency != "rs-mup" || h.Asked.CaseRef != "RS-KT-99/2026" || h.Peer != "rs" {
					t.Errorf("hit does not say who asked: %+v", h.Asked)
				}
				if h.Entity.Kind == "person" {
					personHit = h
				} else {
					vehicleHit = h
				}
			}
			if personHit.Reference != byItem[1].Reference || personHit.Entity.Fields["personal_id"] != "1203985170006" {
				t.Fatalf("person hit: %+v", personHit)
			}

			// Release needs markings; then it waits for the owner's NCU.
			if _, err := ba.Cases.Release(ctx, owner, personHit.Reference, cases.ReleaseInput{Fields: []string{"given_name", "family_name", "date_of_birth"}}); err == nil {
				t.Fatal("release without markings accepted")
			}
			releasePerson := cases.ReleaseInput{Fields: []string{"given_name", "family_name", "date_of_birth"},
				Markings: cases.Markings{Classification: "restricted", HandlingCode: "H2", SourceEvaluation: "B", InformationEvaluation: "2"}}
			// A release that fails half-way (the message cannot be sent:
			// the requester is suspended) leaves nothing behind.
			if err := ba.Fed.SetSuspended(ctx, nil, "rs", true); err != nil {
				t.Fatal(err)
			}
			if _, err := ba.Cases.Release(ctx, owner, personHit.Reference, releasePerson); err == nil {
				t.Fatal("release to a suspended peer accepted")
			}
			if h, err := ba.Cases.GetHit(ctx, owner, personHit.Reference); err != nil || h.State != "new" || h.ThreadID != "" {
				t.Fatalf("hit after a failed release: %+v %v", h, err)
			}
			var threads, envelopes int
			_ = ba.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_threads`).Scan(&threads)
			_ = ba.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM fed_outbox WHERE peer = 'rs' AND type IN ('exchange.message', 'cases.release')`).Scan(&envelopes)
			if threads != 0 || envelopes != 0 {
				t.Fatalf("a failed release left %d threads and %d envelopes", threads, envelopes)
			}
			if a := auditActions(t, ba, "hit/"+personHit.Reference); a["cases.release"].Action != "" {
				t.Fatalf("a failed release was audited as done: %+v", a)
			}
			if err := ba.Fed.SetSuspended(ctx, nil, "rs", false); err != nil {
				t.Fatal(err)
			}
			env, err := ba.Cases.Release(ctx, owner, personHit.Reference, releasePerson)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ba.Cases.Release(ctx, owner, personHit.Reference, cases.ReleaseInput{Refuse: true, Reason: "again"}); err == nil {
				t.Fatal("a hit was decided twice")
			}
			refEnv, err := ba.Cases.Release(ctx, owner, vehicleHit.Reference, cases.ReleaseInput{Refuse: true, Reason: "ongoing covert operation"})
			if err != nil {
				t.Fatal(err)
			}
			testutil.RoundTrip(t, ba, "rs") // a later message has left and arrived
			assertNoPersonalData(t, rs)     // still nothing before the NCU approves
			for _, id := range []string{env, refEnv} {
				if err := ba.Fed.Approve(ctx, ownerNCU, id); err != nil {
					t.Fatal(err)
				}
			}
			// The decisions travel as secure-exchange messages; at the
			// requesting node they wait for its NCU to route them.
			testutil.WaitFor(t, "releases at the requesting NCU", 20*time.Second, func() bool {
				q, _ := rs.Fed.Queue(ctx, askerNCU)
				n := 0
				for _, it := range q {
					if it.Type == exchange.TypeMessage && it.Direction == "incoming" {
						n++
					}
				}
				return n == 2
			})
			queue, _ := rs.Fed.Queue(ctx, askerNCU)
			for _, it := range queue {
				if it.Type == exchange.TypeMessage {
					if strings.Contains(it.Summary, "Petrovi") {
						t.Errorf("NCU queue summary leaks data: %s", it.Summary)
					}
					if err := rs.Fed.Route(ctx, askerNCU, it.ID, "rs-mup"); err != nil {
						t.Fatal(err)
					}
				}
			}
			testutil.WaitFor(t, "releases linked", 20*time.Second, func() bool {
				got, err = rs.Cases.Query(ctx, asker, q.ID)
				return err == nil && len(got.Releases) == 2
			})
			for _, r := range got.Releases {
				if r.ThreadID == "" {
					t.Fatalf("release without its exchange thread: %+v", r)
				}
				var th exchange.Thread
				testutil.WaitFor(t, "the exchange thread in the requester's inbox", 20*time.Second, func() bool {
					th, err = rs.Exchange.Thread(ctx, asker, r.ThreadID)
					return err == nil && len(th.Messages) == 1
				})
				m := th.Messages[0]
				// Information provided, not a request owed an answer in 3 days.
				if m.Kind != exchange.KindInformation || !th.DeadlineAt.IsZero() {
					t.Errorf("release thread kind %s, deadline %s", m.Kind, th.DeadlineAt)
				}
				if len(th.CaseRefs) != 1 || th.CaseRefs[0] != "RS-KT-99/2026" || th.OriginNode != "ba" || m.Author != "amra" {
					t.Errorf("release thread: %+v", th)
				}
				switch r.Reference {
				case personHit.Reference:
					if r.Refused || len(m.Entities) != 1 {
						t.Fatalf("release: %+v %+v", r, m)
					}
					f := m.Entities[0].Fields
					if f["family_name"] != "Petrović" || f["date_of_birth"] != "1985-03-12" || f["personal_id"] != "" {
						t.Errorf("released entity: %+v", m.Entities[0])
					}
					mk := m.Markings
					if mk.Classification != "restricted" || !mk.Has("H2") || mk.Reliability != "B" || mk.Accuracy != 2 || mk.OnwardAllowed {
						t.Errorf("markings: %+v", mk)
					}
					if r.Markings.Classification != "restricted" || r.Markings.HandlingCode != "H2" {
						t.Errorf("notice markings: %+v", r.Markings)
					}
				case vehicleHit.Reference:
					if !r.Refused || len(m.Entities) != 0 || !strings.Contains(m.Body, "ongoing covert operation") {
						t.Errorf("refusal: %+v %+v", r, m)
					}
				default:
					t.Errorf("unexpected release %+v", r)
				}
			}
			// The owner's hit inbox links each decision to its thread.
			if h, err := ba.Cases.GetHit(ctx, owner, personHit.Reference); err != nil || h.State != "released" || h.ThreadID == "" {
				t.Errorf("owner's hit after release: %+v %v", h, err)
			}
			// Another agency at the requesting node does not see the details.
			other := &auth.Principal{Username: "x", Agency: "rs-customs", Roles: []auth.Role{auth.RoleOfficer}}
			if _, err := rs.Cases.Query(ctx, other, q.ID); err == nil {
				t.Error("another agency reads the query")
			}
			ba.Audit.Drain(ctx)
			if a := auditActions(t, ba, "hit/"+personHit.Reference); a["cases.release"].Actor != "amra" {
				t.Errorf("release not audited at the owner: %+v", a)
			}
			if a := auditActions(t, ba, "hit/"+vehicleHit.Reference); a["cases.refuse"].Actor != "amra" {
				t.Errorf("refusal not audited at the owner: %+v", a)
			}
			if a := auditActions(t, rs, "query/"+q.ID); a["cases.release.receive"].Action == "" {
				t.Errorf("release not audited at the requester: %+v", a)
			}
		})
	}
}

// assertNoPersonalData reads every envelope the owner sent to rs, as
// stored raw in rs's inbox, and checks that none carries the owner's data.
// randomTokenRE matches what an envelope carries that is random or the
// current time: UUIDs, long base64 or hex runs (signatures, references)
// and timestamps of this century.
var randomTokenRE = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|20\d\d-\d\d-\d\dT[0-9:.]+(Z|[+-]\d\d:\d\d)|[A-Za-z0-9+/_=-]{20,}`)

func assertNoPersonalData(t *testing.T, rs *testutil.Node) {
	t.Helper()
	rows, err := rs.Store.QueryContext(context.Background(), `SELECT type, envelope, state FROM fed_inbox WHERE peer = 'ba'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	answers := 0
	for rows.Next() {
		var typ, raw, state string
		if err := rows.Scan(&typ, &raw, &state); err != nil {
			t.Fatal(err)
		}
		if typ == exchange.TypeMessage {
			t.Fatalf("a release arrived before the owner's NCU approved it (%s)", state)
		}
		if typ == cases.TypeAnswer {
			answers++
			if !strings.Contains(raw, `"hit":true`) {
				t.Errorf("answer without a hit: %s", raw)
			}
		}
		// Random identifiers, signatures and the send time can hold any
		// digits ("…1985…"): they are blanked before the search.
		masked := randomTokenRE.ReplaceAllString(raw, "<token>")
		for _, bad := range []string{"Petrovi", "Marko", "marko", "1985", "19850312", "1203985170006", "1962", "A12K345", "Audi", "BA-2026-17", "Neum"} {
			if strings.Contains(masked, bad) {
				t.Errorf("%s envelope contains %q: %s", typ, bad, raw)
			}
		}
	}
	if answers == 0 {
		t.Error("no answer envelope stored")
	}
	_ = federation.InHandled
}

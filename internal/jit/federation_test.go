package jit_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/jit"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

func startNode(t *testing.T, id string, be storetest.Backend, clk clock.Clock) *testutil.Node {
	return testutil.Start(t, testutil.Options{NodeID: id, Store: be.Options(t), Clock: clk, Config: func(c *config.Config) { c.InsecureFederation = true }})
}

func principal(user, agency string, roles ...auth.Role) *auth.Principal {
	return &auth.Principal{Username: user, DisplayName: user, Agency: agency, Roles: roles}
}

var (
	ana   = principal("ana", "rs-tuzilastvo", auth.RoleProsecutor) // JIT leader (Serbian prosecutor)
	marko = principal("marko", "rs-mup", auth.RoleOfficer)         // Serbian police member
	amra  = principal("amra", "ba-sipa", auth.RoleOfficer)         // Bosnian police member
	tarik = principal("tarik", "ba-tuzilastvo", auth.RoleProsecutor)
	eve   = principal("eve", "rs-mup", auth.RoleOfficer) // not a member
)

func newJIT(t *testing.T, rs *testutil.Node) jit.Workspace {
	t.Helper()
	ws, err := rs.JIT.Create(context.Background(), ana, jit.CreateInput{Kind: jit.KindJIT, Template: "model-2017", Reference: "JIT-RS-BA-2026-01",
		Title: "Heroin route Zvornik–Belgrade", Members: []jit.MemberInput{
			{Node: "rs", Username: "ana", Name: "Ana Jović", Agency: "rs-tuzilastvo", Role: jit.RoleLeader},
			{Node: "rs", Username: "marko", Name: "Marko Ilić", Agency: "rs-mup", Role: jit.RolePolice},
			{Node: "ba", Username: "amra", Name: "Amra Hodžić", Agency: "ba-sipa", Role: jit.RolePolice},
			{Node: "ba", Username: "tarik", Name: "Tarik Begić", Agency: "ba-tuzilastvo", Role: jit.RoleProsecutor},
		}})
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func get(t *testing.T, n *testutil.Node, p *auth.Principal, id string) jit.Workspace {
	t.Helper()
	ws, err := n.JIT.Get(context.Background(), p, id)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func custodyActions(e jit.Evidence) string {
	var a []string
	for _, c := range e.Custody {
		a = append(a, c.Action)
	}
	return strings.Join(a, ",")
}

// A JIT created on the Serbian node from a template agreement replicates
// to the Bosnian node; a Bosnian officer registers evidence with a file,
// transfers it to Serbia, where a member downloads it from the transfer
// area; the chain of custody is identical and intact on both nodes and a
// tampered entry is detected; refusals by role.
func TestJITAcrossNodes(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			rs := startNode(t, "rs", be, nil)
			ba := startNode(t, "ba", be, nil)
			testutil.PeerAll(t, rs, ba)

			ws := newJIT(t, rs)
			if ws.LeaderNode != "rs" || len(ws.Tasks) != 4 || ws.LegalBasis == "" || ws.EndDate == "" || len(ws.Parties) != 2 {
				t.Fatalf("created: %+v", ws)
			}
			var bws jit.Workspace
			testutil.WaitFor(t, "replication to ba", 30*time.Second, func() bool {
				w, err := ba.JIT.Get(ctx, amra, ws.ID)
				bws = w
				return err == nil && w.LastSeq == ws.LastSeq
			})
			if len(bws.Members) != 4 || len(bws.Tasks) != 4 || bws.Title != ws.Title || bws.LeaderNode != "rs" {
				t.Fatalf("replica: %+v", bws)
			}

			// Roles: only the leader approves the plan; the refusal is
			// immediate on the member's own node.
			if _, err := ba.JIT.ApprovePlan(ctx, amra, ws.ID); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("police member approving the plan: %v", err)
			}
			if _, err := rs.JIT.ApprovePlan(ctx, marko, ws.ID); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("police member approving the plan: %v", err)
			}
			if _, err := rs.JIT.Get(ctx, eve, ws.ID); !errs.Is(err, errs.NotFound) {
				t.Fatalf("non-member reading: %v", err)
			}
			if _, err := rs.JIT.ApprovePlan(ctx, ana, ws.ID); err != nil {
				t.Fatal(err)
			}

			// Member on another node adds a task and a message: through the leader.
			if ev, err := ba.JIT.AddTask(ctx, amra, ws.ID, jit.TaskInput{Title: "Surveil the Zvornik warehouse", Owner: "amra@ba", DueDate: "2026-12-01"}); err != nil || ev.Seq != 0 {
				t.Fatalf("task from ba: %+v %v", ev, err)
			}
			if _, err := ba.JIT.PostMessage(ctx, amra, ws.ID, "Warehouse confirmed, two vans."); err != nil {
				t.Fatal(err)
			}
			testutil.WaitFor(t, "task and message at the leader", 30*time.Second, func() bool {
				w := get(t, rs, ana, ws.ID)
				return len(w.Tasks) == 5 && len(w.Messages) == 1
			})
			if w := get(t, rs, ana, ws.ID); w.PlanStatus != jit.PlanDraft || w.PlanVersion != 2 {
				t.Errorf("a new task must send the plan back to draft: %s v%d", w.PlanStatus, w.PlanVersion)
			}

			// Evidence from a member in another country, with a file.
			file := bytes.Repeat([]byte("phone extraction "), 1000)
			e, err := ba.JIT.RegisterEvidence(ctx, amra, ws.ID, jit.EvidenceInput{Title: "Phone extraction, courier", Origin: "Seized at Karakaj crossing 2026-10-02",
				LegalBasis: "Search order K-12/26, Court of BiH", GoverningLaw: "ba", FileName: "extraction.txt", Data: file})
			if err != nil {
				t.Fatal(err)
			}
			// The member sees the item at once: pending until the leader
			// confirms it (or already confirmed, on a fast loopback).
			if w := get(t, ba, amra, ws.ID); len(w.Evidence) == 0 && !slices.ContainsFunc(w.Pending, func(p jit.Pending) bool {
				return p.Kind == jit.EvEvidenceAdd && strings.Contains(p.Summary, "Phone extraction")
			}) {
				t.Fatalf("the registered item is not shown as pending: %+v", w.Pending)
			}
			testutil.WaitFor(t, "evidence at the leader and back at ba", 30*time.Second, func() bool {
				return len(get(t, rs, ana, ws.ID).Evidence) == 1 && len(get(t, ba, amra, ws.ID).Evidence) == 1
			})
			if w := get(t, ba, amra, ws.ID); len(w.Pending) != 0 {
				t.Fatalf("confirmed item still pending: %+v", w.Pending)
			}
			re := get(t, rs, ana, ws.ID).Evidence[0]
			if re.ID != e.ID || re.CollectingParty != "ba" || re.Custodian != "ba" || re.GoverningLaw != "ba" || re.FileHere != "" || custodyActions(re) != "registered" || !re.ChainOK {
				t.Fatalf("leader's register: %+v", re)
			}

			// Only the holder transfers; only the governing party's prosecutor authorises use.
			if _, err := rs.JIT.TransferEvidence(ctx, marko, ws.ID, e.ID, "ba", ""); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("transfer by a non-holder: %v", err)
			}
			if _, err := rs.JIT.AuthoriseUse(ctx, ana, ws.ID, e.ID); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("authorise by the leader of another party: %v", err)
			}
			if _, err := ba.JIT.AuthoriseUse(ctx, amra, ws.ID, e.ID); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("authorise by police (node policy): %v", err)
			}
			if _, err := ba.JIT.AuthoriseUse(ctx, tarik, ws.ID, e.ID); err != nil {
				t.Fatal(err)
			}

			if _, err := ba.JIT.TransferEvidence(ctx, amra, ws.ID, e.ID, "rs", "for the Belgrade prosecution"); err != nil {
				t.Fatal(err)
			}
			testutil.WaitFor(t, "file in rs transfer area and receipt", 30*time.Second, func() bool {
				w := get(t, rs, ana, ws.ID)
				return w.Evidence[0].FileHere == jit.AreaTransfer && strings.HasSuffix(custodyActions(w.Evidence[0]), "received")
			})
			f, err := rs.JIT.Download(ctx, marko, ws.ID, e.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(f.Data, file) || !f.Purged {
				t.Fatalf("download: %d bytes purged=%v", len(f.Data), f.Purged)
			}
			if _, err := rs.JIT.Download(ctx, marko, ws.ID, e.ID); !errs.Is(err, errs.NotFound) {
				t.Fatalf("second download from the transfer area: %v", err)
			}
			// ba still holds its own copy.
			if _, err := ba.JIT.Download(ctx, amra, ws.ID, e.ID); err != nil {
				t.Fatal(err)
			}
			want := "registered,use_authorised,transferred,received,downloaded,accessed"
			var rsE, baE jit.Evidence
			testutil.WaitFor(t, "the same chain on both nodes", 30*time.Second, func() bool {
				rsE, baE = get(t, rs, ana, ws.ID).Evidence[0], get(t, ba, amra, ws.ID).Evidence[0]
				return custodyActions(rsE) == want && custodyActions(baE) == want
			})
			for i := range rsE.Custody {
				if rsE.Custody[i].Hash != baE.Custody[i].Hash {
					t.Fatalf("entry %d differs between nodes", i+1)
				}
			}
			if rsE.Custodian != "rs" || !rsE.UseAuthorised || rsE.FileHere != "" || !rsE.ChainOK || !baE.ChainOK {
				t.Fatalf("after transfer: %+v", rsE)
			}
			checks, err := ba.JIT.VerifyCustody(ctx, amra, ws.ID)
			if err != nil || len(checks) != 1 || !checks[0].OK {
				t.Fatalf("verify: %+v %v", checks, err)
			}

			// Tampering with a recorded transfer is detected.
			if _, err := ba.Store.ExecContext(ctx, `UPDATE jit_custody SET to_party = 'me' WHERE evidence_id = ? AND n = 3`, e.ID); err != nil {
				t.Fatal(err)
			}
			checks, err = ba.JIT.VerifyCustody(ctx, amra, ws.ID)
			if err != nil || checks[0].OK || checks[0].BadEntry != 3 {
				t.Fatalf("tampered chain: %+v %v", checks, err)
			}
			// So is a changed content hash in the register.
			if _, err := rs.Store.ExecContext(ctx, `UPDATE jit_evidence SET sha256 = ? WHERE id = ?`, strings.Repeat("0", 64), e.ID); err != nil {
				t.Fatal(err)
			}
			if checks, _ := rs.JIT.VerifyCustody(ctx, ana, ws.ID); checks[0].OK || checks[0].BadEntry != 1 {
				t.Fatalf("changed register hash: %+v", checks)
			}

			// A member invited later from a third node gets the whole history.
			me := startNode(t, "me", be, nil)
			testutil.PeerAll(t, rs, me)
			if _, err := rs.JIT.AddMember(ctx, marko, ws.ID, jit.MemberInput{Node: "me", Username: "milos", Role: jit.RolePolice}); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("invite by police: %v", err)
			}
			if _, err := rs.JIT.AddMember(ctx, ana, ws.ID, jit.MemberInput{Node: "me", Username: "milos", Name: "Miloš Vuković", Agency: "me-police", Role: jit.RolePolice}); err != nil {
				t.Fatal(err)
			}
			milos := principal("milos", "me-police", auth.RoleOfficer)
			lead := get(t, rs, ana, ws.ID)
			testutil.WaitFor(t, "history at the new party", 30*time.Second, func() bool {
				w, err := me.JIT.Get(ctx, milos, ws.ID)
				return err == nil && w.LastSeq == lead.LastSeq && len(w.Evidence) == 1 && len(w.Messages) == 1 && len(w.Members) == 5
			})
			// The leader sends to every party independently: the new party
			// being up to date says nothing about the others yet.
			testutil.WaitFor(t, "the new member at the existing party", 30*time.Second, func() bool {
				w := get(t, ba, amra, ws.ID)
				return len(w.Members) == 5 && slices.Contains(w.Parties, "me")
			})

			// Audit: the leader recorded the submitted changes.
			rs.Audit.Drain(ctx)
		})
	}
}

// A file transferred to a node and never downloaded is purged from its
// transfer area after four weeks (injected clock); the register entry and
// chain of custody stay.
func TestTransferAreaPurge(t *testing.T) {
	be := storetest.Backends()[0]
	ctx := context.Background()
	clk := clock.NewFake(time.Now())
	rs := startNode(t, "rs", be, clk)
	ba := startNode(t, "ba", be, clk)
	testutil.PeerAll(t, rs, ba)
	ws := newJIT(t, rs)
	e, err := rs.JIT.RegisterEvidence(ctx, marko, ws.ID, jit.EvidenceInput{Title: "Ledger photos", Origin: "Search of the Novi Sad flat", LegalBasis: "Order Kpp 44/26",
		FileName: "ledger.jpg", Data: []byte("\xff\xd8\xff\xe0 pretend jpeg")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.JIT.TransferEvidence(ctx, marko, ws.ID, e.ID, "ba", ""); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "file in ba's transfer area", 30*time.Second, func() bool {
		// The clock is frozen: move it on so a delivery retried with
		// backoff (a busy machine can make the first attempt fail) comes due.
		clk.Advance(time.Second)
		w, err := ba.JIT.Get(ctx, amra, ws.ID)
		return err == nil && len(w.Evidence) == 1 && w.Evidence[0].FileHere == jit.AreaTransfer
	})
	if n, err := ba.JIT.PurgeTransfers(ctx); err != nil || n != 0 {
		t.Fatalf("purge before time: %d %v", n, err)
	}
	clk.Advance(27 * 24 * time.Hour)
	if n, _ := ba.JIT.PurgeTransfers(ctx); n != 0 {
		t.Fatalf("purged after 27 days")
	}
	clk.Advance(24*time.Hour + time.Minute)
	if n, err := ba.JIT.PurgeTransfers(ctx); err != nil || n != 1 {
		t.Fatalf("purge after 28 days: %d %v", n, err)
	}
	if _, err := ba.JIT.Download(ctx, amra, ws.ID, e.ID); !errs.Is(err, errs.NotFound) {
		t.Fatalf("download after purge: %v", err)
	}
	testutil.WaitFor(t, "purge in the shared chain", 30*time.Second, func() bool {
		clk.Advance(time.Second)
		w := get(t, rs, ana, ws.ID)
		return strings.HasSuffix(custodyActions(w.Evidence[0]), "purged") && w.Evidence[0].ChainOK
	})
	if w := get(t, ba, amra, ws.ID); len(w.Evidence) != 1 || w.Evidence[0].FileHere != "" {
		t.Fatalf("register entry after purge: %+v", w.Evidence)
	}
}

// Two countries' national cases linked as a parallel investigation: the
// same person (in Cyrillic and Latin script) and the same address targeted
// by both give deconfliction warnings on every node; the exchange plan is
// agreed by both parties.
func TestParallelDeconfliction(t *testing.T) {
	be := storetest.Backends()[0]
	ctx := context.Background()
	rs := startNode(t, "rs", be, nil)
	ba := startNode(t, "ba", be, nil)
	testutil.PeerAll(t, rs, ba)
	if _, err := rs.Cases.CreateCase(ctx, marko, cases.CaseInput{Reference: "RS-KT-12/2026", Title: "Cocaine via Bar", CrimeArea: "drugs"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ba.Cases.CreateCase(ctx, amra, cases.CaseInput{Reference: "BA-T-88/26", Title: "Cocaine Sarajevo", CrimeArea: "drugs"}); err != nil {
		t.Fatal(err)
	}
	ws, err := rs.JIT.Create(ctx, marko, jit.CreateInput{Kind: jit.KindParallel, Title: "Cocaine distribution RS/BA", Members: []jit.MemberInput{
		{Node: "rs", Username: "marko", Role: jit.RoleLeader}, {Node: "rs", Username: "ana", Role: jit.RoleProsecutor},
		{Node: "ba", Username: "amra", Role: jit.RolePolice}, {Node: "ba", Username: "tarik", Role: jit.RoleProsecutor}}})
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "replication", 30*time.Second, func() bool { _, err := ba.JIT.Get(ctx, amra, ws.ID); return err == nil })
	if _, err := rs.JIT.LinkCase(ctx, marko, ws.ID, "RS-KT-12/2026", "Belgrade case"); err != nil {
		t.Fatal(err)
	}
	if _, err := ba.JIT.LinkCase(ctx, amra, ws.ID, "RS-KT-12/2026", ""); !errs.Is(err, errs.Invalid) {
		t.Fatalf("linking another country's case: %v", err)
	}
	if _, err := ba.JIT.LinkCase(ctx, amra, ws.ID, "BA-T-88/26", "Sarajevo case"); err != nil {
		t.Fatal(err)
	}
	if _, err := ba.JIT.RegisterEvidence(ctx, amra, ws.ID, jit.EvidenceInput{Title: "x", Origin: "y", LegalBasis: "z", SHA256: strings.Repeat("a", 64)}); !errs.Is(err, errs.Invalid) {
		t.Fatalf("evidence in a parallel investigation: %v", err)
	}
	mustTarget := func(n *testutil.Node, p *auth.Principal, in jit.TargetInput) {
		t.Helper()
		if _, err := n.JIT.AddTarget(ctx, p, ws.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	mustTarget(rs, marko, jit.TargetInput{Kind: "person", Fields: map[string]string{"given_name": "Marko", "family_name": "Petrović", "date_of_birth": "1985-03-12"}})
	mustTarget(rs, marko, jit.TargetInput{Kind: "location", Fields: map[string]string{"address": "Ulica Kralja Petra 12", "city": "Beograd"}})
	mustTarget(ba, amra, jit.TargetInput{Kind: "person", Fields: map[string]string{"full_name": "Петровић Марко", "date_of_birth": "12.03.1985"}})
	mustTarget(ba, amra, jit.TargetInput{Kind: "person", Fields: map[string]string{"given_name": "Ivana", "family_name": "Kovač", "date_of_birth": "1970-07-07"}})
	mustTarget(ba, amra, jit.TargetInput{Kind: "location", Fields: map[string]string{"address": "Kralja Petra 12", "city": "Beograd"}})
	mustTarget(ba, amra, jit.TargetInput{Kind: "location", Fields: map[string]string{"address": "Kralja Petra 12", "city": "Sarajevo"}})
	var bw jit.Workspace
	// The leader (rs) commits a target's warnings with the target, so once
	// ba holds the leader's whole chain no further warning is on its way.
	testutil.WaitFor(t, "targets and warnings at ba", 30*time.Second, func() bool {
		bw = get(t, ba, amra, ws.ID)
		lw := get(t, rs, marko, ws.ID)
		return len(lw.Targets) == 6 && len(bw.Targets) == 6 && bw.LastSeq == lw.LastSeq && len(bw.Warnings) >= 2
	})
	kinds := map[string]int{}
	for _, w := range bw.Warnings {
		kinds[w.Kind]++
		if w.NodeA != "rs" || w.NodeB != "ba" {
			t.Errorf("warning between %s and %s", w.NodeA, w.NodeB)
		}
	}
	if kinds["person"] != 1 || kinds["location"] != 1 {
		t.Fatalf("warnings: %+v", bw.Warnings)
	}
	if len(bw.Cases) != 2 {
		t.Fatalf("cases: %+v", bw.Cases)
	}

	// Exchange plan: agreed when every party agreed the current version.
	if _, err := rs.JIT.AddExchange(ctx, marko, ws.ID, jit.ExchangeInput{What: "Telephone intercept summaries", From: "rs", To: "ba", Channel: "Liaison exchange", Schedule: "weekly"}); err != nil {
		t.Fatal(err)
	}
	if _, err := ba.JIT.AgreeExchange(ctx, amra, ws.ID); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("police agreeing for a party: %v", err)
	}
	testutil.WaitFor(t, "exchange plan at ba", 30*time.Second, func() bool { return len(get(t, ba, amra, ws.ID).Exchange) == 1 })
	if _, err := ba.JIT.AgreeExchange(ctx, tarik, ws.ID); err != nil {
		t.Fatal(err)
	}
	// Submitted again before the first came back: ba's copy cannot know
	// yet, so the leader refuses it and tells ba why.
	if _, err := ba.JIT.AgreeExchange(ctx, tarik, ws.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "the leader's refusal at ba", 30*time.Second, func() bool {
		r := get(t, ba, tarik, ws.ID).Rejections
		return len(r) == 1 && r[0].Kind == jit.EvAgree && strings.Contains(r[0].Reason, "agreed the exchange plan already") && r[0].Actor == "tarik@ba"
	})
	if _, err := rs.JIT.AgreeExchange(ctx, ana, ws.ID); err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "plan agreed everywhere", 30*time.Second, func() bool {
		a, b := get(t, rs, ana, ws.ID), get(t, ba, tarik, ws.ID)
		return a.ExchangeAgreedByAll() && b.ExchangeAgreedByAll()
	})
}

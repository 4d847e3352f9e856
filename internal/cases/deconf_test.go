package cases_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/cases"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestRegionalDeconfliction on three nodes over real federation: Serbia
// and Bosnia and Herzegovina register the same person (Latin script with
// diacritics in one, Cyrillic in the other) in two investigations and
// choose each other as partners; both NCUs get a notice naming only the
// two contact points. Montenegro, which holds the same person but was not
// chosen, receives nothing and learns nothing. Closing one investigation
// removes its targets on the partner and closes both notices.
func TestRegionalDeconfliction(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			ctx := context.Background()
			rs := startPrivateNode(t, "rs", be, regionalSecret, false)
			ba := startPrivateNode(t, "ba", be, regionalSecret, false)
			me := startPrivateNode(t, "me", be, regionalSecret, false)
			testutil.PeerAll(t, rs, ba, me)
			rsOfficer := &auth.Principal{Username: "ana", Agency: "rs-mup", Roles: []auth.Role{auth.RoleOfficer}}
			baOfficer := &auth.Principal{Username: "amra", Agency: "ba-sipa", Roles: []auth.Role{auth.RoleOfficer}}
			meOfficer := &auth.Principal{Username: "luka", Agency: "me-uprava", Roles: []auth.Role{auth.RoleOfficer}}
			ncu := &auth.Principal{Username: "ncu", Agency: "ncu", Roles: []auth.Role{auth.RoleNCUOperator}}

			newCase := func(n *testutil.Node, p *auth.Principal, ref string, targets ...cases.EntityInput) {
				t.Helper()
				if _, err := n.Cases.CreateCase(ctx, p, cases.CaseInput{Reference: ref, Title: "Heroin route " + ref, CrimeArea: "drugs"}); err != nil {
					t.Fatal(err)
				}
				for _, in := range targets {
					in.Case, in.Role = ref, "suspect"
					if _, _, err := n.Cases.CreateEntity(ctx, p, in); err != nil {
						t.Fatal(err)
					}
				}
			}
			newCase(rs, rsOfficer, "RS-OK-12/2026", person("Dragan", "Marković", "1979-04-23", ""),
				cases.EntityInput{Kind: "phone", Fields: map[string]string{"number": "+381641112223"}})
			newCase(ba, baOfficer, "BA-T-7/2026", cases.EntityInput{Kind: "person", Fields: map[string]string{"full_name": "Драган Марковић", "date_of_birth": "23.04.1979"}})
			newCase(me, meOfficer, "ME-55/2026", person("Dragan", "Markovic", "1979-04-23", ""))

			regRS, err := rs.Cases.RegisterDeconfliction(ctx, rsOfficer, "RS-OK-12/2026", cases.DeconfInput{Peers: []string{"ba"}, Contact: "Insp. Ana Ilić, SBPOK, +381 11 000 111"})
			if err != nil {
				t.Fatal(err)
			}
			if l, err := rs.Cases.CaseDeconfliction(ctx, "RS-OK-12/2026"); err != nil || len(l) != 1 || l[0].State != "active" || l[0].Targets != 2 {
				t.Fatalf("case registrations: %+v %v", l, err)
			}
			if regRS.Targets != 2 {
				t.Fatalf("rs registered %d targets, want 2", regRS.Targets)
			}
			// Wait until ba holds rs's registration, then ba registers.
			testutil.WaitFor(t, "rs registration on ba", 20*time.Second, func() bool {
				n, _ := ba.Cases.RemoteRegistrations(ctx)
				return n == 1
			})
			if _, err := ba.Cases.RegisterDeconfliction(ctx, baOfficer, "BA-T-7/2026", cases.DeconfInput{Peers: []string{"rs"}, Contact: "Amra Hodžić, SIPA, +387 33 000 222"}); err != nil {
				t.Fatal(err)
			}
			notices := func(n *testutil.Node, state string) []cases.DeconfNotice {
				l, err := n.Cases.DeconfNotices(ctx, ncu, state)
				if err != nil {
					t.Fatal(err)
				}
				return l
			}
			testutil.WaitFor(t, "notices on both NCUs", 20*time.Second, func() bool {
				return len(notices(rs, "open")) == 1 && len(notices(ba, "open")) == 1
			})
			nrs, nba := notices(rs, "open")[0], notices(ba, "open")[0]
			if nrs.Peer != "ba" || nrs.RemoteContact != "Amra Hodžić, SIPA, +387 33 000 222" || nrs.LocalContact != "Insp. Ana Ilić, SBPOK, +381 11 000 111" || nrs.CaseRef != "RS-OK-12/2026" {
				t.Errorf("rs notice: %+v", nrs)
			}
			if nba.Peer != "rs" || nba.RemoteContact != "Insp. Ana Ilić, SBPOK, +381 11 000 111" || nba.CaseRef != "BA-T-7/2026" {
				t.Errorf("ba notice: %+v", nba)
			}

			// What travelled names no target and no case.
			for _, n := range []*testutil.Node{rs, ba} {
				from := map[*testutil.Node]string{rs: "ba", ba: "rs"}[n]
				assertEnvelopeOpaque(t, n, from, cases.TypeDeconfRegister, []string{"Dragan", "Драган", "Markovi", "Маркови", "1979", "23.04.1979", "19790423", "381641112223", "RS-OK", "BA-T-7", "Heroin"})
			}
			// Montenegro was not chosen: nothing arrived, nothing noticed.
			rows, err := me.Store.QueryContext(ctx, `SELECT type FROM fed_inbox WHERE type LIKE 'cases.deconf%'`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var typ string
				rows.Scan(&typ)
				t.Errorf("me received %s", typ)
			}
			rows.Close()
			if l := notices(me, ""); len(l) != 0 {
				t.Errorf("me has notices: %+v", l)
			}
			if n, _ := me.Cases.RemoteRegistrations(ctx); n != 0 {
				t.Errorf("me holds %d registrations", n)
			}

			// Closing ba's investigation removes its targets on rs and
			// closes the notices on both sides.
			if err := ba.Cases.CloseCase(ctx, baOfficer, "BA-T-7/2026"); err != nil {
				t.Fatal(err)
			}
			testutil.WaitFor(t, "withdrawal on rs", 20*time.Second, func() bool {
				n, _ := rs.Cases.RemoteRegistrations(ctx)
				return n == 0 && len(notices(rs, "open")) == 0
			})
			if len(notices(ba, "open")) != 0 {
				t.Error("ba notice still open after its case closed")
			}
			if l := notices(rs, "closed"); len(l) != 1 || !strings.HasPrefix(l[0].RemoteContact, "Amra") {
				t.Errorf("rs closed notices: %+v", l)
			}
			// A closed case cannot be registered again.
			if _, err := ba.Cases.RegisterDeconfliction(ctx, baOfficer, "BA-T-7/2026", cases.DeconfInput{Peers: []string{"rs"}, Contact: "Amra"}); err == nil {
				t.Error("a closed case was registered")
			}
		})
	}
}

package alerts_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// A register loaded from the console with recipients is distributed in
// the same transaction: every partner receives a signed copy of each
// alert. A row whose recipient has no legal basis refuses the whole load.
func TestBulkLoadDistributes(t *testing.T) {
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		c := startCluster(t, b, "rs", "me", "xk")
		p := setup(t, c)
		console := &auth.Principal{Username: "console", Agency: "rs-ncu", Roles: []auth.Role{auth.RoleNCUOperator}, Console: true}
		draft := func(i int, to ...string) alerts.AlertDraft {
			d := alerts.AlertDraft{Kind: alerts.KindObject, Object: &alerts.WantedObject{Type: "vehicle", Plate: "BG" + strconv.Itoa(100000+i) + "AB"},
				Action: "Seize.", Reason: "Stolen.", Authority: "Police Directorate"}
			for _, r := range to {
				d.Recipients = append(d.Recipients, alerts.RecipientInput{Node: r})
			}
			return d
		}
		count := func(n *testutil.Node) int {
			var k int
			if err := n.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts WHERE origin_node = 'rs'`).Scan(&k); err != nil {
				t.Fatal(err)
			}
			return k
		}
		// Kosovo has no legal basis under PCC SEE: nothing is written.
		err := p.rs.Alerts.BulkLoad(ctx, console, []alerts.AlertDraft{draft(1, "me"), draft(2, "xk")})
		if !errs.Is(err, errs.Invalid) || count(p.rs) != 0 {
			t.Fatalf("load with a recipient without legal basis: %v, %d stored", err, count(p.rs))
		}
		var drafts []alerts.AlertDraft
		for i := 0; i < 30; i++ {
			drafts = append(drafts, draft(i, "me"))
		}
		drafts = append(drafts, draft(99)) // kept at home
		if err := p.rs.Alerts.BulkLoad(ctx, console, drafts); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "30 copies on me", wait, func() bool { return count(p.me) == 30 })
		list, err := p.me.Alerts.List(ctx, p.meNCU, alerts.Filter{})
		if err != nil || len(list) != 30 || list[0].LegalBasis == "" {
			t.Fatalf("copies on me: %d, %v", len(list), err)
		}
		if got, err := p.me.Alerts.Check(ctx, p.mePol, "BG100007AB", "test"); err != nil || !got.Hit {
			t.Fatalf("check of a distributed plate on me: %+v %v", got, err)
		}
	})
}

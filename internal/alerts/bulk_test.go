package alerts_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/errs"
	"github.com/liaison-wb/liaison/internal/federation"
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
		const n = 260 // more than one envelope holds
		var drafts []alerts.AlertDraft
		for i := 0; i < n; i++ {
			drafts = append(drafts, draft(i, "me"))
		}
		drafts = append(drafts, draft(999)) // kept at home
		if err := p.rs.Alerts.BulkLoad(ctx, console, drafts); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "copies on me", wait, func() bool { return count(p.me) == n })
		list, err := p.me.Alerts.List(ctx, p.meNCU, alerts.Filter{})
		if err != nil || len(list) != n || list[0].LegalBasis == "" || list[0].Signature == "" || list[0].EnvelopeID == "" {
			t.Fatalf("copies on me: %d, %v", len(list), err)
		}
		if got, err := p.me.Alerts.Check(ctx, p.mePol, "BG100007AB", "test"); err != nil || !got.Hit {
			t.Fatalf("check of a distributed plate on me: %+v %v", got, err)
		}
		if got := auditCount(t, p.me, "alerts.receive", "alerts/"+list[0].ID); got != 1 {
			t.Fatalf("receipt of one copy audited %d times", got)
		}
		// The copies travel many to a signed envelope, within its limits.
		rows, err := p.rs.Store.QueryContext(ctx, `SELECT envelope FROM fed_outbox WHERE peer = 'me' AND type = ? ORDER BY id`, alerts.TypePublishBatch)
		if err != nil {
			t.Fatal(err)
		}
		var envs []federation.Envelope
		for rows.Next() {
			var raw string
			var env federation.Envelope
			if err := rows.Scan(&raw); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(raw), &env); err != nil {
				t.Fatal(err)
			}
			envs = append(envs, env)
		}
		rows.Close()
		if len(envs) != 2 {
			t.Fatalf("%d alerts went in %d envelopes, want 2", n, len(envs))
		}
		var batch struct {
			Alerts []json.RawMessage `json:"alerts"`
		}
		if err := json.Unmarshal(envs[0].Payload, &batch); err != nil || len(batch.Alerts) == 0 {
			t.Fatalf("batch payload: %v", err)
		}

		// A batch with a copy that fails its checks: that copy is refused
		// and audited, the others are kept, the envelope is handled.
		var tampered map[string]any
		if err := json.Unmarshal(batch.Alerts[0], &tampered); err != nil {
			t.Fatal(err)
		}
		tampered["reason"] = "Changed on the way."
		bad, _ := json.Marshal(tampered)
		var again struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(batch.Alerts[1], &again)
		good := batch.Alerts[1] // sent again: the copy is replaced by itself
		if _, err := p.rs.Fed.Send(ctx, federation.Outgoing{To: "me", Type: alerts.TypePublishBatch,
			Payload: map[string]any{"summary": "test", "alerts": []json.RawMessage{bad, []byte(`{"id":""}`), good}}}); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, "the good copy of the mixed batch", wait, func() bool { return auditCount(t, p.me, "alerts.receive", "alerts/"+again.ID) == 2 })
		var refused int
		if err := p.me.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'alerts.receive' AND outcome = 'failed'`).Scan(&refused); err != nil {
			t.Fatal(err)
		}
		if refused != 2 {
			t.Fatalf("%d refusals audited, want 2", refused)
		}
		if got, err := p.me.Alerts.Get(ctx, p.meNCU, tampered["id"].(string)); err != nil || got.Reason == "Changed on the way." {
			t.Fatalf("tampered copy: %+v %v", got.Reason, err)
		}
	})
}

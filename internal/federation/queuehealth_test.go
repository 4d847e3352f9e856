package federation_test

import (
	"testing"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestQueueHealthCountsAndReasons: on both databases, the outbox and the
// inbox report waiting, retrying and failed envelopes, with the reason of
// each problem and no content.
func TestQueueHealthCountsAndReasons(t *testing.T) {
	for _, be := range storetest.Backends() {
		t.Run(be.Name, func(t *testing.T) {
			// Checked before the node's workers start, which would pick up
			// the waiting envelopes.
			testutil.Start(t, testutil.Options{NodeID: "rs", Store: be.Options(t), BeforeStart: func(n *app.Node) { checkQueueHealth(t, n) }})
		})
	}
}

func checkQueueHealth(t *testing.T, n *app.Node) {
	t.Helper()
	ctx := t.Context()
	if _, err := n.Store.ExecContext(ctx, `INSERT INTO fed_peers (id, name, url, public_key, created_at) VALUES ('ba', 'Bosnia', 'http://127.0.0.1:1', 'x', '2026-01-01T00:00:00.000000Z')`); err != nil {
		t.Fatal(err)
	}
	for _, r := range []struct {
		id, state, lastErr string
		attempts           int
	}{
		{"o-wait", federation.OutQueued, "", 0},
		{"o-retry", federation.OutQueued, "connection refused", 4},
		{"o-fail", federation.OutFailed, "rejected: unknown sender", 1},
		{"o-done", federation.OutDelivered, "", 1},
	} {
		if _, err := n.Store.ExecContext(ctx, `INSERT INTO fed_outbox (id, peer, type, conversation, seq, created_at, envelope, state, attempts, next_attempt_at, last_error)
			VALUES (?, 'ba', 'exchange.message', ?, 1, '2026-01-01T00:00:00.000000Z', '{"payload":"the content"}', ?, ?, '2026-01-01T00:10:00.000000Z', ?)`, r.id, r.id, r.state, r.attempts, r.lastErr); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct{ id, state, lastErr string }{
		{"i-wait", federation.InReceived, ""},
		{"i-retry", federation.InReceived, "waiting for another conversation"},
		{"i-fail", federation.InFailed, "cannot apply"},
		{"i-done", federation.InHandled, ""},
	} {
		if _, err := n.Store.ExecContext(ctx, `INSERT INTO fed_inbox (id, peer, type, conversation, created_at, received_at, envelope, state, last_error)
			VALUES (?, 'ba', 'mla.request', ?, '2026-01-01T00:00:00.000000Z', '2026-01-01T00:00:00.000000Z', '{}', ?, ?)`, r.id, r.id, r.state, r.lastErr); err != nil {
			t.Fatal(err)
		}
	}
	qs, err := n.Fed.QueueHealth(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(qs) != 2 {
		t.Fatalf("%d queues", len(qs))
	}
	out, in := qs[0], qs[1]
	if out.Queue != "federation.outbox" || out.Waiting != 1 || out.Retrying != 1 || out.Failed != 1 || out.Oldest.IsZero() || len(out.Problems) != 2 {
		t.Fatalf("outbox: %+v", out)
	}
	for _, p := range out.Problems {
		switch p.ID {
		case "o-retry":
			if p.State != "retrying" || p.LastError != "connection refused" || p.Attempts != 4 || p.NextTry.IsZero() || p.What != "exchange.message" {
				t.Errorf("retrying envelope: %+v", p)
			}
		case "o-fail":
			if p.State != "failed" || p.LastError != "rejected: unknown sender" {
				t.Errorf("failed envelope: %+v", p)
			}
		default:
			t.Errorf("unexpected problem %+v", p)
		}
	}
	if in.Queue != "federation.inbox" || in.Waiting != 1 || in.Retrying != 1 || in.Failed != 1 || len(in.Problems) != 2 {
		t.Fatalf("inbox: %+v", in)
	}
}

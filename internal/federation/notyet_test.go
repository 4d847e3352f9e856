package federation_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

const typeNeeds = "test.needs"

type needsPayload struct {
	N     int    `json:"n"`
	Needs string `json:"needs"` // node_settings key that must exist first
}

// registerNeeds installs typeSeq and a handler that waits (ErrNotYet) for a
// key another conversation writes, and refuses a message handled before its
// predecessor in its own conversation.
func registerNeeds(n *app.Node) {
	registerSeq(n)
	n.Fed.Register(typeNeeds, federation.TypeSpec{Handle: func(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
		var p needsPayload
		if err := json.Unmarshal(in.Payload, &p); err != nil {
			return err
		}
		var v string
		if err := tx.QueryRowContext(ctx, `SELECT value FROM node_settings WHERE key = ?`, p.Needs).Scan(&v); err != nil {
			return federation.ErrNotYet
		}
		key := func(i int) string { return fmt.Sprintf("needs/%s/%d", in.Conversation, i) }
		if p.N > 1 {
			if err := tx.QueryRowContext(ctx, `SELECT value FROM node_settings WHERE key = ?`, key(p.N-1)).Scan(&v); err != nil {
				return fmt.Errorf("message %d handled before %d", p.N, p.N-1)
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO node_settings (key, value) VALUES (?, ?)`, key(p.N), in.ID)
		return err
	}})
}

func inboxStates(t *testing.T, n *testutil.Node, typ string) map[string]int {
	t.Helper()
	rows, err := n.Store.QueryContext(context.Background(), `SELECT state, COUNT(*) FROM fed_inbox WHERE type = ? GROUP BY state`, typ)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var s string
		var c int
		if err := rows.Scan(&s, &c); err != nil {
			t.Fatal(err)
		}
		out[s] = c
	}
	return out
}

// A message that depends on another conversation waits for it instead of
// failing, keeps its own conversation's order, and is set aside only after
// NotYetLimit.
func TestHandlerWaitsForAnotherConversation(t *testing.T) {
	clk := clock.NewFake(time.Now())
	start := func(id string) *testutil.Node {
		return testutil.Start(t, testutil.Options{NodeID: id, Store: storetest.Backends()[0].Options(t), Clock: clk, BeforeStart: registerNeeds,
			Config: func(c *config.Config) { c.InsecureFederation = true }})
	}
	rs, ba := start("rs"), start("ba")
	testutil.PeerAll(t, rs, ba)
	ctx := context.Background()
	send := func(conv string, ps ...needsPayload) {
		t.Helper()
		err := rs.Store.InTx(ctx, func(tx *store.Tx) error {
			for _, p := range ps {
				if _, err := rs.Fed.Enqueue(ctx, tx, federation.Outgoing{To: "ba", Type: typeNeeds, Conversation: conv, Payload: p}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		rs.Fed.Notify()
	}
	tick := func() { clk.Advance(time.Second) } // a frozen clock would hold back delivery retries
	send("files", needsPayload{N: 1, Needs: "got/rs/create/000001"}, needsPayload{N: 2, Needs: "got/rs/create/000001"})
	send("orphan", needsPayload{N: 1, Needs: "never-written"})
	testutil.WaitFor(t, "the dependent messages at ba", 30*time.Second, func() bool {
		tick()
		return inboxStates(t, ba, typeNeeds)[federation.InReceived] == 3
	})
	if _, err := ba.Fed.DispatchOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if st := inboxStates(t, ba, typeNeeds); st[federation.InReceived] != 3 || st[federation.InFailed] != 0 {
		t.Fatalf("waiting messages: %v; want all 3 still received, none failed", st)
	}

	sendSeq(t, rs, "ba", "create", 1, 1)
	testutil.WaitFor(t, "the waiting conversation handled in order", 30*time.Second, func() bool {
		tick()
		return inboxStates(t, ba, typeNeeds)[federation.InHandled] == 2
	})
	if failedHandlers(t, ba) != 0 {
		t.Fatal("a waiting message was handled out of order")
	}

	clk.Advance(federation.NotYetLimit)
	if _, err := ba.Fed.DispatchOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if st := inboxStates(t, ba, typeNeeds); st[federation.InFailed] != 1 || st[federation.InReceived] != 0 {
		t.Fatalf("after the waiting limit: %v; want the orphan set aside as failed", st)
	}
}

package federation_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/audit"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
	"github.com/liaison-wb/liaison/internal/testutil"
	"github.com/liaison-wb/liaison/internal/witness"
)

// rotateOffline rotates (or revokes) n's key the way the CLI does: node
// stopped, rotation in its own process, node started again on the same
// data directory and federation address.
func rotateOffline(t *testing.T, n *testutil.Node, grace time.Duration, revoke bool, reason string) (*testutil.Node, federation.KeyRotation) {
	t.Helper()
	ctx := context.Background()
	cfg := n.Cfg
	addr := strings.TrimPrefix(n.FederationURL(), "https://")
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	n.Close(cctx)
	cancel()
	off, err := app.Open(ctx, cfg, testutil.Logger(t), clock.System{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := off.Fed.RotateKey(ctx, nil, cfg.DataDir, grace, revoke, reason)
	if err != nil {
		t.Fatal(err)
	}
	off.Close(ctx)
	again := testutil.Start(t, testutil.Options{NodeID: cfg.NodeID, NoCleanup: true, BeforeStart: registerSeq, Config: func(c *config.Config) {
		c.DataDir, c.FederationAddr = cfg.DataDir, addr
	}})
	return again, res
}

// deliverSignedBy posts one pong envelope to to.Fed as from, signed (envelope
// and delivery) by key, and returns the receiver's verdict.
func deliverSignedBy(t *testing.T, to *testutil.Node, from string, key ed25519.PrivateKey) (string, error) {
	t.Helper()
	now := time.Now().UTC()
	env := federation.Envelope{ID: store.NewID(), From: from, To: to.Cfg.NodeID, Type: federation.TypePong, Conversation: store.NewID(), Seq: 1, CreatedAt: now, Payload: json.RawMessage(`{"summary":"pong"}`)}
	if err := env.Sign(key); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(env)
	body, _ := json.Marshal(map[string]any{"envelopes": []json.RawMessage{raw}})
	sentAt := now.Format(time.RFC3339Nano)
	sig := base64.StdEncoding.EncodeToString(ed25519.Sign(key, federation.DeliveryText(from, to.Cfg.NodeID, sentAt, body)))
	res, err := to.Fed.Receive(context.Background(), from, sentAt, sig, "", body)
	if err != nil {
		return "", err
	}
	return res[0].Status + " " + res[0].Code, nil
}

func TestKeyRotationAndRevocationBetweenTwoNodes(t *testing.T) {
	ctx := context.Background()
	m := mode{"mtls", true}
	a := testutil.Start(t, testutil.Options{NodeID: "rs", NoCleanup: true, BeforeStart: registerSeq, Config: func(c *config.Config) { c.FederationAddr = "127.0.0.1:0" }})
	b := startNode(t, "al", store.Options{}, m, "", "")
	testutil.Peer(t, a, b)
	testutil.RoundTrip(t, a, "al")
	oldKey := a.Identity.Key
	oldPub := a.Identity.PublicString()

	// Messages in flight: queued at a while b refuses a's deliveries.
	if err := b.Fed.SetSuspended(ctx, nil, "rs", true); err != nil {
		t.Fatal(err)
	}
	sendSeq(t, a, "al", "c1", 1, 10)
	testutil.WaitFor(t, "a delivery attempt refused", 10*time.Second, func() bool {
		e, _ := a.Fed.Peers(ctx)
		return len(e) == 1 && e[0].Failures > 0
	})

	a, rot := rotateOffline(t, a, time.Hour, false, "")
	defer a.Close(context.Background())
	if rot.Resigned != 10 || len(rot.Announced) != 1 || a.Identity.PublicString() != rot.NewKey || rot.OldKey != oldPub {
		t.Fatalf("rotation %+v", rot)
	}
	sendSeq(t, a, "al", "c1", 11, 20) // signed with the new key
	if err := b.Fed.SetSuspended(ctx, nil, "rs", false); err != nil {
		t.Fatal(err)
	}
	a.Fed.RetryNow(ctx, "")
	testutil.WaitFor(t, "all 20 messages handled at al", 20*time.Second, func() bool { return countGot(t, b, "rs", "c1") == 20 })
	if f := failedHandlers(t, b); f != 0 {
		t.Fatalf("%d handler failures", f)
	}
	var failedOut int
	a.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM fed_outbox WHERE state = ?`, federation.OutFailed).Scan(&failedOut)
	if failedOut != 0 {
		t.Fatalf("%d messages refused after the rotation", failedOut)
	}
	p, err := b.Fed.Peer(ctx, "rs")
	if err != nil || p.PublicKey != rot.NewKey || p.PrevPublicKey != oldPub || !p.PrevKeyUntil.After(time.Now()) {
		t.Fatalf("al's view of rs after the rotation: %+v %v", p, err)
	}

	// During the grace period an envelope signed with the old key is accepted;
	// after it, refused.
	if v, err := deliverSignedBy(t, b, "rs", oldKey); err != nil || v != "accepted " {
		t.Fatalf("old key in the grace period: %q %v", v, err)
	}
	if _, err := b.Store.ExecContext(ctx, `UPDATE fed_peers SET prev_key_until = ? WHERE id = 'rs'`, store.FormatTime(time.Now().Add(-time.Second))); err != nil {
		t.Fatal(err)
	}
	if _, err := deliverSignedBy(t, b, "rs", oldKey); !strings.Contains(errOf(err), "signature does not verify") {
		t.Fatalf("old key after the grace period: %v", err)
	}

	// The audit log verifies across the rotation, with the earlier key known:
	// a checkpoint signed at shutdown by the old key, one by the new.
	if _, err := a.Audit.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.Verify(ctx, a.Store, audit.VerifyOptions{Pinned: a.Identity.Public(), Previous: a.Identity.PreviousPublic()})
	if err != nil || !rep.OK() || rep.Checkpoints < 2 {
		t.Fatalf("audit verify after rotation: %v %v (%d checkpoints)", err, rep.Problems, rep.Checkpoints)
	}
	if rep, _ := audit.Verify(ctx, a.Store, audit.VerifyOptions{Pinned: a.Identity.Public()}); rep.OK() {
		t.Fatal("checkpoints by the old key pass without knowing it")
	}
	// b witnesses a's log signed with the new key.
	size, err := a.Witness.Publish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, "al cosigns rs's checkpoint signed with the new key", 20*time.Second, func() bool {
		st, err := a.Witness.Status(ctx)
		if err != nil {
			return false
		}
		for _, c := range st.Cosignatures {
			if c.Witness == "al" && c.Status == witness.StatusCosigned && c.Size >= size {
				return true
			}
		}
		return false
	})

	// Revocation: al stops trusting the key at once and its NCU sees the notice.
	current := a.Identity.Key
	a2, rev := rotateOffline(t, a, 0, true, "key file copied to a laptop that was stolen")
	defer a2.Close(context.Background())
	testutil.WaitFor(t, "al learns the revocation", 20*time.Second, func() bool {
		p, _ := b.Fed.Peer(ctx, "rs")
		return p.PublicKey == rev.NewKey
	})
	if _, err := deliverSignedBy(t, b, "rs", current); !strings.Contains(errOf(err), "signature does not verify") {
		t.Fatalf("revoked key: %v", err)
	}
	ncu := &auth.Principal{Username: "ncu", Agency: "al-ncu", Roles: []auth.Role{auth.RoleNCUOperator}}
	q, err := b.Fed.Queue(ctx, ncu)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range q {
		found = found || (it.Type == federation.TypeKeyRevoke && it.Direction == "incoming" && it.Peer == "rs")
	}
	if !found {
		t.Fatalf("the revocation is not in al's NCU queue: %+v", q)
	}
	if err := b.Fed.AddPeer(ctx, nil, federation.Peer{ID: "rs", URL: a2.FederationURL(), PublicKey: rev.OldKey, CertSHA256: federation.CertFingerprint(a2.FedTLS)}); err == nil {
		t.Fatal("a revoked key was accepted again")
	}
	testutil.RoundTrip(t, a2, "al")
}

func errOf(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

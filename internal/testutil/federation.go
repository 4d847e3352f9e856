package testutil

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/federation"
)

// Peer makes a and b peers of each other, using each node's federation URL
// and certificate fingerprint.
func Peer(t testing.TB, a, b *Node) {
	t.Helper()
	ctx := context.Background()
	for _, pair := range [][2]*Node{{a, b}, {b, a}} {
		from, to := pair[0], pair[1]
		err := from.Fed.AddPeer(ctx, nil, federation.Peer{ID: to.Cfg.NodeID, Name: to.Cfg.NodeName, URL: to.FederationURL(),
			PublicKey: to.Identity.PublicString(), CertSHA256: federation.CertFingerprint(to.FedTLS)})
		if err != nil {
			t.Fatalf("peer %s → %s: %v", from.Cfg.NodeID, to.Cfg.NodeID, err)
		}
	}
}

// PeerAll peers every pair of nodes.
func PeerAll(t testing.TB, nodes ...*Node) {
	t.Helper()
	for i := range nodes {
		for j := i + 1; j < len(nodes); j++ {
			Peer(t, nodes[i], nodes[j])
		}
	}
}

// RoundTrip sends a ping from n to peer and waits until the peer has
// acknowledged it. Whatever n had queued for peer before the call has been
// through a delivery pass by then, so a test can go on to assert that a
// message held for the NCU did not leave.
func RoundTrip(t testing.TB, n *Node, peer string) {
	t.Helper()
	ctx := context.Background()
	id, err := n.Fed.Ping(ctx, nil, peer)
	if err != nil {
		t.Fatal(err)
	}
	WaitFor(t, "a ping from "+n.Cfg.NodeID+" delivered to "+peer, 20*time.Second, func() bool {
		e, err := n.Fed.Outbox(ctx, id)
		return err == nil && e.State == federation.OutDelivered
	})
}

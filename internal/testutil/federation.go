package testutil

import (
	"context"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store/storetest"
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

// ApproveAll approves every outgoing message waiting at n's NCU and returns
// how many there were.
func ApproveAll(t testing.TB, n *Node, ncu *auth.Principal) int {
	t.Helper()
	q, err := n.Fed.Queue(context.Background(), ncu)
	if err != nil {
		t.Fatal(err)
	}
	k := 0
	for _, it := range q {
		if it.Direction == "outgoing" {
			if err := n.Fed.Approve(context.Background(), ncu, it.ID); err != nil {
				t.Fatal(err)
			}
			k++
		}
	}
	return k
}

// RouteIncoming waits for an incoming message of type typ at n's NCU and
// routes it to agency.
func RouteIncoming(t testing.TB, n *Node, ncu *auth.Principal, typ, agency string) federation.QueueItem {
	t.Helper()
	var item federation.QueueItem
	WaitFor(t, "incoming "+typ+" at "+n.Cfg.NodeID+"'s NCU", 20*time.Second, func() bool {
		q, _ := n.Fed.Queue(context.Background(), ncu)
		for _, it := range q {
			if it.Direction == "incoming" && it.Type == typ {
				item = it
				return true
			}
		}
		return false
	})
	if err := n.Fed.Route(context.Background(), ncu, item.ID, agency); err != nil {
		t.Fatal(err)
	}
	return item
}

// Cluster is a set of nodes that share one fake clock and are peers of
// each other, for tests that follow a workflow across countries.
type Cluster struct {
	Clock *clock.Fake
	Nodes map[string]*Node
}

// StartCluster starts one node per ID, each on a fresh database of
// backend, all on one fake clock (started at the current time) and
// peered with each other over federation on loopback.
func StartCluster(t *testing.T, backend storetest.Backend, ids ...string) *Cluster {
	t.Helper()
	c := &Cluster{Clock: clock.NewFake(time.Now().UTC()), Nodes: map[string]*Node{}}
	var ns []*Node
	for _, id := range ids {
		n := Start(t, Options{NodeID: id, Store: backend.Options(t), Clock: c.Clock, Config: func(cfg *config.Config) { cfg.InsecureFederation = true }})
		c.Nodes[id] = n
		ns = append(ns, n)
	}
	PeerAll(t, ns...)
	return c
}

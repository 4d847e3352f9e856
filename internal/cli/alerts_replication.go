package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/liaison-wb/liaison/internal/alerts"
	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/federation/fedbench"
	"github.com/liaison-wb/liaison/internal/match/synth"
)

// replicationPeers are partners an alert from Serbia may go to under the
// directory's reference agreements (PCC SEE, the Council of Europe
// conventions).
var replicationPeers = []string{"al", "ba", "me", "mk", "at", "si", "bg", "hu", "hr"}

// runAlertsReplication measures how long a register of n alerts in force,
// loaded on one node with every partner as recipient, takes to reach all
// of them: real nodes on loopback, mutual TLS, signed envelopes, each
// partner storing and indexing its copies.
func runAlertsReplication(ctx context.Context, env Env, n, peers int, db, dir string) error {
	if peers > len(replicationPeers) {
		return usagef("--peers is at most %d", len(replicationPeers))
	}
	ids := append([]string{"rs"}, replicationPeers[:peers]...)
	backend := "SQLite"
	if db != "" {
		backend = "PostgreSQL"
	}
	fmt.Fprintf(env.Stdout, "alerts replication benchmark: %d alerts from rs to %d partners (%v), mutual TLS, %s\n", n, peers, ids[1:], backend)
	c, err := fedbench.StartCluster(ctx, ids, db, dir, true)
	if err != nil {
		return err
	}
	defer c.Close(ctx)
	issuer := c.Nodes["rs"]
	console := &auth.Principal{Username: "bench", Agency: "rs-ncu", Roles: []auth.Role{auth.RoleNCUOperator}, Console: true}
	var to []alerts.RecipientInput
	for _, id := range ids[1:] {
		to = append(to, alerts.RecipientInput{Node: id})
	}
	received := func(id string) (int, error) {
		var k int
		err := c.Nodes[id].Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM alerts WHERE origin_node = 'rs'`).Scan(&k)
		return k, err
	}

	g := synth.New(20261204)
	t0 := time.Now()
	const chunk = 1000
	buf := make([]alerts.AlertDraft, 0, chunk)
	for i := 0; i < n; i++ {
		d, _ := syntheticAlert(g, i)
		d.Recipients = to
		buf = append(buf, d)
		if len(buf) == chunk || i == n-1 {
			if err := issuer.Alerts.BulkLoad(ctx, console, buf); err != nil {
				return err
			}
			buf = buf[:0]
			fmt.Fprintf(env.Stderr, "\rloaded and queued %d alerts (%.0f/s)   ", i+1, float64(i+1)/time.Since(t0).Seconds())
		}
	}
	queued := time.Since(t0)
	fmt.Fprintln(env.Stderr)
	var envelopes int
	if err := issuer.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM fed_outbox`).Scan(&envelopes); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "loaded and queued: %s (%d copies in %d signed envelopes, %.0f copies/s)\n", queued.Round(time.Second), n*peers, envelopes, float64(n*peers)/queued.Seconds())

	done := map[string]time.Duration{}
	last := time.Now()
	for len(done) < peers {
		if err := ctx.Err(); err != nil {
			return err
		}
		total := 0
		for _, id := range ids[1:] {
			k, err := received(id)
			if err != nil {
				return err
			}
			total += k
			if _, ok := done[id]; !ok && k >= n {
				done[id] = time.Since(t0)
			}
		}
		if time.Since(last) >= 5*time.Second {
			fmt.Fprintf(env.Stderr, "\rreceived %d of %d copies (%.0f/s)   ", total, n*peers, float64(total)/time.Since(t0).Seconds())
			last = time.Now()
		}
		if time.Since(t0) > time.Hour {
			return fmt.Errorf("alerts replication: %d of %d copies after an hour", total, n*peers)
		}
		time.Sleep(200 * time.Millisecond)
	}
	fmt.Fprintln(env.Stderr)
	all := time.Duration(0)
	for _, id := range ids[1:] {
		fmt.Fprintf(env.Stdout, "  %s holds all %d alerts after %s\n", id, n, done[id].Round(100*time.Millisecond))
		all = max(all, done[id])
	}
	fmt.Fprintf(env.Stdout, "replication of %d alerts to %d partners: %s (%.0f copies/s)\n", n, peers, all.Round(100*time.Millisecond), float64(n*peers)/all.Seconds())
	return nil
}

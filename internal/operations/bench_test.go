package operations_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/operations"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// BenchmarkUpdateLatency measures the time from an update entered on one
// node (Serbia) to the partner's board showing it (Bosnia and Herzegovina:
// the change announced to its subscribers and the board read again), with
// 50 hot pursuits each updated once a second. One iteration is one second
// (50 updates); run with -benchtime 20x for 1,000 updates. Reports p50,
// p95, p99 and max in milliseconds.
func BenchmarkUpdateLatency(b *testing.B) {
	const ops = 50
	ctx := context.Background()
	start := func(id string) *testutil.Node {
		return testutil.Start(b, testutil.Options{NodeID: id, Config: func(c *config.Config) { c.InsecureFederation = true }})
	}
	rs, ba := start("rs"), start("ba")
	testutil.Peer(b, rs, ba)
	rsPol := &auth.Principal{Username: "ana", Agency: "rs-traffic", Roles: []auth.Role{auth.RoleOfficer}}
	baNCU := &auth.Principal{Username: "ba-ncu", Agency: "ba-ncu", Roles: []auth.Role{auth.RoleNCUOperator}}
	ids := make([]string, ops)
	for i := range ops {
		o, err := rs.Ops.Open(ctx, rsPol, operations.OpenInput{Kind: operations.KindPursuit, Title: fmt.Sprintf("Pursuit %d", i), Countries: []string{"ba"},
			Details: operations.OpDetails{Unit: "Traffic police", Offence: "robbery"}})
		if err != nil {
			b.Fatal(err)
		}
		ids[i] = o.ID
	}
	testutil.WaitFor(b, "the operations on the partner's board", 60*time.Second, func() bool {
		board, err := ba.Ops.Board(ctx, baNCU, operations.BoardFilter{})
		return err == nil && len(board) == ops
	})

	var mu sync.Mutex
	sent := map[string]time.Time{} // text of the update → when it was entered
	var lat []time.Duration
	changes, stop := ba.Ops.Subscribe()
	defer stop()
	go func() {
		for range changes {
			// What the partner's open board does on a change: read it again.
			board, err := ba.Ops.Board(ctx, baNCU, operations.BoardFilter{})
			if err != nil {
				continue
			}
			now := time.Now()
			mu.Lock()
			for _, o := range board {
				if t, ok := sent[o.LastText]; ok {
					lat = append(lat, now.Sub(t))
					delete(sent, o.LastText)
				}
			}
			mu.Unlock()
		}
	}()
	b.ResetTimer()
	n := 0
	for i := range b.N {
		round := time.Now()
		for j, id := range ids {
			// Spread the 50 updates over the second.
			time.Sleep(time.Until(round.Add(time.Duration(j) * time.Second / ops)))
			text := fmt.Sprintf("update %d of operation %d", i, j)
			mu.Lock()
			sent[text] = time.Now()
			mu.Unlock()
			if _, err := rs.Ops.Act(ctx, rsPol, id, operations.ActInput{Kind: operations.EvPosition, Text: text, Position: "44.4, 19.1"}); err != nil {
				b.Fatal(err)
			}
			n++
		}
		time.Sleep(time.Until(round.Add(time.Second)))
	}
	testutil.WaitFor(b, "every update on the partner's board", 60*time.Second, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(lat) == n
	})
	b.StopTimer()
	stop()
	mu.Lock()
	defer mu.Unlock()
	slices.Sort(lat)
	q := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(q(0.5), "p50-ms")
	b.ReportMetric(q(0.95), "p95-ms")
	b.ReportMetric(q(0.99), "p99-ms")
	b.ReportMetric(q(1), "max-ms")
	b.ReportMetric(float64(len(lat)), "updates")
}

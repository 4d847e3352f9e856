package exchange_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/liaison-wb/liaison/internal/auth"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/exchange"
	"github.com/liaison-wb/liaison/internal/store/storetest"
	"github.com/liaison-wb/liaison/internal/testutil"
)

// TestThroughput measures messages per second through the full path between
// two nodes: compose (one transaction each, with outbox), NCU approval (one
// decision each), delivery, auto-routing at the receiver, storage with the
// search index, and delivery acknowledgement. Set LIAISON_BENCH_EXCHANGE to
// the number of messages (e.g. 2000) to run it.
func TestThroughput(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("LIAISON_BENCH_EXCHANGE"))
	if n <= 0 {
		t.Skip("set LIAISON_BENCH_EXCHANGE=N to measure")
	}
	eachBackend(t, func(t *testing.T, b storetest.Backend) {
		ctx := context.Background()
		var nodes []*testutil.Node
		for _, id := range []string{"rs", "me"} {
			nodes = append(nodes, testutil.Start(t, testutil.Options{NodeID: id, Store: b.Options(t), Clock: clock.System{}, Config: func(c *config.Config) { c.InsecureFederation = true }}))
		}
		testutil.PeerAll(t, nodes...)
		rs, me := nodes[0], nodes[1]
		off := user(t, rs, "rs-officer", "rs-police", auth.RoleOfficer)
		ncu := user(t, rs, "rs-ncu", "rs-ncu", auth.RoleNCUOperator)
		meNCU := user(t, me, "me-ncu", "me-ncu", auth.RoleNCUOperator)
		th, err := rs.Exchange.Compose(ctx, off, exchange.NewThread{Subject: "Throughput", Parties: []string{"me"}, Body: "first", Markings: marks("restricted", true)})
		if err != nil {
			t.Fatal(err)
		}
		testutil.ApproveAll(t, rs, ncu)
		testutil.RouteIncoming(t, me, meNCU, exchange.TypeMessage, "me-police")
		count := func() int {
			var k int
			_ = me.Store.QueryRowContext(ctx, `SELECT COUNT(*) FROM ex_messages WHERE thread_id = ?`, th.ID).Scan(&k)
			return k
		}
		testutil.WaitFor(t, "first message", 20*time.Second, func() bool { return count() == 1 })

		start := time.Now()
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // the NCU approves as messages arrive in its queue
			defer wg.Done()
			for {
				q, _ := rs.Fed.Queue(ctx, ncu)
				for _, it := range q {
					_ = rs.Fed.Approve(ctx, ncu, it.ID)
				}
				select {
				case <-done:
					return
				case <-time.After(20 * time.Millisecond):
				}
			}
		}()
		composed := time.Now()
		const writers = 8 // officers composing at the same time
		var cw sync.WaitGroup
		errc := make(chan error, writers)
		for w := 0; w < writers; w++ {
			cw.Add(1)
			go func(w int) {
				defer cw.Done()
				for i := w; i < n; i += writers {
					if _, err := rs.Exchange.Reply(ctx, off, th.ID, exchange.Reply{Kind: exchange.KindFollowUp, Body: fmt.Sprintf("Follow-up %d about vehicle BG-%03d-XY and Đorđe Petrović", i, i%1000),
						Markings: marks("restricted", true, "H0")}); err != nil {
						errc <- err
						return
					}
				}
			}(w)
		}
		cw.Wait()
		close(errc)
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		composedIn := time.Since(composed)
		deadline := time.Now().Add(10 * time.Minute)
		for count() < n+1 && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		close(done)
		wg.Wait()
		elapsed := time.Since(start)
		if got := count(); got != n+1 {
			t.Fatalf("%d of %d messages arrived", got-1, n)
		}
		t.Logf("%s: %d messages through compose → NCU approve → deliver → auto-route → store+index in %v: %.0f messages/s (compose alone, 8 writers: %.0f/s)",
			b.Name, n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), float64(n)/composedIn.Seconds())
	})
}

// Package fedbench measures envelope throughput, end-to-end latency and
// backlog recovery between two real nodes on loopback.
package fedbench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/app"
	"github.com/liaison-wb/liaison/internal/clock"
	"github.com/liaison-wb/liaison/internal/config"
	"github.com/liaison-wb/liaison/internal/federation"
	"github.com/liaison-wb/liaison/internal/store"
)

const benchType = "bench.msg"

// Options select what to measure.
type Options struct {
	Messages int    // bulk throughput run
	Paced    int    // messages in the latency run
	Rate     int    // messages per second in the latency run
	Backlog  int    // messages queued while the receiver is down
	DB       string // PostgreSQL base URL, or "" for SQLite
	Modes    []bool // false = plain HTTP, true = mutual TLS
	Dir      string
}

// recorder notes when each envelope was handled.
type recorder struct {
	mu   sync.Mutex
	lat  []time.Duration
	seen int
	done chan struct{}
	want int
}

func (r *recorder) reset(want int) {
	r.mu.Lock()
	r.lat, r.seen, r.want, r.done = nil, 0, want, make(chan struct{})
	r.mu.Unlock()
}

func (r *recorder) note(created time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lat = append(r.lat, time.Since(created))
	r.seen++
	if r.seen == r.want {
		close(r.done)
	}
}

type pair struct {
	a, b     *app.Node
	bCfg     config.Config
	rec      *recorder
	logger   *slog.Logger
	register func(*app.Node)
}

func openNode(ctx context.Context, cfg config.Config, logger *slog.Logger, register func(*app.Node)) (*app.Node, error) {
	n, err := app.Open(ctx, cfg, logger, clock.System{}, nil)
	if err != nil {
		return nil, err
	}
	register(n)
	if err := n.Start(ctx); err != nil {
		n.Close(ctx)
		return nil, err
	}
	return n, nil
}

func nodeConfig(id, dir, db string, mtls bool) (config.Config, error) {
	c := config.Default()
	c.NodeID, c.NodeName, c.DataDir, c.AdminPassword = id, "bench "+id, dir, "bench-password-123"
	c.Addr = "127.0.0.1:0"
	c.LogLevel = "error"
	c.DB = db
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return c, err
	}
	addr := ln.Addr().String()
	ln.Close()
	if mtls {
		c.FederationAddr = addr
	} else {
		c.InsecureFederation = true
		c.Addr = addr
	}
	return c, nil
}

func peer(ctx context.Context, from, to *app.Node) error {
	return from.Fed.AddPeer(ctx, nil, federation.Peer{ID: to.Cfg.NodeID, URL: to.FederationURL(), PublicKey: to.Identity.PublicString(),
		CertSHA256: federation.CertFingerprint(to.FedTLS)})
}

func newPair(ctx context.Context, o Options, dir string, mtls bool, schema func(string) string) (*pair, error) {
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := &pair{rec: &recorder{}, logger: logger}
	p.register = func(n *app.Node) {
		n.Fed.Register(benchType, federation.TypeSpec{Handle: func(ctx context.Context, tx *store.Tx, in federation.Incoming) error {
			p.rec.note(in.CreatedAt)
			return nil
		}})
	}
	aCfg, err := nodeConfig("al", dir+"/al", schema("al"), mtls)
	if err != nil {
		return nil, err
	}
	if p.bCfg, err = nodeConfig("rs", dir+"/rs", schema("rs"), mtls); err != nil {
		return nil, err
	}
	if p.a, err = openNode(ctx, aCfg, logger, p.register); err != nil {
		return nil, err
	}
	if p.b, err = openNode(ctx, p.bCfg, logger, p.register); err != nil {
		p.a.Close(ctx)
		return nil, err
	}
	if err := peer(ctx, p.a, p.b); err != nil {
		return nil, err
	}
	return p, peer(ctx, p.b, p.a)
}

func (p *pair) close(ctx context.Context) {
	p.a.Close(ctx)
	if p.b != nil {
		p.b.Close(ctx)
	}
}

// enqueue writes n messages in transactions of up to 500.
func (p *pair) enqueue(ctx context.Context, n int) error {
	for done := 0; done < n; {
		k := min(500, n-done)
		err := p.a.Store.InTx(ctx, func(tx *store.Tx) error {
			for i := 0; i < k; i++ {
				if _, err := p.a.Fed.Enqueue(ctx, tx, federation.Outgoing{To: "rs", Type: benchType, Conversation: fmt.Sprintf("c%d", (done+i)%16), Payload: map[string]int{"n": done + i}}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		done += k
	}
	p.a.Fed.Notify()
	return nil
}

func (p *pair) wait(ctx context.Context, timeout time.Duration) error {
	select {
	case <-p.rec.done:
		return nil
	case <-time.After(timeout):
		p.rec.mu.Lock()
		defer p.rec.mu.Unlock()
		return fmt.Errorf("timed out: %d of %d handled", p.rec.seen, p.rec.want)
	case <-ctx.Done():
		return ctx.Err()
	}
}

func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// Run performs the measurements and prints a table.
func Run(ctx context.Context, o Options, out io.Writer) error {
	dir := o.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "liaison-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	schemas, cleanup, err := pgSchemas(ctx, o.DB)
	if err != nil {
		return err
	}
	defer cleanup()
	db := "SQLite"
	if o.DB != "" {
		db = "PostgreSQL"
	}
	fmt.Fprintf(out, "Federation benchmark: two nodes on loopback, %s, %d CPU\n\n", db, numCPU())
	fmt.Fprintf(out, "%-6s %14s %10s %10s %10s %22s\n", "mode", "bulk env/s", "p50", "p99", "max", fmt.Sprintf("backlog %d drained in", o.Backlog))
	for i, mtls := range o.Modes {
		mode := "plain"
		if mtls {
			mode = "mTLS"
		}
		p, err := newPair(ctx, o, fmt.Sprintf("%s/%d", dir, i), mtls, schemas(i))
		if err != nil {
			return err
		}
		// Bulk throughput.
		p.rec.reset(o.Messages)
		start := time.Now()
		if err := p.enqueue(ctx, o.Messages); err != nil {
			p.close(ctx)
			return err
		}
		if err := p.wait(ctx, 5*time.Minute); err != nil {
			p.close(ctx)
			return err
		}
		rate := float64(o.Messages) / time.Since(start).Seconds()
		// Latency at a steady rate.
		p.rec.reset(o.Paced)
		tick := time.NewTicker(time.Second / time.Duration(o.Rate))
		for k := 0; k < o.Paced; k++ {
			<-tick.C
			if _, err := p.a.Fed.Send(ctx, federation.Outgoing{To: "rs", Type: benchType, Conversation: fmt.Sprintf("p%d", k%8), Payload: map[string]int{"n": k}}); err != nil {
				tick.Stop()
				p.close(ctx)
				return err
			}
		}
		tick.Stop()
		if err := p.wait(ctx, time.Minute); err != nil {
			p.close(ctx)
			return err
		}
		p50, p99, pmax := percentile(p.rec.lat, 0.50), percentile(p.rec.lat, 0.99), percentile(p.rec.lat, 1)
		// Backlog recovery: receiver down, queue, receiver back.
		p.b.Close(ctx)
		p.b = nil
		p.rec.reset(o.Backlog)
		if err := p.enqueue(ctx, o.Backlog); err != nil {
			p.close(ctx)
			return err
		}
		time.Sleep(1500 * time.Millisecond) // let the sender fail and back off
		b, err := openNode(ctx, p.bCfg, p.logger, p.register)
		if err != nil {
			p.close(ctx)
			return err
		}
		p.b = b
		start = time.Now()
		_ = p.a.Fed.RetryNow(ctx, "rs")
		if err := p.wait(ctx, 5*time.Minute); err != nil {
			p.close(ctx)
			return err
		}
		drain := time.Since(start)
		p.close(ctx)
		fmt.Fprintf(out, "%-6s %14.0f %10s %10s %10s %22s\n", mode, rate, round(p50), round(p99), round(pmax), round(drain))
	}
	fmt.Fprintf(out, "\nbulk: %d envelopes enqueued at once; latency: %d envelopes at %d/s, creation at the sender to handling at the receiver; every send, delivery and receipt is written to both audit logs\n", o.Messages, o.Paced, o.Rate)
	return nil
}

func round(d time.Duration) string {
	switch {
	case d >= time.Second:
		return d.Round(10 * time.Millisecond).String()
	case d >= time.Millisecond:
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(time.Microsecond).String()
}

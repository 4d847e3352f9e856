package cli

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"runtime/pprof"
	"slices"
	"sync"
	"time"

	"github.com/liaison-wb/liaison/internal/federation/fedbench"
)

func runBenchFederation(ctx context.Context, env Env, args []string) error {
	fs := flagSet(env, "bench federation", "bench federation [--messages N] [--backlog N] [--db postgres://…]")
	msgs := fs.Int("messages", 10000, "envelopes in the bulk throughput run")
	paced := fs.Int("paced", 1000, "envelopes in the latency run")
	rate := fs.Int("rate", 200, "envelopes per second in the latency run")
	backlog := fs.Int("backlog", 10000, "envelopes queued while the receiver is down")
	db := fs.String("db", "", "PostgreSQL URL to run on (a fresh schema per node); default SQLite")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *msgs < 1 || *paced < 1 || *rate < 1 || *backlog < 1 {
		return usagef("--messages, --paced, --rate and --backlog must be positive")
	}
	return fedbench.Run(ctx, fedbench.Options{Messages: *msgs, Paced: *paced, Rate: *rate, Backlog: *backlog, DB: *db, Modes: []bool{false, true}}, env.Stdout)
}

// startCPUProfile writes a CPU profile of a benchmark to path until the
// returned function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// concurrentRun is what runConcurrently measured: each call's latency
// (sorted) and the wall time of the whole run.
type concurrentRun struct {
	lat  []time.Duration
	wall time.Duration
}

// runConcurrently calls do for 0..n-1 from the given number of clients
// and stops at the first error after the run.
func runConcurrently(n, clients int, do func(i int) error) (concurrentRun, error) {
	lat := make([]time.Duration, n)
	var wg sync.WaitGroup
	next := make(chan int)
	var firstErr error
	var mu sync.Mutex
	t0 := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				s := time.Now()
				err := do(i)
				lat[i] = time.Since(s)
				if err != nil {
					mu.Lock()
					firstErr = cmp.Or(firstErr, err)
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	run := concurrentRun{lat: lat, wall: time.Since(t0)}
	slices.Sort(run.lat)
	return run, firstErr
}

// summary reads "N with C clients in T: R <unit>/s; latency p50 …, p95 …,
// p99 …, max …".
func (r concurrentRun) summary(clients int, unit string) string {
	q := func(p float64) time.Duration {
		return r.lat[min(int(p*float64(len(r.lat))), len(r.lat)-1)].Round(10 * time.Microsecond)
	}
	return fmt.Sprintf("%d with %d clients in %s: %.0f %s/s; latency p50 %s, p95 %s, p99 %s, max %s", len(r.lat), clients, r.wall.Round(time.Millisecond),
		float64(len(r.lat))/r.wall.Seconds(), unit, q(0.5), q(0.95), q(0.99), q(1))
}

package cli

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"

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

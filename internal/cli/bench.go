package cli

import (
	"context"

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

package cli

import (
	"context"
	"errors"

	"github.com/liaison-wb/liaison/internal/match/linkcmd"
)

// matchErr maps the matching commands' usage errors to exit code 2.
func matchErr(err error) error {
	var ue *linkcmd.UsageError
	if errors.As(err, &ue) {
		return &usageError{ue.Msg}
	}
	return err
}

func runLink(ctx context.Context, env Env, args []string) error {
	return matchErr(linkcmd.Link(ctx, args, env.Stdout, env.Stderr))
}

func runDedupe(ctx context.Context, env Env, args []string) error {
	return matchErr(linkcmd.Dedupe(ctx, args, env.Stdout, env.Stderr))
}

func runBench(ctx context.Context, env Env, args []string) error {
	if len(args) == 0 {
		return usagef("use: liaison bench match|federation|search|alerts|analysis [flags]")
	}
	switch args[0] {
	case "match":
		return matchErr(linkcmd.Bench(ctx, args[1:], env.Stdout, env.Stderr))
	case "federation":
		return runBenchFederation(ctx, env, args[1:])
	case "search":
		return runCasesBench(ctx, env, args[1:])
	case "alerts":
		return runAlertsBench(ctx, env, args[1:])
	case "analysis":
		return runAnalysisBench(ctx, env, args[1:])
	}
	return usagef("unknown benchmark %q: use match, federation, search, alerts or analysis", args[0])
}

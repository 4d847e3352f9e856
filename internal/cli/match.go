package cli

import (
	"context"
)

func runLink(ctx context.Context, env Env, args []string) error {
	return usagef("link is not available in this build yet")
}

func runDedupe(ctx context.Context, env Env, args []string) error {
	return usagef("dedupe is not available in this build yet")
}

func runBench(ctx context.Context, env Env, args []string) error {
	return usagef("use: liaison bench match")
}

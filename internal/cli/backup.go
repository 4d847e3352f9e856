package cli

import "context"

func runBackup(ctx context.Context, env Env, args []string) error  { return usagef("not yet") }
func runRestore(ctx context.Context, env Env, args []string) error { return usagef("not yet") }
